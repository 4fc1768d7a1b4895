"""An import's life: upload → (map columns) → check & preview (Celery) → apply (Celery) or cancel.

Views call ``job_upload``, ``job_set_mapping``, ``job_request_apply`` and ``job_cancel``; the
Celery tasks call ``job_check`` and ``job_apply`` with the job's id. Apply re-checks the file
against the registry as it is then: if the result differs from the preview the user saw, nothing
is written and the new preview is shown instead.

The check and the apply each *claim* the job under a lease (``grc.jobs``): a job checking or
applying whose lease is live is left alone; one whose worker died (its lease ran out) is claimed
again and run from the start — the apply is one transaction, so nothing of the dead attempt is
left. Every write of a result is fenced on the attempt claimed, so a worker that lost its lease
writes nothing. ``imports_sweep`` (beat, every minute) queues the abandoned ones again, or fails
them with the reason after ``IMPORT_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from access_reviews.imports import accounts as account_import
from access_reviews.imports import people as people_import
from access_reviews.imports.presets import CUSTOM, PRESETS, guess_preset, preset_for, wrong_format_message
from access_reviews.models import Account, ImportJob, ImportKind, ImportStatus, Person, PersonStatus, System, TaskReason
from access_reviews.services.deprovision import task_open, verify_after_import
from access_reviews.services.training import training_sync_person
from grc.audit.services import record_event
from grc.csvio import CsvFileError, decode, read_csv
from grc.jobs import LeasePolicy, attempts_exhausted, expired_q, lease_claim, lease_expired, lease_release, leases_expired
from grc.queue import enqueue

logger = logging.getLogger("access_reviews.imports")
MAX_ERRORS_KEPT = 1000
# the Celery task that runs each step; the sweep queues it again for a job whose worker died
TASK_OF: dict[str, str] = {ImportStatus.CHECKING: "check_import", ImportStatus.APPLYING: "apply_import"}
STEP_WORDS: dict[str, str] = {ImportStatus.CHECKING: "the check", ImportStatus.APPLYING: "the import"}
# no job is ever in this status: an import waits for its worker in the step's own status, without a lease
NO_WAITING_STATUS = ""
# entering a step (checking, applying) starts its count of attempts afresh
FRESH_LEASE = {"attempts": 0, "lease_expires_at": None, "heartbeat_at": None}


def _queue(task_name: str, job_id: int) -> None:
    # by name: the Celery tasks (access_reviews.tasks) call this module, not the other way round
    enqueue(f"access_reviews.tasks.{task_name}", job_id)  # published after commit (grc.queue)


@transaction.atomic
def job_upload(
    *, kind: str, system: System | None, filename: str, data: bytes, by, now: datetime, request=None, preset: str = ""
) -> ImportJob:
    """Keep the uploaded file (encrypted) and read its header. Raises CsvFileError for an unreadable file.
    ``preset`` (accounts): the source the user chose, or "" to guess it from the header."""
    header, rows = read_csv(data)
    if not rows:
        raise CsvFileError("The file has a header but no rows.")
    if kind == ImportKind.ACCOUNTS and (wrong := wrong_format_message(preset, header)):
        raise CsvFileError(wrong)  # another tool's file read as the chosen one would import wrong values
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
        job.mapping, job.mapping_from = people_mapping_for(header)
        if job.mapping_from != "guess":
            job.status = ImportStatus.CHECKING
            _queue("check_import", job.pk)
    else:
        _accounts_start(job, cast(System, system), header, preset)  # an accounts import names its system (the upload view)
    job.save(update_fields=["mapping", "status", "preset", "mapping_from"])
    record_event("access_reviews.import.uploaded", request=request, actor=by, obj=job, message=f"kind={kind} rows={len(rows)}")
    return job


@transaction.atomic
def job_set_mapping(*, job: ImportJob, mapping: dict[str, str], by, now: datetime, request=None) -> ImportJob:
    """Set the column mapping and check the file. An accounts mapping is saved on the system (used
    for its next imports); a people mapping stays with the job, and the next people file with the
    same header uses it (``_last_people_mapping``)."""
    if job.status not in (ImportStatus.MAPPING, ImportStatus.PREVIEW):
        raise ValidationError("This import can no longer be changed.")
    mapping = {target: column for target, column in mapping.items() if column}
    people = job.kind == ImportKind.PEOPLE
    problems = (people_import if people else account_import).mapping_problems(mapping, job.header)
    if problems:
        raise ValidationError(problems)
    job.mapping, job.status = mapping, ImportStatus.CHECKING
    for field, value in FRESH_LEASE.items():
        setattr(job, field, value)
    job.save(update_fields=["mapping", "status", *FRESH_LEASE])
    if people:
        ImportJob.objects.filter(pk=job.pk).update(mapping_from="user")
        record_event("access_reviews.import.mapping_set", request=request, actor=by, obj=job, changed_fields=list(mapping))
    else:
        System.objects.filter(pk=cast(int, job.system_id)).update(column_mapping=mapping, import_preset=job.preset)
        ImportJob.objects.filter(pk=job.pk).update(mapping_from="user")
        record_event("access_reviews.system.mapping_saved", request=request, actor=by, obj=job.system, changed_fields=list(mapping))
    _queue("check_import", job.pk)
    return job


@dataclass(frozen=True)
class AccountsMapping:
    preset: str  # a key of PRESETS, or CUSTOM
    mapping: dict[str, str]
    mapping_from: str  # "saved", "preset" or "guess"
    ready: bool  # checked straight away: no one needs to confirm the mapping


def accounts_mapping_for(header: list[str], chosen: str, *, saved_mapping: dict[str, str], saved_preset: str) -> AccountsMapping:
    """The preset and mapping of an accounts file with this header (the upload page and the API's
    file import). The system's saved mapping is used when the file has its columns (and the user
    chose no other source); else a preset (chosen, or guessed from the header) maps the columns,
    ready when the file has all it expects; else a guessed mapping that someone confirms."""
    preset_key = chosen if chosen in PRESETS or chosen == CUSTOM else guess_preset(header)
    if saved_mapping and not account_import.mapping_problems(saved_mapping, header) and (not chosen or chosen == saved_preset):
        return AccountsMapping(saved_preset, saved_mapping, "saved", ready=True)
    if (preset := preset_for(preset_key)) is not None:
        mapping = preset.mapping(header)
        return AccountsMapping(
            preset_key, mapping, "preset", ready=preset.complete(header) and not account_import.mapping_problems(mapping, header)
        )
    return AccountsMapping(CUSTOM, account_import.guess_mapping(header), "guess", ready=False)


def _accounts_start(job: ImportJob, system: System, header: list[str], chosen: str) -> None:
    """The preset and mapping of a new accounts import (``accounts_mapping_for``): checked straight
    away when ready, else the user confirms the mapping."""
    saved_mapping, saved_preset = System.objects.values_list("column_mapping", "import_preset").get(pk=system.pk)  # as saved, not as loaded
    found = accounts_mapping_for(header, chosen, saved_mapping=saved_mapping, saved_preset=saved_preset)
    job.preset, job.mapping, job.mapping_from = found.preset, found.mapping, found.mapping_from
    if found.ready:
        job.status = ImportStatus.CHECKING
        _queue("check_import", job.pk)


def unmapped_columns(job: ImportJob) -> list[str]:
    """Columns of the file that the mapping does not use and the preset does not expect to ignore:
    worth saying when a saved mapping was used directly (a new column in the export is otherwise
    silently ignored)."""
    preset = preset_for(job.preset)
    ignored = preset.known_columns(job.header) if preset else set()
    used = set(job.mapping.values())
    return [column for column in job.header if column and column not in used and column not in ignored]


@transaction.atomic
def job_set_preset(*, job: ImportJob, preset: str, by, now: datetime, request=None) -> ImportJob:
    """Read the file as another source (the mapping page): its columns pre-fill the mapping, which
    the user then confirms."""
    if job.kind != ImportKind.ACCOUNTS or job.status not in (ImportStatus.MAPPING, ImportStatus.PREVIEW):
        raise ValidationError("This import can no longer be changed.")
    if preset not in PRESETS and preset != CUSTOM:
        raise ValidationError("Choose one of the listed sources.")
    chosen = preset_for(preset)
    job.preset, job.status, job.mapping_from = preset, ImportStatus.MAPPING, "preset" if chosen else "guess"
    job.mapping = chosen.mapping(job.header) if chosen else account_import.guess_mapping(job.header)
    job.save(update_fields=["preset", "status", "mapping", "mapping_from"])
    record_event("access_reviews.import.preset_set", request=request, actor=by, obj=job, message=f"preset={preset}")
    return job


def people_mapping_for(header: list[str]) -> tuple[dict[str, str], str]:
    """The mapping of a people file with this header and where it came from (the upload page and
    the API's file import): the one confirmed for the last file with this header ("user"), our
    template's names (""), else a guess from the names that someone confirms ("guess")."""
    remembered = _last_people_mapping(header)
    if remembered:
        return remembered, "user"
    if people_import.goes_straight_to_check(header):
        return dict(people_import.IDENTITY), ""
    return people_import.guess_mapping(header), "guess"


def _last_people_mapping(header: list[str]) -> dict[str, str]:
    """The mapping of the last applied people import with this very header (people have no system
    to keep a mapping on): the same export next month goes straight to the check."""
    last = (
        ImportJob.objects.filter(kind=ImportKind.PEOPLE, status=ImportStatus.APPLIED, header=header)
        .exclude(mapping={})
        .order_by("-applied_at", "-pk")
        .values_list("mapping", flat=True)
        .first()
    )
    return last if last and not people_import.mapping_problems(last, header) else {}


def _accounts_system(job: ImportJob) -> System:
    """The system of an accounts import (only a people import has none: the upload view)."""
    return cast(System, job.system)


def _plan(job: ImportJob, now: datetime):
    _header, rows = read_csv(job.content.encode("utf-8"))
    if job.kind == ImportKind.PEOPLE:
        people_plan = people_import.plan_people(rows, now=now, mapping=job.mapping or None)
        return people_plan, None, people_import.preview_sample(people_plan)
    plan, lookups = account_import.plan_accounts(_accounts_system(job), job.mapping, rows, preset=preset_for(job.preset))
    return plan, lookups, account_import.preview_sample(plan, lookups)


# --- leases (grc.jobs) ---------------------------------------------------------------------------
class LeaseLost(Exception):
    """The sweep or another worker took the job over: this attempt stops and writes nothing."""


def import_lease_policy(step: str) -> LeasePolicy:
    """The lease of one step (CHECKING or APPLYING). An import has no separate "queued" status: a
    job waits for its worker in the step's status with no lease, which ``grc.jobs`` counts as
    claimable like an expired one."""
    return LeasePolicy(
        seconds=settings.IMPORT_LEASE_SECONDS, max_attempts=settings.IMPORT_MAX_ATTEMPTS, waiting=NO_WAITING_STATUS, running=step
    )


def job_claim(job_id: int, step: str, now: datetime) -> int | None:
    """Take the job for this worker: the attempt number it runs as (its fencing token), or None —
    it is in another step, a live worker holds it, or its attempts are used up (then it is failed
    here with the reason)."""
    claimed = lease_claim(ImportJob.objects.all(), job_id, policy=import_lease_policy(step), now=now)
    if claimed is None:
        job_give_up_if_exhausted(job_id, step, now, by="task:" + TASK_OF[step])
    return claimed


def _held(job_id: int, step: str, attempt: int):
    """The job while this attempt still holds it: every write of a result goes through here."""
    return ImportJob.objects.filter(pk=job_id, status=step, attempts=attempt)


def _finish(job_id: int, step: str, attempt: int, **fields) -> None:
    """Write the step's result and drop the lease; LeaseLost when the job is no longer this attempt's."""
    if _held(job_id, step, attempt).update(lease_expires_at=None, **fields) != 1:
        raise LeaseLost(f"import {job_id} {step} attempt {attempt}")


def gave_up_words(step: str, attempts: int) -> str:
    return (
        f"The worker stopped {attempts} times before {STEP_WORDS[step]} finished; nothing was written. "
        "Upload the file again; if it stops again, tell the portal's administrator."
    )


def job_give_up_if_exhausted(job_id: int, step: str, now: datetime, *, by: str) -> bool:
    """Fail a job whose worker stopped on its last allowed attempt; True when this call failed it.
    The uploaded file (names) is dropped with it: the user uploads it again."""
    policy = import_lease_policy(step)
    row = ImportJob.objects.filter(pk=job_id).values("status", "attempts", "lease_expires_at").first()
    if row is None or row["status"] != step or not lease_expired(row["lease_expires_at"], now):
        return False
    if not attempts_exhausted(row["attempts"], policy):
        return False
    with transaction.atomic():
        failed = _held(job_id, step, row["attempts"]).filter(expired_q(now))
        if (
            failed.update(status=ImportStatus.FAILED, failure=gave_up_words(step, row["attempts"])[:300], lease_expires_at=None, content="")
            != 1
        ):
            return False
        record_event(
            "access_reviews.import.failed",
            system_actor=by,
            channel="task",
            obj=ImportJob(pk=job_id),
            outcome="failure",
            message=f"{step} abandoned: worker lost {row['attempts']} times",
            details={"step": step, "attempts": row["attempts"], "reason": "worker_lost"},
            occurred_at=now,
        )
    return True


def imports_sweep(now: datetime) -> dict[str, int]:
    """Queue again every import whose worker stopped before its lease ran out (through the outbox,
    like the views), or fail it once its attempts are used up. A job without a lease is waiting
    for its queued task and is left to it."""
    counts = {"requeued": 0, "failed": 0}
    for step, task_name in TASK_OF.items():
        policy = import_lease_policy(step)
        stale = leases_expired(ImportJob.objects.all(), policy=policy, now=now).filter(lease_expires_at__isnull=False)
        for job_id, attempts in list(stale.order_by("pk").values_list("pk", "attempts")):
            if job_give_up_if_exhausted(job_id, step, now, by="task:sweep_import_leases"):
                counts["failed"] += 1
                continue
            with transaction.atomic():
                # an apply's transaction locks its row: a worker that still holds it is alive (PostgreSQL)
                if not ImportJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).exists():
                    continue
                # back to waiting: the step's own status without a lease (see import_lease_policy)
                if not lease_release(ImportJob.objects.all(), job_id, attempt=attempts, now=now, policy=replace(policy, waiting=step)):
                    continue
                record_event(
                    "access_reviews.import.requeued",
                    system_actor="task:sweep_import_leases",
                    channel="task",
                    obj=ImportJob(pk=job_id),
                    message=f"{step}: worker lost on attempt {attempts}, queued again",
                    details={"step": step, "attempts": attempts},
                    occurred_at=now,
                )
                _queue(task_name, job_id)
            counts["requeued"] += 1
    return counts


# --- the steps run by Celery --------------------------------------------------------------------
def job_check(*, job_id: int, now: datetime) -> ImportJob:
    """Validate every row and build the preview (run by Celery, under the job's lease)."""
    attempt = job_claim(job_id, ImportStatus.CHECKING, now)
    job = ImportJob.objects.select_related("system").get(pk=job_id)
    if attempt is None:
        return job
    try:
        try:
            plan, _lookups, sample = _plan(job, now)
        except CsvFileError as error:
            _finish(job_id, ImportStatus.CHECKING, attempt, status=ImportStatus.FAILED, failure=str(error)[:300])
        else:
            _finish(
                job_id,
                ImportStatus.CHECKING,
                attempt,
                errors=[{"line": e.line, "message": e.message} for e in plan.errors[:MAX_ERRORS_KEPT]],
                summary={**plan.summary(), "errors": len(plan.errors)},
                preview=json.dumps(sample),
                status=ImportStatus.PREVIEW,
                failure="",
            )
    except LeaseLost:
        logger.warning("import %s: check attempt %s lost its lease; another worker checks it", job_id, attempt)
    job.refresh_from_db()
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
    for field, value in FRESH_LEASE.items():
        setattr(job, field, value)
    job.save(update_fields=["status", "import_good_rows", "summary", *FRESH_LEASE])
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
    """Apply the import in one transaction (run by Celery, under the job's lease). Returns the job
    with its result. A rerun after a dead worker starts from the start: its transaction was rolled back."""
    step = ImportStatus.APPLYING
    attempt = job_claim(job_id, step, now)
    job = ImportJob.objects.select_related("system", "created_by").get(pk=job_id)
    if attempt is None:
        return job
    try:
        with transaction.atomic():
            # locked for the whole apply, so the sweep leaves a live worker's job alone (PostgreSQL)
            if not _held(job_id, step, attempt).select_for_update().exists():
                raise LeaseLost(f"import {job_id} {step} attempt {attempt}")
            plan, lookups, sample = _plan(job, now)
            previewed = {k: v for k, v in job.summary.items() if k not in NOT_COUNTS}
            fresh = {**plan.summary(), "errors": len(plan.errors)}
            if {k: v for k, v in fresh.items() if k not in NOT_COUNTS} != previewed:
                _finish(
                    job_id,
                    step,
                    attempt,
                    summary=fresh,
                    preview=json.dumps(sample),
                    status=ImportStatus.PREVIEW,
                    errors=[{"line": e.line, "message": e.message} for e in plan.errors[:MAX_ERRORS_KEPT]],
                    failure="The registry changed since this preview: check the new preview and apply again.",
                )
            else:
                if plan.errors and not job.import_good_rows:
                    raise ValidationError("rows have errors")
                if getattr(plan, "downgrades", None) and not job.summary.get("downgrades_confirmed"):
                    raise ValidationError("downgrades not confirmed")
                result = _apply(job, plan, now)
                # fenced: a worker that lost its lease rolls its writes back here
                _finish(
                    job_id,
                    step,
                    attempt,
                    status=ImportStatus.APPLIED,
                    applied_at=now,
                    content="",
                    failure="",
                    summary={**job.summary, **result},
                )
    except LeaseLost:
        logger.warning("import %s: apply attempt %s lost its lease; nothing of it was written", job_id, attempt)
    except Exception:
        _held(job_id, step, attempt).update(
            status=ImportStatus.FAILED,
            failure="The import failed and nothing was written. Try again, or ask an administrator.",
            lease_expires_at=None,
        )
        raise
    job.refresh_from_db()
    return job


def _apply(job: ImportJob, plan, now: datetime) -> dict[str, int]:
    by = job.created_by
    if job.kind == ImportKind.PEOPLE:
        people_import.apply_people(plan=plan, by=by, now=now)
        record_event(
            "access_reviews.import.applied", actor=by, obj=job, message="kind=people", details={k: v for k, v in plan.summary().items()}
        )
        return {}
    system = _accounts_system(job)
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
                # filtered on person__status: a terminated person, who has terminated_at (check constraint)
                opened_at=cast(datetime, cast(Person, account.person).terminated_at),
                person=account.person,
                by=by,
                request=request,
            )
            opened += 1
    for person in Person.objects.filter(pk__in=written["people"]).select_related("manager__user", "user"):
        training_sync_person(person=person, now=now)
    System.objects.filter(pk=system.pk).update(last_import_at=now)
    return {"tasks_reopened": verification["reopened"], "tasks_closed": verification["closed"], "tasks_opened": opened}
