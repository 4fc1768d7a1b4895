"""Data-subject requests (DPP 2.2): the response deadline as an obligation, the one extension, the
response, encrypted requester details and the purge that leaves a PII-free record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection

from assets.dsar_obligations import CHECK_NAME, check_data_subject_requests
from assets.dsar_rules import DsarState, dsar_state, extension_refusal, response_refusal
from assets.models import DataSubjectRequest
from assets.models.dsar import PII_FIELDS
from assets.selectors import dsar_period_summary
from assets.services.dsar import dsar_create, dsar_extend, dsar_purge_expired, dsar_purge_one, dsar_respond, dsar_update
from grc.audit.models import AuditEvent
from grc.compliance.registry import checks_for, provider_for
from grc.compliance.services import obligations_for, open_obligation
from tests.assets.conftest import NOW

pytestmark = pytest.mark.django_db
KIND = "policies.dsar_response"
REQUESTER = {
    "requester_name": "Hannelore Quistgaard",
    "requester_contact": "hannelore.q@example.invalid",
    "requester_reference": "Order 203-9911223",
    "authorized_user": "Quistgaard Crafts Ltd",
    "request_details": "Please send me everything you hold about my orders.",
}


@pytest.fixture
def pii_store(make_asset):
    return make_asset("data_store", holds_pii=True, now=NOW).data_store


@pytest.fixture
def make_dsar(lead, pii_store):
    def make(*, received=NOW, verified=True, stores=None, kind="access", **extra):
        data = {
            "received_at": received,
            "channel": "authorized_user",
            "request_type": kind,
            "handler": lead,
            **REQUESTER,
            "identity_verified": verified,
            "verification_method": "order_details" if verified else "",
            "verification_note": "Matched the order id and postcode." if verified else "",
            "actions_taken": "",
            **extra,
        }
        return dsar_create(data=data, stores=[pii_store] if stores is None else stores, by=lead, now=received + timedelta(hours=1))

    return make


def raw_row(dsar) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(PII_FIELDS)} FROM assets_datasubjectrequest WHERE id = %s", [dsar.pk])  # noqa: S608
        return dict(zip(PII_FIELDS, cursor.fetchone(), strict=True))


# --- the deadline ----------------------------------------------------------------------------------
def test_a_request_is_due_30_days_after_receipt_as_an_obligation_of_its_handler(make_dsar, lead):
    dsar = make_dsar()
    assert dsar.reference == f"DSR-2027-{dsar.pk:04d}"
    assert dsar.due_at == dsar.original_due_at == NOW + timedelta(days=30)
    obligation = open_obligation(KIND, dsar)
    assert obligation.clause == "2.2" and obligation.owner == lead and obligation.due_at == NOW + timedelta(days=30)
    assert obligation.title == f"Answer data-subject request {dsar.reference}" and obligation.url == dsar.get_absolute_url()
    assert [u.pk for u in provider_for(KIND).recipients(obligation)] == [lead.pk]  # and every security lead


def test_the_response_period_is_a_setting(make_dsar, settings):
    assert django_settings.DSAR_RESPONSE_DAYS == 30
    settings.DSAR_RESPONSE_DAYS = 10
    assert make_dsar().due_at == NOW + timedelta(days=10)


def test_a_request_cannot_arrive_in_the_future(lead):
    with pytest.raises(ValidationError):
        dsar_create(
            data={"received_at": NOW + timedelta(days=1), "channel": "email", "request_type": "erase", "handler": lead},
            by=lead,
            now=NOW,
        )


def test_a_verified_identity_says_how(lead):
    with pytest.raises(ValidationError) as error:
        dsar_create(
            data={"received_at": NOW, "channel": "email", "request_type": "erase", "handler": lead, "identity_verified": True},
            by=lead,
            now=NOW,
        )
    assert "verification_method" in error.value.message_dict


def test_the_deadline_is_extended_once_with_a_reason(make_dsar, lead):
    dsar = make_dsar()
    with pytest.raises(ValidationError):
        dsar_extend(dsar=dsar, reason="  ", by=lead, now=NOW + timedelta(days=5))
    dsar = dsar_extend(dsar=dsar, reason="Orders spread over three stores", by=lead, now=NOW + timedelta(days=5))
    assert dsar.due_at == NOW + timedelta(days=90) and dsar.original_due_at == NOW + timedelta(days=30)
    assert open_obligation(KIND, dsar).due_at == NOW + timedelta(days=90)
    with pytest.raises(ValidationError, match="already been extended once"):
        dsar_extend(dsar=dsar, reason="again", by=lead, now=NOW + timedelta(days=6))
    event = AuditEvent.objects.get(action="assets.datasubjectrequest.extended")
    assert "three stores" not in f"{event.message} {event.details}"


def test_an_extension_must_be_decided_before_the_original_deadline(make_dsar, lead):
    dsar = make_dsar()
    with pytest.raises(ValidationError, match="original deadline has passed"):
        dsar_extend(dsar=dsar, reason="too late", by=lead, now=NOW + timedelta(days=31))
    assert open_obligation(KIND, dsar).due_at == NOW + timedelta(days=30)


def test_the_extension_rules_as_pure_functions():
    due = NOW + timedelta(days=30)
    assert extension_refusal(extended_at=None, response_sent_at=None, original_due_at=due, now=NOW) == ""
    assert "answered" in extension_refusal(extended_at=None, response_sent_at=NOW, original_due_at=due, now=NOW)
    assert "once" in extension_refusal(extended_at=NOW, response_sent_at=None, original_due_at=due, now=NOW)
    assert "passed" in extension_refusal(extended_at=None, response_sent_at=None, original_due_at=due, now=due)


def test_the_state_follows_the_clock():
    due = NOW + timedelta(days=30)
    assert dsar_state(due_at=due, response_sent_at=None, now=NOW) == DsarState.OPEN
    assert dsar_state(due_at=due, response_sent_at=None, now=due - timedelta(days=6)) == DsarState.DUE_SOON
    assert dsar_state(due_at=due, response_sent_at=None, now=due) == DsarState.OVERDUE
    assert dsar_state(due_at=due, response_sent_at=due, now=due + timedelta(days=9)) == DsarState.MET
    assert dsar_state(due_at=due, response_sent_at=due + timedelta(seconds=1), now=due) == DsarState.MET_LATE


# --- the response ---------------------------------------------------------------------------------
def test_the_response_completes_the_obligation_in_time_or_late(make_dsar, lead):
    on_time = make_dsar()
    dsar_respond(
        dsar=on_time, response_sent_at=NOW + timedelta(days=20), outcome="fulfilled", note="", by=lead, now=NOW + timedelta(days=20)
    )
    done = obligations_for(on_time, KIND).get()
    assert done.completed_at == NOW + timedelta(days=20) and done.status_at(NOW + timedelta(days=21)) == "met"
    late = make_dsar()
    late = dsar_respond(
        dsar=late, response_sent_at=NOW + timedelta(days=33), outcome="fulfilled", note="", by=lead, now=NOW + timedelta(days=34)
    )
    assert late.answered_in_time is False and obligations_for(late, KIND).get().status_at(NOW + timedelta(days=34)) == "met_late"
    with pytest.raises(ValidationError, match="already recorded"):
        dsar_respond(
            dsar=late, response_sent_at=NOW + timedelta(days=34), outcome="fulfilled", note="", by=lead, now=NOW + timedelta(days=34)
        )


def test_nothing_is_disclosed_to_an_unverified_requester_or_before_the_stores_are_searched(make_dsar, lead):
    unverified = make_dsar(verified=False)
    with pytest.raises(ValidationError, match="Verify the requester's identity"):
        dsar_respond(
            dsar=unverified, response_sent_at=NOW + timedelta(days=1), outcome="fulfilled", note="", by=lead, now=NOW + timedelta(days=1)
        )
    refused = dsar_respond(
        dsar=unverified, response_sent_at=NOW + timedelta(days=1), outcome="refused_identity", note="", by=lead, now=NOW + timedelta(days=1)
    )
    assert refused.outcome == "refused_identity"
    unsearched = make_dsar(stores=[])
    with pytest.raises(ValidationError, match="data stores were searched"):
        dsar_respond(
            dsar=unsearched, response_sent_at=NOW + timedelta(days=1), outcome="no_data", note="", by=lead, now=NOW + timedelta(days=1)
        )
    assert response_refusal(outcome="refused_other", identity_verified=False, stores_searched=0) == ""


def test_the_stores_searched_come_from_the_inventory_and_changes_are_audited_by_name(make_dsar, make_asset, lead):
    dsar = make_dsar(stores=[])
    other = make_asset("data_store", holds_pii=False, holds_amazon_information=True, now=NOW).data_store
    changed = dsar_update(dsar=dsar, data={"actions_taken": "Exported 3 orders for Hannelore"}, stores=[other], by=lead, now=NOW)
    assert changed == ["actions_taken", "stores_searched"]
    assert list(dsar.stores_searched.all()) == [other]
    trail = " ".join(f"{e.message} {e.details}" for e in AuditEvent.objects.all())
    assert "Hannelore" not in trail and "Quistgaard" not in trail and "203-9911223" not in trail


# --- encryption and purge -------------------------------------------------------------------------
def test_the_requester_s_details_are_encrypted_at_rest(make_dsar):
    dsar = make_dsar()
    row = raw_row(dsar)
    for field in ("requester_name", "requester_contact", "requester_reference", "authorized_user", "request_details"):
        assert row[field].startswith("fernet:"), field
    assert "Hannelore" not in " ".join(row.values())
    assert DataSubjectRequest.objects.get(pk=dsar.pk).requester_name == "Hannelore Quistgaard"


def test_the_purge_leaves_a_pii_free_record_that_the_request_was_answered_in_time(make_dsar, lead, settings):
    settings.DSAR_RETENTION_DAYS = 90
    dsar = make_dsar()
    dsar_extend(dsar=dsar, reason="Three stores to search for Hannelore", by=lead, now=NOW + timedelta(days=2))
    sent = NOW + timedelta(days=20)
    dsar_respond(dsar=dsar, response_sent_at=sent, outcome="fulfilled", note="Sent to hannelore.q@example.invalid", by=lead, now=sent)
    assert dsar_purge_one(dsar_id=dsar.pk, now=sent + timedelta(days=89)) is False  # kept for the retention period
    assert dsar_purge_one(dsar_id=dsar.pk, now=sent + timedelta(days=90)) is True
    assert dsar_purge_one(dsar_id=dsar.pk, now=sent + timedelta(days=91)) is False  # once
    assert set(raw_row(dsar).values()) == {""}
    kept = DataSubjectRequest.objects.get(pk=dsar.pk)
    assert kept.is_purged and kept.answered_in_time is True and kept.is_extended
    assert (kept.reference, kept.request_type, kept.outcome, kept.stores_searched.count()) == (dsar.reference, "access", "fulfilled", 1)
    assert obligations_for(kept, KIND).get().status_at(sent) == "met"  # the deadline's history stays
    event = AuditEvent.objects.get(action="assets.datasubjectrequest.purged")
    assert event.actor_name == "task:purge_dsar_details" and "requester_name" in event.details["changed_fields"]
    trail = " ".join(f"{e.message} {e.details}" for e in AuditEvent.objects.all())
    assert "Hannelore" not in trail and "example.invalid" not in trail
    with pytest.raises(ValidationError, match="purged"):
        dsar_update(dsar=kept, data={"actions_taken": "x"}, by=lead, now=sent + timedelta(days=92))


def test_open_requests_are_never_purged_and_the_task_purges_the_expired_ones(make_dsar, lead, settings):
    from assets.tasks import purge_dsar_details

    settings.DSAR_RETENTION_DAYS = 30
    still_open = make_dsar(received=NOW - timedelta(days=400))
    answered = make_dsar(received=NOW - timedelta(days=100))
    dsar_respond(
        dsar=answered, response_sent_at=NOW - timedelta(days=80), outcome="fulfilled", note="", by=lead, now=NOW - timedelta(days=80)
    )
    recent = make_dsar(received=NOW - timedelta(days=20))
    dsar_respond(
        dsar=recent, response_sent_at=NOW - timedelta(days=10), outcome="fulfilled", note="", by=lead, now=NOW - timedelta(days=10)
    )
    assert dsar_purge_expired(now=NOW) == 1
    assert not DataSubjectRequest.objects.get(pk=still_open.pk).is_purged
    assert DataSubjectRequest.objects.get(pk=answered.pk).is_purged
    assert not DataSubjectRequest.objects.get(pk=recent.pk).is_purged
    assert purge_dsar_details.delay().get() == 0  # nothing left past retention today (Celery, eager in tests)


def test_the_purge_runs_daily_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["dsar-purge"]
    assert entry["task"] == "assets.tasks.purge_dsar_details" and entry["schedule"] == 24 * 3600.0


# --- the live check of 2.2 and the evidence summary -----------------------------------------------
def test_the_check_is_registered_for_2_2():
    assert CHECK_NAME in [name for name, _ in checks_for("2.2")]


def test_the_check_follows_the_deadlines(make_dsar, lead, settings):
    result = check_data_subject_requests(NOW)
    assert result.status == "met" and "no data-subject request" in result.reason
    dsar = make_dsar()
    assert check_data_subject_requests(NOW + timedelta(days=2)).status == "met"
    assert check_data_subject_requests(NOW + timedelta(days=25)).status == "at_risk"
    overdue = check_data_subject_requests(NOW + timedelta(days=31))
    assert overdue.status == "not_met" and overdue.reason.startswith("1 data-subject request past the response deadline")
    dsar_respond(dsar=dsar, response_sent_at=NOW + timedelta(days=10), outcome="fulfilled", note="", by=lead, now=NOW + timedelta(days=10))
    met = check_data_subject_requests(NOW + timedelta(days=60))
    assert met.status == "met" and met.reason == "1 request in the last 12 months: 1 answered, all in time"
    settings.DSAR_RETENTION_DAYS = 30
    kept_too_long = check_data_subject_requests(NOW + timedelta(days=100))
    assert kept_too_long.status == "at_risk" and "kept past the 30-day retention" in kept_too_long.reason


def test_the_period_summary_is_pii_free(make_dsar, lead, django_assert_num_queries):
    answered = make_dsar(received=NOW - timedelta(days=20))
    dsar_respond(
        dsar=answered, response_sent_at=NOW - timedelta(days=5), outcome="fulfilled", note="", by=lead, now=NOW - timedelta(days=5)
    )
    late = make_dsar(received=NOW - timedelta(days=50), kind="erase")
    dsar_respond(dsar=late, response_sent_at=NOW - timedelta(days=2), outcome="fulfilled", note="", by=lead, now=NOW - timedelta(days=2))
    still_open = make_dsar(received=NOW - timedelta(days=3), kind="rectify")
    dsar_extend(dsar=still_open, reason="complex", by=lead, now=NOW - timedelta(days=1))
    make_dsar(received=NOW - timedelta(days=400))  # open since long before: still counted as open at the end
    with django_assert_num_queries(1):
        summary = dsar_period_summary(date(2027, 1, 1), date(2027, 3, 31))
    assert summary["received"] == 3 and summary["by_type"]["Erase (delete their information)"] == 1
    assert (summary["answered"], summary["answered_in_time"], summary["answered_late"]) == (2, 1, 1)
    assert summary["extended"] == 1 and summary["open_at_end"] == 2 and summary["overdue_at_end"] == 1
    assert len(summary["rows"]) == 4 and summary["response_days"] == 30
    assert "Hannelore" not in str(summary) and "Quistgaard" not in str(summary)
    row = next(r for r in summary["rows"] if r["reference"] == late.reference)
    assert row["in_time"] is False and row["stores_searched"] == 1 and row["outcome"] == "Fulfilled"
