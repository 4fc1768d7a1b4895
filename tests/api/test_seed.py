"""seed_demo's API tokens: a service token and a revoked one, made through the service."""

from __future__ import annotations

import pytest
from django.utils import timezone

from grc.api.models import ApiToken, TokenStatus
from grc.api.seed import seed
from grc.seeding import SeedContext

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_active_and_a_revoked_service_token(lead):
    ctx = SeedContext(now=timezone.now(), users={"lead": lead})
    seed(ctx)
    statuses = sorted(token.status_at(ctx.now) for token in ApiToken.objects.all())
    assert statuses == sorted([TokenStatus.ACTIVE, TokenStatus.REVOKED])
    assert all(token.is_service and token.user == lead for token in ApiToken.objects.all())
    assert ctx.lines and "API" in ctx.lines[0]
