"""The whole library (issue 15): every governed document type of the programme, its required
sections and numeric values, its review obligation, uploaded version files, the live checks of
its clause, and what the evidence pack reads for a period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grc.audit.models import AuditEvent
from grc.classification import LEVELS, RESTRICTED, level_for
from grc.compliance.cadences import cadence_for
from grc.compliance.registry import checks_for, provider_for
from grc.compliance.services import open_obligation
from grc.policies import services
from grc.policies.catalogue import BUILTIN_BY_CODE, BUILTIN_TYPES, IR_PLAN, document_types_ensure, required_by_dpp
from grc.policies.models import DocumentType
from grc.policies.obligations import check_document
from grc.policies.rules import missing_parts, parse_number
from grc.policies.selectors import documents_evidence, version_in_force_at
from tests.conftest import signed_in
from tests.policies.conftest import NOW, SECTIONS, TYPES

pytestmark = pytest.mark.django_db

EXPECTED_TYPES = {
    # code: (clause, months, review kind)
    "ir_plan": ("1.6", 6, "policies.ir_plan_review"),
    "privacy_policy": ("2.2", 12, "policies.document_review"),
    "data_classification": ("2.2", 12, "policies.document_review"),
    "vuln_runbook": ("2.7", 12, "policies.vuln_runbook_review"),
    "risk_process": ("1.6", 12, "policies.risk_process_review"),
    "access_control": ("1.2", 12, "policies.access_policy_review"),
    "acceptable_use": ("2.2", 12, "policies.document_review"),
    "backup_restore": ("2.7", 12, "policies.backup_plan_review"),
}


def complete_content(type_: DocumentType) -> dict:
    """Text for every section and list, and a number for every field, of a type."""
    return {
        "sections": {s["key"]: f"Our rule for {s['title'].lower()}." for s in type_.sections},
        "lists": {e["key"]: ["One item"] for e in type_.lists},
        "values": {f["key"]: 4 for f in type_.fields},
    }


def approved(code: str, lead, approver, *, at: datetime = NOW, requires_acknowledgement: bool | None = None):
    """A document of ``code`` with version 1 (complete) approved at ``at``."""
    document_types_ensure()
    type_ = DocumentType.objects.get(code=code)
    document = services.document_create(type=type_, title=type_.name, owner=lead, approver=approver, by=lead, now=at - timedelta(days=2))
    draft = document.versions.get()
    services.version_update(
        version=draft,
        change_summary="First",
        by=lead,
        now=at - timedelta(days=1),
        requires_acknowledgement=requires_acknowledgement,
        **complete_content(type_),
    )
    services.version_approve(version=draft, by=approver, step_up_at=at, now=at)
    document.refresh_from_db()
    return document


# --- the catalogue ---------------------------------------------------------------------------------
def test_the_library_ships_every_governed_document_of_the_programme():
    assert {entry["code"]: (entry["clause"], entry["review_period_months"], entry["review_kind"]) for entry in BUILTIN_TYPES} == (
        EXPECTED_TYPES
    )
    for entry in BUILTIN_TYPES:
        assert cadence_for(entry["review_kind"]).clause == entry["clause"], entry["code"]
        assert any(section["required"] for section in entry["sections"]), entry["code"]


def test_the_migrations_created_every_type_with_its_fields():
    types = {t.code: t for t in DocumentType.objects.all()}
    assert set(EXPECTED_TYPES) <= set(types)
    assert [f["key"] for f in types["backup_restore"].fields] == ["rto_hours", "rpo_hours"]
    assert types["privacy_policy"].acknowledgement_default and types["acceptable_use"].acknowledgement_default
    assert not types["ir_plan"].acknowledgement_default and types["ir_plan"].review_period_months == 6


def test_ensuring_the_types_never_overwrites_what_the_lead_adapted():
    DocumentType.objects.filter(code="privacy_policy").update(name="Our privacy policy", review_period_months=6)
    assert document_types_ensure() == 0
    kept = DocumentType.objects.get(code="privacy_policy")
    assert kept.name == "Our privacy policy" and kept.review_period_months == 6


def test_the_classification_policy_has_a_required_section_per_shared_level():
    sections = BUILTIN_BY_CODE["data_classification"]["sections"]
    level_sections = [s for s in sections if s["key"].startswith("level_")]
    assert [s["key"] for s in level_sections] == [f"level_{level.code}" for level in LEVELS]
    assert all(s["required"] for s in level_sections)
    assert "Restricted (PII)" in level_sections[-1]["title"]


def test_a_data_store_s_level_follows_from_the_inventory():
    assert level_for(holds_pii=True, holds_amazon_information=False) == RESTRICTED
    assert level_for(holds_pii=False, holds_amazon_information=True).code == "confidential"
    assert level_for(holds_pii=False, holds_amazon_information=False).code == "internal"
    assert [level.rank for level in LEVELS] == sorted(level.rank for level in LEVELS)


def test_the_dpp_itself_asks_for_some_documents_only():
    assert required_by_dpp("privacy_policy") and required_by_dpp("vuln_runbook") and required_by_dpp("ir_plan")
    assert not required_by_dpp("acceptable_use") and not required_by_dpp("something_the_lead_added")


# --- required parts and numeric values -------------------------------------------------------------
def test_numeric_fields_are_required_parts_and_zero_is_a_number():
    fields = BUILTIN_BY_CODE["backup_restore"]["fields"]
    args = {"sections": [], "lists": [], "section_text": {}, "list_items": {}, "fields": fields}
    assert missing_parts(**args, field_values={}) == ["Recovery time objective (RTO)", "Recovery point objective (RPO)"]
    assert missing_parts(**args, field_values={"rto_hours": 4, "rpo_hours": 0}) == []
    assert missing_parts(**args, field_values={"rto_hours": "", "rpo_hours": -1}) == [
        "Recovery time objective (RTO)",
        "Recovery point objective (RPO)",
    ]


def test_numbers_are_parsed_strictly():
    assert parse_number("4") == 4.0 and parse_number(0) == 0.0 and parse_number("1.5") == 1.5
    for bad in (None, "", "  ", "four", -2, True, float("nan"), float("inf")):
        assert parse_number(bad) is None, bad


def test_the_backup_plan_cannot_be_approved_without_rto_and_rpo(lead, manager):
    document_types_ensure()
    type_ = DocumentType.objects.get(code="backup_restore")
    document = services.document_create(type=type_, title="Backup plan", owner=lead, approver=manager, by=lead, now=NOW)
    draft = document.versions.get()
    content = complete_content(type_)
    services.version_update(version=draft, sections=content["sections"], lists={}, change_summary="", by=lead, now=NOW)
    with pytest.raises(ValidationError, match="Recovery time objective"):
        services.version_approve(version=draft, by=manager, step_up_at=NOW, now=NOW)
    with pytest.raises(ValidationError):
        services.version_update(version=draft, sections={}, lists={}, values={"rto_hours": "soon"}, change_summary="", by=lead, now=NOW)
    services.version_update(
        version=draft, sections={}, lists={}, values={"rto_hours": "4", "rpo_hours": 24}, change_summary="", by=lead, now=NOW
    )
    draft.refresh_from_db()
    assert draft.values == {"rto_hours": 4.0, "rpo_hours": 24.0}
    services.version_approve(version=draft, by=manager, step_up_at=NOW, now=NOW)
    changes = [e.details["changed_fields"] for e in AuditEvent.objects.filter(action="policies.documentversion.updated")]
    assert ["value:rpo_hours", "value:rto_hours"] in changes


# --- review obligations per type -------------------------------------------------------------------
@pytest.mark.parametrize("code", sorted(EXPECTED_TYPES))
def test_every_document_s_review_is_an_obligation_of_its_clause_and_period(code, lead, manager):
    document = approved(code, lead, manager)
    clause, months, kind = EXPECTED_TYPES[code]
    obligation = open_obligation(kind, document)
    assert obligation is not None and obligation.clause == clause and obligation.owner == manager
    expected_due = datetime(2027, 9, 10, 9, 0, tzinfo=UTC) if months == 6 else datetime(2028, 3, 10, 9, 0, tzinfo=UTC)
    assert obligation.due_at == expected_due == document.review_due_at
    assert provider_for(kind) is not None
    later = NOW + timedelta(days=40)
    services.document_review_sign(document=document, reviewer=manager, outcome="no_change", note="", step_up_at=later, now=later)
    assert open_obligation(kind, document).anchor_at == later


def test_the_review_period_is_the_type_s_so_the_lead_can_shorten_it(lead, manager):
    document_types_ensure()
    DocumentType.objects.filter(code="acceptable_use").update(review_period_months=3)
    document = approved("acceptable_use", lead, manager)
    assert open_obligation("policies.document_review", document).due_at == datetime(2027, 6, 10, 9, 0, tzinfo=UTC)


def test_the_vulnerability_runbook_is_also_reviewed_after_a_major_change(lead, manager):
    runbook = approved("vuln_runbook", lead, manager)
    change = services.major_change_log(
        document=runbook, summary="New scanner", category="controls", changed_at=NOW, systems="", by=lead, now=NOW
    )
    assert (
        open_obligation("policies.major_change_review", change).title == "Review the vulnerability-management runbook after a major change"
    )


# --- uploaded files -------------------------------------------------------------------------------
def test_a_version_can_carry_an_uploaded_file_with_its_hash(lead, manager, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document_types_ensure()
    type_ = DocumentType.objects.get(code="acceptable_use")
    document = services.document_create(type=type_, title="Acceptable use", owner=lead, approver=manager, by=lead, now=NOW)
    draft = document.versions.get()
    upload = SimpleUploadedFile("Acceptable use v1.pdf", b"%PDF-1.4 signed policy", content_type="application/pdf")
    services.version_update(version=draft, sections={}, lists={}, change_summary="", by=lead, now=NOW, upload=upload)
    draft.refresh_from_db()
    assert draft.file_name == "Acceptable use v1.pdf" and len(draft.file_sha256) == 64
    assert not draft.file.name.endswith("Acceptable use v1.pdf")  # stored under a random name
    response = signed_in(client, manager).get(reverse("policy_library:version_file", args=[draft.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 signed policy"
    assert AuditEvent.objects.filter(action="download", object_id=str(draft.pk)).exists()


def test_a_file_that_is_not_a_document_is_refused(lead, manager):
    document_types_ensure()
    document = services.document_create(
        type=DocumentType.objects.get(code="acceptable_use"), title="AUP", owner=lead, approver=manager, by=lead, now=NOW
    )
    with pytest.raises(ValidationError) as error:
        services.version_update(
            version=document.versions.get(),
            sections={},
            lists={},
            change_summary="",
            by=lead,
            now=NOW,
            upload=SimpleUploadedFile("run.exe", b"MZ"),
        )
    assert "file" in error.value.message_dict


def test_a_version_without_a_file_has_no_download(lead, manager, client):
    document = approved("access_control", lead, manager)
    response = signed_in(client, lead).get(reverse("policy_library:version_file", args=[document.current_version_id]))
    assert response.status_code == 404


# --- the live checks ------------------------------------------------------------------------------
def test_each_type_has_a_live_check_under_its_clause():
    for entry in BUILTIN_TYPES:
        names = [name for name, _ in checks_for(entry["clause"])]
        expected = "policies.ir_plan" if entry["code"] == IR_PLAN else f"{entry['name']} approved and reviewed"
        assert expected in names, entry["code"]


def test_a_missing_document_is_not_met_where_the_dpp_asks_for_it_and_at_risk_otherwise():
    document_types_ensure()
    privacy = check_document("privacy_policy", NOW)
    assert (privacy.status, privacy.reason) == ("not_met", "no approved privacy and data-handling policy yet")
    assert check_document("acceptable_use", NOW).status == "at_risk"


def test_an_approved_document_is_met_then_at_risk_then_not_met_as_its_review_nears(lead, manager):
    document = approved("backup_restore", lead, manager)
    result = check_document("backup_restore", NOW + timedelta(days=30))
    assert result.status == "met" and result.url == document.get_absolute_url()
    assert result.reason == "Backup and restore plan version 1 in force; approved 30 days ago, not reviewed since; due every 12 months"
    assert check_document("backup_restore", document.review_due_at - timedelta(days=10)).status == "at_risk"
    late = check_document("backup_restore", document.review_due_at + timedelta(days=2))
    assert late.status == "not_met" and "the review is overdue by 2 days" in late.reason


def test_overdue_acknowledgements_put_the_policy_at_risk(lead, manager, staff):
    approved("privacy_policy", lead, manager)
    soon = check_document("privacy_policy", NOW + timedelta(days=5))
    assert soon.status == "met" and "acknowledged by 0 of 3" in soon.reason
    late = check_document("privacy_policy", NOW + timedelta(days=31))
    assert late.status == "at_risk" and "(3 acknowledgements overdue)" in late.reason


# --- the evidence pack's reads --------------------------------------------------------------------
def test_the_evidence_shows_the_version_in_force_its_approval_and_the_reviews_of_the_period(lead, manager, django_assert_max_num_queries):
    plan = approved("ir_plan", lead, manager, at=datetime(2027, 1, 5, 9, tzinfo=UTC))
    services.document_review_sign(
        document=plan,
        reviewer=manager,
        outcome="no_change",
        note="",
        step_up_at=datetime(2027, 2, 1, tzinfo=UTC),
        now=datetime(2027, 2, 1, tzinfo=UTC),
    )
    draft = services.version_draft_create(document=plan, by=lead, now=datetime(2027, 4, 2, tzinfo=UTC))
    services.version_approve(version=draft, by=manager, step_up_at=datetime(2027, 4, 3, tzinfo=UTC), now=datetime(2027, 4, 3, tzinfo=UTC))
    approved("backup_restore", lead, lead, at=datetime(2027, 1, 20, tzinfo=UTC))
    with django_assert_max_num_queries(6):
        evidence = {e.code: e for e in documents_evidence(date(2027, 1, 1), date(2027, 3, 31))}
    ir = evidence["ir_plan"]
    assert ir.version_at_end.number == 1 and ir.current_version.number == 2  # v2 came after the period
    assert ir.approval.approved_by == manager.get_full_name() and ir.approval.step_up_at == datetime(2027, 1, 5, 9, tzinfo=UTC)
    assert [r.reviewed_at for r in ir.reviews] == [datetime(2027, 2, 1, tzinfo=UTC)] and ir.reviewed_in_period
    assert [v.number for v in ir.versions_approved] == [1] and ir.missing_parts == []
    assert evidence["backup_restore"].version_at_end.values == {"rto_hours": 4.0, "rpo_hours": 4.0}
    assert evidence["backup_restore"].reviews == []
    april = documents_evidence(date(2027, 4, 1), date(2027, 4, 30), codes=["ir_plan"])[0]
    assert april.version_at_end.number == 2 and april.reviews == []


def test_the_evidence_counts_acknowledgements_as_they_stood_at_the_end(lead, manager, staff):
    from grc.policies.acknowledgements import acknowledgement_record

    policy = approved("privacy_policy", lead, manager)
    acknowledgement_record(version=policy.current_version, user=staff, now=NOW + timedelta(days=3))
    acknowledgement_record(version=policy.current_version, user=lead, now=NOW + timedelta(days=50))
    [evidence] = documents_evidence(NOW - timedelta(days=1), NOW + timedelta(days=40), codes=["privacy_policy"])
    assert evidence.acknowledgements == {"asked": 3, "done": 1, "outstanding": 2, "overdue": 2}


def test_a_version_in_force_is_the_last_approved_before_the_moment():
    from grc.policies.models import DocumentVersion

    v1 = DocumentVersion(number=1, approved_at=datetime(2027, 1, 1, tzinfo=UTC))
    v2 = DocumentVersion(number=2, approved_at=datetime(2027, 5, 1, tzinfo=UTC))
    draft = DocumentVersion(number=3)
    assert version_in_force_at([v1, v2, draft], datetime(2027, 3, 1, tzinfo=UTC)) is v1
    assert version_in_force_at([v1, v2, draft], datetime(2027, 6, 1, tzinfo=UTC)) is v2
    assert version_in_force_at([v1], datetime(2026, 12, 1, tzinfo=UTC)) is None


def test_the_ir_plan_keeps_its_incident_types_and_sections(approved_plan):
    assert approved_plan.current_version.sections == SECTIONS and approved_plan.current_version.lists == TYPES
