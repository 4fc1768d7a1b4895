"""Degrade, don't fail: the shared cache (Redis) is an accelerator, never a dependency of a page.

When Redis is unreachable, a cache read or write raises (``redis.ConnectionError``). Left alone
that turns the dashboard and every API call (DRF's throttle reads the cache first) into a 500 —
including ``POST /api/v1/incidents/``, which starts the 24-hour Amazon clock (DPP 1.6) and must
never be refused because an optimisation is missing. So every cache use goes through this module:

* ``cache_get`` / ``cache_set`` answer "miss" / "not stored" when the cache fails, and the caller
  computes the value instead (the posture cache, ``grc.compliance.selectors``);
* ``report`` logs the failure (component and exception class only — no key, no value, no address:
  DPP 2.6) and counts it in this process;
* after a failure the cache is not tried again for ``RETRY_AFTER_SECONDS``: while Redis is down a
  request pays no connect timeout, and the log gets one line per interval, not one per request;
* ``degraded_services`` tells the security lead's pages to show the "background services
  degraded" banner: the in-process flag (no I/O) and, for the task broker, whether the outbox
  holds tasks the broker refused (one indexed query, remembered for ``BROKER_CHECK_SECONDS``).

The state is per process, on purpose: it costs nothing to read, and each web process finds out
for itself when Redis is back (the first call after the interval tries it again).
"""

from __future__ import annotations

import logging
import pickle  # nosec B403 -- only to name its error: the cache backend does the unpickling
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import redis
from django.core.cache import caches

from grc.models import OutboxMessage

logger = logging.getLogger("grc.degraded")

CACHE = "cache"
BROKER = "broker"

# Errors that mean "the cache service is not there", not a bug in our code: Redis refusing or timing
# out, and OSError for the file-based cache of development (disk full, folder gone).
CACHE_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)

RETRY_AFTER_SECONDS = 15.0  # after a failure the cache is skipped this long (no timeout per request)
RECENT_SECONDS = 300.0  # the banner stays this long after the last failure seen in this process
BROKER_CHECK_SECONDS = 30.0  # the outbox query behind the broker banner runs at most this often

LABELS = {
    CACHE: (
        "The shared cache (Redis) is not answering. The portal keeps working without it: the dashboard "
        "computes its figures on each visit and the API rate limit is counted in each web process."
    ),
    BROKER: (
        "The task broker (Redis) refused queued background tasks. They are kept in the outbox and run "
        "as soon as the broker is back; emails and reports wait until then."
    ),
}


@dataclass
class _State:
    last_failure: dict[str, float]
    failures: Counter
    broker_checked_at: float | None = None
    broker_waiting: bool = False


_lock = threading.Lock()
_state = _State(last_failure={}, failures=Counter())


def _clock() -> float:
    return time.monotonic()


def report(component: str, error: BaseException, *, where: str) -> None:
    """Record one failure of ``component`` (``cache``) seen at ``where`` (a fixed label, never data)."""
    with _lock:
        _state.failures[component] += 1
        _state.last_failure[component] = _clock()
        count = _state.failures[component]
    logger.warning(
        "%s unavailable at %s (%s): continuing without it",
        component,
        where,
        type(error).__name__,
        extra={"component_name": component, "where_name": where, "error_name": type(error).__name__, "failure_count": count},
    )


def available(component: str) -> bool:
    """False for ``RETRY_AFTER_SECONDS`` after a failure: callers skip the service instead of waiting on it."""
    with _lock:
        last = _state.last_failure.get(component)
    return last is None or _clock() - last >= RETRY_AFTER_SECONDS


def failure_counts() -> dict[str, int]:
    """Failures seen by this process since it started (or since ``reset``), per component."""
    with _lock:
        return dict(_state.failures)


def recently_failed(component: str) -> bool:
    with _lock:
        last = _state.last_failure.get(component)
    return last is not None and _clock() - last < RECENT_SECONDS


def reset() -> None:
    """Forget every failure (tests; a process that knows the service is back)."""
    with _lock:
        _state.last_failure.clear()
        _state.failures.clear()
        _state.broker_checked_at = None
        _state.broker_waiting = False


# --- the cache -----------------------------------------------------------------------------
# What unpickling an entry written by an older release raises (a class renamed or moved since):
# the entry is stale, not the cache down.
STALE_ENTRY_ERRORS = (pickle.UnpicklingError, AttributeError, ImportError, EOFError)


def cache_get(key: str, default: Any = None, *, where: str, alias: str = "default") -> Any:
    """``caches[alias].get(key, default)``, or ``default`` when the cache is down (a miss: compute).
    An entry that no longer unpickles is dropped and read as a miss, so a deploy that renames a
    cached class never turns the pages that cache it into errors."""
    if not available(CACHE):
        return default
    try:
        return caches[alias].get(key, default)
    except CACHE_ERRORS as error:
        report(CACHE, error, where=where)
        return default
    except STALE_ENTRY_ERRORS as error:
        logger.warning("stale cache entry dropped at %s: %s", where, type(error).__name__)
        try:
            caches[alias].delete(key)
        except CACHE_ERRORS as down:
            report(CACHE, down, where=where)
        return default


def cache_set(key: str, value: Any, timeout: float | None, *, where: str, alias: str = "default") -> bool:
    """``caches[alias].set(...)``; False (nothing stored, nothing raised) when the cache is down."""
    if not available(CACHE):
        return False
    try:
        caches[alias].set(key, value, timeout)
    except CACHE_ERRORS as error:
        report(CACHE, error, where=where)
        return False
    return True


# --- the banner ----------------------------------------------------------------------------
def _broker_waiting() -> bool:
    """Whether the outbox holds a task the broker refused (``last_error`` set, not sent yet).

    That row is written by whichever process tried to publish (web or beat), so the query sees a
    broker outage that this process never touched. The partial index ``outbox_pending`` keeps it
    to the unsent rows; the answer is remembered ``BROKER_CHECK_SECONDS``.
    """
    now = _clock()
    with _lock:
        checked = _state.broker_checked_at
        if checked is not None and now - checked < BROKER_CHECK_SECONDS:
            return _state.broker_waiting

    waiting = OutboxMessage.objects.filter(sent_at__isnull=True).exclude(last_error="").exists()
    with _lock:
        _state.broker_checked_at = now
        _state.broker_waiting = waiting
    return waiting


def degraded_services() -> list[str]:
    """The services to name in the banner, in a fixed order; empty when all is well."""
    found = []
    if recently_failed(CACHE):
        found.append(CACHE)
    if _broker_waiting():
        found.append(BROKER)
    return found
