"""The Django side of the AWS connector: the lead's connection, and one run stored as evidence.

The other modules of this package are pure (boto3 and dataclasses); this one saves what they
return. A run assumes the connection's role with its external ID, runs every check, stores the
results (without the raw answers) and the sealed raw JSON as an evidence file with its SHA-256,
and audits the counts. A role that cannot be assumed is stored too ("unreachable", every check
"could not run" with the refused action): a connector that cannot run is never met. A check that
passed in the previous run and no longer does is *drift*: one failure event per check in the
audit trail (check id, clause, resource count — never names).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from grc.audit.models import Outcome
from grc.audit.services import record_change, record_event
from grc.controls.aws.run import collect, unreachable
from grc.controls.aws.session import ConnectorError, clients, connect
from grc.controls.models import AWS_REGION_PATTERN, AwsCollection, AwsConnection

SYSTEM_ACTOR = "task:aws_collect"
EDITABLE = ("role_arn", "regions", "enabled")


def parse_regions(text: str) -> list[str]:
    """Split "eu-west-1, us-east-1" into region names; a clear message for anything else."""
    regions = [part for part in re.split(r"[\s,]+", text.strip()) if part]
    bad = [r for r in regions if not re.fullmatch(AWS_REGION_PATTERN, r)]
    if not regions or bad:
        raise ValidationError("Give one or more AWS region names separated by commas, such as eu-west-1, us-east-1.")
    return list(dict.fromkeys(regions))


@transaction.atomic
def connection_save(*, system: Any, data: dict[str, Any], by: Any, now: datetime, request: Any = None) -> AwsConnection:
    """Create or change ``system``'s connection from cleaned ``data`` (role_arn, regions, enabled).

    The external ID is made once, by the portal, and never changes here (the trust policy names it).
    """
    connection = AwsConnection.objects.select_for_update().filter(system=system).first()
    created = connection is None
    if connection is None:
        connection = AwsConnection(system=system, created_by=by, created_at=now)
    changed = [name for name in EDITABLE if name in data and getattr(connection, name) != data[name]]
    for name in changed:
        setattr(connection, name, data[name])
    connection.full_clean()
    if created or changed:
        connection.save()
        record_change("created" if created else "updated", connection, request=request, actor=by, changed_fields=changed)
    return connection


def _result_dicts(results: list) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        row = asdict(result)
        row.pop("raw", None)  # the raw answers are in the sealed evidence file only
        rows.append(row)
    return rows


def _key(row: dict[str, Any]) -> tuple[str, str]:
    return row["check_id"], row.get("region") or ""


def drifted(previous: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Checks that passed in the previous run and fail or cannot run now."""
    passed_before = {_key(row) for row in previous if row.get("passed") is True}
    return [row for row in current if _key(row) in passed_before and row.get("passed") is not True]


def collection_run(*, connection: AwsConnection, now: datetime, endpoint_url: str | None = None) -> AwsCollection:
    """Run every check of ``connection``'s account now and store the run (see the module's docstring)."""
    endpoint = endpoint_url if endpoint_url is not None else settings.AWS_CONNECTOR_ENDPOINT_URL
    regions = list(connection.regions)
    try:
        session = connect(role_arn=connection.role_arn, external_id=connection.external_id, region=regions[0], endpoint_url=endpoint)
        outcome, status = collect(clients(session, endpoint), regions=regions, now=now), AwsCollection.COLLECTED
    except ConnectorError as error:
        outcome, status = unreachable(error, regions=regions, now=now), AwsCollection.UNREACHABLE
    rows = _result_dicts(outcome.results)
    with transaction.atomic():
        previous = connection.collections.order_by("-collected_at", "-pk").first()
        collection = AwsCollection(
            connection=connection,
            collected_at=outcome.collected_at,
            status=status,
            evidence_sha256=outcome.sha256,
            results=rows,
            passed_count=sum(1 for r in rows if r["passed"] is True),
            failed_count=sum(1 for r in rows if r["passed"] is False),
            not_run_count=sum(1 for r in rows if r["passed"] is None),
        )
        collection.evidence.save(f"{uuid.uuid4().hex}.json", ContentFile(outcome.raw_json_bytes), save=False)
        collection.save()
        counts = {"passed": collection.passed_count, "failed": collection.failed_count, "not_run": collection.not_run_count}
        record_event(
            "controls.aws.collected",
            system_actor=SYSTEM_ACTOR,
            obj=collection,
            outcome=Outcome.SUCCESS if status == AwsCollection.COLLECTED else Outcome.FAILURE,
            details={"connection_id": connection.pk, "system_id": connection.system_id, "status": status, **counts},
        )
        for row in drifted(previous.results if previous is not None else [], rows):
            record_event(
                "controls.aws.drift",
                system_actor=SYSTEM_ACTOR,
                obj=collection,
                outcome=Outcome.FAILURE,
                details={
                    "connection_id": connection.pk,
                    "system_id": connection.system_id,
                    "check_id": row["check_id"],
                    "clause": row["clause"],
                    "region": row.get("region") or "",
                    "resources": len(row.get("resources") or []),
                    "could_not_run": row["passed"] is None,
                },
            )
    return collection
