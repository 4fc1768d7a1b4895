"""SARIF 2.1.0 logs from static analysers (CodeQL, Semgrep, Bandit, Checkov, Trivy's sarif …).

Schema: OASIS "Static Analysis Results Interchange Format (SARIF) Version 2.1.0" (sarif-schema-2.1.0.json)
and GitHub's "SARIF support for code scanning" (``properties.security-severity``): ``{"version":
"2.1.0", "runs": [{"tool": {"driver": {"name", "version"|"semanticVersion", "rules": [{"id",
"shortDescription", "defaultConfiguration": {"level"}, "properties": {"security-severity"}}]},
"extensions": [...]}, "results": [{"ruleId", "ruleIndex", "rule", "level", "kind", "message": {"text"},
"locations": [{"physicalLocation": {"artifactLocation": {"uri"}, "region": {"startLine"}}}],
"suppressions"}], "versionControlProvenance": [{"repositoryUri"}], "invocations": [{"startTimeUtc"}]}]}``.

Severity: the rule's ``security-severity`` (a CVSS score, as GitHub ranks code-scanning alerts:
≥9 critical, ≥7 high, ≥4 medium, >0 low) when given, else the result's level, else the rule's
default level, else SARIF's default "warning": error → high, warning → medium, note → low,
none → info. Results with ``kind`` other than "fail" (pass, notApplicable, informational…) are
kept only when informational ("informational" → info); suppressed results (an accepted
suppression) are skipped, as the tool's user already dismissed them.

Target: the run's repository (``versionControlProvenance[].repositoryUri``), else the source root
(``originalUriBaseIds.SRCROOT``), else empty (the importer asks which asset was scanned).
Location: ``uri:startLine``. Title: the rule's short description or name; the result's message
only when the rule has neither (messages may quote the flagged code, secrets included).
"""

from __future__ import annotations

from typing import Any

from assets.scanners.base import (
    ParsedFinding,
    ParsedScan,
    ScanFormatError,
    as_dict,
    as_list,
    build_scan,
    load_json,
    make_finding,
    parse_timestamp,
    severity_from_cvss,
)

WHAT = "SARIF log"
LEVELS = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
SKIPPED_KINDS = {"pass", "notapplicable"}


def looks_like(data: bytes) -> bool:
    head = data[:4096]
    return b'"runs"' in head and (b"sarif" in head.lower() or b'"2.1.0"' in head)


def parse(data: bytes) -> ParsedScan:
    document = load_json(data, WHAT)
    if not isinstance(document, dict) or not isinstance(document.get("runs"), list):
        raise ScanFormatError("This is not a SARIF log (no runs). Export the analyser's results as SARIF 2.1.0.")
    if str(document.get("version") or "2.1.0") != "2.1.0":
        raise ScanFormatError("Only SARIF version 2.1.0 is supported.")
    findings: list[ParsedFinding] = []
    targets: list[str] = []
    tools: list[str] = []
    version = ""
    started = []
    for run in as_list(document.get("runs")):
        run = as_dict(run)
        driver = as_dict(as_dict(run.get("tool")).get("driver"))
        tools.append(str(driver.get("name") or "").strip())
        version = version or str(driver.get("semanticVersion") or driver.get("version") or "")
        target = _target(run)
        if target:
            targets.append(target)
        for invocation in as_list(run.get("invocations")):
            invocation = as_dict(invocation)
            started.append(parse_timestamp(invocation.get("startTimeUtc") or invocation.get("endTimeUtc")))
        findings.extend(_results(run, driver, target))
    tool = next((t for t in tools if t), "SARIF")
    return build_scan(
        format="sarif",
        tool=tool,
        tool_version=version,
        performed_at=min((s for s in started if s), default=None),
        targets=targets,
        findings=findings,
    )


def _target(run: dict[str, Any]) -> str:
    for provenance in as_list(run.get("versionControlProvenance")):
        uri = str(as_dict(provenance).get("repositoryUri") or "").strip()
        if uri:
            return uri.removesuffix(".git")
    return str(as_dict(as_dict(run.get("originalUriBaseIds")).get("SRCROOT")).get("uri") or "").strip()


def _rules(run: dict[str, Any], driver: dict[str, Any]) -> tuple[list[list[dict[str, Any]]], dict[str, dict[str, Any]]]:
    """Rules by component (0 = the driver, 1… = ``tool.extensions``) and by id."""
    components = [driver] + [as_dict(e) for e in as_list(as_dict(run.get("tool")).get("extensions"))]
    by_component = [[as_dict(r) for r in as_list(c.get("rules"))] for c in components]
    by_id: dict[str, dict[str, Any]] = {}
    for rules in by_component:
        for rule in rules:
            by_id.setdefault(str(rule.get("id") or ""), rule)
    return by_component, by_id


def _rule_for(result: dict[str, Any], by_component: list[list[dict[str, Any]]], by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    reference = as_dict(result.get("rule"))
    index = reference.get("index", result.get("ruleIndex"))
    # toolComponent.index counts in tool.extensions; without it the rule is the driver's
    extension = as_dict(reference.get("toolComponent")).get("index")
    component = extension + 1 if isinstance(extension, int) else 0
    if isinstance(index, int) and 0 <= component < len(by_component):
        rules = by_component[component]
        if 0 <= index < len(rules):
            return rules[index]
    return by_id.get(str(result.get("ruleId") or reference.get("id") or ""), {})


def _severity(result: dict[str, Any], rule: dict[str, Any]) -> str:
    score = as_dict(rule.get("properties")).get("security-severity")
    if score not in (None, ""):
        return severity_from_cvss(score)
    if str(result.get("kind") or "").lower() == "informational":
        return "info"
    level = result.get("level") or as_dict(rule.get("defaultConfiguration")).get("level") or "warning"
    return LEVELS.get(str(level).lower(), "medium")


def _location(result: dict[str, Any]) -> str:
    for location in as_list(result.get("locations")):
        physical = as_dict(as_dict(location).get("physicalLocation"))
        uri = str(as_dict(physical.get("artifactLocation")).get("uri") or "").strip()
        line = as_dict(physical.get("region")).get("startLine")
        if uri:
            return f"{uri}:{line}" if line else uri
    return ""


def _title(rule: dict[str, Any]) -> str:
    """The rule's short description or name: a result's message can quote the code it flags
    (Bandit's "Possible hardcoded password: '…'" quotes the password), so it is only the fallback."""
    text = as_dict(rule.get("shortDescription")).get("text")
    if text:
        return str(text)
    name = str(rule.get("name") or "")
    if name and name != rule.get("id"):
        return name.replace("_", " ").strip().capitalize()
    return ""


def _suppressed(result: dict[str, Any]) -> bool:
    return any(str(as_dict(s).get("status") or "accepted") == "accepted" for s in as_list(result.get("suppressions")))


def _results(run: dict[str, Any], driver: dict[str, Any], target: str) -> list[ParsedFinding]:
    by_component, by_id = _rules(run, driver)
    found = []
    for result in as_list(run.get("results")):
        result = as_dict(result)
        if str(result.get("kind") or "fail").lower() in SKIPPED_KINDS or _suppressed(result):
            continue
        rule = _rule_for(result, by_component, by_id)
        rule_id = result.get("ruleId") or rule.get("id") or as_dict(result.get("rule")).get("id") or ""
        title = _title(rule) or as_dict(result.get("message")).get("text") or rule_id
        found.append(
            make_finding(
                title=title,
                reference=rule_id,
                severity=_severity(result, rule),
                target=target,
                location=_location(result),
            )
        )
    return found
