"""Each user's own profile: time zone, MFA devices, new backup codes, link to change the password."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts import lifecycle
from grc.accounts.forms import ProfileForm
from grc.accounts.permissions import EVERYONE, SignedInRequest, role_required
from grc.accounts.stepup import step_up_required


@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def profile(request: SignedInRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"timezone": user.timezone})
    if request.method == "POST" and form.is_valid():
        changed = lifecycle.profile_update(user=user, timezone_name=form.cleaned_data["timezone"], request=request)
        messages.success(request, "Your time zone was saved." if changed else "Nothing changed.")
        return redirect("accounts:profile")
    now = timezone.now()
    context = {
        "form": form,
        "devices": list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at")),
        "backup_codes_left": StaticToken.objects.filter(device__user=user).count(),
        "password_changed_at": user.password_changed_at,
        "password_expires_at": user.password_expires_at(),
        "password_changeable_at": user.password_changeable_at(),
        "now": now,
    }
    return render(request, "accounts/profile.html", context)


@role_required(*EVERYONE)
@step_up_required
@require_http_methods(["GET", "POST"])
def backup_codes_regenerate(request: SignedInRequest) -> HttpResponse:
    """Ten new backup codes, after a fresh one-time code; the old ones stop working."""
    if request.method == "POST":
        request.session["backup_codes"] = lifecycle.backup_codes_renew(user=request.user, request=request)
        request.session["backup_codes_return"] = reverse("accounts:profile")
        return redirect("accounts:backup_codes")
    context = {
        "title": "Make new backup codes",
        "text": "You get 10 new single-use codes, shown once. Your current backup codes stop working at once.",
        "button": "Make new codes",
        "cancel_url": reverse("accounts:profile"),
        "danger": False,
    }
    return render(request, "accounts/confirm.html", context)
