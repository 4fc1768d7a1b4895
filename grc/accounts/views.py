"""Sign-in (password, then one-time code), MFA enrolment, invitations and password change.

User management is in ``user_views``, the user's own profile in ``profile_views``.
"""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any, Protocol, cast

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login

from grc.accounts import mfa, services
from grc.accounts.forms import AcceptInvitationForm, CodeForm
from grc.accounts.lockout import cool_off, failure_limit
from grc.accounts.models import User
from grc.accounts.permissions import EVERYONE, RoleRequiredMixin
from grc.accounts.sessions import session_track
from grc.accounts.stepup import mark_step_up, step_up_purpose
from grc.audit.services import record_event
from grc.http import safe_next


class _OtpUser(Protocol):
    """A signed-in user as django-otp's ``OTPMiddleware`` leaves it: with ``is_verified()``."""

    def is_verified(self) -> bool: ...


class LoginView(auth_views.LoginView):
    """Step one: username and password (django-axes counts failures and locks)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return home_url(self.request.user)  # not LOGIN_REDIRECT_URL: an auditor's home is their own


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only) and say so on the sign-in page it lands on."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:  # the message outlives the ended session: it is stored on the response
            messages.success(request, "You have signed out.")
        return response


def locked_context() -> dict[str, Any]:
    """What django-axes passes to the locked page, for the pages that render it themselves."""
    return {"failure_limit": failure_limit(), "cooloff_timedelta": cool_off()}


def home_url(user: Any) -> str:
    """Where a user lands after signing in or activating the account, by every path alike: an
    auditor on the auditor home (their work is the evidence), everyone else on the dashboard."""
    return reverse("evidence:index") if getattr(user, "is_auditor", False) else reverse("compliance:dashboard")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return safe_next(request, target, fallback=home_url(request.user))  # same host, and a path (never a URL name)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Step two: a code from the authenticator app or a backup code. A wrong code is a failed login;
    while the username is locked no code is checked and the half-signed-in session ends (grc.accounts.mfa)."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if cast(_OtpUser, request.user).is_verified():
        return redirect(_next_url(request))
    if not any(True for _ in devices_for_user(request.user, confirmed=True)):
        return redirect("accounts:enrol")  # nothing to verify with yet (new account, or MFA reset)
    if mfa.locked(request, request.user):
        return _locked_out(request, where="sign-in code")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            mfa.code_accepted(request, device)
            return redirect(_next_url(request))
        if mfa.code_failed(request, request.user, action=mfa.SIGN_IN):
            auth_logout(request)
            return render(request, "accounts/locked.html", locked_context(), status=429)
        form.add_error("code", "That code is not valid. Check your authenticator app's time and try again.")
    return render(request, "accounts/verify.html", {"form": form, "next": request.GET.get("next", "")})


def _locked_out(request: HttpRequest, *, where: str, sign_out: bool = True) -> HttpResponse:
    """The username is locked: audit the refusal, end the session (unless it was already fully
    signed in and only asked for a step-up) and show the locked page."""
    mfa.refuse_locked(request, cast(User, request.user), where=where)  # called once the password was given
    if sign_out:
        auth_logout(request)
    return render(request, "accounts/locked.html", locked_context(), status=429)


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """TOTP enrolment: QR code and secret, confirmed with a first code; then backup codes."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if cast(_OtpUser, request.user).is_verified():
        return redirect(home_url(request.user))
    if any(True for _ in devices_for_user(request.user, confirmed=True)):
        return redirect("accounts:verify")
    if mfa.locked(request, request.user):
        return _locked_out(request, where="enrolment")
    device = services.totp_device_for_enrolment(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.totp_confirm(user=request.user, device=device, token=form.cleaned_data["code"], request=request)
        if codes is not None:
            otp_login(request, device)
            request.session.cycle_key()  # the sign-in is complete: the half-signed-in key stops working
            rotate_token(request)
            session_track(user=request.user, session_key=request.session.session_key)
            request.session["backup_codes"] = codes
            return redirect("accounts:backup_codes")
        form.add_error("code", "That code does not match. Scan the QR code again and enter the current code.")
    secret = base64.b32encode(device.bin_key).decode("ascii")
    context = {"form": form, "qr_svg": _qr_svg(device.config_url), "secret": secret}
    return render(request, "accounts/enrol.html", context)


def backup_codes(request: HttpRequest) -> HttpResponse:
    """The 10 backup codes, shown exactly once after they are made."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    codes = request.session.pop("backup_codes", None)
    return_url = request.session.pop("backup_codes_return", None) or home_url(request.user)
    if not codes:
        messages.info(request, "Backup codes are shown only once. You can make new ones from your profile.")
        return redirect(return_url)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "return_url": return_url})


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The single-use link from an invitation or the first-admin setup: create the account."""
    now = timezone.now()
    invitation = services.invitation_for_token(token, now)
    if invitation is None:
        record_event("accounts.invitation_refused", request=request, outcome="failure", message="unknown, used or expired link")
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        auth_logout(request)
    form = AcceptInvitationForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invitation_accept(
                invitation=invitation,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=invitation.email or data["email"],
                password=data["password1"],
                now=now,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your account is ready. Now set up your authenticator app: every account uses MFA.")
            return redirect("accounts:enrol")
    return render(request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation})


class PasswordChangeView(RoleRequiredMixin, auth_views.PasswordChangeView):
    """The user's own change: old password, then a new one under every DPP 1.4 rule (1-day minimum
    age included). An expired password (365 days) lands here and nowhere else until changed."""

    allowed_roles = EVERYONE
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("compliance:dashboard")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = cast(User, self.request.user)  # RoleRequiredMixin lets only signed-in portal users in
        changeable = user.password_changeable_at()
        context["too_soon_until"] = changeable if changeable and changeable > timezone.now() else None
        context["expired"] = user.password_expired(timezone.now())
        return context

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)  # renews the session key (update_session_auth_hash)
        user = cast(User, self.request.user)  # RoleRequiredMixin lets only signed-in portal users in
        session_track(user=user, session_key=self.request.session.session_key)
        record_event("accounts.password_changed", request=self.request, obj=user, changed_fields=["password"])
        messages.success(self.request, "Your password was changed.")
        return response


@require_http_methods(["GET", "POST"])
def step_up(request: HttpRequest) -> HttpResponse:
    """Ask for a fresh one-time code before signing; then go back to ``next``."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if mfa.locked(request, request.user):
        return _locked_out(request, where="step-up", sign_out=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            mark_step_up(request)
            record_event("accounts.step_up", request=request, obj=request.user)
            return redirect(_next_url(request))
        if mfa.code_failed(request, request.user, action=mfa.STEP_UP):
            auth_logout(request)
            return render(request, "accounts/locked.html", locked_context(), status=429)
        form.add_error("code", "That code is not valid.")
    # The Cancel link is followed without a POST: only a next= back into the portal becomes one.
    next_url = safe_next(request, request.GET.get("next"))
    return render(request, "accounts/step_up.html", {"form": form, "next": next_url, "what": step_up_purpose(request, next_url)})
