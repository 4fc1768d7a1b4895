"""AWS Security Hub findings in ASFF (``aws securityhub get-findings --output json``; also
Prowler's ``--output-formats json-asff``, a bare list of the same findings).

Schema: AWS Security Hub API Reference, ``GetFindings`` response ``{"Findings": [AwsSecurityFinding],
"NextToken"}`` (the CLI merges the pages) with ``AwsSecurityFinding``: ``Id``, ``ProductArn``,
``GeneratorId``, ``AwsAccountId``, ``Types``, ``Title``, ``Description``, ``UpdatedAt``,
``Severity.Label`` INFORMATIONAL | LOW | MEDIUM | HIGH | CRITICAL (or ``Severity.Normalized``
0–100), ``Compliance.Status`` PASSED | FAILED | WARNING | NOT_AVAILABLE and
``Compliance.SecurityControlId`` ("IAM.6", with consolidated control findings),
``ProductFields.ControlId``, ``Resources[]`` (``Id``, ``Type``, ``Region``), ``Workflow.Status``
NEW | NOTIFIED | RESOLVED | SUPPRESSED, ``RecordState`` ACTIVE | ARCHIVED, ``Remediation.
Recommendation.Text``, ``Vulnerabilities[]`` (``Id``, ``VulnerablePackages[]``).

Which records become findings: ACTIVE ones (ARCHIVED: the resource or control is gone) whose
workflow is not RESOLVED or SUPPRESSED (the team closed or muted them in Security Hub), and
that are either a failed control (``Compliance.Status`` FAILED; PASSED, WARNING and NOT_AVAILABLE
are not failures) or a product's own finding without a compliance result (GuardDuty, Inspector,
Macie, partner tools). Every ACTIVE record's resource joins the scan's targets, so a control that
went from FAILED to PASSED keeps the scope and a later full-scope import closes its finding.

Reference: the control id (``SecurityControlId``, else the one in ``ProductFields.ControlId`` or
``GeneratorId``), else a product finding's CVE, generator or finding type; its DPP clause comes
from ``dpp_clauses``. Target: the first resource's ``Id`` (an ARN; the account id for account-level
controls); location: its region. Scan time: the latest ``UpdatedAt``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
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
    severity_from_word,
)
from assets.scanners.dpp_clauses import control_id, dpp_clause, product_clause

WHAT = "AWS Security Hub findings export"
SKIPPED_WORKFLOW = ("RESOLVED", "SUPPRESSED")


def looks_like(data: bytes) -> bool:
    head = data[:65536]
    return b'"ProductArn"' in head and b'"GeneratorId"' in head and b'"AwsAccountId"' in head


def parse(data: bytes) -> ParsedScan:
    document = load_json(data, WHAT)
    records = document.get("Findings") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise ScanFormatError(
            "This is not an AWS Security Hub findings export (no Findings list). Export it with aws securityhub get-findings --output json."
        )
    findings: list[ParsedFinding] = []
    targets: list[str] = []
    updated: list[datetime] = []
    for item in records:
        item = as_dict(item)
        if "ProductArn" not in item or "GeneratorId" not in item:
            raise ScanFormatError("This is not an AWS Security Hub (ASFF) findings export (findings lack ProductArn / GeneratorId).")
        if str(item.get("RecordState") or "ACTIVE").upper() != "ACTIVE":
            continue
        resource = as_dict(next(iter(as_list(item.get("Resources"))), {}))
        account = str(item.get("AwsAccountId") or "").strip()
        target = _target(resource, account)
        targets.extend(t for t in (account, target) if t)
        when = parse_timestamp(item.get("UpdatedAt"))
        if when:
            updated.append(when)
        if _counts(item):
            findings.append(_finding(item, resource, target))
    return build_scan(
        format="securityhub", tool="AWS Security Hub", performed_at=max(updated, default=None), targets=targets, findings=findings
    )


def _target(resource: dict[str, Any], account: str) -> str:
    """The resource's ARN; for account-level controls (``AWS::::Account:123456789012``) the account
    id itself, which inventory can hold as an asset's tag and which differs per account."""
    resource_id = str(resource.get("Id") or "").strip()
    if resource_id.startswith("AWS::::Account:") or str(resource.get("Type") or "") == "AwsAccount":
        return resource_id.rsplit(":", 1)[-1] or account
    return resource_id or account


def _counts(item: dict[str, Any]) -> bool:
    """An open failure: not resolved or suppressed in Security Hub, and a FAILED control or a
    product finding without a compliance result."""
    if str(as_dict(item.get("Workflow")).get("Status") or "").upper() in SKIPPED_WORKFLOW:
        return False
    status = str(as_dict(item.get("Compliance")).get("Status") or "").upper()
    return status in ("", "FAILED")


def _severity(item: dict[str, Any]) -> str:
    severity = as_dict(item.get("Severity"))
    if severity.get("Label"):
        return severity_from_word(severity["Label"])
    # ASFF's Normalized (0–100) bands are the CVSS bands times ten: 90 critical, 70 high, 40 medium, 1 low
    try:
        return severity_from_cvss(float(str(severity.get("Normalized"))) / 10)
    except ValueError:
        return "info"


def _finding(item: dict[str, Any], resource: dict[str, Any], target: str) -> ParsedFinding:
    generator = str(item.get("GeneratorId") or "").strip()
    compliance = as_dict(item.get("Compliance"))
    package = ""
    if compliance.get("Status"):
        control = str(compliance.get("SecurityControlId") or "").strip()
        control = control or control_id(str(as_dict(item.get("ProductFields")).get("ControlId") or "")) or control_id(generator)
        reference = control or generator
        clause = dpp_clause("securityhub", reference)
    else:
        vulnerability = as_dict(next(iter(as_list(item.get("Vulnerabilities"))), {}))
        vulnerable = as_dict(next(iter(as_list(vulnerability.get("VulnerablePackages"))), {}))
        package = f"{vulnerable.get('Name') or ''} {vulnerable.get('Version') or ''}".strip()
        types = as_list(item.get("Types"))  # "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce"
        finding_type = str(types[-1] or "").rsplit("/", 1)[-1] if types else ""
        reference = str(vulnerability.get("Id") or "") or (generator if not generator.startswith("arn:") else "") or finding_type
        clause = dpp_clause("securityhub", reference) or product_clause(str(item.get("ProductArn") or ""))
    remedy = as_dict(as_dict(item.get("Remediation")).get("Recommendation")).get("Text") or ""
    finding = make_finding(
        title=item.get("Title") or reference,
        reference=reference or item.get("Title") or "",
        severity=_severity(item),
        target=target,
        package=package,
        location=str(resource.get("Region") or item.get("Region") or "").strip(),
        solution=remedy,
    )
    return replace(finding, clause=clause or "")
