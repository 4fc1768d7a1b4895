"""Vulnerability management evidence (DPP 2.7, and 2.5 for code scans before release) read from
``assets`` (its selectors) read-only: scans, penetration tests, release code scans and their findings. Every
report file of the period is attached to the ZIP with the SHA-256 the portal recorded at upload
and the one computed now."""

from __future__ import annotations

from collections import Counter

from assets.selectors import (
    findings_open_in_period,
    last_scan_and_penetration_test_before,
    penetration_tests_performed,
    release_scans_released,
    vulnerability_scans_performed,
)
from grc.evidence.collect import PackContext, on_time, person_name
from grc.evidence.sections.registry import Evidence, Mark, register


def _severities(record) -> str:
    return f"{record.critical_count} critical, {record.high_count} high, {record.medium_count} medium, {record.low_count} low"


def _attach_report(ctx: PackContext, record, label: str) -> str:
    if not record.report:
        return "—"
    attachment = ctx.attach(
        record.report,
        name=f"{label}-{record.report_name or record.report.name.rsplit('/', 1)[-1]}",
        description=f"{label.replace('-', ' ')} report ({record.report_name})",
        recorded_sha256=record.report_sha256,
    )
    return attachment.path if attachment else "—"


@register(clause="2.7", key="assets.scans", title="Vulnerability scans (at least every 180 days)", order=10)
def scans(ctx: PackContext) -> Evidence:
    scans = vulnerability_scans_performed(ctx.period.start_at, ctx.period.end_at)
    scan_table = ctx.table(
        title="Vulnerability scans in the period",
        columns=("Scanned at", "Tool", "Scope", "Findings", "Report (in the ZIP)"),
        rows=[[s.performed_at, s.tool, s.scope, _severities(s), _attach_report(ctx, s, f"scan-{s.pk}")] for s in scans],
        csv_name="vulnerability-scans",
        description="DPP 2.7: vulnerability scans performed in the period",
        empty="No vulnerability scan was performed in this period.",
    )
    tests = penetration_tests_performed(ctx.period.start_at, ctx.period.end_at)
    test_table = ctx.table(
        title="Penetration tests in the period",
        columns=("Tested at", "Tester", "Scope", "Findings", "Report (in the ZIP)"),
        rows=[[t.performed_at, t.tester, t.scope, _severities(t), _attach_report(ctx, t, f"pentest-{t.pk}")] for t in tests],
        csv_name="penetration-tests",
        description="DPP 2.7: penetration tests performed in the period",
        empty="No penetration test was performed in this period.",
    )
    last_scan, last_test = last_scan_and_penetration_test_before(ctx.period.end_at)
    facts = [
        ("Last vulnerability scan up to the period end", last_scan or Mark("never", "not_met")),
        ("Last penetration test up to the period end", last_test or Mark("never", "not_met")),
    ]
    return Evidence(facts=facts, tables=[scan_table, test_table])


def release_rows(ctx: PackContext):
    releases = release_scans_released(ctx.period.start_at, ctx.period.end_at).select_related("owner").order_by("release_date", "pk")
    rows = []
    for release in releases:
        before = release.scanned_before_release
        rows.append(
            [
                f"{release.release_name} {release.version}",
                release.release_date,
                release.scanned_at,
                release.tool,
                Mark(release.get_result_display(), {"pass": "met", "fail": "not_met"}.get(release.result, "at_risk")),
                release.blocking_findings,
                Mark("yes" if before else "no", "met" if before else "not_met"),
                _attach_report(ctx, release, f"release-scan-{release.pk}"),
            ]
        )
    return rows


RELEASE_COLUMNS = ("Release", "Released", "Scanned", "Tool", "Result", "Blocking findings", "Scanned before release", "Report (in the ZIP)")


@register(clause="2.7", key="assets.release_scans", title="Code scans before each release", order=20)
def release_scans(ctx: PackContext) -> Evidence:
    rows = release_rows(ctx)
    late = sum(1 for row in rows if row[6].status != "met")
    table = ctx.table(
        title="Releases in the period and their code scans",
        columns=RELEASE_COLUMNS,
        rows=rows,
        csv_name="release-code-scans",
        description="DPP 2.7: releases in the period and their code scans",
        empty="No release in this period.",
    )
    return Evidence(facts=[("Releases without a code scan before release", Mark(str(late), "not_met" if late else "met"))], tables=[table])


@register(clause="2.5", key="assets.secure_coding", title="Code scanned before each release", order=10)
def secure_coding(ctx: PackContext) -> Evidence:
    releases = release_scans_released(ctx.period.start_at, ctx.period.end_at)
    total = releases.count()
    scanned = sum(1 for release in releases.only("scanned_at", "release_date") if release.scanned_before_release)
    notes = ["The releases with their scan results and reports are listed under DPP 2.7."]
    facts = [("Releases in the period scanned before release", Mark(f"{scanned} of {total}", "met" if scanned == total else "not_met"))]
    return Evidence(facts=facts, notes=notes)


@register(clause="2.7", key="assets.findings", title="Vulnerability findings and their remediation", order=30)
def findings(ctx: PackContext) -> Evidence:
    relevant = findings_open_in_period(ctx.period.start_at, ctx.period.end_at)
    rows, results = [], Counter[str]()
    for finding in relevant:
        result = Mark("risk accepted", "at_risk") if finding.status == "accepted" else on_time(finding.resolved_at, finding.due_at, ctx.now)
        results[result.status] += 1
        source = finding.source
        rows.append(
            [
                f"#{finding.pk}",
                finding.title,
                finding.reference,
                Mark(finding.get_severity_display(), finding.severity),
                finding.asset.tag if finding.asset else "—",
                str(source) if source else "manual",
                person_name(finding.owner),
                finding.found_at,
                finding.due_at,
                finding.resolved_at,
                result,
            ]
        )
    table = ctx.table(
        title="Findings open at some time in the period (due by severity)",
        columns=("Finding", "Title", "Reference", "Severity", "Asset", "Source", "Owner", "Found", "Due", "Resolved", "Result"),
        rows=rows,
        csv_name="vulnerability-findings",
        description="DPP 2.7: vulnerability findings open in the period and their remediation against the due date",
        empty="No vulnerability finding was open in this period.",
    )
    facts = [
        ("Findings open in the period", len(rows)),
        ("Fixed on time", Mark(str(results["met"]), "met")),
        ("Fixed late", Mark(str(results["met_late"]), "met_late" if results["met_late"] else "met")),
        ("Overdue now", Mark(str(results["not_met"]), "not_met" if results["not_met"] else "met")),
        ("Risk accepted", results["at_risk"]),
    ]
    return Evidence(facts=facts, tables=[table])
