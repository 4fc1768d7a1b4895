"""The per-token rate limit: ``API_RATE_LIMIT`` requests per period (e.g. ``600/minute``),
counted in the shared cache (Redis in production) so every web process sees the same count.
Over it: 429 with ``Retry-After`` (seconds). The cache is ``caches[API_THROTTLE_CACHE]`` (the
setting is optional; ``default`` without it).

When the shared cache is down the limit fails open *within bounds*: the request is not refused
(an automation reporting an incident on the 24-hour clock must get through), the failure is
logged and counted (``grc.degraded``), and the same limit is counted in this process's memory
instead until the cache answers again. A token can then make at most the limit per web process,
never an unlimited number of calls.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import SimpleRateThrottle

from grc import degraded

DEFAULT_RATE = "600/minute"

# One per process; LocMemCache locks its own reads and writes, so web threads share it safely.
FALLBACK_CACHE = LocMemCache("grc-api-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api_token"

    def get_rate(self) -> str:
        return getattr(settings, "API_RATE_LIMIT", DEFAULT_RATE)

    def allow_request(self, request, view):
        self.rate = self.get_rate()  # read per call, so settings changes (and tests) take effect
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if degraded.available(degraded.CACHE):
            self.cache = caches[getattr(settings, "API_THROTTLE_CACHE", "default")]
            try:
                return super().allow_request(request, view)
            except degraded.CACHE_ERRORS as error:
                degraded.report(degraded.CACHE, error, where="api_throttle")
        self.cache = FALLBACK_CACHE
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        token = request.auth
        if token is None or not getattr(token, "key_hash", ""):
            return None  # no token, no call: authentication refused it already
        # The hash prefix (not the id) keys the count: unique per token across databases and tests.
        return self.cache_format % {"scope": self.scope, "ident": token.key_hash[:32]}
