"""The Amazon answers and the readiness checklist of DPP 1.1, 1.2, 1.4, 2, 2.3, 2.5 and 2.6 are told
from the control register: they name the company's in-scope systems, turn red when a system falls
short or is not yet recorded, and no longer carry fixed sentences about the portal alone.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from access_reviews.services.registry import account_create, account_update, system_create
from grc.controls.selectors import register_facts
from grc.controls.services import control_entry_save
from grc.kit.questionnaire.drafts import all_drafts
from grc.kit.questionnaire.records import Records
from grc.kit.readiness import readiness_checklist
from tests.controls.register import build_register

pytestmark = pytest.mark.django_db

REMOVED = (  # fixed sentences no record supported
    "Every account also needs a second factor",
    "We use PII only for tax",
    "never sell",
    "never production PII",
    "tests use made-up or masked data",
    "Security events go to a tamper-evident audit trail kept",
)


@pytest.fixture
def register(lead):
    """At the real moment, so the pages can be read by a signed-in client too."""
    return build_register(lead, timezone.now())


def save(register, area: str, changes: dict, *, system: int = 0):
    target = {"data_store": register["store"]} if area == "purpose" else {"system": register["systems"][system]}
    now = register["now"]
    control_entry_save(
        area=area, raw=changes, owner=register["lead"], as_of=now.date(), by=register["lead"], now=now, partial=True, **target
    )


def drafts(now=None) -> dict:
    return {draft.area.key: draft for draft in all_drafts(Records(now or timezone.now()))}


def item(clause: str, key: str, now=None):
    return next(entry for entry in readiness_checklist(clause, now or timezone.now()).items if entry.key == key)


def register_gaps(draft, area: str) -> list[str]:
    """The red sentences of a draft fixed on the register page of ``area``."""
    url = reverse("controls:index") + f"?area={area}"
    return [claim.text for claim in draft.gaps if claim.fix is not None and claim.fix.url == url]


def test_the_answers_name_each_in_scope_system_from_its_records_and_carry_no_fixed_sentences(register):
    answers = drafts()
    assert (
        "Logs of 2 of 3 in-scope systems go to a SIEM with alerting (AWS production and Order DB) and are kept at least 365 days."
        in answers["logging"].text
    )
    assert "go to a log store reviewed by hand at least every 14 days (DPP compliance portal)" in answers["logging"].text
    assert "Accounts lock after at most 5 failed sign-ins on all 3 in-scope systems" in answers["access"].text
    assert "All 3 enabled human accounts on 3 in-scope systems have MFA." in answers["credentials"].text
    assert "AWS production and Order DB (all 3 in-scope systems) enforce MFA for all users" in answers["credentials"].text
    assert "Firewalls or network ACLs deny unauthorised addresses on all 3 in-scope systems" in answers["network"].text
    assert "Data-loss controls are recorded on all 3 in-scope systems" in answers["assets"].text
    assert "email monitored and alerted on 3" in answers["assets"].text
    assert "Credentials are kept out of the code on all 3 in-scope systems" in answers["secure_coding"].text
    assert "no production PII is used in tests, on all 3 in-scope systems" in answers["pii_testing"].text
    assert "PII-DB-1 uses it for tax and merchant-fulfilled shipping only." in answers["pii_need"].text
    page = reverse("controls:index")
    for key, draft in answers.items():  # everything is recorded and within the DPP: no red sentence points at the register
        assert not [c.text for c in draft.gaps if c.fix is not None and c.fix.url.startswith(page)], key
    text = "\n".join(draft.text for draft in answers.values())
    for removed in REMOVED:
        assert removed not in text, removed
    assert "Priya" not in text and "Shah" not in text  # the owner of every entry is never named


def test_the_register_claims_link_to_the_register_page_of_their_area(register):
    answers = drafts()
    claim = next(c for c in answers["logging"].claims if c.text.startswith("Logs of 2 of 3"))
    assert [source.url for source in claim.sources] == [reverse("controls:index") + "?area=logging"]
    claim = next(c for c in answers["assets"].claims if c.text.startswith("Data-loss controls"))
    assert claim.sources[0].url == reverse("controls:index") + "?area=dlp"


def test_a_system_keeping_logs_60_days_turns_the_logging_answers_red_and_naming_it(register):
    save(register, "logging", {"retention_days": "60"})
    answers = drafts()
    for key in ("logging", "monitoring_ir"):
        gaps = register_gaps(answers[key], "logging")
        assert gaps == [
            "1 of 3 in-scope systems falls short of DPP 2.6 (logging and monitoring). AWS production: logs kept 60 days (90 required)."
        ], key
    assert "go to a SIEM with alerting (Order DB) and are kept at least 365 days" in answers["logging"].text
    assert "(AWS production and Order DB)" not in answers["logging"].text
    logging = item("2.6", "logging")
    assert logging.status == "not_met" and "AWS production: logs kept 60 days (90 required)" in logging.detail
    assert logging.fix.url == reverse("controls:index") + "?area=logging"

    save(register, "logging", {"retention_days": "365"})
    answers = drafts()
    assert not register_gaps(answers["logging"], "logging") and not answers["logging"].has_gaps
    assert item("2.6", "logging").status == "met"


def test_an_account_without_mfa_turns_the_credentials_and_password_answers_red(register):
    assert not [claim for claim in drafts()["credentials"].gaps if "MFA" in claim.text]
    account = account_create(
        data={"system": register["systems"][1], "name": "sam@example.com", "privilege": "admin", "mfa": "no", "enabled": True},
        by=register["lead"],
        now=register["now"],
    )
    answers = drafts()
    for key in ("credentials", "passwords"):
        gap = next(claim for claim in answers[key].gaps if "without MFA" in claim.text)
        assert gap.text == "1 enabled human account without MFA on 1 in-scope system: Order DB (1)."
        assert gap.fix.url == reverse("access_reviews:account_list") + "?flag=no_mfa"
        assert "sam" not in answers[key].text
    mfa = item("1.4", "mfa")
    assert mfa.status == "not_met" and mfa.detail == "1 enabled human account without MFA on 1 in-scope system: Order DB (1)."

    account_update(account=account, data={"mfa": "yes"}, by=register["lead"], now=register["now"])
    assert "All 4 enabled human accounts on 3 in-scope systems have MFA." in drafts()["credentials"].text
    assert item("1.4", "mfa").status == "met"


def test_weaker_settings_of_one_system_are_named_in_the_verdicts_own_words(register):
    save(register, "identity", {"password_min_length": "8", "lockout_threshold": "0"}, system=1)
    save(register, "dlp", {"public_links": "none"})
    save(register, "secrets", {"production_pii_in_tests": "yes"}, system=1)
    save(register, "network", {"public_access": "open"}, system=1)
    answers = drafts()
    assert register_gaps(answers["credentials"], "identity") == [
        "1 of 3 in-scope systems falls short of DPP 1.4 (identity settings). Order DB: passwords need only 8 characters (12 required)."
    ]
    assert register_gaps(answers["access"], "identity") == [
        "1 of 3 in-scope systems falls short of DPP 1.2 (account lockout). Order DB: accounts never lock after failed sign-ins."
    ]
    assert register_gaps(answers["assets"], "dlp") == [
        "1 of 3 in-scope systems falls short of DPP 2.3 (data-loss prevention). AWS production: no data-loss control on public links."
    ]
    for key in ("secure_coding", "pii_testing", "credentials_code"):
        assert register_gaps(answers[key], "secrets") == [
            "1 of 3 in-scope systems falls short of DPP 2.5 (secrets and environments). Order DB: production PII is used in tests."
        ], key
    assert "on 2 of 3 in-scope systems (DPP compliance portal and AWS production)" in answers["pii_testing"].text
    assert "Order DB: publicly reachable by anyone, not only approved users." in register_gaps(answers["network"], "network")[0]
    assert item("1.1", "network").status == "not_met" and item("1.2", "lockout").status == "not_met"
    assert (
        item("1.4", "password_rules").status == "not_met"
        and "Order DB: passwords need only 8 characters" in item("1.4", "password_rules").detail
    )
    assert item("2.3", "dlp").status == "not_met" and item("2.5", "secrets").status == "not_met"


def test_a_system_without_records_is_named_as_not_yet_recorded(register):
    system_create(
        data={"name": "Label printer", "owner": register["lead"], "holds_amazon_information": True},
        by=register["lead"],
        now=register["now"],
    )
    answers = drafts()
    for key, area in (
        ("network", "network"),
        ("access", "identity"),
        ("credentials", "identity"),
        ("assets", "dlp"),
        ("secure_coding", "secrets"),
        ("logging", "logging"),
    ):
        gaps = register_gaps(answers[key], area)
        assert len(gaps) == 1 and gaps[0].startswith("1 of 4 in-scope systems falls short of DPP"), (key, gaps)
        assert gaps[0].endswith(". Label printer: not yet recorded."), (key, gaps)
    for clause, key in (
        ("1.1", "network"),
        ("1.2", "lockout"),
        ("1.4", "password_rules"),
        ("2.3", "dlp"),
        ("2.5", "secrets"),
        ("2.6", "logging"),
    ):
        entry = item(clause, key)
        assert entry.status == "not_met" and "not yet recorded for Label printer" in entry.detail, clause


def test_a_purpose_other_than_tax_and_shipping_is_red_and_its_reason_never_printed(register):
    save(register, "purpose", {"purposes": "tax;other", "other_reason": "marketing emails"})
    answer = drafts()["pii_need"]
    assert register_gaps(answer, "purpose") == [
        "1 of 1 data store holding PII falls short of DPP 2 (purpose of PII). "
        "PII-DB-1: PII used for a purpose other than tax and merchant-fulfilled shipping (a finding)."
    ]
    assert "marketing" not in answer.text and "uses it for" not in answer.text
    assert item("2", "purpose").status == "not_met"


def test_with_only_the_portal_in_scope_the_answers_say_the_company_systems_are_missing(lead):
    answers = drafts()
    alone = "No in-scope system besides this portal is in the system registry yet."
    for key in ("network", "access", "credentials", "passwords", "assets", "secure_coding", "logging", "monitoring_ir"):
        gaps = [claim for claim in answers[key].gaps if claim.text == alone]
        assert len(gaps) == 1 and gaps[0].fix.url == reverse("access_reviews:system_list"), key  # said once, even where sections join
    assert "PII-DB" not in answers["pii_need"].text
    assert "No data store holding PII is recorded in the asset inventory" in answers["pii_need"].text
    assert item("2.6", "logging").status == "not_met" and item("1.4", "mfa").status == "not_met"
    all_text = "\n".join(draft.text for draft in answers.values())
    for removed in REMOVED:
        assert removed not in all_text, removed


def test_the_readiness_items_of_1_4_and_2_6_read_the_registers_results(register):
    facts = register_facts(timezone.now())
    for clause, key, result in (
        ("1.4", "mfa", facts.account_mfa()),
        ("1.4", "password_rules", facts.result("1.4")),
        ("2.6", "logging", facts.result("2.6")),
    ):
        entry = item(clause, key)
        assert entry.status == "met" == result.status, (clause, key)
        assert entry.detail == result.reason[:1].upper() + result.reason[1:] + "."
        assert entry.evidence[0].url == result.url
    assert item("2.6", "log_retention").asks.startswith("This portal's own audit trail")


def test_the_questionnaire_page_shows_the_systems_and_the_red_gap(register, lead_client):
    save(register, "logging", {"retention_days": "60"})
    page = lead_client.get(reverse("kit:questionnaire")).content.decode()
    assert "Logs of 1 of 3 in-scope systems go to a SIEM with alerting (Order DB)" in page
    assert "AWS production: logs kept 60 days (90 required)." in page
    assert reverse("controls:index") + "?area=logging" in page
