"""The control register in the pack: for DPP 1.1, 1.2, 1.4, 2, 2.3, 2.5 and 2.6, each in-scope
system's controls as recorded — with the "as of" day, the re-attestation date, the verdict and the
evidence file (attached to the ZIP, its SHA-256 in the manifest).

Read from ``grc.controls.selectors.register_facts``, the facts object the live checks use, so the
clause's status line and this table cannot disagree. Values are the register's settings (numbers,
choices); the free-text reason for another purpose of PII is never printed.
"""

from __future__ import annotations

from datetime import date

from grc.controls.areas import AREAS, CLAUSE_AREAS
from grc.controls.rules import NOT_MET, Verdict
from grc.controls.selectors import RegisterFacts, shared_register_facts
from grc.evidence.collect import PackContext
from grc.evidence.sections.registry import Evidence, Mark, register

SHOWN = {  # the fields of each area a reader needs on one line; the CSV has every field
    "identity": ("delegated_to", "mfa_enforced", "password_min_length", "password_character_classes", "password_max_age_days"),
    "logging": ("destination", "retention_days", "pii_excluded", "review", "alarms"),
    "network": ("firewall", "firewall_reviewed_on", "segmented", "public_access"),
    "dlp": ("email", "removable_media", "cloud_sharing", "public_links", "alerting"),
    "secrets": ("credentials_store", "secret_scanning", "environments_separated", "production_pii_in_tests"),
    "purpose": ("purposes",),
}
LOCKOUT_SHOWN = ("delegated_to", "lockout_threshold", "session_timeout_minutes")
VERDICT_WORDS = {"met": "within the DPP", "at_risk": "at risk", "not_met": "not met", "not_tracked": "not yet recorded"}


def facts_for(ctx: PackContext) -> RegisterFacts:
    """The register as the pack's status lines judged it (the pack is collected in one evaluation)."""
    return shared_register_facts(ctx.now)


def _values(area: str, names: tuple[str, ...], values: dict) -> str:
    fields = [AREAS[area].field(name) for name in names]
    shown = [f"{f.label.lower()}: {f.display(values.get(f.name))}" for f in fields if values.get(f.name) not in (None, "", [])]
    return "; ".join(shown) or "—"


def _verdict_text(verdict: Verdict) -> str:
    if verdict.missing:
        return verdict.missing
    return "; ".join(p.text for p in verdict.problems) or "—"


def register_block(clause: str):
    area = CLAUSE_AREAS[clause]
    definition = AREAS[area]
    title = (
        "Account lockout of each in-scope system (control register)"
        if clause == "1.2"
        else f"{definition.title} of each in-scope system (control register)"
    )
    if area == "purpose":
        title = "Purpose of PII in each data store (control register)"

    @register(clause=clause, key=f"controls.{clause}", title=title, order=5)
    def collect(ctx: PackContext) -> Evidence:
        facts = facts_for(ctx)
        verdicts = facts.verdicts(clause)
        names = LOCKOUT_SHOWN if clause == "1.2" else SHOWN[area]
        rows, files = [], 0
        for verdict in verdicts:
            subject, entry = verdict.subject, verdict.entry
            row = facts.rows.get((subject.key, area))
            if row is not None and row.evidence_file:
                if ctx.attach(
                    row.evidence_file,
                    name=f"{subject.name}-{area}",
                    description=f"DPP {clause}: {definition.title.lower()} of {subject.name}",
                    recorded_sha256=row.evidence_sha256,
                ):
                    files += 1
            as_of: date | str
            due: date | str
            if entry is None:
                as_of, due, settings_text = "—", "—", "—"
            elif entry.computed:
                as_of, due, settings_text = "computed now", "— (from the portal's settings)", _values(area, names, entry.values)
            else:
                as_of = entry.as_of
                due = entry.review_due_at.date() if entry.review_due_at else "—"
                settings_text = _values(area, names, entry.values)
            rows.append(
                [
                    f"{subject.name}{' (this portal)' if subject.is_portal else ''}",
                    Mark(VERDICT_WORDS[verdict.status], verdict.status),
                    as_of,
                    due,
                    settings_text,
                    _verdict_text(verdict),
                    (row.evidence_sha256[:16] + "…")
                    if row is not None and row.evidence_sha256
                    else (row.evidence_link if row is not None and row.evidence_link else "—"),
                ]
            )
        table = ctx.table(
            title=title,
            columns=(
                "System" if definition.subject == "system" else "Data store",
                "Verdict",
                "As of",
                "Re-attest by",
                "Recorded settings",
                "Findings",
                "Evidence",
            ),
            rows=sorted(rows, key=lambda r: (r[1].status != NOT_MET, r[1].status == "met")),
            csv_name=f"control-register-{area}{'-lockout' if clause == '1.2' else ''}",
            description=f"DPP {clause}: the control register's {definition.title.lower()} of every in-scope subject when the pack was generated",
            empty="No in-scope system is registered.",
        )
        result = facts.account_mfa() if clause == "1.4" else None
        pack_facts = [
            ("In-scope subjects judged", len(verdicts)),
            ("Recorded and within the DPP", sum(1 for v in verdicts if v.status == "met")),
            (
                "Not yet recorded",
                Mark(str(sum(1 for v in verdicts if v.missing)), "at_risk" if any(v.missing for v in verdicts) else "met"),
            ),
            (
                "Not met",
                Mark(
                    str(sum(1 for v in verdicts if v.status == NOT_MET)), "not_met" if any(v.status == NOT_MET for v in verdicts) else "met"
                ),
            ),
            ("Evidence files attached", files),
        ]
        if result is not None:
            pack_facts.append(("Enabled human accounts without MFA", Mark(result.reason, result.status)))
        return Evidence(facts=pack_facts, tables=[table])

    return collect


for _clause in CLAUSE_AREAS:
    register_block(_clause)
