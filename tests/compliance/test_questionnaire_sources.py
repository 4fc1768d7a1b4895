"""Every claim of the drafted questionnaire is traced to a record or is a gap with a fix, on an empty
organisation and on the demo data; ``manage.py questionnaire --json`` prints the same claims."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from grc.kit.questionnaire.drafts import all_drafts
from grc.kit.questionnaire.records import Records

pytestmark = pytest.mark.django_db


def unsourced_claims() -> list[str]:
    """The claims with no source that are not a gap with a fix, as ``area: text``."""
    return [
        f"{draft.area.key}: {claim.text}"
        for draft in all_drafts(Records(timezone.now()))
        for claim in draft.claims
        if not claim.sources and not (claim.gap and claim.fix is not None)
    ]


def questionnaire_json() -> list[dict]:
    out = io.StringIO()
    call_command("questionnaire", "--json", stdout=out)
    return json.loads(out.getvalue())


def assert_json_claims(answers: list[dict]) -> None:
    assert answers, "the command printed no answers"
    for answer in answers:
        assert answer["claims"], f"{answer['key']} has no claims"
        for claim in answer["claims"]:
            assert claim["status"] in ("ok", "gap"), claim
            assert claim["sources"] or (claim["status"] == "gap" and claim["fix"]), f"{answer['key']}: {claim['text']}"
            for source in claim["sources"]:
                assert source["label"] and source["url"].startswith("/"), source
            if claim["status"] == "gap" and claim["fix"]:
                assert claim["fix"]["url"].startswith("/"), claim


def test_every_claim_of_an_empty_organisation_has_a_source_or_a_fix(lead):
    unsourced = unsourced_claims()
    assert len(unsourced) == 0, "claims with neither a source nor a fix:\n" + "\n".join(unsourced)
    assert_json_claims(questionnaire_json())


def test_every_claim_of_the_demo_organisation_has_a_source_or_a_fix(lead):
    call_command("seed_demo", stdout=io.StringIO())
    unsourced = unsourced_claims()
    assert len(unsourced) == 0, "claims with neither a source nor a fix:\n" + "\n".join(unsourced)
    answers = questionnaire_json()
    assert_json_claims(answers)
    drafts = all_drafts(Records(timezone.now()))
    assert [a["key"] for a in answers] == [d.area.key for d in drafts]
    assert [len(a["claims"]) for a in answers] == [len(d.claims) for d in drafts]
    assert any(c["status"] == "gap" for a in answers for c in a["claims"])  # the demo has gaps
    assert any(c.get("cadence") for a in answers for c in a["claims"])  # recurring obligations name their period
    # a source that is one record's page names the record
    records = [s["record"] for a in answers for c in a["claims"] for s in c["sources"] if "record" in s]
    assert records and all(isinstance(r["id"], int) and ":" in r["type"] for r in records), records


def test_the_text_output_lists_each_claim_with_its_status(lead):
    out = io.StringIO()
    call_command("questionnaire", stdout=out)
    text = out.getvalue()
    assert "[gap]" in text and "source: " in text
    assert text.rstrip().splitlines()[-1].endswith("UTC)")
