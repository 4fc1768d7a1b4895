"""Who gets in: every URL of the risk register walked with each role (DPP 1.3, least privilege)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grc.risks.services import reviews, treatment
from tests.conftest import signed_in
from tests.risks.conftest import stepped_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_risk, lead, manager):
    """A risk owned by the lead with an action and an acceptance asked by the lead; a review in
    progress whose approver is the manager."""
    now = timezone.now()
    risk = make_risk(now=now)
    action = treatment.action_add(risk=risk, title="Patch", owner=lead, due_at=now + timedelta(days=5), by=lead, now=now)
    acceptance = treatment.acceptance_request(risk=risk, rationale="fine", expires_at=now + timedelta(days=30), by=lead, now=now)
    review = reviews.review_start(approvers=[manager], by=lead, now=now)
    return {"risk": risk, "action": action, "acceptance": acceptance, "review": review, "item": review.items.get()}


def urls(world):
    risk, review = world["risk"], world["review"]
    return {
        "index": ("get", reverse("risks:index")),
        "export": ("get", reverse("risks:export")),
        "create": ("get", reverse("risks:create")),
        "detail": ("get", risk.get_absolute_url()),
        "edit": ("get", reverse("risks:edit", args=[risk.pk])),
        "close": ("get", reverse("risks:close", args=[risk.pk])),
        "reopen": ("post", reverse("risks:reopen", args=[risk.pk])),
        "action_create": ("get", reverse("risks:action_create", args=[risk.pk])),
        "action_complete": ("post", reverse("risks:action_complete", args=[world["action"].pk])),
        "action_cancel": ("post", reverse("risks:action_cancel", args=[world["action"].pk])),
        "acceptance_request": ("get", reverse("risks:acceptance_request", args=[risk.pk])),
        "acceptance_decide": ("get", reverse("risks:acceptance_decide", args=[world["acceptance"].pk])),
        "reviews": ("get", reverse("risks:reviews")),
        "review_start": ("get", reverse("risks:review_start")),
        "review": ("get", review.get_absolute_url()),
        "review_sign": ("get", reverse("risks:review_sign", args=[review.pk])),
        "item_decide": ("post", reverse("risks:item_decide", args=[world["item"].pk])),
    }


# lead (owner of the risk and requester of the acceptance), manager (the review's approver),
# other manager, staff, auditor. 302 = done and sent back; reopen of an open risk says so and
# sends back; the lead starting a review while one is open is sent to it.
EXPECTED = {
    "index": (200, 200, 200, 403, 200),
    "export": (200, 200, 200, 403, 200),
    "create": (200, 200, 200, 403, 403),
    "detail": (200, 200, 200, 403, 200),
    "edit": (200, 403, 403, 403, 403),
    "close": (200, 403, 403, 403, 403),
    "reopen": (302, 403, 403, 403, 403),
    "action_create": (200, 403, 403, 403, 403),
    "action_complete": (302, 403, 403, 403, 403),
    "action_cancel": (302, 403, 403, 403, 403),
    "acceptance_request": (200, 403, 403, 403, 403),
    "acceptance_decide": (403, 200, 200, 403, 403),
    "reviews": (200, 200, 200, 403, 200),
    "review_start": (302, 403, 403, 403, 403),
    "review": (200, 200, 200, 403, 200),
    "review_sign": (403, 200, 403, 403, 403),
    "item_decide": (302, 302, 403, 403, 403),
}


def test_each_role_gets_what_it_may(world, lead, manager, other_manager, staff, auditor):
    people = (lead, manager, other_manager, staff, auditor)
    for name, (method, url) in urls(world).items():
        for user, status in zip(people, EXPECTED[name], strict=True):
            client = stepped_up(signed_in(Client(), user))
            response = getattr(client, method)(url)
            assert response.status_code == status, f"{user.role} {user.username} on {name}: {response.status_code}"
        anonymous = getattr(Client(), method)(url)
        assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("accounts:login"))


def test_a_manager_edits_the_risks_they_own(make_risk, client, manager, other_manager):
    risk = make_risk(owner=manager)
    assert signed_in(client, manager).get(reverse("risks:edit", args=[risk.pk])).status_code == 200
    assert signed_in(Client(), other_manager).get(reverse("risks:edit", args=[risk.pk])).status_code == 403


def test_an_action_s_owner_may_complete_it(make_risk, lead, manager):
    risk = make_risk()
    action = treatment.action_add(
        risk=risk, title="Patch", owner=manager, due_at=timezone.now() + timedelta(days=2), by=lead, now=timezone.now()
    )
    response = signed_in(Client(), manager).post(reverse("risks:action_complete", args=[action.pk]))
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.completed_by == manager


def test_an_unknown_risk_is_404_not_403(client, lead, auditor):
    for user in (lead, auditor):
        assert signed_in(Client(), user).get(reverse("risks:detail", args=[999999])).status_code == 404


def test_every_risk_view_declares_its_roles_and_signatures_need_a_step_up():
    from django.urls import get_resolver

    namespace = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "risks")
    assert {p.name for p in namespace.url_patterns} == set(EXPECTED)
    for pattern in namespace.url_patterns:
        assert getattr(pattern.callback, "allowed_roles", None), pattern.name
    stepped = {p.name for p in namespace.url_patterns if getattr(p.callback, "step_up", False)}
    assert stepped == {"acceptance_decide", "review_sign"}
