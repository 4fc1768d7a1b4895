"""Training records (DPP 1.1): my training, one person's training, the overview, evidence files."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import CharField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from access_reviews.access import get_person_for, get_training_record_for, is_lead
from access_reviews.forms import TrainingRecordForm
from access_reviews.models import Person
from access_reviews.selectors import people_visible_to
from access_reviews.services.training import training_record_create
from access_reviews.views.common import add_errors
from grc.accounts.models import Role
from grc.accounts.permissions import EVERYONE, READERS, deny, role_required
from grc.audit.services import record_download
from grc.compliance.models import Obligation
from grc.compliance.services import obligations_for
from grc.tables import table_page

TRAINING_KINDS = ["access_reviews.training_initial", "access_reviews.training_annual"]


def _training_page(request, person: Person, *, can_record: bool, mine: bool):
    form = TrainingRecordForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_record:
            raise deny(request, "may not record training for this person")
        if form.is_valid():
            try:
                training_record_create(person=person, **form.cleaned_data, by=request.user, now=timezone.now(), request=request)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Training recorded. Thank you.")
                return redirect(request.path)
    context = {
        "person": person,
        "mine": mine,
        "can_record": can_record,
        "form": form,
        "records": person.training_records.select_related("recorded_by"),
        "obligations": obligations_for(person).filter(kind__in=TRAINING_KINDS).order_by("-due_at")[:6],
        "now": timezone.now(),
    }
    return render(request, "access_reviews/training.html", context)


@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def my_training(request):
    """Everyone's own training page; staff record their own completion with evidence."""
    person = Person.objects.filter(user=request.user).first()
    if person is None:
        return render(request, "access_reviews/training_missing.html", status=200)
    return _training_page(request, person, can_record=request.user.role != Role.AUDITOR, mine=True)


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def person_training(request, pk: int):
    person, can_edit = get_person_for(request.user, pk)
    return _training_page(request, person, can_record=can_edit or person.user_id == request.user.pk, mine=person.user_id == request.user.pk)


@role_required(*READERS)
def training_overview(request):
    """Everyone with system access: last completion and the next due date (DPP 1.1 coverage)."""
    due = Obligation.objects.filter(
        kind__in=TRAINING_KINDS,
        completed_at__isnull=True,
        subject_type="access_reviews.person",
        subject_id=Cast(OuterRef("pk"), CharField()),
    ).order_by("due_at")
    people = (
        people_visible_to(request.user)
        .filter(status="active")
        .filter(Q(accounts__enabled=True, accounts__removed_at__isnull=True))
        .distinct()
        .annotate(last_completed=Max("training_records__completed_on"), due_at=Subquery(due.values("due_at")[:1]))
    )
    table = table_page(
        request,
        people,
        sorts={"person_id": "person_id", "due": "due_at", "last": "last_completed", "department": "department"},
        default_sort="due",
    )
    return render(
        request, "access_reviews/training_overview.html", {"table": table, "now": timezone.now(), "can_record": is_lead(request.user)}
    )


@role_required(*EVERYONE)
def training_evidence(request, pk: int):
    record = get_training_record_for(request.user, pk)
    if not record.evidence:
        raise Http404("No evidence file")
    record_download(request, record, what="training_evidence")
    return FileResponse(record.evidence.open("rb"), as_attachment=True, filename=record.evidence.name.rsplit("/", 1)[-1])
