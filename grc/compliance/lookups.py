"""What one domain app asks of another, through the engine: providers registered from ``AppConfig.ready()``.

Domain apps do not import each other (the independence contract of ``.importlinter``). When one
needs a fact another keeps, the keeper registers a provider here under a name from its
``ready()``, and the asker calls it by that name without knowing which app answers:

* ``INCIDENT_TYPES`` — the incident types of the approved IR plan, with the version they come
  from (``grc.policies``); asked by incident triage and the incidents' demo data;
* ``PERSON_NAMES`` — every first and last name of the people registry (``access_reviews``);
  asked by the PII check of an incident's notification to Amazon.

Like the rest of ``grc.compliance.registry``: plain functions, filled once at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

INCIDENT_TYPES = "policies.incident_types"
PERSON_NAMES = "access_reviews.person_names"

_lookups: dict[str, Callable[..., Any]] = {}


def register_lookup(name: str, provider: Callable[..., Any]) -> None:
    """Answer ``name`` with ``provider`` (called from the keeping app's ``AppConfig.ready()``)."""
    _lookups[name] = provider


def ask(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the provider of ``name``; an app that needs the answer fails loudly when nobody gives it."""
    provider = _lookups.get(name)
    if provider is None:
        raise LookupError(f"No installed app answers {name!r}: its provider is registered from the keeping app's ready()")
    return provider(*args, **kwargs)
