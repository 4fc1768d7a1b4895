"""The Django admin's sign-in counts wrong one-time codes like every other sign-in path (DPP 1.2).

``grc.urls`` makes the admin a django-otp ``OTPAdminSite``: password and code on one form. Its form
rejects a wrong code with a form error only — django-axes never hears of it and the audit trail
has no event — so the admin would be the one place to guess codes without a lockout. This form
reports a wrong code through ``grc.accounts.mfa.code_failed`` (audited as ``accounts.mfa_failed``
and counted by axes, whose middleware answers with the locked page once the limit is reached), and
checks no code at all while the username is locked. A right code completes the sign-in through
``grc.accounts.signals.complete_sign_in_with_code``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django_otp.admin import OTPAdminAuthenticationForm

from grc.accounts import mfa
from grc.accounts.models import User

WHERE = "admin sign-in"


class PortalAdminAuthenticationForm(OTPAdminAuthenticationForm):
    def clean_otp(self, user: User | None) -> None:
        if user is None:
            return  # the password was wrong: Django's authenticate() already told axes and the trail
        if mfa.locked(self.request, user):
            mfa.refuse_locked(self.request, user, where=WHERE)
            self.request.axes_locked_out = True  # axes's middleware answers with the locked page
            raise forms.ValidationError("This account is locked.", code="locked")
        try:
            super().clean_otp(user)
        except forms.ValidationError:
            if self.cleaned_data.get("otp_token"):  # a code was tried and refused (not just missing)
                mfa.code_failed(self.request, user, action=mfa.SIGN_IN, where=WHERE)
            raise


def install() -> None:
    """Give the project's admin site this form (called from ``AccountsConfig.ready``).

    Set on the ``admin.site`` instance, not its class: ``grc.urls`` swaps the class for
    ``OTPAdminSite`` when the URLs load, after ``ready``, and an instance attribute outlives that.
    """
    admin.site.login_form = PortalAdminAuthenticationForm
