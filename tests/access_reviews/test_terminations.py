"""Termination → a deprovisioning task per enabled account, due 24 h later (DPP 1.2), with its clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from access_reviews.models import DeprovisionTask
from access_reviews.obligations import DeprovisionProvider, check_deprovisioning
from access_reviews.services.deprovision import task_confirm
from access_reviews.services.registry import person_terminate
from grc.compliance.services import obligations_for, open_obligation
from tests.access_reviews.conftest import NOW
from tests.conftest import signed_in


@pytest.fixture
def leaver(registry, manager):
    """Lee has three enabled accounts and one already disabled, on systems owned by Tom and Priya."""
    order_db = registry.system("Order DB", owner=manager)
    aws = registry.system("AWS production")
    registry.account(order_db, "lee.wong", registry.staff)
    registry.account(aws, "lee", registry.staff, privilege="AdministratorAccess", privileged=True)
    registry.account(aws, "lee-old", registry.staff, enabled=False)
    registry.account(aws, "backup-bot", registry.staff, is_service_account=True, purpose="nightly backup")
    return registry.staff


def test_it_opens_a_task_per_enabled_personal_account_due_24_hours_after_termination(leaver, lead, manager):
    terminated_at = NOW - timedelta(hours=2)
    tasks = person_terminate(person=leaver, terminated_at=terminated_at, by=lead, now=NOW)
    assert len(tasks) == 2  # the disabled account and the service account get none
    for task in tasks:
        assert task.due_at == terminated_at + timedelta(hours=24)
        assert task.owner == task.account.system.owner
        obligation = open_obligation("access_reviews.deprovision", task)
        assert obligation.due_at == task.due_at
        assert obligation.owner == task.account.system.owner
    assert {t.owner for t in tasks} == {lead, manager}


def test_it_flags_the_leavers_accounts_as_orphans(leaver, lead):
    person_terminate(person=leaver, terminated_at=NOW, by=lead, now=NOW)
    assert all(account.flag_orphan for account in leaver.accounts.all())


def test_it_reminds_the_system_owner_and_every_security_lead(leaver, lead, manager, make_user):
    second_lead = make_user("ada.lovelace", "security_lead")
    tasks = person_terminate(person=leaver, terminated_at=NOW, by=lead, now=NOW)
    task = next(t for t in tasks if t.owner == manager)
    obligation = open_obligation("access_reviews.deprovision", task)
    assert set(DeprovisionProvider().recipients(obligation)) == {manager, lead, second_lead}


def test_it_refuses_a_termination_time_in_the_future(leaver, lead):
    with pytest.raises(ValidationError):
        person_terminate(person=leaver, terminated_at=NOW + timedelta(hours=1), by=lead, now=NOW)


def test_it_closes_a_task_with_who_and_when_and_completes_its_obligation(leaver, lead, manager):
    task = next(t for t in person_terminate(person=leaver, terminated_at=NOW, by=lead, now=NOW) if t.owner == manager)
    done_at = NOW + timedelta(hours=3)
    task_confirm(task=task, outcome="disabled", when=done_at, by=manager, now=done_at + timedelta(minutes=5), note="ticket OPS-12")
    task.refresh_from_db()
    assert (task.closed_at, task.closed_by, task.outcome) == (done_at, manager, "disabled")
    task.account.refresh_from_db()
    assert not task.account.enabled
    obligation = obligations_for(task).get(kind="access_reviews.deprovision")
    assert obligation.completed_at == done_at and obligation.status_at(done_at) == "met"


def test_the_clock_runs_out_after_24_hours_and_the_dpp_check_says_so(leaver, lead):
    person_terminate(person=leaver, terminated_at=NOW, by=lead, now=NOW)
    assert check_deprovisioning(NOW + timedelta(hours=1)).status == "at_risk"
    result = check_deprovisioning(NOW + timedelta(hours=25))
    assert result.status == "not_met"
    assert "2 deprovisioning tasks overdue" in result.reason
    assert "Lee" not in result.reason and "Wong" not in result.reason


def test_the_person_page_shows_the_24_hour_clock(leaver, lead, client):
    person_terminate(person=leaver, terminated_at=NOW, by=lead, now=NOW)
    with time_machine.travel(NOW + timedelta(hours=20), tick=False):
        response = signed_in(client, lead).get(reverse("access_reviews:person_detail", args=[leaver.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="termination-clock"' in html
    assert "due in 4 h" in html
    assert html.count('class="countdown') >= 2


def test_only_the_system_owner_or_the_lead_may_close_a_task(leaver, lead, manager, other_manager, client):
    task = next(t for t in person_terminate(person=leaver, terminated_at=NOW, by=lead, now=NOW) if t.owner == lead)
    url = reverse("access_reviews:task_detail", args=[task.pk])
    data = {"outcome": "disabled", "when": "2026-11-02T10:00", "note": ""}
    assert signed_in(client, other_manager).post(url, data).status_code == 404
    assert signed_in(client, manager).post(url, data).status_code == 403  # sees it (Lee's manager) but does not own the system
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        response = signed_in(client, lead).post(url, data)
    assert response.status_code == 302
    assert DeprovisionTask.objects.get(pk=task.pk).closed_by == lead


def test_a_lead_terminates_a_person_from_the_person_page(leaver, lead, client):
    with time_machine.travel(NOW, tick=False):
        response = signed_in(client, lead).post(
            reverse("access_reviews:person_terminate", args=[leaver.pk]), {"terminated_at": "2026-11-02T08:30"}
        )
    assert response.status_code == 302
    leaver.refresh_from_db()
    assert leaver.is_terminated
    assert DeprovisionTask.objects.filter(person=leaver, closed_at__isnull=True).count() == 2
