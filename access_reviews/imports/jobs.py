"""An import's life: upload → (map columns) → check & preview (Celery) → apply (Celery) or cancel.

Views call ``job_upload``, ``job_set_mapping``, ``job_request_apply`` and ``job_cancel``; the
Celery tasks call ``job_check`` and ``job_apply`` with the job's id. Apply re-checks the file
against the registry as it is then: if the result differs from the preview the user saw, nothing
is written and the new preview is shown instead.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from access_reviews.imports import accounts as account_import
from access_reviews.imports import people as people_import
from access_reviews.models import ImportJob, ImportKind, ImportStatus, System
from grc.audit.services import record_event
from grc.csvio import CsvFileError, decode, read_csv

MAX_ERRORS_KEPT = 1000


def _queue(task_name: str, job_id: int) -> None:
    from access_reviews import tasks
    from grc.queue import enqueue

    enqueue(getattr(tasks, task_name), job_id)  # published after commit (grc.queue)


@transaction.atomic
def job_upload(*, kind: str, system: System | None, filename: str, data: bytes, by, now: datetime, request=None) -> ImportJob:
    """Keep the uploaded file (encrypted) and read its header. Raises CsvFileError for an unreadable file."""
    header, rows = read_csv(data)
    if not rows:
        raise CsvFileError("The file has a header but no rows.")
    job = ImportJob.objects.create(
        kind=kind,
        system=system,
        filename=filename[:200],
        content=decode(data),
        header=header,
        row_count=len(rows),
        created_by=by,
        created_at=now,
    )
    if kind == ImportKind.PEOPLE:
        problems = people_import.header_problems(header)
        if problems:
            raise CsvFileError(problems[0])
        job.status = ImportStatus.CHECKING
        _queue("check_import", job.pk)
    else:
        saved = System.objects.values_list("column_mapping", flat=True).get(pk=system.pk) or {}  # as saved, not as loaded
        if saved and not account_import.mapping_problems(saved, header):
            job.mapping, job.status = saved, ImportStatus.CHECKING
            _queue("check_import", job.pk)
        else:
            job.mapping = account_import.guess_mapping(header)
    job.save(update_fields=["mapping", "status"])
    record_event("access_reviews.import.uploaded", request=request, actor=by, obj=job, message=f"kind={kind} rows={len(rows)}")
    return job


@transaction.atomic
def job_set_mapping(*, job: ImportJob, mapping: dict[str, str], by, now: datetime, request=None) -> ImportJob:
    """Save the column mapping on the system (used for its next imports) and check the file."""
    if job.status not in (ImportStatus.MAPPING, ImportStatus.PREVIEW):
        raise ValidationError("This import can no longer be changed.")
    mapping = {target: column for target, column in mapping.items() if column}
    problems = account_import.mapping_problems(mapping, job.header)
    if problems:
        raise ValidationError(problems)
    job.mapping, job.status = mapping, ImportStatus.CHECKING
    job.save(update_fields=["mapping", "status"])
    System.objects.filter(pk=job.system_id).update(column_mapping=mapping)
    record_event("access_reviews.system.mapping_saved", request=request, actor=by, obj=job.system, changed_fields=list(mapping))
    _queue("check_import", job.pk)
    return job


def _plan(job: ImportJob, now: datetime):
    _header, rows = read_csv(job.content.encode("utf-8"))
    if job.kind == ImportKind.PEOPLE:
        plan = people_import.plan_people(rows, now=now)
        return plan, None, people_import.preview_sample(plan)
    plan, lookups = account_import.plan_accounts(job.system, job.mapping, rows)
    return plan, lookups, account_import.preview_sample(plan, lookups)


def job_check(*, job_id: int, now: datetime) -> ImportJob:
    """Validate every row and build the preview (run by Celery)."""
    job = ImportJob.objects.select_related("system").get(pk=job_id)
    if job.status != ImportStatus.CHECKING:
        return job
    try:
        plan, _lookups, sample = _plan(job, now)
    except CsvFileError as error:
        job.status, job.failure = ImportStatus.FAILED, str(error)[:300]
        job.save(update_fields=["status", "failure"])
        return job
    job.errors = [{"line": e.line, "message": e.message} for e in plan.errors[:MAX_ERRORS_KEPT]]
    job.summary = {**plan.summary(), "errors": len(plan.errors)}
    job.preview = json.dumps(sample)
    job.status, job.failure = ImportStatus.PREVIEW, ""
    job.save(update_fields=["errors", "summary", "preview", "status", "failure"])
    return job


def job_preview(job: ImportJob) -> dict:
    return json.loads(job.preview) if job.preview else {"adds": [], "changes": [], "removes": []}


# summary keys that are the user's answers, not counts of the plan (apply compares the counts)
NOT_COUNTS = {"unchanged", "downgrades_confirmed"}


@transaction.atomic
def job_request_apply(
    *, job: ImportJob, import_good_rows: bool, by, now: datetime, request=None, confirm_downgrades: bool = False
) -> ImportJob:
    """Queue the apply. With bad rows it needs the user's explicit "import the good rows"; when
    it would take privileged or MFA on away from accounts, the explicit "apply the downgrades" (an
    export that silently lost a column looks exactly like real downgrades)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.PREVIEW:
        raise ValidationError("This import is not ready to apply.")
    if job.summary.get("bad") and not import_good_rows:
        raise ValidationError(f"{job.summary['bad']} rows have errors: fix the file, or choose to import the good rows only.")
    if (job.summary.get("privileged_downgrades") or job.summary.get("mfa_downgrades")) and not confirm_downgrades:
        names: dict[str, list[str]] = {"privileged": [], "mfa": []}
        for row in job_preview(job).get("downgrades", []):
            for kind in row["kinds"]:
                names[kind].append(row["name"])
        raise ValidationError(
            f"{account_import.downgrade_message(names)} Check the preview, then confirm the downgrades to apply this import."
        )
    job.status, job.import_good_rows = ImportStatus.APPLYING, import_good_rows
    job.summary = {**job.summary, "downgrades_confirmed": bool(confirm_downgrades)}
    job.save(update_fields=["status", "import_good_rows", "summary"])
    record_event(
        "access_reviews.import.apply_requested",
        request=request,
        actor=by,
        obj=job,
        message=f"good_rows_only={import_good_rows} downgrades_confirmed={bool(confirm_downgrades)}",
    )
    _queue("apply_import", job.pk)
    return job


@transaction.atomic
def job_cancel(*, job: ImportJob, by, now: datetime, request=None) -> None:
    if job.status in (ImportStatus.APPLIED, ImportStatus.APPLYING):
        raise ValidationError("This import is already applied or being applied.")
    job.status, job.content, job.preview = ImportStatus.CANCELLED, "", ""
    job.save(update_fields=["status", "content", "preview"])
    record_event("access_reviews.import.cancelled", request=request, actor=by, obj=job)


def job_apply(*, job_id: int, now: datetime) -> ImportJob:
    """Apply the import in one transaction (run by Celery). Returns the job with its result."""
    job = ImportJob.objects.select_related("system", "created_by").get(pk=job_id)
    if job.status != ImportStatus.APPLYING:
        return job
    try:
        with transaction.atomic():
            plan, lookups, sample = _plan(job, now)
            previewed = {k: v for k, v in job.summary.items() if k not in NOT_COUNTS}
            fresh = {**plan.summary(), "errors": len(plan.errors)}
            if {k: v for k, v in fresh.items() if k not in NOT_COUNTS} != previewed:
                job.summary, job.preview, job.status = fresh, json.dumps(sample), ImportStatus.PREVIEW
                job.errors = [{"line": e.line, "message": e.message} for e in plan.errors[:MAX_ERRORS_KEPT]]
                job.failure = "The registry changed since this preview: check the new preview and apply again."
                job.save(update_fields=["summary", "preview", "status", "errors", "failure"])
                return job
            if plan.errors and not job.import_good_rows:
                raise ValidationError("rows have errors")
            if getattr(plan, "downgrades", None) and not job.summary.get("downgrades_confirmed"):
                raise ValidationError("downgrades not confirmed")
            result = _apply(job, plan, now)
            job.status, job.applied_at, job.content, job.failure = ImportStatus.APPLIED, now, "", ""
            job.summary = {**job.summary, **result}
            job.save(update_fields=["status", "applied_at", "content", "failure", "summary"])
    except Exception:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, failure="The import failed and nothing was written. Try again, or ask an administrator."
        )
        raise
    return job


def _apply(job: ImportJob, plan, now: datetime) -> dict[str, int]:
    by = job.created_by
    if job.kind == ImportKind.PEOPLE:
        people_import.apply_people(plan=plan, by=by, now=now)
        record_event(
            "access_reviews.import.applied", actor=by, obj=job, message="kind=people", details={k: v for k, v in plan.summary().items()}
        )
        return {}
    system = job.system
    result = accounts_plan_apply(system=system, plan=plan, mapping=job.mapping, by=by, now=now)
    record_event(
        "access_reviews.import.applied",
        actor=by,
        obj=job,
        message=f"kind=accounts system={system.pk}",
        details={**plan.summary(), **result},
    )
    return result


def accounts_plan_apply(*, system: System, plan, mapping: dict[str, str], by, now: datetime, request=None) -> dict[str, int]:
    """Write a checked accounts plan and do what an import does after it (inside the caller's
    transaction): verify the deprovisioning tasks, open the late ones of terminated people, sync
    training obligations, date the system's last import. Shared by the CSV import and the API's
    full sync (``grc.api``)."""
    from access_reviews.models import Account, Person, PersonStatus, TaskReason
    from access_reviews.services.deprovision import task_open, verify_after_import
    from access_reviews.services.training import training_sync_person

    written = account_import.apply_accounts(system=system, plan=plan, mapping=mapping, now=now)
    verification = verify_after_import(system_id=system.pk, seen=written["seen"], gone=written["gone"], by=by, now=now)
    # An enabled account of someone already terminated is access that should be gone: its clock started at termination.
    late = (
        Account.objects.filter(system=system, enabled=True, removed_at__isnull=True, is_service_account=False)
        .filter(person__status=PersonStatus.TERMINATED)
        .select_related("person", "system")
    )
    opened = 0
    for account in late:
        if not account.deprovision_tasks.filter(closed_at__isnull=True).exists():
            task_open(
                account=account,
                reason=TaskReason.TERMINATION,
                opened_at=account.person.terminated_at,
                person=account.person,
                by=by,
                request=request,
            )
            opened += 1
    for person in Person.objects.filter(pk__in=written["people"]).select_related("manager__user", "user"):
        training_sync_person(person=person, now=now)
    System.objects.filter(pk=system.pk).update(last_import_at=now)
    return {"tasks_reopened": verification["reopened"], "tasks_closed": verification["closed"], "tasks_opened": opened}
