"""Pages of the API: the token list, making a token (shown once), revoking one; the OpenAPI
schema and the Swagger UI docs (served from the app with drf-spectacular-sidecar: no CDN).

``/api/`` is exempt from ``AccountPolicyMiddleware`` (tokens carry no session), so the pages here
apply the same account policy themselves (``verified_session``): MFA-verified session, access
window open, password not expired.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from grc.accounts.models import Role
from grc.accounts.permissions import EVERYONE, role_required
from grc.accounts.policy import ACCESS_ENDED, ACCESS_ENDED_MESSAGE, ENROL, PASSWORD_EXPIRED, VERIFY, account_policy_state
from grc.accounts.stepup import step_up_required
from grc.api import services
from grc.api.authentication import ApiTokenAuthentication, VerifiedSessionAuthentication
from grc.api.base import ApiViewMixin, audit_call
from grc.api.forms import TokenForm
from grc.api.models import ApiToken, TokenKind, TokenStatus
from grc.api.scopes import AREAS
from grc.mail import absolute_url
from grc.tables import table_page


def verified_session(view):
    """The account policy of ``AccountPolicyMiddleware`` for pages under the exempt ``/api/``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        state = account_policy_state(user, timezone.now())
        if state == ACCESS_ENDED:
            logout(request)
            messages.error(request, ACCESS_ENDED_MESSAGE)
            return redirect(settings.LOGIN_URL)
        if state in (VERIFY, ENROL):
            return redirect("accounts:verify" if state == VERIFY else "accounts:enrol")
        if state == PASSWORD_EXPIRED:
            return redirect("accounts:password_change")
        return view(request, *args, **kwargs)

    return wrapper


# --- token pages ------------------------------------------------------------------------------
SMALL_SELECT = {"class": "form-select form-select-sm"}


def tokens_visible_to(user):
    """The lead sees (and may revoke) every token; everyone else their own."""
    queryset = ApiToken.objects.select_related("user", "created_by", "revoked_by")
    return queryset if user.role == Role.SECURITY_LEAD else queryset.filter(user=user)


class TokenFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=TokenStatus.choices,
        method="filter_status",
        empty_label="any status",
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    kind = django_filters.ChoiceFilter(
        label="Kind", choices=TokenKind.choices, empty_label="any kind", widget=forms.Select(attrs=SMALL_SELECT)
    )

    class Meta:
        model = ApiToken
        fields: list[str] = []

    def filter_status(self, queryset, name, value):
        now = timezone.now()
        if value == TokenStatus.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        if value == TokenStatus.EXPIRED:
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset.filter(Q(revoked_at__isnull=True) & Q(expires_at__gt=now))


@verified_session
@role_required(*EVERYONE)
def token_list(request):
    now = timezone.now()
    table = table_page(
        request,
        tokens_visible_to(request.user),
        sorts={"created": "created_at", "expires": "expires_at", "used": "last_used_at", "name": "name"},
        default_sort="-created",
        filterset_class=TokenFilter,
    )
    for token in table.rows:
        token.current_status = token.status_at(now)
    context = {
        "table": table,
        "now": now,
        "is_lead": request.user.role == Role.SECURITY_LEAD,
        "areas": AREAS.values(),
        "docs_url": "/api/docs/",
    }
    return render(request, "api/tokens.html", context)


@verified_session
@role_required(*EVERYONE)
@step_up_required
@require_http_methods(["GET", "POST"])
def token_create(request):
    """Make a token; the page that answers the POST shows the secret once (it is not stored)."""
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        data = form.cleaned_data
        try:
            token, key = services.token_create(
                user=request.user,
                by=request.user,
                name=data["name"],
                kind=data["kind"],
                scopes=data["scopes"],
                expires_at=min(now + timedelta(days=data["lifetime"]), services.latest_expiry(request.user, now)),
                now=now,
                request=request,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            context = {"token": token, "key": key, "api_base": absolute_url("/api/v1/"), "docs_url": "/api/docs/"}
            response = render(request, "api/token_created.html", context)
            response["Cache-Control"] = "no-store"
            return response
    context = {"form": form, "max_days": services.max_days(), "access_expires_at": request.user.access_expires_at}
    return render(request, "api/token_form.html", context)


@verified_session
@role_required(*EVERYONE)
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(tokens_visible_to(request.user), pk=pk)
    if services.token_revoke(token=token, by=request.user, now=timezone.now(), request=request):
        messages.success(request, f"Token {token.prefix}… revoked: calls with it are refused from now on.")
    else:
        messages.info(request, "That token was already revoked.")
    return redirect("api:tokens")


# --- schema and docs ----------------------------------------------------------------------------
SCHEMA_AUTH = [ApiTokenAuthentication, VerifiedSessionAuthentication]  # the first one answers 401 with its challenge


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema (JSON; ``?format=yaml`` for YAML), for a signed-in user or any token."""

    authentication_classes = SCHEMA_AUTH
    permission_classes = [IsAuthenticated]
    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        audit_call(request, response)
        return response


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the app's own static files; its start script is a separate file (the CSP
    allows no inline script). Signed-out visitors go to the login page."""

    authentication_classes = [VerifiedSessionAuthentication]
    permission_classes = [IsAuthenticated]
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"
    title = "DPP portal API"

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed) and "script" not in self.request.GET:
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class NotFoundView(ApiViewMixin, APIView):
    """Any other path under /api/: a JSON 404 (for a valid token; 401 without one)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise Http404("No such API endpoint.")

    post = put = patch = delete = get
