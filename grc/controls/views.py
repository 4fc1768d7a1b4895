"""Pages of the control register: the register, an entry, recording and editing, re-attesting,
removing, the evidence file, the CSV import, and a system's AWS account (connection, runs, evidence).
Views are thin: ``access`` decides, the services write, and every status is read from
``register_facts`` (the same facts as the DPP checks)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grc.accounts.permissions import READERS, SECURITY_LEAD, role_required
from grc.audit.services import record_download, record_view
from grc.compliance.registry import ScopeSubject, in_scope_subjects
from grc.controls import imports
from grc.controls.access import PORTAL_COMPUTED_AREAS, can_edit_register, get_entry_for
from grc.controls.areas import AREAS, CLAUSE_AREAS, SYSTEM_AREAS, Area
from grc.controls.aws import service as aws_service
from grc.controls.aws.calls import least_privilege_policy
from grc.controls.forms import AwsConnectionForm, ControlEntryForm, FilterForm, UploadForm, entry_form
from grc.controls.models import AwsCollection, AwsConnection, ControlEntry
from grc.controls.rules import AT_RISK, AWS_STALE_AFTER, NOT_MET
from grc.controls.selectors import RegisterFacts, latest_collection, register_facts
from grc.controls.services import control_entry_delete, control_entry_save, subject_name, system_model, validate_entry
from grc.controls.tasks import aws_collect
from grc.csvio import CsvFileError, csv_response
from grc.files import file_response
from grc.queue import enqueue

STATES = {
    "met": "met",
    "at_risk": "at risk",
    "not_met": "not met",
    "expired": "attestation expired",
    "not_tracked": "not yet recorded",
}
BADGES = {"expired": ("not_met", "expired")}  # a stale attestation is not met: red, in its own word


@dataclass
class Cell:
    """One subject's standing in one area, as the register shows it."""

    area: Area
    state: str
    problems: list[str] = field(default_factory=list)
    missing: str = ""
    url: str = ""  # the entry's page (none for the portal's computed entries)
    record_url: str = ""  # for the security lead, where a missing entry is recorded
    computed: bool = False
    delegated_to: str = ""
    review_due_at: datetime | None = None

    @property
    def badge(self) -> tuple[str, str]:
        return BADGES.get(self.state, (self.state, STATES[self.state]))


@dataclass
class Row:
    subject: ScopeSubject
    cells: list[Cell]


def record_url(subject: ScopeSubject, area: Area) -> str:
    query: dict[str, str | int] = {subject.kind: subject.pk, "area": area.key}
    return reverse("controls:record") + "?" + urlencode(query)


def area_cells(facts: RegisterFacts, area: Area, *, can_edit: bool) -> dict[str, Cell]:
    """Each subject's cell in ``area``, from the verdicts of every clause judged on it (1.2 and 1.4 for identity)."""
    clauses = sorted((clause for clause, key in CLAUSE_AREAS.items() if key == area.key), key=lambda clause: clause != area.clause)
    merged: dict[str, dict[str, Any]] = {}
    for clause in clauses:
        for verdict in facts.verdicts(clause):
            slot = merged.setdefault(verdict.subject.key, {"subject": verdict.subject, "verdict": verdict, "problems": {}})
            for problem in verdict.problems:
                if slot["problems"].get(problem.text) != NOT_MET:
                    slot["problems"][problem.text] = problem.status
    cells: dict[str, Cell] = {}
    for key, slot in merged.items():
        subject, verdict, problems = slot["subject"], slot["verdict"], slot["problems"]
        entry = verdict.entry
        own = facts.rows.get((key, area.key))
        computed = facts.entries.get((key, area.key))
        if verdict.missing and NOT_MET not in problems.values():  # AWS checks can hold a system back before it is recorded
            state = "not_tracked"
        elif entry is not None and entry.review_due_at is not None and entry.review_due_at <= facts.now:
            state = "expired"
        elif NOT_MET in problems.values():
            state = NOT_MET
        elif AT_RISK in problems.values():
            state = AT_RISK
        else:
            state = "met"
        is_computed = computed is not None and computed.computed
        cells[key] = Cell(
            area=area,
            state=state,
            problems=list(problems),
            missing=verdict.missing,
            url=own.get_absolute_url() if own is not None and not is_computed else "",
            record_url=record_url(subject, area) if can_edit and own is None and not is_computed else "",
            computed=is_computed,
            delegated_to=(own.values.get("delegated_to") or "") if own is not None and area.key == "identity" else "",
            review_due_at=entry.review_due_at if entry is not None else None,
        )
    return cells


def _filters(request) -> FilterForm:
    areas = [(area.key, area.title) for area in AREAS.values()]
    form = FilterForm(request.GET or None, areas=areas, statuses=list(STATES.items()))
    form.is_valid()
    return form


def _rows(subjects: list[ScopeSubject], areas: list[Area], cells: dict[str, dict[str, Cell]], status: str) -> list[Row]:
    rows = [Row(subject, [cells[area.key][subject.key] for area in areas]) for subject in subjects]
    return [row for row in rows if not status or any(cell.state == status for cell in row.cells)]


@role_required(*READERS)
@require_GET
def index(request):
    """One row per in-scope system (the portal first), then per PII data store; a cell per area."""
    now = timezone.now()
    facts = register_facts(now)
    can_edit = can_edit_register(request.user)
    filters = _filters(request)
    only_area = filters.cleaned_data.get("area", "") if filters.is_bound else ""
    status = filters.cleaned_data.get("status", "") if filters.is_bound else ""
    system_areas = [area for area in SYSTEM_AREAS if not only_area or area.key == only_area]
    store_areas = [AREAS["purpose"]] if only_area in ("", "purpose") else []
    cells = {area.key: area_cells(facts, area, can_edit=can_edit) for area in [*system_areas, *store_areas]}
    systems = [s for s in facts.subjects if s.kind == "system"]
    stores = [s for s in facts.subjects if s.kind == "data_store" and s.holds_pii]
    all_cells = [c for area in (*system_areas, *store_areas) for c in cells[area.key].values()]
    counts = {state: sum(1 for c in all_cells if c.state == state) for state in STATES}
    context = {
        "now": now,
        "filters": SimpleNamespace(form=filters),
        "only_area": only_area,
        "status": status,
        "status_label": STATES.get(status, ""),
        "system_areas": system_areas,
        "store_areas": store_areas,
        "system_rows": _rows(systems, system_areas, cells, status) if system_areas else [],
        "store_rows": _rows(stores, store_areas, cells, status) if store_areas else [],
        "show_systems": bool(system_areas),
        "show_stores": bool(store_areas),
        "company_systems": [s for s in systems if not s.is_portal],
        "counts": [(state, STATES[state], counts[state], BADGES.get(state, (state, STATES[state]))) for state in STATES],
        "can_edit": can_edit,
        "filtered": bool(only_area or status),
    }
    return render(request, "controls/index.html", context)


def _subject_of(entry: ControlEntry, facts: RegisterFacts) -> ScopeSubject | None:
    return next((s for s in facts.subjects if s.key == entry.subject_key), None)


@role_required(*READERS)
@require_GET
def entry_detail(request, pk: int):
    entry, can_edit = get_entry_for(request.user, pk)
    record_view(request, entry)
    now = timezone.now()
    facts = register_facts(now)
    area = entry.area_def
    subject = _subject_of(entry, facts)
    cell = area_cells(facts, area, can_edit=False).get(entry.subject_key) if subject is not None else None
    delegated = entry.values.get("delegated_to") if area.key == "identity" else None
    target = next((s for s in facts.subjects if s.kind == "system" and delegated and s.name.lower() == delegated.lower()), None)
    target_row = facts.rows.get((target.key, "identity")) if target is not None else None
    fact = facts.entries.get((entry.subject_key, entry.area))
    context = {
        "entry": entry,
        "area": area,
        "subject": subject,
        "subject_name": subject_name(entry),
        "cell": cell,
        "can_edit": can_edit,
        "now": now,
        "values": [(spec.label, spec.display(entry.values.get(spec.name)), spec.help) for spec in area.fields],
        "review_due_at": fact.review_due_at if fact is not None else None,
        "delegated_to": delegated,
        "delegated_url": target_row.get_absolute_url() if target_row is not None else "",
        "clauses": [clause for clause, key in CLAUSE_AREAS.items() if key == area.key],
    }
    return render(request, "controls/entry.html", context)


@role_required(*READERS)
@require_GET
def evidence_download(request, pk: int):
    """The entry's evidence file, as an attachment (audited)."""
    entry, _can_edit = get_entry_for(request.user, pk)
    if not entry.evidence_file:
        raise Http404("no evidence file")
    record_download(request, entry, what="evidence_file")
    suffix = PurePath(entry.evidence_file.name).suffix.lower()
    return file_response(entry.evidence_file, f"control-{entry.area}-{slugify(subject_name(entry)) or entry.pk}-evidence{suffix}")


# --- recording and editing -------------------------------------------------------------------
def _posted(request) -> tuple:
    """The form's data and files: bound on every POST, even an empty one (``request.POST or None`` is not)."""
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _system_names(subjects: list[ScopeSubject], *, exclude: str = "", keep: str = "") -> list[str]:
    names = [s.name for s in subjects if s.kind == "system" and s.name != exclude]
    return names + [keep] if keep and keep not in names else names


def _add_area_errors(form: ControlEntryForm, *, area: Area, subject: dict[str, Any], now: datetime, base=None) -> None:
    """When the form itself is refused, still say what the schema refuses in the area's fields (no write)."""
    try:
        validate_entry(area=area.key, raw=form.raw(), as_of=now.date(), now=now, base=base, **subject)
    except ValidationError as error:
        extra = {name: msgs for name, msgs in error.message_dict.items() if name in form.fields and name not in form.errors}
        extra.pop("as_of", None)
        if extra:
            form.add_error(None, ValidationError(extra))


def _save(request, form: ControlEntryForm, *, area: Area, subject: dict[str, Any], now: datetime) -> ControlEntry | None:
    """Validate and save through ``control_entry_save`` (the one service); its refusals go next to the fields."""
    if not form.is_valid():
        _add_area_errors(form, area=area, subject=subject, now=now)
        return None
    data = form.cleaned_data
    try:
        return control_entry_save(
            area=area.key,
            raw=form.raw(),
            owner=data["owner"],
            as_of=data["as_of"],
            by=request.user,
            now=now,
            evidence_link=data["evidence_link"],
            evidence_file=data["evidence_file"],
            request=request,
            **subject,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None


def _recordable(request, now: datetime) -> tuple[ScopeSubject, Area, list[ScopeSubject]] | None:
    area = AREAS.get(request.GET.get("area", ""))
    kind = area.subject if area is not None else ""
    try:
        pk = int(request.GET.get(kind, ""))
    except ValueError:
        return None
    subjects = in_scope_subjects(now)
    subject = next((s for s in subjects if s.kind == kind and s.pk == pk and (kind == "system" or s.holds_pii)), None)
    return (subject, area, subjects) if subject is not None and area is not None else None  # a subject implies an area


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def record(request):
    """Record an area of one in-scope system (``?system=3&area=logging``) or PII data store (``?data_store=7&area=purpose``)."""
    now = timezone.now()
    found = _recordable(request, now)
    if found is None:
        messages.info(request, "Choose what to record from the register: each empty cell has a Record link.")
        return redirect("controls:index")
    subject, area, subjects = found
    if subject.is_portal and area.key in PORTAL_COMPUTED_AREAS:
        messages.info(request, f"The {area.words} of {subject.name} are filled in from its settings: there is nothing to record.")
        return redirect(reverse("controls:index") + f"?area={area.key}")
    existing = ControlEntry.objects.filter(area=area.key, **{f"{subject.kind}_id": subject.pk}).first()
    if existing is not None:
        return redirect("controls:edit", pk=existing.pk)
    model = system_model() if subject.kind == "system" else imports.store_model()
    instance = model.objects.get(pk=subject.pk)
    form_class = entry_form(area, system_names=_system_names(subjects, exclude=subject.name))
    form = form_class(*_posted(request), initial={"owner": request.user, "as_of": now.date()})
    if request.method == "POST":
        entry = _save(request, form, area=area, subject={subject.kind: instance}, now=now)
        if entry is not None:
            messages.success(request, f"{area.title} of {subject.name} recorded as of {entry.as_of:%d %b %Y}.")
            return redirect(entry)
    context = {"form": form, "area": area, "subject_name": subject.name, "entry": None, "is_portal": subject.is_portal}
    return render(request, "controls/form.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    """Change an entry, pre-filled. Saving is a new attestation "as of" the day given (today by default)."""
    entry, _can_edit = get_entry_for(request.user, pk)
    now = timezone.now()
    area = entry.area_def
    name = subject_name(entry)
    names = _system_names(in_scope_subjects(now), exclude=name, keep=entry.values.get("delegated_to") or "")
    form_class = entry_form(area, system_names=names)
    initial = {"owner": entry.owner, "as_of": now.date(), "evidence_link": entry.evidence_link}
    form = form_class(*_posted(request), initial=initial, values=entry.values)
    if request.method == "POST":
        saved = _save(request, form, area=area, subject={"system": entry.system, "data_store": entry.data_store}, now=now)
        if saved is not None:
            messages.success(request, f"{area.title} of {name} saved as of {saved.as_of:%d %b %Y}.")
            return redirect(saved)
    return render(request, "controls/form.html", {"form": form, "area": area, "subject_name": name, "entry": entry})


@role_required(*SECURITY_LEAD)
@require_POST
def reattest(request, pk: int):
    """Saving unchanged values "as of" today: the security lead attests they are still true."""
    entry, _can_edit = get_entry_for(request.user, pk)
    now = timezone.now()
    try:
        control_entry_save(
            area=entry.area,
            raw=dict(entry.values),
            owner=entry.owner,
            as_of=now.date(),
            by=request.user,
            now=now,
            system=entry.system,
            data_store=entry.data_store,
            evidence_link=entry.evidence_link,
            request=request,
        )
    except ValidationError as error:
        messages.error(request, "Cannot re-attest unchanged: " + " ".join(error.messages) + " Edit the entry instead.")
    else:
        messages.success(request, f"Re-attested unchanged as of {now.date():%d %b %Y}.")
    return redirect("controls:entry", pk=entry.pk)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def delete(request, pk: int):
    """Remove an entry (after a confirmation page): the subject is "not yet recorded" again for the area."""
    entry, _can_edit = get_entry_for(request.user, pk)
    name = subject_name(entry)
    if request.method == "POST":
        area = entry.area_def
        control_entry_delete(entry=entry, by=request.user, now=timezone.now(), request=request)
        messages.success(request, f"{area.title} of {name} removed: it is not yet recorded.")
        return redirect(reverse("controls:index") + f"?area={area.key}")
    return render(request, "controls/delete.html", {"entry": entry, "area": entry.area_def, "subject_name": name})


# --- CSV import --------------------------------------------------------------------------------
def _preview(request, *, plan: imports.Plan, filename: str, data: bytes, notice: str = ""):
    context = {
        "plan": plan,
        "summary": plan.summary(),
        "filename": filename,
        "token": imports.sign_upload(filename=filename, data=data, plan=plan) if not plan.errors else "",
        "notice": notice,
        "max_rows": imports.MAX_ROWS,
    }
    return render(request, "controls/import_preview.html", context)


def _upload_page(request, form: UploadForm):
    context = {"form": form, "columns": imports.COLUMNS, "max_rows": imports.MAX_ROWS, "areas": list(AREAS.values())}
    return render(request, "controls/import_upload.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """Upload → preview (each row added, updated or unchanged, each bad line with its reason)."""
    form = UploadForm(*_posted(request))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(imports.MAX_BYTES + 1)
        try:
            plan = imports.plan_import(data, now=timezone.now())
        except CsvFileError as error:
            form.add_error("file", str(error))
        else:
            return _preview(request, plan=plan, filename=upload.name, data=data)
    return _upload_page(request, form)


@role_required(*SECURITY_LEAD)
@require_POST
def import_apply(request):
    """Apply the previewed file: re-checked first; written only if it still plans the same."""
    try:
        filename, data, previewed = imports.read_signed(request.POST.get("token", ""))
    except signing.BadSignature:
        messages.error(request, "The preview is too old or was changed: upload the file again.")
        return redirect("controls:import")
    now = timezone.now()
    try:
        plan = imports.plan_import(data, now=now)
    except CsvFileError as error:
        messages.error(request, str(error))
        return redirect("controls:import")
    if plan.errors or plan.fingerprint() != previewed:
        notice = "The register changed since the preview: nothing was written. Check this new preview, then apply again."
        return _preview(request, plan=plan, filename=filename, data=data, notice=notice)
    try:
        summary = imports.import_apply(plan=plan, by=request.user, now=now, request=request)
    except ValidationError as error:
        messages.error(request, "Nothing was written: " + " ".join(error.messages))
        return redirect("controls:import")
    messages.success(
        request,
        f"Import applied: {summary['adds']} entries added, {summary['updates']} updated, {summary['unchanged']} unchanged.",
    )
    return redirect("controls:index")


@role_required(*SECURITY_LEAD)
@require_GET
def import_template(request):
    """Every column of the import, with one example row per area."""
    now = timezone.now()
    subjects = in_scope_subjects(now)
    system = next((s.name for s in subjects if s.kind == "system" and not s.is_portal), "Seller Central")
    store = next((s.name for s in subjects if s.kind == "data_store" and s.holds_pii), "DS-0001")
    header, rows = imports.template_rows(request.user.username, as_of=now.date(), system=system, data_store=store)
    return csv_response("control-register-template.csv", header, rows)


# --- the AWS account of a system (issue 25) ----------------------------------------------------
AWS_BADGES = {True: ("met", "pass"), False: ("not_met", "fail"), None: ("at_risk", "could not run")}


def _aws_system(pk: int):
    return get_object_or_404(system_model(), pk=pk)


def _aws_page(request, system, *, form: AwsConnectionForm | None = None, status: int = 200):
    connection = AwsConnection.objects.filter(system=system).first()
    latest = latest_collection(connection) if connection is not None else None
    can_edit = can_edit_register(request.user)
    if can_edit and form is None:
        initial = (
            {"role_arn": connection.role_arn, "regions": ", ".join(connection.regions), "enabled": connection.enabled} if connection else {}
        )
        form = AwsConnectionForm(initial=initial or {"enabled": True})
    rows = [{**row, "badge": AWS_BADGES[row["passed"]]} for row in (latest.results if latest is not None else [])]
    rows.sort(key=lambda row: (row["passed"] is True, row["clause"], row["check_id"], row.get("region") or ""))
    now = timezone.now()
    context = {
        "system": system,
        "connection": connection,
        "latest": latest,
        "stale": latest is not None and now - latest.collected_at > AWS_STALE_AFTER,
        "rows": rows,
        "can_edit": can_edit,
        "form": form if can_edit else None,
        "policy": json.dumps(least_privilege_policy(), indent=2),
        "now": now,
    }
    return render(request, "controls/aws.html", context, status=status)


@role_required(*READERS)
@require_GET
def aws_account(request, pk: int):
    """One system's AWS account: the lead connects it; everyone who reads the register sees its results."""
    system = _aws_system(pk)
    record_view(request, system, message="aws account")
    return _aws_page(request, system)


@role_required(*SECURITY_LEAD)
@require_POST
def aws_connect(request, pk: int):
    system = _aws_system(pk)
    form = AwsConnectionForm(request.POST)
    if form.is_valid():
        try:
            aws_service.connection_save(system=system, data=form.cleaned_data, by=request.user, now=timezone.now(), request=request)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, "AWS connection saved. Put the external ID in the role's trust policy, then run the checks.")
            return redirect("controls:aws", pk=system.pk)
    return _aws_page(request, system, form=form, status=400)


@role_required(*SECURITY_LEAD)
@require_POST
def aws_run_now(request, pk: int):
    system = _aws_system(pk)
    connection = get_object_or_404(AwsConnection, system=system)
    if not connection.enabled:
        messages.error(request, "This connection is disabled: enable it to run the checks.")
        return redirect("controls:aws", pk=system.pk)
    with transaction.atomic():
        enqueue(aws_collect, connection.pk)
    messages.success(request, "The AWS checks are queued; the results appear here when the run ends.")
    return redirect("controls:aws", pk=system.pk)


@role_required(*READERS)
@require_GET
def aws_evidence(request, pk: int):
    """The sealed raw answers of one collection, as an attachment (audited)."""
    collection = get_object_or_404(AwsCollection.objects.select_related("connection"), pk=pk)
    record_download(request, collection, what="aws_evidence")
    return file_response(
        collection.evidence,
        f"aws-checks-system-{collection.connection.system_id}-{collection.collected_at:%Y%m%dT%H%M%SZ}.json",
        "application/json",
    )
