"""Questionnaire answers drafted from live records: red marks follow the records, no PII, edits saved."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access_reviews.models import Account, Mfa, Person, System
from assets.models import Asset, AssetKind, DataStore
from grc.audit.models import AuditEvent
from grc.kit.models import QuestionnaireAnswer
from grc.kit.questionnaire.drafts import all_drafts, draft_for
from grc.kit.questionnaire.records import Records
from grc.kit.questionnaire.services import answer_rows, answers_save
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
_tags = itertools.count(1)
SECRET_MARKER = "Zq9-SECRET-do-not-print"
NOTE_MARKER = "Call Rosalind Featherstonehaugh on +44 20 7946 0991"


def make_store(owner, *, tag: str = "", pii: bool = True, algorithm: str = "aes", bits: int | None = 256, **store) -> Asset:
    """A live data store straight in the inventory tables (the drafts only read them)."""
    asset = Asset.objects.create(
        tag=tag or f"DS-{next(_tags):04d}",
        name=f"Orders database {next(_tags)}",
        kind=AssetKind.DATA_STORE,
        owner=owner,
        environment="production",
        location="eu-west-1 account 123456789012",
        holds_pii=pii,
        holds_amazon_information=True,
        encryption_algorithm=algorithm,
        encryption_key_bits=bits if algorithm else None,
        notes=NOTE_MARKER,
    )
    defaults = {
        "attribution": "separate",
        "keys_service_only": True,
        "pii_retention_days": 30,
        "key_holders": NOTE_MARKER,
        "backup_procedure": f"nightly; key {SECRET_MARKER}",
        "rop_data_fields": "buyer name, shipping address",
    }
    DataStore.objects.create(asset=asset, **{**defaults, **store})
    return asset


def draft_text(key: str) -> str:
    return draft_for(key, Records(timezone.now())).text


def test_a_pii_store_without_encryption_is_marked_red_until_encryption_is_recorded(lead):
    make_store(lead, tag="DS-GOOD")
    plain = [make_store(lead, tag=f"DS-PLAIN-{n}", algorithm="") for n in range(3)]
    draft = draft_for("encryption_rest", Records(timezone.now()))
    gaps = [claim.text for claim in draft.gaps]
    assert "3 data stores hold PII with no encryption recorded (DS-PLAIN-0, DS-PLAIN-1 and DS-PLAIN-2)." in gaps
    assert draft.facts["PII stores not encrypted"] == 3
    fix = next(claim.fix for claim in draft.gaps if claim.fix)
    assert fix.url == reverse("assets:detail", args=[plain[0].pk])

    Asset.objects.filter(pk__in=[asset.pk for asset in plain]).update(encryption_algorithm="aes", encryption_key_bits=256)

    draft = draft_for("encryption_rest", Records(timezone.now()))
    assert not draft.has_gaps
    assert "All 4 data stores holding PII are encrypted at rest (AES-256)." in draft.text


def test_weak_encryption_is_a_gap_of_its_own(lead):
    make_store(lead, tag="DS-WEAK", algorithm="rsa", bits=1024)
    assert "1 data store holds PII with encryption below AES-128/RSA-2048 (DS-WEAK)." in [
        c.text for c in draft_for("storage", Records(timezone.now())).gaps
    ]


def test_mfa_coverage_comes_from_the_accounts_of_each_in_scope_system(lead):
    system = System.objects.create(name="Order service", owner=lead)
    person = Person.objects.create(person_id="E-1", first_name="Ada", last_name="Quell")
    for n, mfa in enumerate([Mfa.YES, Mfa.YES, Mfa.YES, Mfa.NO]):
        Account.objects.create(system=system, name=f"acct{n}", name_index=f"idx{n}", person=person, mfa=mfa)
    draft = draft_for("credentials", Records(timezone.now()))
    assert "1 enabled human account without MFA on 1 in-scope system: Order service (1)." in [claim.text for claim in draft.gaps]
    Account.objects.filter(mfa=Mfa.NO).update(mfa=Mfa.YES)
    text = draft_text("credentials")
    assert "without MFA" not in text
    assert "All 5 enabled human accounts on 2 in-scope systems have MFA." in text  # the lead's portal account is the fifth


def test_the_password_answer_says_what_the_validators_really_enforce(settings):
    text = draft_text("passwords")
    assert "at least 12 characters with upper-case letters, lower-case letters, digits and special characters" in text
    assert "may not contain any part of the user's name" in text and "expiry after 365 days" in text
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}}
    ]
    draft = draft_for("passwords", Records(timezone.now()))
    assert "This portal (DPP compliance portal): passwords need at least 8 characters." in draft.text
    assert any("DPP compliance portal: passwords need only 8 characters (12 required)" in c.text for c in draft.gaps)


def test_scan_and_pen_test_dates_and_the_ir_plan_review_are_drafted(lead):
    from assets.models import PenetrationTest, VulnerabilityScan

    now = timezone.now()
    VulnerabilityScan.objects.create(performed_at=now - timedelta(days=200), tool="scanner", scope="prod", recorded_by=lead)
    PenetrationTest.objects.create(performed_at=now - timedelta(days=20), tester="Acme Security", scope="prod", recorded_by=lead)
    draft = draft_for("vulnerability", Records(now))
    scan = next(c for c in draft.claims if "last vulnerability scan" in c.text)
    assert scan.gap and "the next one is overdue" in scan.text
    pentest = next(c for c in draft.claims if "last penetration test" in c.text)
    assert not pentest.gap and "Acme" not in draft.text  # the tester's name is free text: never drafted
    assert any("No approved vulnerability-management runbook" in c.text for c in draft.gaps)
    assert "No approved incident response plan" in draft_text("risk_ir")


def test_drafts_never_include_names_emails_free_text_or_secrets(lead, manager, staff):
    make_store(lead, tag="DS-1", algorithm="")
    system = System.objects.create(name="Order service", owner=lead, description=NOTE_MARKER)
    person = Person.objects.create(person_id="E-77", first_name="Rosalind", last_name="Featherstonehaugh", email="rosalind@example.test")
    Account.objects.create(system=system, name="rosalind@example.test", name_index="x1", person=person, mfa=Mfa.NO, purpose=SECRET_MARKER)
    Asset.objects.create(
        tag="CR-1",
        name="LWA secret",
        kind=AssetKind.CREDENTIAL,
        owner=staff,
        credential_type="amazon_lwa",
        location=f"vault path {SECRET_MARKER}",
        access_holders=NOTE_MARKER,
    )
    text = "\n".join(draft.text for draft in all_drafts(Records(timezone.now())))
    forbidden = [
        SECRET_MARKER,
        "Rosalind",
        "Featherstonehaugh",
        "rosalind@example.test",
        "+44",
        "eu-west-1",
        "123456789012",
        "Orders database",
        "Priya",
        "Shah",
        "Becker",
        "Wong",
        "priya.shah@example.test",
        "LWA secret",
        "vault path",
        "shipping address",
    ]
    for value in forbidden:
        assert value not in text, value
    assert "3p-security@amazon.com" in text  # the one address the DPP itself names


def test_a_draft_that_would_name_a_person_is_withheld(lead):
    Person.objects.create(person_id="E-9", first_name="Imogen", last_name="Tallis")
    make_store(lead, tag="IMOGEN-TALLIS-SHEET", algorithm="")
    drafts = {draft.area.key: draft for draft in all_drafts(Records(timezone.now()))}
    assert "Imogen" not in " ".join(draft.text for draft in drafts.values()).title().replace("Imogen-Tallis", "")
    assert drafts["encryption_rest"].text == "The draft was withheld: it would have contained personal data. Write this answer by hand."
    assert drafts["encryption_rest"].has_gaps


def test_edited_answers_are_saved_audited_and_fall_back_to_the_live_draft(lead):
    now = timezone.now()
    saved = answers_save(values={"transit": ("We use TLS 1.3 everywhere.", 500)}, by=lead, now=now)
    assert saved == 1
    answer = QuestionnaireAnswer.objects.get(area="transit")
    assert (answer.text, answer.char_limit, answer.updated_by) == ("We use TLS 1.3 everywhere.", 500, lead)
    event = AuditEvent.objects.get(action="compliance.questionnaireanswer.created")
    assert "TLS" not in event.message and event.details["changed_fields"] == ["char_limit", "text"]
    rows = {row.area.key: row for row in answer_rows(now)}
    assert rows["transit"].edited and rows["transit"].text == "We use TLS 1.3 everywhere."
    assert not rows["network"].edited and rows["network"].text == rows["network"].draft.text

    # the records change: the lead is told the draft moved since the edit
    make_store(lead, tag="DS-NEW", algorithm="")
    assert not {row.area.key: row for row in answer_rows(now)}["transit"].records_changed
    assert {row.area.key: row for row in answer_rows(now)}["transit"].saved.draft_digest
    # setting it back to the draft with the default limit makes it follow the live draft again
    draft = rows["transit"].draft.text
    answers_save(values={"transit": (draft, 1000)}, by=lead, now=now)
    assert not QuestionnaireAnswer.objects.filter(area="transit").exists()


def test_an_answer_over_its_limit_is_refused(lead):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        answers_save(values={"transit": ("x" * 120, 100)}, by=lead, now=timezone.now())
    assert "120 characters; the limit is 100" in str(error.value)
    assert not QuestionnaireAnswer.objects.exists()


def test_the_page_saves_edits_and_refuses_over_long_answers(lead_client, lead):
    page = lead_client.get(reverse("kit:questionnaire"))
    assert page.status_code == 200
    form = page.context["form"]
    data = {}
    for row in page.context["rows"]:
        data[f"answer-{row.area.key}"] = row.text
        data[f"limit-{row.area.key}"] = row.limit
    data["answer-passwords"] = "Our passwords have 14 characters at least."
    assert form is not None
    response = lead_client.post(reverse("kit:questionnaire_save"), data)
    assert response.status_code == 302
    assert QuestionnaireAnswer.objects.get(area="passwords").text == "Our passwords have 14 characters at least."
    assert QuestionnaireAnswer.objects.count() == 1  # untouched drafts stay live
    data["answer-transit"] = "y" * 1001
    response = lead_client.post(reverse("kit:questionnaire_save"), data)
    assert response.status_code == 400
    assert "1001 characters: shorten it to 1000" in response.content.decode()
    assert not QuestionnaireAnswer.objects.filter(area="transit").exists()


def test_auditors_read_the_answers_but_cannot_save_and_managers_and_staff_cannot_read(auditor, manager, staff):
    auditor_client = signed_in(Client(), auditor)
    page = auditor_client.get(reverse("kit:questionnaire"))
    assert page.status_code == 200 and page.context["form"] is None
    assert b'name="answer-' not in page.content
    assert auditor_client.post(reverse("kit:questionnaire_save"), {}).status_code == 403
    assert signed_in(Client(), manager).get(reverse("kit:questionnaire")).status_code == 403
    assert signed_in(Client(), manager).get(reverse("kit:readiness")).status_code == 200
    assert signed_in(Client(), staff).get(reverse("kit:index")).status_code == 403


@pytest.mark.parametrize("stores", [10, 500])
def test_the_questionnaire_page_costs_the_same_queries_for_10_or_500_stores(lead, lead_client, stores, django_assert_max_num_queries):
    assets = Asset.objects.bulk_create(
        [Asset(tag=f"BULK-{n:04d}", name="store", kind=AssetKind.DATA_STORE, owner=lead, holds_pii=True) for n in range(stores)]
    )
    DataStore.objects.bulk_create([DataStore(asset=asset) for asset in assets])
    lead_client.get(reverse("kit:questionnaire"))
    with django_assert_max_num_queries(QUERIES):
        response = lead_client.get(reverse("kit:questionnaire"))
    assert response.status_code == 200
    assert f"{stores} data stores hold PII with no encryption recorded" in response.content.decode()


QUERIES = 44  # pinned: session, user, device, ~20 aggregate reads of the records, the control register (+1: its AWS connections), attestations, the training check (3), answers, latest submission, checks
