"""DPP 1.1, 1.2, 1.4, 2, 2.3, 2.5 and 2.6 judged over the company's in-scope systems from the register.

Each case changes one record, asserts that the clause's status moves, changes it back and asserts
that it returns: a status that cannot move is a status that says nothing. The portal row alone
never makes a clause met, and a missing record is "not yet recorded", never met.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from access_reviews.models import Account, System
from access_reviews.services.registry import account_create, account_update, system_create
from grc.compliance.models import Obligation
from grc.compliance.posture import RequirementState
from grc.compliance.registry import checks_for, evaluation
from grc.compliance.selectors import requirement_row
from grc.controls.checks import ACCOUNT_MFA_CHECK, CHECK_NAMES
from grc.controls.models import ControlEntry
from grc.controls.selectors import register_facts, shared_register_facts
from grc.controls.services import control_entry_delete, control_entry_save
from tests.controls.register import GOOD, build_register

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def register(lead):
    with time_machine.travel(NOW, tick=False):
        return build_register(lead, NOW)


def finding(clause: str, name: str, now: datetime = NOW):
    row = requirement_row(clause, now)
    return row, next(f for f in row.status.findings if f.name == name)


def save(register, area: str, changes: dict, *, system: int = 0, now: datetime = NOW):
    lead = register["lead"]
    target = {"data_store": register["store"]} if area == "purpose" else {"system": register["systems"][system]}
    with time_machine.travel(now, tick=False):
        return control_entry_save(area=area, raw=changes, owner=lead, as_of=now.date(), by=lead, now=now, partial=True, **target)


@pytest.mark.parametrize(
    "clause, area, bad, good, words",
    [
        ("2.6", "logging", {"retention_days": "60"}, {"retention_days": "365"}, "AWS production: logs kept 60 days (90 required)"),
        ("2.6", "logging", {"pii_excluded": "no"}, {"pii_excluded": "yes"}, "logs contain PII"),
        ("2.6", "logging", {"alarms": ""}, {"alarms": "failed_sign_ins"}, "no alarm on suspicious activity"),
        (
            "2.6",
            "logging",
            {"review": "manual", "review_every_days": "14", "last_reviewed_on": "2027-01-10"},
            {"review": "siem_alerting"},
            "last log review was 59 days ago",
        ),
        ("1.2", "identity", {"lockout_threshold": "0"}, {"lockout_threshold": "5"}, "accounts never lock"),
        ("1.2", "identity", {"lockout_threshold": "20"}, {"lockout_threshold": "10"}, "only after 20 failed sign-ins"),
        ("1.4", "identity", {"password_min_length": "8"}, {"password_min_length": "12"}, "passwords need only 8 characters"),
        ("1.4", "identity", {"mfa_enforced": "partial"}, {"mfa_enforced": "yes"}, "MFA is enforced for only part of the users"),
        ("1.4", "identity", {"password_max_age_days": "0"}, {"password_max_age_days": "90"}, "passwords never expire"),
        ("1.1", "network", {"public_access": "open"}, {"public_access": "none"}, "publicly reachable by anyone"),
        ("1.1", "network", {"firewall": "no"}, {"firewall": "yes"}, "no firewall"),
        ("2.3", "dlp", {"public_links": "none"}, {"public_links": "blocked"}, "no data-loss control on public links"),
        ("2.5", "secrets", {"credentials_store": "code"}, {"credentials_store": "vault"}, "credentials are kept in the code"),
        ("2.5", "secrets", {"production_pii_in_tests": "yes"}, {"production_pii_in_tests": "no"}, "production PII is used in tests"),
        (
            "2",
            "purpose",
            {"purposes": "tax;other", "other_reason": "marketing emails"},
            {"purposes": "tax", "other_reason": ""},
            "PII-DB-1",
        ),
    ],
)
def test_a_record_change_moves_the_clause_and_the_change_back_restores_it(register, clause, area, bad, good, words):
    name = CHECK_NAMES[clause]
    assert finding(clause, name)[1].status == RequirementState.MET
    save(register, area, bad)
    row, result = finding(clause, name)
    assert result.status == RequirementState.NOT_MET and row.status.status == RequirementState.NOT_MET
    assert words in result.reason
    save(register, area, good)
    assert finding(clause, name)[1].status == RequirementState.MET


def test_an_enabled_account_without_mfa_makes_1_4_not_met_naming_the_system_and_the_count(register):
    assert finding("1.4", ACCOUNT_MFA_CHECK)[1].status == RequirementState.MET
    system = register["systems"][1]
    with time_machine.travel(NOW, tick=False):
        account = account_create(
            data={"system": system, "name": "sam@example.com", "privilege": "admin", "mfa": "no", "enabled": True},
            by=register["lead"],
            now=NOW,
        )
    row, result = finding("1.4", ACCOUNT_MFA_CHECK)
    assert row.status.status == RequirementState.NOT_MET
    assert result.reason.startswith("1 enabled human account without MFA on 1 in-scope system: Order DB (1)")
    assert "sam" not in row.status.reason
    with time_machine.travel(NOW, tick=False):
        account_update(account=account, data={"mfa": "yes"}, by=register["lead"], now=NOW)
    assert finding("1.4", ACCOUNT_MFA_CHECK)[1].status == RequirementState.MET


def test_mfa_not_recorded_counts_unless_the_system_enforces_mfa_for_everyone(register):
    with time_machine.travel(NOW, tick=False):
        account_create(data={"system": register["systems"][0], "name": "kim@example.com", "mfa": "unknown"}, by=register["lead"], now=NOW)
    assert finding("1.4", ACCOUNT_MFA_CHECK)[1].status == RequirementState.MET  # AWS production enforces MFA for all users
    save(register, "identity", {"mfa_enforced": "no"})
    assert "1 enabled account with MFA not recorded" in finding("1.4", ACCOUNT_MFA_CHECK)[1].reason


def test_service_accounts_and_removed_accounts_are_not_human_accounts(register):
    with time_machine.travel(NOW, tick=False):
        account_create(
            data={"system": register["systems"][0], "name": "deploy-bot", "is_service_account": True, "purpose": "CI", "mfa": "no"},
            by=register["lead"],
            now=NOW,
        )
    assert finding("1.4", ACCOUNT_MFA_CHECK)[1].status == RequirementState.MET


def test_an_attestation_past_its_period_is_not_met_until_re_attested(register):
    later = NOW + timedelta(days=100)  # the register's areas are re-attested every 3 months
    with time_machine.travel(later, tick=False):
        row, result = finding("1.1", CHECK_NAMES["1.1"], later)
    assert result.status == RequirementState.NOT_MET
    assert "attestation expired on 2027-06-10" in result.reason
    assert Obligation.objects.filter(kind="controls.network_review", completed_at__isnull=True, due_at__lte=later).count() == 3
    for index in (0, 1):
        save(register, "network", {}, system=index, now=later)
    with time_machine.travel(later, tick=False):
        control_entry_save(
            area="network",
            raw={},
            owner=register["lead"],
            as_of=later.date(),
            by=register["lead"],
            now=later,
            partial=True,
            system=System.objects.get(is_portal=True),
        )
    assert finding("1.1", CHECK_NAMES["1.1"], later)[1].status == RequirementState.MET
    assert Obligation.objects.filter(kind="controls.network_review", completed_at__isnull=True, due_at__lte=later).count() == 0


def test_removing_a_systems_entry_makes_the_clause_not_yet_recorded_never_met(register):
    entry = ControlEntry.objects.get(area="dlp", system=register["systems"][1])
    with time_machine.travel(NOW, tick=False):
        control_entry_delete(entry=entry, by=register["lead"], now=NOW)
    row, result = finding("2.3", CHECK_NAMES["2.3"])
    assert result.status == RequirementState.NOT_TRACKED and result.missing
    assert "data-loss prevention not yet recorded for Order DB" in result.reason
    assert row.status.status != RequirementState.MET
    save(register, "dlp", GOOD["dlp"], system=1)
    assert finding("2.3", CHECK_NAMES["2.3"])[1].status == RequirementState.MET


def test_a_new_in_scope_system_without_records_keeps_every_register_clause_from_being_met(register):
    with time_machine.travel(NOW, tick=False):
        system_create(
            data={"name": "Label printer", "owner": register["lead"], "holds_amazon_information": True}, by=register["lead"], now=NOW
        )
    for clause in ("1.1", "1.2", "2.3", "2.5", "2.6"):
        row, result = finding(clause, CHECK_NAMES[clause])
        assert result.status == RequirementState.NOT_TRACKED and "Label printer" in result.reason, clause
        assert row.status.status != RequirementState.MET, clause


def test_a_system_out_of_scope_is_not_judged(register):
    with time_machine.travel(NOW, tick=False):
        system_create(
            data={"name": "Lunch menu", "owner": register["lead"], "holds_amazon_information": False}, by=register["lead"], now=NOW
        )
    assert finding("2.6", CHECK_NAMES["2.6"])[1].status == RequirementState.MET


def test_sign_in_delegated_to_an_identity_provider_uses_the_providers_settings(register, lead):
    with time_machine.travel(NOW, tick=False):
        idp = system_create(data={"name": "Google Workspace", "owner": lead, "holds_amazon_information": True}, by=lead, now=NOW)
        for area, raw in GOOD.items():
            control_entry_save(area=area, raw=raw, owner=lead, as_of=NOW.date(), by=lead, now=NOW, system=idp)
    save(register, "identity", {"delegated_to": "google workspace", **{k: "" for k in GOOD["identity"]}})
    assert finding("1.4", CHECK_NAMES["1.4"])[1].status == RequirementState.MET
    with time_machine.travel(NOW, tick=False):
        control_entry_save(
            area="identity", raw={"password_min_length": "10"}, owner=lead, as_of=NOW.date(), by=lead, now=NOW, system=idp, partial=True
        )
    reason = finding("1.4", CHECK_NAMES["1.4"])[1].reason
    assert "AWS production: passwords need only 10 characters" in reason and "Google Workspace: passwords need only 10" in reason


def test_the_portal_row_alone_can_never_make_a_clause_met(lead):
    """Only the portal (created by the migration) is in scope: its settings are good, yet nothing is met."""
    assert list(System.objects.filter(holds_amazon_information=True).values_list("is_portal", flat=True)) == [True]
    facts = register_facts(NOW)
    assert [s.name for s in facts.subjects] == ["DPP compliance portal"]
    for clause in ("1.1", "1.2", "1.4", "2", "2.3", "2.5", "2.6"):
        row = requirement_row(clause, NOW)
        assert row.status.status != RequirementState.MET, (clause, row.status.reason)
        result = next(f for f in row.status.findings if f.name == CHECK_NAMES[clause])
        assert result.status in (RequirementState.NOT_TRACKED, RequirementState.NOT_MET), clause


def test_the_portal_row_is_filled_in_from_the_portals_settings(register, settings):
    portal = next(s for s in register_facts(NOW).subjects if s.is_portal)
    identity = register_facts(NOW).entries[(portal.key, "identity")]
    assert identity.computed and identity.values["lockout_threshold"] == settings.AXES_FAILURE_LIMIT
    assert identity.values["password_min_length"] >= 12 and identity.values["mfa_enforced"] == "yes"
    settings.AUDIT_RETENTION_DAYS = 120
    logging = register_facts(NOW).entries[(portal.key, "logging")]
    assert logging.values["retention_days"] == 120 and logging.values["review_every_days"] == 14
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "grc.accounts.middleware.AccountPolicyMiddleware"]
    assert "DPP compliance portal: MFA is not enforced" in finding("1.4", CHECK_NAMES["1.4"])[1].reason


def test_reasons_name_systems_never_people(register):
    with time_machine.travel(NOW, tick=False):
        account_create(data={"system": register["systems"][0], "name": "jane.doe@example.com", "mfa": "no"}, by=register["lead"], now=NOW)
    save(register, "logging", {"retention_days": "30"})
    for clause in CHECK_NAMES:
        reason = requirement_row(clause, NOW).status.reason.lower()
        assert "jane" not in reason and "@" not in reason and register["lead"].last_name.lower() not in reason


def test_invalid_values_are_refused_with_a_message_per_field_and_nothing_is_written(register):
    before = ControlEntry.objects.get(area="logging", system=register["systems"][0]).values
    with pytest.raises(ValidationError) as error:
        save(register, "logging", {"retention_days": "-5", "pii_excluded": "maybe", "colour": "red"})
    messages = error.value.message_dict
    assert "-5 is outside 0 to 36500" in messages["retention_days"][0]
    assert "'maybe' is not yes or no" in messages["pii_excluded"][0]
    assert "colour" in messages
    assert ControlEntry.objects.get(area="logging", system=register["systems"][0]).values == before
    assert Account.objects.count() == 2


def test_one_evaluation_of_the_checks_loads_the_register_once_and_no_later_one_sees_it(register, django_assert_max_num_queries):
    with evaluation():
        first = shared_register_facts(NOW)
        with django_assert_max_num_queries(0):
            assert shared_register_facts(NOW) is first
            assert all(check(NOW) for clause in CHECK_NAMES for _name, check in checks_for(clause) if _name == CHECK_NAMES[clause])
    assert shared_register_facts(NOW) is not first  # outside an evaluation every call loads afresh
