"""On the demo organisation, the dashboard, the readiness checklist, the drafted answers and the
evidence pack state the same facts (issue 20.6): an item that repeats a live check has its status
and words, a failing clause never shows an all-current checklist, the pack's status lines are the
dashboard's, and its 2.6 section names one chain verification and completed log reviews."""

from __future__ import annotations

import io
import re
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.utils import timezone

from grc.compliance.selectors import requirement_statuses
from grc.kit.questionnaire.drafts import all_drafts
from grc.kit.questionnaire.records import Records
from grc.kit.readiness import MET, readiness_checklists
from tests.evidence.conftest import build_pack, pdf_pages

pytestmark = pytest.mark.django_db
WORDS = {"met": "met", "not_met": "not met", "at_risk": "at risk", "not_tracked": "not yet recorded"}


@pytest.fixture
def demo(lead):
    call_command("seed_demo", stdout=io.StringIO())


def dashboard(now):
    return {row.requirement.clause: row.status for row in requirement_statuses(now)}


def test_the_readiness_checklist_repeats_the_dashboards_checks_and_never_hides_a_failing_clause(demo):
    now = timezone.now()
    statuses = dashboard(now)
    records = Records(now)
    repeated = 0
    for checklist in readiness_checklists(now, records=records):
        status = statuses[checklist.clause]
        findings = {finding.name: finding for finding in status.findings}
        for item in checklist.items:
            if item.check:
                repeated += 1
                finding = findings[item.check]
                assert item.status == {"met": "met", "at_risk": "at_risk"}.get(str(finding.status), "not_met"), item
                assert item.detail.rstrip(".").lower() == finding.reason.lower(), item
        if str(status.status) == "not_met":
            assert any(item.status != MET for item in checklist.items), f"DPP {checklist.clause} is not met, its checklist all current"
    assert repeated >= 5


def test_the_answers_state_training_and_mfa_as_the_dashboard_does(demo):
    now = timezone.now()
    statuses = dashboard(now)
    training = next(f for f in statuses["1.1"].findings if f.name == "access_reviews.training")
    drafts = {draft.area.key: draft for draft in all_drafts(Records(now))}
    assert training.reason in drafts["network"].text
    assert "No security training is recorded" not in " ".join(d.text for d in drafts.values())
    # no answer states every account has a second factor while the register holds accounts without one
    mfa = next(f for f in statuses["1.4"].findings if f.name.startswith("MFA on every account"))
    assert str(mfa.status) == "not_met"
    universal = re.compile(r"\b(every|all)\b[^.]*\baccounts?\b[^.]*\b(MFA|second factor|multi-factor)", re.IGNORECASE)
    stated = [claim.text for d in drafts.values() for claim in d.claims if not claim.gap and universal.search(claim.text)]
    assert stated == []


def test_no_two_answers_give_a_different_value_for_the_same_fact(demo):
    values = defaultdict(set)
    for draft in all_drafts(Records(timezone.now())):
        for label, value in draft.facts.items():
            values[label].add(str(value))
    assert {label: v for label, v in values.items() if len(v) > 1} == {}


def test_the_pack_states_the_dashboards_status_and_one_chain_verification(demo, lead):
    clauses = ["1.1", "1.6", "2.6", "3"]
    pack = build_pack(by=lead, clauses=clauses, days=30, include_zip=False)
    statuses = dashboard(timezone.now())
    text = "\n".join(pdf_pages(pack.pdf.read()))
    stated = re.findall(r"Status: (met|not met|at risk|not yet recorded)", text)
    assert stated == [WORDS[str(statuses[clause].status)] for clause in clauses]
    # what each status is computed from is named in English, never by a code name
    assert re.findall(r"\b(?:access_reviews|risks|policies|incidents|assets|audit)\.(?!csv\b)[a-z_]+", text) == []
    # 2.6: the status line's chain count is the integrity table's, and the seeded review was met on time
    line = re.search(r"hash chain verified\s+just now: ([\d,]+) events intact", text)
    checked = re.search(r"Events checked ([\d,]+)", text)
    assert line and checked and line[1] == checked[1]
    assert re.search(r"Bi-weekly log review 1 0 0 1 0", text), "the seeded log review completes its obligation on time"
