"""The security lead's user management: the Users table, invitations, account changes, lockouts.

DPP 1.2 (registration, unique accounts, lockout, deprovisioning) and 1.3 (roles). Every page is
for the security lead only; every change goes through a service that writes the audit event.
Actions on one's own account are refused with 403 (ask another lead), never shown as buttons.
"""

from __future__ import annotations

import logging
from datetime import datetime
from smtplib import SMTPException

from axes.models import AccessAttempt
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts import emails, lifecycle, lockout, services
from grc.accounts.filters import UserFilter
from grc.accounts.forms import AdminPasswordResetForm, InviteForm, UserEditForm
from grc.accounts.models import Invitation, User
from grc.accounts.permissions import SECURITY_LEAD, SignedInRequest, deny, role_required
from grc.accounts.stepup import step_up_required
from grc.audit.models import AuditEvent
from grc.audit.services import record_view
from grc.http import safe_next
from grc.tables import table_page

logger = logging.getLogger(__name__)

USER_SORTS: dict[str, str | tuple[str, ...]] = {
    "name": ("last_name", "first_name"),
    "username": "username",
    "role": "role",
    "manager": ("manager__last_name", "manager__first_name"),
    "mfa": "has_mfa",
    "last_login": "last_login",
    "access": "access_expires_at",
    "active": "is_active",
}
FORM_FIELD_FOR = {"access_expires_at": "access_last_day"}  # service field → form field


def users_with_mfa() -> QuerySet[User]:
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return User.objects.select_related("manager").annotate(has_mfa=Exists(confirmed))


def get_account_for(viewer: User, pk: int) -> User:
    """The account ``viewer`` may manage: any, for a security lead (the views allow nobody else)."""
    return get_object_or_404(users_with_mfa(), pk=pk)


def pending_invitations() -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(used_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by", "manager")
        .order_by("-created_at")
    )


def _refuse_own_account(request: SignedInRequest, account: User) -> None:
    if account.pk == request.user.pk:
        raise deny(request, "own account")


@role_required(*SECURITY_LEAD)
def users(request: SignedInRequest) -> HttpResponse:
    now = timezone.now()
    table = table_page(request, users_with_mfa(), sorts=USER_SORTS, default_sort="name", filterset_class=UserFilter)
    locked = lockout.locked_usernames(now)
    context = {
        "table": table,
        "locked": locked,
        "invitations": list(pending_invitations()[:50]),
        "now": now,
    }
    return render(request, "accounts/users.html", context)


def _send_invitation(request: HttpRequest, invitation: Invitation, token: str) -> None:
    try:
        emails.send_invitation(invitation=invitation, link=services.invitation_link(token))
    except (SMTPException, OSError):
        logger.warning("invitation %s: the email could not be sent", invitation.pk)
        messages.error(request, "The invitation was saved but the email could not be sent. Use “Send again” once email works.")
    else:
        messages.success(request, f"Invitation sent to {invitation.email}. The link works once, for 72 hours.")


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def invite(request: SignedInRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, token = services.invitation_create(
                by=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                manager=data["manager"],
                access_expires_at=data["access_expires_at"],
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _send_invitation(request, invitation, token)
            return redirect("accounts:users")
    return render(request, "accounts/invite.html", {"form": form})


@role_required(*SECURITY_LEAD)
@require_POST
def invitation_revoke(request: SignedInRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    if services.invitation_revoke(invitation=invitation, by=request.user, now=timezone.now(), request=request):
        messages.success(request, "The invitation link was withdrawn.")
    return redirect("accounts:users")


@role_required(*SECURITY_LEAD)
@require_POST
def invitation_resend(request: SignedInRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk, used_at__isnull=True)
    if not invitation.email:
        raise deny(request, "no email")
    fresh, token = services.invitation_renew(invitation=invitation, by=request.user, now=timezone.now(), request=request)
    _send_invitation(request, fresh, token)
    return redirect("accounts:users")


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def user_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """One account: its state, MFA, sessions and recent security events; role/manager/expiry edit."""
    account = get_account_for(request.user, pk)
    now = timezone.now()
    form = UserEditForm(request.POST or None, user=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = lifecycle.user_update(
                user=account,
                by=request.user,
                role=data["role"],
                manager=data["manager"],
                access_expires_at=data["access_expires_at"],
                now=now,
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                target = FORM_FIELD_FOR.get(field, field)
                form.add_error(target if target in form.fields else None, errors)
        else:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect("accounts:user_detail", pk=account.pk)
    if request.method == "GET":
        record_view(request, account)
    devices = TOTPDevice.objects.filter(user=account, confirmed=True).order_by("created_at")
    context = {
        "account": account,
        "form": form,
        "devices": list(devices),
        "backup_codes_left": StaticToken.objects.filter(device__user=account).count(),
        "sessions": account.tracked_sessions.count(),
        "locked": account.username in lockout.locked_usernames(now),
        "invitation": Invitation.objects.filter(user=account).first(),
        "events": list(
            AuditEvent.objects.filter(object_type="accounts.user", object_id=str(account.pk)).exclude(action__endswith=".viewed")[:12]
        ),
        "is_self": account.pk == request.user.pk,
        "now": now,
    }
    return render(request, "accounts/user_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_POST
def user_deactivate(request: SignedInRequest, pk: int) -> HttpResponse:
    account = get_account_for(request.user, pk)
    _refuse_own_account(request, account)
    ended = lifecycle.user_deactivate(user=account, by=request.user, now=timezone.now(), request=request)
    messages.success(request, f"{account} is deactivated; {ended} open session{'s' if ended != 1 else ''} ended.")
    return redirect("accounts:user_detail", pk=account.pk)


@role_required(*SECURITY_LEAD)
@require_POST
def user_reactivate(request: SignedInRequest, pk: int) -> HttpResponse:
    account = get_account_for(request.user, pk)
    lifecycle.user_reactivate(user=account, by=request.user, now=timezone.now(), request=request)
    messages.success(request, f"{account} is active again.")
    return redirect("accounts:user_detail", pk=account.pk)


@role_required(*SECURITY_LEAD)
@step_up_required
@require_http_methods(["GET", "POST"])
def user_mfa_reset(request: SignedInRequest, pk: int) -> HttpResponse:
    """A lost phone: remove the user's authenticator and backup codes (asks for your own fresh code)."""
    account = get_account_for(request.user, pk)
    _refuse_own_account(request, account)
    if request.method == "POST":
        lifecycle.user_mfa_reset(user=account, by=request.user, now=timezone.now(), request=request)
        messages.success(request, f"MFA of {account} was reset: they enrol a new authenticator at their next sign-in.")
        return redirect("accounts:user_detail", pk=account.pk)
    context = {
        "title": f"Reset MFA of {account}",
        "text": "This removes their authenticator app and backup codes and signs them out everywhere. At their next"
        " sign-in they must set up a new authenticator before they can reach anything. Do this only after"
        " checking who is asking (for example in person or on a call).",
        "button": "Reset MFA",
        "cancel_url": account.get_absolute_url(),
    }
    return render(request, "accounts/confirm.html", context)


@role_required(*SECURITY_LEAD)
@step_up_required
@require_http_methods(["GET", "POST"])
def user_password_reset(request: SignedInRequest, pk: int) -> HttpResponse:
    """The administrator's reset: allowed within the 1-day minimum age, audited, ends their sessions."""
    account = get_account_for(request.user, pk)
    _refuse_own_account(request, account)
    form = AdminPasswordResetForm(request.POST or None, user=account)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.user_password_reset(
                user=account, password=form.cleaned_data["password1"], by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            form.add_error("password1", error)
        else:
            messages.success(request, f"The password of {account} was reset and their sessions ended. Give it to them in person.")
            return redirect("accounts:user_detail", pk=account.pk)
    return render(request, "accounts/user_password_reset.html", {"account": account, "form": form})


@role_required(*SECURITY_LEAD)
def lockouts(request: SignedInRequest) -> HttpResponse:
    now = timezone.now()
    context = {
        "locks": lockout.locks(now),
        "limit": lockout.failure_limit(),
        "cool_off_minutes": round(lockout.cool_off().total_seconds() / 60),
        "recent_failures": _recent_failure_count(now),
    }
    return render(request, "accounts/lockouts.html", context)


def _recent_failure_count(now: datetime) -> int:
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - lockout.cool_off())
    total: int | None = recent.aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


@role_required(*SECURITY_LEAD)
@require_POST
def unlock(request: SignedInRequest) -> HttpResponse:
    username = request.POST.get("username", "")
    if not username:
        return redirect("accounts:lockouts")
    lockout.account_unlock(username=username, by=request.user, now=timezone.now(), request=request)
    messages.success(request, f"“{username}” is unlocked and can sign in again.")
    return redirect(safe_next(request, request.POST.get("next", ""), fallback=reverse("accounts:lockouts")))
