from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError

from grc.accounts.models import User
from grc.accounts.services import validate_username
from grc.forms import StyledForm


class CodeForm(StyledForm):
    code = forms.CharField(
        label="One-time code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace(" ", "").strip()


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

    def __init__(self, *args, invitation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if invitation is not None:
            for field in ("first_name", "last_name", "email"):
                value = getattr(invitation, field)
                if value:
                    self.fields[field].initial = value
            if invitation.email:
                self.fields["email"].disabled = True
            if invitation.user_id:  # an account made beforehand: only the password is chosen here
                self.fields["username"].initial = invitation.user.username
                for field in ("first_name", "last_name", "username"):
                    self.fields[field].disabled = True
        self.invitation = invitation

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if self.invitation is not None and self.invitation.user_id:
            return username
        validate_username(username)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("This username is taken.")
        return username

    def clean(self):
        data = super().clean()
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
