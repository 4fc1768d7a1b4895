"""The dashboard: posture, deadlines, incident clocks, alarms and my tasks, in a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grc.compliance.models import Obligation
from grc.compliance.views import ClauseUrls
from tests.compliance.conftest import make_obligation
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
URL = "/compliance/"


def fill(count: int, owner, now) -> None:
    """``count`` open obligations due over the next weeks, some overdue, one in five an incident."""
    rows = []
    for i in range(count):
        kind = "incidents.amazon_notification" if i % 5 == 0 else "assets.finding_fix"
        due = now + timedelta(hours=i * 3 - count)
        rows.append(
            Obligation(
                kind=kind,
                clause="1.6" if i % 5 == 0 else "2.7",
                title=f"Item {i}",
                owner=owner,
                subject_type="tests.bulk",
                subject_id=str(i),
                anchor_at=due - timedelta(hours=24),
                due_at=due,
            )
        )
    Obligation.objects.bulk_create(rows)


def test_every_role_gets_the_dashboard(client, lead, manager, staff, auditor):
    assert reverse("compliance:dashboard") == URL
    for user in (lead, manager, staff, auditor):
        assert signed_in(client, user).get(URL).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_shows_posture_counts_for_all_sixteen_requirements(lead_client):
    page = lead_client.get(URL).content.decode()
    assert 'data-testid="posture"' in page
    response = lead_client.get(URL)
    posture = response.context["data"].posture
    assert sum(posture.values()) == 17
    assert set(posture) == {"met", "at_risk", "not_met", "not_tracked"}


def test_overdue_and_due_soon_obligations_are_listed_by_due_time_and_later_ones_are_not(lead_client, lead):
    now = timezone.now()
    later = make_obligation("assets.finding_fix", due_at=now + timedelta(days=3), title="Patch the VPN", owner=lead)
    overdue = make_obligation("assets.finding_fix", due_at=now - timedelta(days=2), title="Rotate the keys", owner=lead)
    far = make_obligation("assets.finding_fix", due_at=now + timedelta(days=40), title="Far away task", owner=lead)
    done = make_obligation("assets.finding_fix", due_at=now - timedelta(days=1), completed_at=now - timedelta(days=2), title="Already done")
    response = lead_client.get(URL)
    upcoming = response.context["data"].upcoming
    assert [o.pk for o in upcoming] == [overdue.pk, later.pk]
    assert far.pk not in [o.pk for o in upcoming] and done.pk not in [o.pk for o in upcoming]
    page = response.content.decode()
    assert "overdue by 2 days" in page
    assert 'class="countdown' in page
    assert response.context["data"].counts["overdue"] == 1


def test_open_incidents_show_their_24_hour_clock(lead_client, lead):
    now = timezone.now()
    make_obligation(
        "incidents.amazon_notification",
        anchor_at=now - timedelta(hours=18),
        due_at=now + timedelta(hours=6),
        title="Notify Amazon: incident 42",
        url="/incidents/42/",
        owner=lead,
    )
    make_obligation(
        "incidents.amazon_notification",
        anchor_at=now - timedelta(hours=30),
        due_at=now - timedelta(hours=6),
        completed_at=now - timedelta(hours=8),
        title="Old incident",
    )
    response = lead_client.get(URL)
    incidents = response.context["data"].incidents
    assert [o.title for o in incidents] == ["Notify Amazon: incident 42"]
    assert incidents[0].clock_percent == 75
    page = response.content.decode()
    assert '<progress class="incident-clock w-100" max="100" value="75"' in page
    assert 'href="/incidents/42/"' in page


def test_my_tasks_lists_what_the_user_owns(manager_client, manager, lead):
    now = timezone.now()
    make_obligation("access_reviews.quarterly_review", due_at=now + timedelta(days=60), title="Sign off my team's review", owner=manager)
    make_obligation("access_reviews.quarterly_review", due_at=now + timedelta(days=60), title="Lead's own task", owner=lead)
    response = manager_client.get(URL)
    assert [o.title for o in response.context["data"].my_tasks] == ["Sign off my team's review"]


def test_managers_and_staff_see_their_tasks_first_and_the_lead_sees_posture_first(client, lead, manager, staff):
    for user, tasks_first in ((manager, True), (staff, True), (lead, False)):
        page = signed_in(client, user).get(URL).content.decode()
        assert (page.index('data-testid="my-tasks"') < page.index('data-testid="posture"')) is tasks_first


def test_empty_states_say_what_to_do_next(lead_client):
    page = lead_client.get(URL).content.decode()
    assert "Nothing is overdue or due in the next 14 days" in page
    assert "You have no open tasks" in page
    assert "No incident clock is running" in page


def test_staff_see_only_their_own_deadlines_and_no_incident_panel(staff_client, staff, lead):
    now = timezone.now()
    make_obligation("access_reviews.training_annual", due_at=now + timedelta(days=2), title="My training", owner=staff)
    make_obligation(
        "incidents.amazon_notification",
        anchor_at=now - timedelta(hours=2),
        due_at=now + timedelta(hours=22),
        title="Secret incident",
        owner=lead,
    )
    response = staff_client.get(URL)
    page = response.content.decode()
    assert "My training" in page
    assert "Secret incident" not in page
    assert [o.title for o in response.context["data"].upcoming] == ["My training"]
    assert 'data-testid="deadlines"' not in page  # the same rows as "My tasks": shown once
    assert 'data-testid="incident-clocks"' not in page
    assert 'data-testid="alarms"' not in page


def test_auditors_see_the_posture_read_only_without_tasks(auditor_client):
    page = auditor_client.get(URL).content.decode()
    assert "read-only" in page
    assert 'data-testid="posture"' in page
    assert 'data-testid="my-tasks"' not in page
    assert "<form" not in page.split('id="main"')[1]


def test_the_lead_and_auditors_see_the_open_alarms_panel_and_others_do_not(client, lead, auditor, manager, staff):
    for user, shown in ((lead, True), (auditor, True), (manager, False), (staff, False)):
        assert ('data-testid="alarms"' in signed_in(client, user).get(URL).content.decode()) is shown


@pytest.mark.parametrize("user_fixture", ["lead", "manager", "staff"])
def test_the_dashboard_runs_a_fixed_number_of_queries_whatever_the_number_of_obligations(client, request, user_fixture):
    user = request.getfixturevalue(user_fixture)
    client = signed_in(client, user)
    now = timezone.now()
    client.get(URL)  # warm caches (content types, url resolvers)
    fill(5, user, now)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    Obligation.objects.filter(subject_type="tests.bulk").delete()
    fill(200, user, now)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(response.context["data"].upcoming) == 25  # limited, with a link to the full list
    assert len(small) == len(large), [q["sql"][:120] for q in large.captured_queries]


def test_the_engine_s_own_dashboard_queries_stay_under_a_pinned_budget(lead_client, lead, bare_registry, django_assert_max_num_queries):
    """Without the apps' live checks (each runs its own fixed queries): session, user, device,
    one aggregate of every kind, requirements, the cadences in force, counts, three lists, alarms,
    session save (3)."""
    lead_client.get(URL)
    for size in (5, 200):
        Obligation.objects.filter(subject_type="tests.bulk").delete()
        fill(size, lead, timezone.now())
        with django_assert_max_num_queries(14):
            lead_client.get(URL)


def test_the_lead_sees_the_incident_clocks_and_the_overdue_list_before_the_posture(lead_client, lead, manager):
    """Issue 23: urgent first. The clocks come first in the page (first on a phone too), then the
    overdue list; the long "needs attention" list follows them."""
    now = timezone.now()
    make_obligation("incidents.amazon_notification", anchor_at=now - timedelta(hours=5), due_at=now + timedelta(hours=19), owner=lead)
    make_obligation("access_reviews.quarterly_review", due_at=now - timedelta(days=3), title="Overdue review", owner=manager)
    page = lead_client.get(URL).content.decode()
    clocks, deadlines, posture = (page.index(f'data-testid="{name}"') for name in ("incident-clocks", "deadlines", "posture"))
    assert clocks < deadlines < posture
    assert page.index("Overdue review") < posture


def test_a_lead_with_open_tasks_sees_them_after_the_urgent_lists_and_before_the_posture(lead_client, lead):
    now = timezone.now()
    make_obligation("access_reviews.quarterly_review", due_at=now + timedelta(days=40), title="Lead's own review", owner=lead)
    page = lead_client.get(URL).content.decode()
    deadlines, tasks, posture = (page.index(f'data-testid="{name}"') for name in ("deadlines", "my-tasks", "posture"))
    assert deadlines < tasks < posture


def test_a_manager_s_review_tasks_come_first_above_the_urgent_lists(manager_client, manager):
    """A manager's access-review tasks (open obligations they own) lead their dashboard."""
    now = timezone.now()
    make_obligation("access_reviews.quarterly_review", due_at=now + timedelta(days=10), title="Review your team's accounts", owner=manager)
    page = manager_client.get(URL).content.decode()
    tasks = page.index('data-testid="my-tasks"')
    assert tasks < page.index('data-testid="incident-clocks"') < page.index('data-testid="posture"')
    assert tasks < page.index("Review your team&#x27;s accounts")


NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_deadline_rows_rendered_in_python_carry_the_countdown_owner_link_and_badge_escaped(lead_client, lead, manager):
    """Issue 23: the rows are built in Python (the template's loop was half the page's time); each
    shows what the template did, with every value escaped."""
    with time_machine.travel(NOW, tick=False):
        manager.first_name, manager.last_name = "Ada", "<Lovelace>"
        manager.save()
        owned = make_obligation(
            "assets.finding_fix", due_at=NOW - timedelta(days=2), title="Patch <b>VPN</b> & co", owner=manager, url="/assets/?a=1&b=2"
        )
        orphan = make_obligation("assets.finding_fix", due_at=NOW + timedelta(days=3), title="No one's task")
        page = lead_client.get(URL).content.decode()
    clause_url = reverse("compliance:requirement", args=[owned.clause])
    assert (
        f'<tr data-obligation="{owned.pk}">\n'
        '        <td><div><span class="countdown countdown-overdue text-danger fw-semibold" data-due="2026-02-28T09:00:00+00:00" '
        'title="28 Feb 2026 09:00 UTC">overdue by 2 days</span></div><div class="small text-body-secondary">28 Feb 2026 09:00</div></td>\n'
        f'        <td><a class="badge text-bg-light text-decoration-none border" href="{clause_url}">DPP {owned.clause}</a></td>\n'
        '        <td><a href="/assets/?a=1&amp;b=2">Patch &lt;b&gt;VPN&lt;/b&gt; &amp; co</a></td>\n'
        "        <td>Ada &lt;Lovelace&gt;</td>\n"
        '        <td><span class="badge rounded-pill text-bg-danger" data-status="overdue">overdue</span></td>\n'
        "      </tr>"
    ) in page
    orphan_row = page[page.index(f'<tr data-obligation="{orphan.pk}">') :].split("</tr>")[0]
    assert '<td><span class="text-body-secondary">no owner</span></td>' in orphan_row
    assert f'<a href="{clause_url}">No one&#x27;s task</a>' in orphan_row  # no url of its own: the clause page
    assert 'data-status="due_soon">due soon</span>' in orphan_row


def test_my_task_rows_have_no_owner_column_and_show_a_waiver(manager_client, manager):
    with time_machine.travel(NOW, tick=False):
        task = make_obligation("access_reviews.quarterly_review", due_at=NOW + timedelta(days=20), title="Sign off", owner=manager)
        page = manager_client.get(URL).content.decode()
    row = page[page.index(f'<tr data-obligation="{task.pk}">') :].split("</tr>")[0]
    assert row.count("<td>") == 4  # due, clause, what, status: a manager's own list names no owner
    assert 'data-status="open">open</span>' in row
    assert "due in 2 weeks" in row or "due in 20 days" in row


def test_the_needs_attention_rows_link_each_clause_and_escape_the_reason(lead_client, lead):
    with time_machine.travel(NOW, tick=False):
        make_obligation("access_reviews.quarterly_review", due_at=NOW - timedelta(days=3), title="Review <everything>", owner=lead)
        response = lead_client.get(URL)
    page = response.content.decode()
    attention = response.context["data"].attention
    assert attention
    row = attention[0]
    link = f'<a class="fw-semibold" href="{reverse("compliance:requirement", args=[row.requirement.clause])}">DPP {row.requirement.clause} '
    assert link in page
    assert page.index('class="list-group list-group-flush attention-list"') < page.index(link)
    assert "<everything>" not in page and "Review &lt;everything&gt;" in page


@pytest.mark.parametrize("clause", ["1.6", "3", "2.7", "a b?", "é"])
def test_clause_urls_are_what_reverse_gives(clause):
    """One ``reverse()`` per page stands for one per row: plain clauses and quoted ones alike."""
    urls = ClauseUrls()
    assert urls("1.1") == reverse("compliance:requirement", args=["1.1"])
    assert urls(clause) == reverse("compliance:requirement", args=[clause])
