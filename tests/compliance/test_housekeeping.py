"""Provider resync (daily housekeeping) and the engine's demo seed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings

from grc.compliance.models import Obligation
from grc.compliance.seed import PROGRAMME_OBLIGATIONS, seed
from grc.compliance.services import obligations_resync
from grc.seeding import SeedContext

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


class CountingProvider:
    def __init__(self, count: int):
        self.count = count
        self.calls: list[datetime] = []

    def recipients(self, obligation):
        return []

    def resync(self, *, now):
        self.calls.append(now)
        return self.count


class BrokenProvider(CountingProvider):
    def resync(self, *, now):
        raise RuntimeError("records unavailable")


def test_resync_asks_every_provider_and_survives_a_broken_one(bare_registry):
    good = CountingProvider(3)
    bare_registry.register_provider("assets.deletion_30d", good)
    bare_registry.register_provider("assets.deletion_90d", BrokenProvider(0))
    assert obligations_resync(now=NOW) == {"assets.deletion_30d": 3, "assets.deletion_90d": -1}
    assert good.calls == [NOW]


def test_the_resync_task_is_scheduled_daily_and_returns_the_total(bare_registry):
    from grc.compliance.tasks import resync_obligations

    bare_registry.register_provider("assets.deletion_30d", CountingProvider(2))
    bare_registry.register_provider("assets.deletion_90d", CountingProvider(5))
    assert resync_obligations() == 7
    assert settings.CELERY_BEAT_SCHEDULE["obligation-resync"]["task"] == "grc.compliance.tasks.resync_obligations"


def test_a_provider_for_an_unknown_kind_is_refused(bare_registry):
    with pytest.raises(KeyError, match="cadences.py"):
        bare_registry.register_provider("nothing.like_this", CountingProvider(0))


def test_the_seed_opens_the_programme_wide_obligations_once(lead):
    ctx = SeedContext(now=NOW, users={"lead": lead})
    seed(ctx)
    assert Obligation.objects.filter(subject_type="programme").count() == len(PROGRAMME_OBLIGATIONS)
    assert set(Obligation.objects.values_list("owner_id", flat=True)) == {lead.pk}
    assert any("Programme-wide obligations" in line for line in ctx.lines)
    seed(SeedContext(now=NOW, users={"lead": lead}))
    assert Obligation.objects.count() == len(PROGRAMME_OBLIGATIONS)
