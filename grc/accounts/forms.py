"""Forms of the accounts app. They check input and say what is wrong next to the field;
the services they feed do the writing (and re-check the rules that matter)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from grc.accounts.lifecycle import mark_admin_reset
from grc.accounts.models import Invitation, Role, User
from grc.accounts.usernames import validate_username
from grc.forms import DateInput, StyledForm

if TYPE_CHECKING:
    # the mixins only ever precede a Form: let mypy check them against BaseForm
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class LateErrorsMixin(_FormBase):
    """Errors a view adds after validation (a wrong code, a service's refusal) mark the field too."""

    def add_error(self, field: str | None, error: Any) -> None:  # whatever BaseForm.add_error takes
        super().add_error(field, error)
        for name in [field] if isinstance(field, str) else list(getattr(error, "error_dict", {})):
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class CodeForm(LateErrorsMixin, StyledForm):
    code = forms.CharField(
        label="One-time code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        return code.replace(" ", "").strip()


class AcceptInvitationForm(StyledForm):
    """Name, username and password for a new account; the password is checked against the name."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField()
    username = forms.CharField(max_length=150, help_text="Your own name, e.g. jsmith. Generic names like admin are refused.")
    password1 = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False)

    def __init__(self, *args: Any, invitation: Invitation | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if invitation is not None:
            for field in ("first_name", "last_name", "email"):
                value = getattr(invitation, field)
                if value:
                    self.fields[field].initial = value
            if invitation.email:
                self.fields["email"].disabled = True
            if invitation.user is not None:  # an account made beforehand: only the password is chosen here
                self.fields["username"].initial = invitation.user.username
                for field in ("first_name", "last_name", "username"):
                    self.fields[field].disabled = True
        self.invitation = invitation

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if self.invitation is not None and self.invitation.user_id:
            return username
        validate_username(username)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("This username is taken.")
        return username

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            candidate = User(
                username=data.get("username", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                validate_password(p1, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


def last_day_to_expiry(day: date | None) -> datetime | None:
    """ "Last day of access" (inclusive, in the viewer's zone) → the moment access stops."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def expiry_to_last_day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return (timezone.localtime(moment) - timedelta(microseconds=1)).date()


def manager_choices() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=[Role.SECURITY_LEAD, Role.MANAGER]).order_by("last_name", "first_name")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.get_role_display()})"


ACCESS_HELP = "Required for auditors: their access stops at the end of this day (your time zone)."


class AccessFieldsMixin(_FormBase):
    """Role, manager and the last day of access, shared by the invitation and the edit form."""

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        last_day = data.get("access_last_day")
        if data.get("role") == Role.AUDITOR and last_day is None and "access_last_day" not in self.errors:
            self.add_error("access_last_day", "Auditor access needs an end date.")
        if last_day is not None and last_day < timezone.localdate():
            self.add_error("access_last_day", "The last day of access cannot be in the past.")
        data["access_expires_at"] = last_day_to_expiry(last_day)
        return data


class InviteForm(AccessFieldsMixin, StyledForm):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="The single-use link (valid 72 hours) is sent here.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.STAFF)
    manager = PersonChoiceField(queryset=None, required=False, help_text="Their line manager, who signs off their access reviews.")
    access_last_day = forms.DateField(label="Last day of access", required=False, widget=DateInput(), help_text=ACCESS_HELP)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["manager"]).queryset = manager_choices()

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("An account with this email address exists already: one account per person (DPP 1.2).")
        pending = Invitation.objects.filter(
            email__iexact=email, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        if pending.exists():
            raise ValidationError("This person has a pending invitation already: send it again from the list instead.")
        return email


class UserEditForm(LateErrorsMixin, AccessFieldsMixin, StyledForm):
    role = forms.ChoiceField(choices=Role.choices)
    manager = PersonChoiceField(queryset=None, required=False)
    access_last_day = forms.DateField(label="Last day of access", required=False, widget=DateInput(), help_text=ACCESS_HELP)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"role": user.role, "manager": user.manager_id, "access_last_day": expiry_to_last_day(user.access_expires_at)},
        )
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["manager"]).queryset = manager_choices().exclude(pk=user.pk)


class AdminPasswordResetForm(LateErrorsMixin, StyledForm):
    """A new password chosen by the security lead: every rule but the 1-day minimum age."""

    password1 = forms.CharField(
        label="New password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(label="New password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                validate_password(p1, mark_admin_reset(self.user, by=None))
            except ValidationError as error:
                self.add_error("password1", error)
        return data


def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/")))
    return [("", "My browser's time zone"), ("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class ProfileForm(StyledForm):
    timezone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Dates and deadlines are shown in this zone. Leave it on the browser's zone to follow your device.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["timezone"]).choices = timezone_choices()
