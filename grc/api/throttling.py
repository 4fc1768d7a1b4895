"""The per-token rate limit: ``API_RATE_LIMIT`` requests per period (e.g. ``600/minute``),
counted in the shared cache (Redis in production) so every web process sees the same count.
Over it: 429 with ``Retry-After`` (seconds)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

DEFAULT_RATE = "600/minute"


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api_token"

    def get_rate(self) -> str:
        return getattr(settings, "API_RATE_LIMIT", DEFAULT_RATE)

    def allow_request(self, request, view):
        self.rate = self.get_rate()  # read per call, so settings changes (and tests) take effect
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        token = request.auth
        if token is None or not getattr(token, "key_hash", ""):
            return None  # no token, no call: authentication refused it already
        # The hash prefix (not the id) keys the count: unique per token across databases and tests.
        return self.cache_format % {"scope": self.scope, "ident": token.key_hash[:32]}
