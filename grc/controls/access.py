"""Who may see and do what in the control register (STYLE habit 6): one helper per object type.

The security lead, managers and auditors read the whole register (the role check is on the
views); only the security lead records, re-attests, edits and removes entries. An id that is
not an entry is a 404. The portal's computed identity and logging entries have no id: they are
shown on the register only.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from grc.accounts.models import Role, User
from grc.controls.models import ControlEntry
from grc.controls.selectors import entries_queryset

PORTAL_COMPUTED_AREAS = ("identity", "logging")  # filled in from settings by grc.controls.portal, never stored


def owners():
    """Who can own an entry: active security leads and managers (they read the register and are reminded)."""
    return User.objects.filter(is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER]).order_by("first_name", "last_name", "pk")


def can_edit_register(user) -> bool:
    return user.role == Role.SECURITY_LEAD


def get_entry_for(user, pk: int) -> tuple[ControlEntry, bool]:
    """The entry and whether ``user`` may change it (re-attest, edit, remove)."""
    entry = get_object_or_404(entries_queryset().select_related("recorded_by"), pk=pk)
    return entry, can_edit_register(user)
