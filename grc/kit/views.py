"""Pages of the Amazon assessment kit: cadences, questionnaire, submissions, readiness, documents.

Thin views: selectors and ``Records`` read, services write and audit. Reading the kit is for
the security lead and auditors (managers see the readiness checklist, the cadences and the
documents); every change is the security lead's. Downloads are audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from grc.accounts.permissions import LEAD_OR_AUDITOR, READERS, SECURITY_LEAD, role_required
from grc.audit.services import record_download, record_view
from grc.compliance.cadence_models import CadenceOverride
from grc.compliance.cadence_overrides import (
    POLICY_LIMITS,
    cadence_change_rows,
    cadence_override_set,
    cadence_rows,
    ceiling,
    describe,
    is_adjustable,
    largest_within,
    limit_source,
    period_of,
    single_unit,
)
from grc.compliance.cadences import CADENCES, effective_cadence
from grc.forms import add_errors
from grc.kit import readiness
from grc.kit.documents import DEFAULT_CLAUSES, document_response, kit_document_review, kit_document_upload
from grc.kit.forms import AnswersForm, CadenceForm, DocumentForm, SubmissionForm
from grc.kit.models import KitDocument, QuestionnaireSubmission
from grc.kit.questionnaire.diff import content_diff
from grc.kit.questionnaire.export import render_text, submission_heading
from grc.kit.questionnaire.services import answer_rows, answers_save, default_limit
from grc.kit.snapshots import questionnaire_content, submission_create
from grc.kit.tasks import build_submission_pdf
from grc.queue import enqueue

HISTORY_ROWS = 50
SUBMISSION_ROWS = 100


# --- home ------------------------------------------------------------------------------------------------
@role_required(*READERS)
def kit_home(request):
    now = timezone.now()
    checklists = readiness.readiness_checklists(now)
    totals = {status: sum(c.counts[status] for c in checklists) for status in ("met", "at_risk", "not_met")}
    context = {
        "now": now,
        "checklists": checklists,
        "totals": totals,
        "latest": QuestionnaireSubmission.objects.order_by("-submitted_on", "-pk").first(),
        "overrides": CadenceOverride.objects.count(),
        "documents": len(readiness.current_documents()),
        "tab": "home",
    }
    return render(request, "kit/home.html", context)


# --- cadences --------------------------------------------------------------------------------------------
@role_required(*READERS)
def cadences(request):
    context = {"rows": cadence_rows(), "history": list(cadence_change_rows(limit=HISTORY_ROWS)), "tab": "cadences"}
    return render(request, "kit/cadences.html", context)


@role_required(*SECURITY_LEAD)
def cadence_edit(request, kind: str):
    if kind not in CADENCES or not is_adjustable(kind):
        raise Http404("No adjustable cadence of that kind")
    base = CADENCES[kind]
    current = effective_cadence(kind).period
    assert current is not None  # is_adjustable: the kind has a fixed period
    number, unit = single_unit(current) or (current.days, "days")
    form = CadenceForm(request.POST or None, initial={"number": number, "unit": unit})
    if request.method == "POST" and form.is_valid():
        period = period_of(form.cleaned_data["number"], form.cleaned_data["unit"])
        try:
            change = cadence_override_set(
                kind=kind, period=period, reason=form.cleaned_data["reason"], by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"{base.title}: now every {describe(period)}. {change.redated_count} open obligation(s) re-dated.",
            )
            return redirect("kit:cadences")
    limit = ceiling(kind)
    assert limit is not None  # is_adjustable: the kind has a fixed period, so a limit
    context = {
        "cadence": base,
        "current": current,
        "limit": limit,
        "limit_text": describe(limit),
        "source": limit_source(kind),
        "quoted": kind in POLICY_LIMITS,
        "largest": {unit: largest_within(limit, unit) for unit in ("hours", "days", "months")},
        "form": form,
        "history": list(cadence_change_rows(kind=kind, limit=HISTORY_ROWS)),
        "tab": "cadences",
    }
    return render(request, "kit/cadence_edit.html", context)


# --- questionnaire ------------------------------------------------------------------------------------------
def _questionnaire_page(request, form=None, status=200):
    now = timezone.now()
    rows = answer_rows(now)
    if form is None and request.user.is_security_lead:
        form = AnswersForm(rows=rows)
    latest = QuestionnaireSubmission.objects.order_by("-submitted_on", "-pk").only("pk", "submitted_on", "label").first()
    context = {
        "now": now,
        "rows": rows,
        "form": form,
        "pairs": form.pairs() if form is not None else [(row, None, None) for row in rows],
        "gap_count": sum(1 for row in rows if row.draft.has_gaps),
        "over_count": sum(1 for row in rows if row.over_limit),
        "default_limit": default_limit(),
        "latest": latest,
        "submission_form": SubmissionForm(initial={"submitted_on": timezone.localdate()}),
        "tab": "questionnaire",
    }
    return render(request, "kit/questionnaire.html", context, status=status)


@role_required(*LEAD_OR_AUDITOR)
def questionnaire(request):
    return _questionnaire_page(request)


@require_POST
@role_required(*SECURITY_LEAD)
def questionnaire_save(request):
    now = timezone.now()
    form = AnswersForm(request.POST, rows=answer_rows(now))
    if form.is_valid():
        try:
            changed = answers_save(values=form.values(), by=request.user, now=now, request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Answers saved ({changed} changed).")
            return redirect(reverse("kit:questionnaire"))
    messages.error(request, "Some answers were not saved: see the marks below.")
    return _questionnaire_page(request, form=form, status=400)


def _text_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(*LEAD_OR_AUDITOR)
def questionnaire_text(request):
    now = timezone.now()
    content = questionnaire_content(now)
    record_download(
        request, what="questionnaire_text", count=len(content["areas"]), object_type="compliance.questionnaire", object_id="current"
    )
    heading = f"Working copy (not yet submitted), exported {timezone.localtime(now):%d %b %Y %H:%M %Z}"
    return _text_response(render_text(content, heading=heading), f"dpp-questionnaire-{now:%Y%m%d}.txt")


@role_required(*LEAD_OR_AUDITOR)
def plan(request):
    now = timezone.now()
    content = questionnaire_content(now)
    return render(request, "kit/plan.html", {"plan": content["plan"], "now": now, "tab": "plan"})


# --- submissions ------------------------------------------------------------------------------------------
@role_required(*LEAD_OR_AUDITOR)
def submissions(request):
    rows = list(
        QuestionnaireSubmission.objects.select_related("created_by").defer("content").order_by("-submitted_on", "-pk")[:SUBMISSION_ROWS]
    )
    form = SubmissionForm(initial={"submitted_on": timezone.localdate()}) if request.user.is_security_lead else None
    return render(request, "kit/submissions.html", {"rows": rows, "form": form, "tab": "submissions"})


@require_POST
@role_required(*SECURITY_LEAD)
def submission_new(request):
    form = SubmissionForm(request.POST)
    if form.is_valid():
        try:
            submission = submission_create(
                submitted_on=form.cleaned_data["submitted_on"],
                label=form.cleaned_data["label"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("kit:questionnaire")
        messages.success(request, "Snapshot saved. Its PDF is being prepared.")
        return redirect(submission)
    messages.error(request, "Give the date the answers were submitted to Amazon.")
    return redirect("kit:questionnaire")


def _submission(pk: int) -> QuestionnaireSubmission:
    return get_object_or_404(QuestionnaireSubmission.objects.select_related("created_by"), pk=pk)


@role_required(*LEAD_OR_AUDITOR)
def submission_detail(request, pk: int):
    submission = _submission(pk)
    record_view(request, submission)
    previous = (
        QuestionnaireSubmission.objects.filter(submitted_on__lte=submission.submitted_on)
        .exclude(pk=submission.pk)
        .filter(created_at__lt=submission.created_at)
        .order_by("-submitted_on", "-pk")
        .only("pk", "submitted_on", "label")
        .first()
    )
    context = {
        "submission": submission,
        "content": submission.content,
        "previous": previous,
        "pdf_pending": not submission.pdf and not submission.pdf_error,
        "tab": "submissions",
    }
    return render(request, "kit/submission_detail.html", context)


@role_required(*LEAD_OR_AUDITOR)
def submission_text(request, pk: int):
    submission = _submission(pk)
    record_download(request, submission, what="questionnaire_text", count=len(submission.content.get("areas", [])))
    body = render_text(submission.content, heading=submission_heading(submission))
    return _text_response(body, f"dpp-questionnaire-{submission.submitted_on:%Y%m%d}-{submission.pk}.txt")


@role_required(*LEAD_OR_AUDITOR)
def submission_pdf(request, pk: int):
    submission = _submission(pk)
    if not submission.pdf:
        raise Http404("The PDF is not ready yet")
    record_download(request, submission, what="questionnaire_pdf")
    response = FileResponse(
        submission.pdf.open("rb"),
        as_attachment=True,
        filename=f"dpp-questionnaire-{submission.submitted_on:%Y%m%d}-{submission.pk}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@role_required(*SECURITY_LEAD)
def submission_pdf_retry(request, pk: int):
    submission = _submission(pk)
    if not submission.pdf:
        QuestionnaireSubmission.objects.filter(pk=pk).update(pdf_error="")
        enqueue(build_submission_pdf, submission.pk)
    return redirect(submission)


@role_required(*LEAD_OR_AUDITOR)
def submission_changes(request, pk: int):
    """What changed in the records and the answers since this submission (or against another one)."""
    submission = _submission(pk)
    against = request.GET.get("against", "")
    if against.isdigit():
        other = _submission(int(against))
        older, newer = sorted([submission, other], key=lambda s: (s.submitted_on, s.created_at))
        before, after = older.content, newer.content
        labels: tuple[QuestionnaireSubmission, QuestionnaireSubmission | None] = (older, newer)
    else:
        before, after = submission.content, questionnaire_content(timezone.now())
        labels = (submission, None)
    diffs = content_diff(before, after)
    plan_before = {item["finding"] for item in before.get("plan", [])}
    plan_after = {item["finding"] for item in after.get("plan", [])}
    context = {
        "submission": submission,
        "older": labels[0],
        "newer": labels[1],
        "diffs": diffs,
        "changed": [diff for diff in diffs if diff.changed],
        "plan_added": sorted(plan_after - plan_before),
        "plan_resolved": sorted(plan_before - plan_after),
        "others": QuestionnaireSubmission.objects.exclude(pk=submission.pk)
        .order_by("-submitted_on", "-pk")
        .only("pk", "submitted_on", "label")[:50],
        "tab": "submissions",
    }
    return render(request, "kit/changes.html", context)


@role_required(*LEAD_OR_AUDITOR)
def changes_since_last(request):
    latest = QuestionnaireSubmission.objects.order_by("-submitted_on", "-pk").only("pk").first()
    if latest is None:
        messages.info(request, "No submission is saved yet: save a snapshot when you submit the answers to Amazon.")
        return redirect("kit:questionnaire")
    return redirect("kit:submission_changes", pk=latest.pk)


# --- readiness ------------------------------------------------------------------------------------------------
@role_required(*READERS)
def readiness_index(request):
    now = timezone.now()
    return render(request, "kit/readiness.html", {"checklists": readiness.readiness_checklists(now), "now": now, "tab": "readiness"})


@role_required(*READERS)
def readiness_clause(request, clause: str):
    now = timezone.now()
    if clause not in readiness.SPECS:
        raise Http404("No such DPP clause")
    checklist = readiness.readiness_checklist(clause, now)
    context = {
        "checklist": checklist,
        "changes": readiness.cadence_changes_for_clause(clause),
        "now": now,
        "tab": "readiness",
    }
    return render(request, "kit/readiness_clause.html", context)


# --- documents ---------------------------------------------------------------------------------------------------
@role_required(*READERS)
def documents(request):
    now = timezone.now()
    current = readiness.current_documents()
    old = list(KitDocument.objects.filter(superseded_at__isnull=False).select_related("superseded_by").order_by("-superseded_at")[:50])
    context = {"rows": readiness.document_rows(current, now), "old": old, "now": now, "tab": "documents"}
    return render(request, "kit/documents.html", context)


@role_required(*SECURITY_LEAD)
def document_new(request):
    kind = request.GET.get("kind", "")
    initial = {"kind": kind, "clauses": DEFAULT_CLAUSES.get(kind, [])} if kind else {}
    form = DocumentForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            kit_document_upload(
                kind=data["kind"],
                title=data["title"],
                clauses=data["clauses"],
                upload=data["file"],
                supersedes=data["supersedes"],
                by=request.user,
                now=timezone.now(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Document attached. Its next review is on the calendar.")
            return redirect("kit:documents")
    return render(request, "kit/document_form.html", {"form": form, "tab": "documents"})


@require_POST
@role_required(*SECURITY_LEAD)
def document_review(request, pk: int):
    document = get_object_or_404(KitDocument, pk=pk)
    try:
        kit_document_review(document=document, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Review recorded.")
    return redirect("kit:documents")


@role_required(*READERS)
def document_download(request, pk: int):
    document = get_object_or_404(KitDocument, pk=pk)
    record_download(request, document, what="kit_document")
    return document_response(document)
