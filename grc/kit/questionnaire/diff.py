"""What changed between two questionnaire contents (a submission and now, or two submissions):
per area, the answer word by word, the record facts, and the gaps that appeared or went away."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher


@dataclass
class AreaDiff:
    key: str
    number: int
    question: str
    clause: str
    segments: list[tuple[str, str]] = field(default_factory=list)  # ("equal" | "insert" | "delete", text)
    answer_changed: bool = False
    facts: list[tuple[str, object, object]] = field(default_factory=list)  # (label, before, after)
    gaps_added: list[str] = field(default_factory=list)
    gaps_resolved: list[str] = field(default_factory=list)
    new_area: bool = False

    @property
    def changed(self) -> bool:
        return self.answer_changed or bool(self.facts or self.gaps_added or self.gaps_resolved) or self.new_area

    @property
    def records_changed(self) -> bool:
        return bool(self.facts or self.gaps_added or self.gaps_resolved)


def word_segments(before: str, after: str) -> list[tuple[str, str]]:
    """The answer as runs of kept, inserted and deleted words (whitespace kept with each word)."""
    old, new = re.findall(r"\S+\s*", before), re.findall(r"\S+\s*", after)
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(("equal", "".join(new[j1:j2])))
            continue
        if op in ("delete", "replace"):
            segments.append(("delete", "".join(old[i1:i2])))
        if op in ("insert", "replace"):
            segments.append(("insert", "".join(new[j1:j2])))
    return segments


def content_diff(before: dict, after: dict) -> list[AreaDiff]:
    """Area by area, in the order of ``after``; areas only in ``before`` are left out (retired questions)."""
    old_areas = {area["key"]: area for area in before.get("areas", [])}
    diffs = []
    for area in after.get("areas", []):
        old = old_areas.get(area["key"])
        diff = AreaDiff(area["key"], area.get("number", 0), area["question"], area.get("clause", ""))
        if old is None:
            diff.new_area = True
            diff.segments = [("insert", area["answer"])]
            diffs.append(diff)
            continue
        diff.answer_changed = old["answer"] != area["answer"]
        diff.segments = word_segments(old["answer"], area["answer"]) if diff.answer_changed else [("equal", area["answer"])]
        old_facts, new_facts = old.get("facts", {}), area.get("facts", {})
        diff.facts = [
            (label, old_facts.get(label), new_facts.get(label))
            for label in dict.fromkeys([*old_facts, *new_facts])
            if old_facts.get(label) != new_facts.get(label)
        ]
        old_gaps = {gap["text"] for gap in old.get("gaps", [])}
        new_gaps = {gap["text"] for gap in area.get("gaps", [])}
        diff.gaps_added = sorted(new_gaps - old_gaps)
        diff.gaps_resolved = sorted(old_gaps - new_gaps)
        diffs.append(diff)
    return diffs
