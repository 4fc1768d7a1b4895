"""Every access-review URL declares its roles (DPP 1.3), and the declaration matches this matrix.

A new view without ``role_required`` fails here; object-level rules are tested beside each page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from access_reviews import urls
from grc.accounts.permissions import EVERYONE, LEAD_OR_AUDITOR, LEAD_OR_MANAGER, READERS, SECURITY_LEAD

LEAD = {
    "person_create",
    "person_edit",
    "person_terminate",
    "people_import",
    "people_template",
    "system_create",
    "system_edit",
    "accounts_import",
    "account_create",
    "account_edit",
    "account_service_decide",
    "import_detail",
    "import_mapping",
    "import_preset",
    "import_apply",
    "import_cancel",
    "campaign_start",
}
READ = {
    "person_list",
    "person_detail",
    "person_training",
    "system_list",
    "system_detail",
    "account_list",
    "account_detail",
    "task_list",
    "task_detail",
    "request_list",
    "request_detail",
    "campaign_list",
    "campaign_detail",
    "training_overview",
}
REVIEWERS = {"request_create", "request_decide", "request_grant", "review_page", "bulk_keep", "sign_off", "row_decide"}
AUDIT = {"campaign_report", "account_export"}
ALL = {"index", "my_training", "training_evidence"}
EXPECTED = {
    **dict.fromkeys(LEAD, SECURITY_LEAD),
    **dict.fromkeys(READ, READERS),
    **dict.fromkeys(REVIEWERS, LEAD_OR_MANAGER),
    **dict.fromkeys(AUDIT, LEAD_OR_AUDITOR),
    **dict.fromkeys(ALL, EVERYONE),
}


def test_every_url_declares_the_roles_of_the_matrix():
    names = {pattern.name for pattern in urls.urlpatterns}
    assert names == set(EXPECTED), f"not in the matrix: {names ^ set(EXPECTED)}"
    for pattern in urls.urlpatterns:
        assert pattern.callback.allowed_roles == tuple(str(role) for role in EXPECTED[pattern.name]), pattern.name


def test_sign_off_needs_a_one_time_code_on_its_form():
    """The code is typed on the sign-off form itself (grc.accounts.mfa.step_up_with_code): no form without one."""
    from access_reviews.forms import SignOffForm

    form = SignOffForm({})
    assert not form.is_valid() and "code" in form.errors


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_staff_get_403_everywhere_but_their_own_pages(name, staff_client):
    pattern = next(p for p in urls.urlpatterns if p.name == name)
    args = [1] * len(pattern.pattern.converters)
    response = staff_client.get(reverse(f"access_reviews:{name}", args=args))
    if name in ALL:
        assert response.status_code in (200, 404)
    else:
        assert response.status_code == 403
