"""The kit's records moved from app ``compliance`` to app ``kit`` in state only (compliance 0007,
kit 0001/0002): a database built before the move keeps every row, its tables and its permissions.

The test database is migrated back to the last migration before the move (compliance 0006, kit at
zero), rows are written with the historical ``compliance`` models, the database is migrated forward
and the same rows are read through ``grc.kit.models``; their content types, permissions, review
obligations and canaries follow them. It ends migrated to the latest state again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from grc.accounts.models import User
from grc.audit.canaries import canary_for
from grc.audit.models import Canary
from grc.compliance.models import Obligation
from grc.compliance.services import obligations_for, open_obligation
from grc.kit.documents import REVIEW_KIND
from grc.kit.models import Attestation, KitDocument, QuestionnaireAnswer, QuestionnaireSubmission

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BEFORE_THE_MOVE = [("compliance", "0006_attestation"), ("kit", None)]
MOVED = {
    "QuestionnaireAnswer": QuestionnaireAnswer,
    "QuestionnaireSubmission": QuestionnaireSubmission,
    "KitDocument": KitDocument,
    "Attestation": Attestation,
}
WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def migrate_to(targets=None) -> MigrationExecutor:
    """Migrate the test database to ``targets`` (the latest state when None); a fresh executor each time."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    return executor


@pytest.fixture
def before_the_move():
    """Historical apps of the state before the move; the database is put back to the latest state afterwards."""
    executor = migrate_to(BEFORE_THE_MOVE)
    try:
        yield executor.loader.project_state(BEFORE_THE_MOVE[0]).apps
    finally:
        migrate_to()


def write_rows(old_apps) -> dict[str, list[dict]]:
    """One row of each model (two kit documents, the new superseding the old) through the ``compliance`` models."""
    lead = User.objects.create(username="kitlead", email="kit.lead@example.test", password="!")
    Answer = old_apps.get_model("compliance", "QuestionnaireAnswer")
    Submission = old_apps.get_model("compliance", "QuestionnaireSubmission")
    Document = old_apps.get_model("compliance", "KitDocument")
    OldAttestation = old_apps.get_model("compliance", "Attestation")

    Answer.objects.create(
        area="encryption",
        text="TLS 1.2+ in transit, AES-256 at rest.",
        char_limit=500,
        draft_digest="d" * 64,
        updated_by_id=lead.pk,
        updated_at=WHEN,
    )
    Submission.objects.create(
        submitted_on=date(2026, 11, 1),
        label="Developer profile",
        content={"areas": {"encryption": "TLS"}, "gaps": []},
        content_sha256="c" * 64,
        created_by_id=lead.pk,
        created_at=WHEN,
        pdf="compliance/questionnaire/2026/submission.pdf",
        pdf_sha256="p" * 64,
        pdf_built_at=WHEN,
    )
    first = Document.objects.create(
        kind="architecture",
        title="Production architecture",
        clauses=["1.4", "2.1"],
        file="compliance/kit/2026/architecture-1.pdf",
        file_name="architecture-1.pdf",
        file_sha256="1" * 64,
        file_size=1234,
        uploaded_by_id=lead.pk,
        uploaded_at=WHEN,
        reviewed_at=WHEN,
        reviewed_by_id=lead.pk,
        review_due_at=datetime(2027, 11, 2, tzinfo=UTC),
        superseded_at=WHEN,
    )
    Document.objects.create(
        kind="architecture",
        title="Production architecture",
        clauses=["1.4"],
        file="compliance/kit/2026/architecture-2.pdf",
        file_name="architecture-2.pdf",
        file_sha256="2" * 64,
        file_size=2345,
        uploaded_by_id=lead.pk,
        uploaded_at=WHEN,
        reviewed_at=WHEN,
        review_due_at=datetime(2027, 11, 2, tzinfo=UTC),
        supersedes=first,
    )
    OldAttestation.objects.create(
        statement="storage_hardware_changes",
        text="Changes to storage hardware are tested, verified and approved.",
        owner_id=lead.pk,
        evidence_url="https://wiki.example.test/change-process",
        signed_by_id=lead.pk,
        signed_at=WHEN,
        step_up_at=WHEN,
        expires_on=date(2027, 11, 2),
    )
    return {name: list(old_apps.get_model("compliance", name).objects.order_by("pk").values()) for name in MOVED}


def give_permissions():
    """Groups holding permissions of the ``compliance`` content types, and a ``kit`` content type made
    early (by post_migrate before the move ran) that must be merged into the moved one, not duplicated."""
    kit_document, _ = ContentType.objects.get_or_create(app_label="compliance", model="kitdocument")
    change, _ = Permission.objects.get_or_create(
        content_type=kit_document, codename="change_kitdocument", defaults={"name": "Can change kit document"}
    )
    editors = Group.objects.create(name="kit editors")
    editors.permissions.add(change)
    attestation, _ = ContentType.objects.get_or_create(app_label="compliance", model="attestation")
    view, _ = Permission.objects.get_or_create(
        content_type=attestation, codename="view_attestation", defaults={"name": "Can view attestation"}
    )
    readers = Group.objects.create(name="attestation readers")
    readers.permissions.add(view)
    early = ContentType.objects.create(app_label="kit", model="attestation")
    early_view = Permission.objects.create(content_type=early, codename="view_attestation", name="Can view attestation")
    early_sign = Permission.objects.create(content_type=early, codename="sign_attestation", name="Can sign attestation")
    signers = Group.objects.create(name="attestation signers")
    signers.permissions.add(early_view, early_sign)
    readers.permissions.add(early_view)
    return kit_document, attestation, early, view


def name_records(old_apps) -> None:
    """An open and a completed review obligation of the newer kit document, and a canary on the attestation,
    naming them ``compliance.…`` as the obligation engine and the audit app did before the move."""
    document = old_apps.get_model("compliance", "KitDocument").objects.order_by("pk").last()
    attestation = old_apps.get_model("compliance", "Attestation").objects.get()
    for completed_at in (None, WHEN):
        Obligation.objects.create(
            kind=REVIEW_KIND,
            clause="1.4",
            title="Review the architecture diagram",
            subject_type="compliance.kitdocument",
            subject_id=str(document.pk),
            anchor_at=WHEN,
            due_at=datetime(2027, 11, 2, tzinfo=UTC),
            completed_at=completed_at,
        )
    Canary.objects.create(subject_type="compliance.attestation", subject_id=str(attestation.pk))


def test_rows_and_permissions_written_before_the_move_are_read_through_app_kit(before_the_move):
    written = write_rows(before_the_move)
    kit_document, attestation, early, view = give_permissions()
    name_records(before_the_move)

    migrate_to()

    for name, model in MOVED.items():
        assert list(model.objects.order_by("pk").values()) == written[name], name
    old, new = KitDocument.objects.order_by("pk")
    assert new.supersedes == old and old.superseded_by == new
    assert Attestation.objects.get().owner.username == "kitlead"

    for name, model in MOVED.items():
        assert ContentType.objects.get_for_model(model).app_label == "kit", name
        assert not ContentType.objects.filter(app_label="compliance", model=name.lower()).exists(), name
    assert ContentType.objects.get_for_model(KitDocument).pk == kit_document.pk
    assert ContentType.objects.get_for_model(Attestation).pk == attestation.pk
    assert not ContentType.objects.filter(pk=early.pk).exists()
    editors, readers, signers = (Group.objects.get(name=n) for n in ("kit editors", "attestation readers", "attestation signers"))
    assert set(editors.permissions.values_list("content_type__app_label", "codename")) == {("kit", "change_kitdocument")}
    assert list(readers.permissions.values_list("pk", flat=True)) == [view.pk]
    assert set(signers.permissions.values_list("content_type__app_label", "codename")) == {
        ("kit", "view_attestation"),
        ("kit", "sign_attestation"),
    }
    assert Permission.objects.get(codename="view_attestation").pk == view.pk

    # obligations and canaries keep naming a kit record by its label from before the move (grc.labels)
    document = KitDocument.objects.order_by("pk").last()
    assert Obligation.objects.filter(kind=REVIEW_KIND).count() == 2
    assert Obligation.objects.filter(kind=REVIEW_KIND, subject_type="compliance.kitdocument", subject_id=str(document.pk)).count() == 2
    assert obligations_for(document).count() == 2
    assert open_obligation(REVIEW_KIND, document) is not None
    assert canary_for(Attestation.objects.get()) is not None
