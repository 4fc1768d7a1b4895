"""The bench's pieces: the floor view and query header (only with BENCH_FLOOR_VIEW, never in
production), its statistics and table, and its timed jobs on a small seeded organisation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from access_reviews.models import Account, ImportJob, System
from bench import jobs, run
from grc.audit.models import AuditEvent
from grc.compliance.models import Reminder
from grc.scale.seed import seed_scale
from tests.core.test_settings import PRODUCTION_ENV, run_manage

NOW = datetime(2027, 5, 12, 10, 30, tzinfo=UTC)


def test_the_floor_view_does_not_exist_without_the_setting(lead_client):
    assert lead_client.get("/bench/floor/").status_code == 404


@pytest.mark.urls("tests.scale.bench_urls")
def test_the_floor_view_answers_signed_in_users_with_one_indexed_query(lead_client, client, settings):
    settings.MIDDLEWARE = ["grc.scale.bench_views.QueryCountMiddleware", *settings.MIDDLEWARE]
    response = lead_client.get(reverse("bench:floor"))
    assert response.status_code == 200
    assert response.content.decode().startswith("next due:")
    # session, user, MFA device, the query, the session's save (with its savepoint in a test transaction)
    assert 4 <= int(response["X-Bench-Queries"]) <= 7
    assert float(response["X-Bench-Ms"]) > 0
    client.logout()
    assert client.get(reverse("bench:floor")).status_code == 302  # to the sign-in page


def test_production_refuses_to_start_with_the_bench_setting():
    result = run_manage("check", env_changes={**PRODUCTION_ENV, "BENCH_FLOOR_VIEW": "1"})
    assert result.returncode != 0
    assert "BENCH_FLOOR_VIEW is for the benchmark only" in result.stderr


def test_percentiles_interpolate_between_ranks():
    values = [float(n) for n in range(1, 101)]
    assert run.percentile(values, 0.5) == pytest.approx(50.5)
    assert run.percentile(values, 0.95) == pytest.approx(95.05)
    assert run.percentile([], 0.95) == 0.0


def test_a_summary_counts_errors_apart_and_reports_the_median_query_count():
    samples = [{"ms": 10.0 + n, "status": 200, "queries": 9, "server_ms": 5.0} for n in range(19)]
    samples.append({"ms": 900.0, "status": 500, "queries": 30, "server_ms": 800.0})
    summary = run.summarise(samples)
    assert summary["requests"] == 20 and summary["errors"] == 1
    assert summary["p50_ms"] == 19.0 and summary["queries"] == 9 and summary["queries_max"] == 9


def test_the_table_marks_missed_targets():
    page = {"label": "Dashboard", "p50_ms": 40, "p95_ms": 90, "ratio_to_floor": 3.0, "server_p95_ms": 20, "queries": 10, "met": True}
    slow = {**page, "label": "Review", "p95_ms": 400, "ratio_to_floor": 9.0, "met": False}
    floor = {"label": "Floor", "p50_ms": 10, "p95_ms": 30, "server_p95_ms": 4, "queries": 5}
    results = {
        "pages": {"dashboard": page, "review": slow},
        "floor": floor,
        "jobs": {"evidence_pack": {"available": False, "note": "none yet"}},
    }
    text = run.table(results)
    assert "| Dashboard | 40 | 90 | 3.0x | 20 | 10 | yes |" in text
    assert "| Review | 40 | 400 | 9.0x | 20 | 10 | **no** |" in text
    assert "not available" in text


@pytest.mark.django_db
@pytest.mark.slow
def test_the_timed_jobs_run_on_seeded_data_and_leave_nothing_behind():
    seed_scale(factor=0.005, now=NOW, out=lambda line: None)
    accounts, events, reminders = Account.objects.count(), AuditEvent.objects.count(), Reminder.objects.count()
    imported = jobs.job_import(rows=300)
    assert imported["status"] == "applied" and imported["summary"]["adds"] == 300
    swept = jobs.job_sweep()
    assert swept["open_obligations"] > 0 and swept["failed"] == 0
    verified = jobs.job_verify()
    assert verified["ok"] and verified["events"] == events
    # the import and the sweep were rolled back: the next bench run starts from the same data
    assert (Account.objects.count(), AuditEvent.objects.count(), Reminder.objects.count()) == (accounts, events, reminders)
    assert not ImportJob.objects.exists() and not System.objects.filter(name__startswith="Bench import").exists()
    assert jobs.job_evidence()["available"] in (True, False)
