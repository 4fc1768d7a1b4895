"""Writing to the audit trail: ``record_event`` is the only way in.

Services call it for every change they make; middleware and signal handlers call it for
logins, MFA, lockouts and denials. The chain head is read and the new event appended under a
lock (PostgreSQL advisory lock; SQLite's IMMEDIATE transactions), so concurrent writers in
different processes never fork the chain.

Right after writing a failed sign-in, a permission denial, a download or a page view, the alarm
rules look at it (``observe`` sends ``grc.audit.hooks.event_watched`` to ``grc.audit.rules.observe``:
a few indexed queries, never raising), so an alarm is raised at once rather than at the next
minute's evaluation.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from grc.audit.conditions import VIEWED_SUFFIX, WATCHED_ACTIONS
from grc.audit.hooks import event_watched
from grc.audit.models import GENESIS_HASH, AuditAnchor, AuditEvent, Channel, Outcome
from grc.labels import record_label
from grc.logging import redact

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger("grc.audit")
CHAIN_LOCK_KEY = 0x6175646974  # "audit": the advisory lock that serialises appends on PostgreSQL


def channel_for(request: HttpRequest | None) -> str:
    path = getattr(request, "path", "") or ""
    if path.startswith("/admin/"):
        return Channel.ADMIN
    if path.startswith("/api/"):
        return Channel.API
    return Channel.WEB


def describe(obj: models.Model) -> tuple[str, str]:
    """An object's type and id for the trail (``incidents.incident``, ``42``) — never its text."""
    return record_label(obj), str(obj.pk)


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def record_event(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | None = None,
    system_actor: str = "",
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    outcome: str = Outcome.SUCCESS,
    channel: str | None = None,
    message: str = "",
    changed_fields: Iterable[str] = (),
    details: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Append one event. ``action`` is namespaced: ``incidents.incident.created``.

    ``message`` must not hold PII (names, emails, free text): refer to objects by id. As a
    safety net, emails, phone numbers and IP addresses in it are masked.
    """
    if actor is None and request is not None and getattr(request, "user", None) is not None and request.user.is_authenticated:
        actor = request.user
    if obj is not None:
        object_type, object_id = describe(obj)
    info = dict(details or {})
    if changed_fields:
        info["changed_fields"] = sorted(set(changed_fields))
    token_id = getattr(request, "api_token_id", None) if request is not None else None
    if token_id:
        info["token_id"] = token_id
    event = AuditEvent(
        occurred_at=occurred_at or timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_name=system_actor[:100],
        action=action[:100],
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        outcome=outcome,
        source_ip=_clean_ip(getattr(request, "client_ip", None) or (request.META.get("REMOTE_ADDR") if request is not None else None)),
        channel=channel or (channel_for(request) if request is not None else Channel.TASK),
        message=redact(message)[:500],
        details=info,
    )
    with transaction.atomic():
        _lock_chain()
        head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event.prev_hash = head or _anchor_hash()
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    if event.action in WATCHED_ACTIONS or event.action.endswith(VIEWED_SUFFIX):
        observe(event)  # the alarm rules look at failed sign-ins, denials, downloads and views at once
    return event


def observe(event: AuditEvent) -> None:
    """Hand a just-written watched event to the alarm rules (connected in ``AuditConfig.ready()``)."""
    event_watched.send(sender=AuditEvent, event=event)


def _clean_ip(value: str | None) -> str | None:
    """The address as the database will return it, so the hash computed now still matches later
    (PostgreSQL's ``inet`` shortens IPv6 addresses); anything unparsable is not kept."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def _anchor_hash() -> str:
    """The hash the first remaining event chains to: genesis, or the last purged event's."""
    return AuditAnchor.objects.order_by("-id").values_list("last_hash", flat=True).first() or GENESIS_HASH


def record_change(
    verb: str,
    instance: models.Model,
    *,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | None = None,
    system_actor: str = "",
    changed_fields: Iterable[str] = (),
    message: str = "",
) -> AuditEvent:
    """Audit a create/update/delete of a domain record with the names of the changed fields.

    Only field names are recorded; values of encrypted/PII fields never enter the trail.
    """
    label = record_label(instance)
    return record_event(
        f"{label}.{verb}",
        request=request,
        actor=actor,
        system_actor=system_actor,
        obj=instance,
        changed_fields=changed_fields,
        message=message,
    )


def record_view(request: HttpRequest, obj: models.Model, *, message: str = "") -> AuditEvent:
    """Audit that ``request.user`` opened ``obj``'s page (auditor page views, canary records).

    Detail views of domain records call this. If ``obj`` is a canary record (one indexed query,
    ``grc.audit.rules.observe``), the view raises an alarm at once.
    """
    return record_event(f"{record_label(obj)}.viewed", request=request, obj=obj, message=message)


def record_download(
    request: HttpRequest, obj: models.Model | None = None, *, what: str, count: int = 1, object_type: str = "", object_id: str = ""
) -> AuditEvent:
    """Audit a download or export (``what``: "csv", "pdf", "evidence_file" …) with the row/file count."""
    return record_event(
        "download",
        request=request,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        message=f"{what} download",
        details={"what": what, "count": count},
    )
