"""The form that makes an API token: a name, the kind (service tokens: security lead only), the
scopes the user's role can use, and how long it lives (at most 365 days)."""

from __future__ import annotations

from typing import cast

from django import forms

from grc.accounts.models import Role
from grc.api.models import TokenKind
from grc.api.scopes import AREAS, scopes_for_role
from grc.forms import StyledForm

LIFETIMES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "365 days (the maximum)")]


class TokenForm(StyledForm):
    name = forms.CharField(max_length=80, help_text="What will use it, e.g. “Okta nightly sync” or “CI release pipeline”.")
    kind = forms.ChoiceField(
        choices=TokenKind.choices,
        initial=TokenKind.PERSONAL,
        widget=forms.RadioSelect,
        help_text="A personal token acts as you. A service token is for a scanner, a sync or a pipeline; you stay its named owner.",
    )
    scopes = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, help_text="Read includes nothing else; write includes read.")
    lifetime = forms.TypedChoiceField(
        choices=LIFETIMES, coerce=int, initial=90, label="Expires after", help_text="It stops working then; make a new one before."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = scopes_for_role(user.role)
        cast(forms.MultipleChoiceField, self.fields["scopes"]).choices = [(scope, scope) for scope in self.allowed]
        if user.role != Role.SECURITY_LEAD:
            cast(forms.ChoiceField, self.fields["kind"]).choices = [(TokenKind.PERSONAL, TokenKind.PERSONAL.label)]

    def scope_rows(self) -> list[dict]:
        """One row per area with its read and write checkbox (None where the role has none)."""
        checked = set(self["scopes"].value() or [])
        rows = []
        for area in AREAS.values():
            read, write = f"{area.key}:read", f"{area.key}:write"
            if read not in self.allowed and write not in self.allowed:
                continue
            rows.append(
                {
                    "area": area,
                    "read": read if read in self.allowed else None,
                    "write": write if write in self.allowed else None,
                    "read_checked": read in checked,
                    "write_checked": write in checked,
                }
            )
        return rows
