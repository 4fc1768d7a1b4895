"""The authorization matrix (DPP 1.3): every URL, every role class, GET and POST, against the
declared matrix in tests/security/matrix.py.

The URLs come from the resolver, so a new page is requested the day it is added — and fails here
until it is declared. Sample ids come from the demo organisation of ``manage.py seed_demo``
(grc.seeding), chosen so that the manager's samples are their own team's (object-level rules
then pass for the roles that may use the page, and the test is about roles). Each request runs
in a savepoint that is rolled back, so an allowed POST changes nothing for the next one.
"""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.audit.models import AuditEvent
from tests.conftest import totp_now
from tests.security import matrix
from tests.security.authz import NOT_FOUND, discover, outcome, path_for, request, rule_for, sample_values, walk

pytestmark = pytest.mark.django_db


def test_every_url_is_declared_in_the_matrix():
    missing = [endpoint.describe() for endpoint in discover() if rule_for(endpoint) is None]
    assert not missing, "URLs not declared in tests/security/matrix.py (declare who may GET and POST each):\n  " + "\n  ".join(missing)


def test_the_matrix_declares_no_url_that_does_not_exist():
    known = {endpoint.key for endpoint in discover()}
    stale = sorted(set(matrix.MATRIX) - known)
    assert not stale, f"declared in tests/security/matrix.py but not a URL any more: {stale}"


def test_every_declared_sample_names_the_url_arguments():
    wrong = []
    for endpoint in discover():
        rule = matrix.MATRIX.get(endpoint.key)
        if rule is not None and set(rule.args) != set(endpoint.arguments):
            wrong.append(f"{endpoint.describe()}: declares {sorted(rule.args)}, the URL takes {list(endpoint.arguments)}")
    assert not wrong, "\n".join(wrong)


def test_every_url_answers_each_role_class_as_declared(portal):
    mismatches = []
    for endpoint, path, method, role_class, got in walk(portal):
        rule = rule_for(endpoint)
        if path is None:
            mismatches.append(f"{endpoint.describe()}: no sample: {got}")
            continue
        want = matrix.expected(rule, method, role_class)
        if want == matrix.ADMITTED and got != matrix.LOGIN and not got.startswith("5"):
            continue
        if got != want:
            mismatches.append(f"{endpoint.key} {method} {path} as {role_class}: expected {want}, got {got}")
    assert not mismatches, f"{len(mismatches)} answers differ from tests/security/matrix.py:\n  " + "\n  ".join(mismatches)


def test_a_refused_request_is_audited(portal):
    before = AuditEvent.objects.filter(action="accounts.permission_denied").count()
    response = portal.client("staff").get("/accounts/users/")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="accounts.permission_denied").count() == before + 1


def test_a_wrong_token_in_a_token_only_url_gets_404_for_everyone(portal):
    token_only = [e for e in discover() if (rule_for(e) and rule_for(e).get == matrix.TOKEN)]
    assert token_only, "the calendar feed is token-only"
    for endpoint in token_only:
        rule = rule_for(endpoint)
        values = sample_values(endpoint, rule, portal)
        values["token"] = "x" * len(str(values["token"]))
        for role_class in matrix.ROLE_CLASSES:
            got = outcome(request(portal.client(role_class), "GET", path_for(endpoint, values)))
            want = (
                matrix.LOGIN if matrix.expected(rule, "GET", role_class) == matrix.LOGIN else NOT_FOUND
            )  # (an expired session ends first)
            assert got == want, f"{endpoint.key} with a wrong token as {role_class}: {got}"


def test_a_manager_cannot_see_decide_or_sign_another_teams_review_rows_by_changing_an_id(portal):
    """Object level (DPP 1.3): Tom reviews his team's accounts; Mira's rows in the same campaign
    are not his to see, decide or sign, whatever id he puts in the URL."""
    from django.urls import reverse
    from django.utils import timezone

    from access_reviews.models import Decision, ReviewRow, SignOff
    from access_reviews.services.campaigns import row_decide

    tom, mira = portal.users["manager"], portal.users["other_manager"]
    campaign = portal.ctx.made["campaign"]
    mine = list(ReviewRow.objects.filter(campaign=campaign, reviewer=tom))
    theirs = list(ReviewRow.objects.filter(campaign=campaign, reviewer=mira))
    assert mine and theirs
    before = {row.pk: (row.decision, row.comment) for row in theirs}
    client = portal.client("manager")

    page = client.get(reverse("access_reviews:review_page", args=[campaign.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert any(f'name="r{row.pk}-decision"' in content for row in mine)
    assert not any(f'name="r{row.pk}-decision"' in content for row in theirs), "another team's rows are on the page"

    for row in theirs:
        response = client.post(
            reverse("access_reviews:row_decide", args=[row.pk]), {f"r{row.pk}-decision": "revoke", f"r{row.pk}-comment": "x"}
        )
        assert response.status_code == 404, f"row {row.pk} of another team answered {response.status_code}"

    for row in mine:  # Tom decides all his own rows, then signs: only his rows are signed
        if row.decision == Decision.PENDING:
            row_decide(row=row, decision="keep", comment="", new_privilege="", by=tom, now=timezone.now())
    TOTPDevice.objects.filter(user=tom).update(last_t=-1)  # the sign-in code may share this 30 s step
    response = client.post(reverse("access_reviews:sign_off", args=[campaign.pk]), {"code": totp_now(tom)})
    assert response.status_code == 302
    assert SignOff.objects.filter(campaign=campaign, reviewer=tom).exists()
    assert not SignOff.objects.filter(campaign=campaign, reviewer=mira).exists()
    assert {row.pk: (row.decision, row.comment) for row in ReviewRow.objects.filter(pk__in=before)} == before
    assert client.get(reverse("access_reviews:campaign_report", args=[campaign.pk])).status_code == 403
