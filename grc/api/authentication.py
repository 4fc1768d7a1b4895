"""Who is calling: a bearer token (``Authorization: Bearer dpp_…``) for the API; for the schema
and the docs page also the signed-in portal session, once MFA-verified.

A token is never read from the URL: a request that carries one in its query string is refused
(it would end up in proxy and server logs). Every refusal says why in the JSON error and is
audited by the view with the refused token's id.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from grc.accounts.policy import OK, account_policy_state
from grc.api.models import TOKEN_PREFIX
from grc.api.services import token_for_key, token_touch

KEYWORD = "Bearer"
URL_TOKEN_HINT = "API tokens go in the Authorization header (Authorization: Bearer <token>), never in the URL."


def mark_token(request, token) -> None:
    """Let the audit trail (``record_event``) and the throttle know the token of this call."""
    django_request = getattr(request, "_request", request)
    django_request.api_token_id = token.pk
    django_request.api_token_kind = token.kind


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        if any(value.startswith(TOKEN_PREFIX) for values in request.query_params.lists() for value in values[1]):
            raise exceptions.AuthenticationFailed(URL_TOKEN_HINT)
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != KEYWORD.lower().encode():
            raise exceptions.AuthenticationFailed("Use Authorization: Bearer <token>.")
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be: Bearer <token>.")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        now = timezone.now()
        token, refusal = token_for_key(key, now)
        if refusal:
            if token is not None:
                getattr(request, "_request", request).api_token_refused_id = token.pk
            raise exceptions.AuthenticationFailed(f"The token is not valid: {refusal}.")
        assert token is not None  # token_for_key gives a refusal whenever it finds no token
        token_touch(token, now)
        mark_token(request, token)
        return token.user, token

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


class VerifiedSessionAuthentication(SessionAuthentication):
    """The portal session, only when it passed MFA and the account policy (``/api/`` is exempt from
    ``AccountPolicyMiddleware``, so this repeats its conditions for the schema and docs)."""

    def authenticate(self, request):
        user = getattr(request._request, "user", None)
        if user is None or not user.is_authenticated or account_policy_state(user, timezone.now()) != OK:
            return None
        self.enforce_csrf(request)
        return user, None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "grc.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "dpp_…",
            "description": "An API token made on the portal's API tokens page (shown once).",
        }
