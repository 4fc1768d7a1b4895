"""Amazon Inspector (v2) findings (``aws inspector2 list-findings --output json``).

Schema: Amazon Inspector API Reference, ``ListFindings`` response ``{"findings": [Finding],
"nextToken"}`` with ``Finding``: ``findingArn``, ``type`` PACKAGE_VULNERABILITY |
NETWORK_REACHABILITY | CODE_VULNERABILITY, ``severity`` INFORMATIONAL | LOW | MEDIUM | HIGH |
CRITICAL | UNTRIAGED, ``status`` ACTIVE | SUPPRESSED | CLOSED, ``title``, ``remediation``,
``firstObservedAt``, ``lastObservedAt``, ``packageVulnerabilityDetails`` (``vulnerabilityId``,
``vulnerablePackages[]`` ``name``/``version``/``release``/``fixedInVersion``/``filePath``),
``networkReachabilityDetails`` (``openPortRange``, ``protocol``), ``codeVulnerabilityDetails``
(``detectorId``, ``filePath``), ``resources[]`` (``type``, ``id``, ``region``, ``details``:
``awsEc2Instance.ipV4Addresses``, ``awsEcrContainerImage.registry/repositoryName/imageTags``,
``awsLambdaFunction.functionName``). The CLI merges the pages into one ``findings`` list.

Only ACTIVE findings count (SUPPRESSED matched a suppression rule the team set; CLOSED are fixed).
Target: an EC2 instance's first IPv4 address (its instance id joins the scan's targets), an ECR
image's URI ``REGISTRY.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG``, a Lambda function's name,
else the resource id. A finding listing several vulnerable packages gives one finding per
package. UNTRIAGED (no score yet) and INFORMATIONAL → info. Scan time: the latest
``lastObservedAt`` (Inspector scans continuously; this is the newest observation in the file).
"""

from __future__ import annotations

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
    severity_from_word,
)

WHAT = "Amazon Inspector findings export"


def looks_like(data: bytes) -> bool:
    head = data[:8192]
    return b'"findings"' in head and b'"findingArn"' in head


def parse(data: bytes) -> ParsedScan:
    document = load_json(data, WHAT)
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise ScanFormatError(
            "This is not an Amazon Inspector findings export (no findings list). Export it with aws inspector2 list-findings."
        )
    findings: list[ParsedFinding] = []
    targets: list[str] = []
    observed: list[datetime] = []
    for item in as_list(document.get("findings")):
        item = as_dict(item)
        if "findingArn" not in item:
            raise ScanFormatError("This is not an Amazon Inspector (v2) findings export (findings lack findingArn).")
        resource = as_dict(next(iter(as_list(item.get("resources"))), {}))
        target = _target(resource)
        targets.append(target)
        if resource.get("type") == "AWS_EC2_INSTANCE" and resource.get("id"):
            targets.append(str(resource["id"]))
        if str(item.get("status") or "").upper() != "ACTIVE":
            continue
        when = parse_timestamp(item.get("lastObservedAt") or item.get("updatedAt"))
        if when:
            observed.append(when)
        findings.extend(_findings(item, target))
    return build_scan(
        format="inspector2", tool="Amazon Inspector", performed_at=max(observed, default=None), targets=targets, findings=findings
    )


def _target(resource: dict[str, Any]) -> str:
    details = as_dict(resource.get("details"))
    instance = as_dict(details.get("awsEc2Instance"))
    addresses = [a for a in as_list(instance.get("ipV4Addresses")) if a]
    if addresses:
        return str(addresses[0]).strip()
    image = as_dict(details.get("awsEcrContainerImage"))
    if image.get("repositoryName"):
        registry, region = image.get("registry"), resource.get("region")
        host = f"{registry}.dkr.ecr.{region}.amazonaws.com/" if registry and region else ""
        tags = [t for t in as_list(image.get("imageTags")) if t]
        suffix = f":{tags[0]}" if tags else (f"@{image['imageHash']}" if image.get("imageHash") else "")
        return f"{host}{image['repositoryName']}{suffix}"
    function = as_dict(details.get("awsLambdaFunction"))
    if function.get("functionName"):
        return str(function["functionName"]).strip()
    return str(resource.get("id") or "").strip()


def _findings(item: dict[str, Any], target: str) -> list[ParsedFinding]:
    kind = str(item.get("type") or "").upper()
    severity = severity_from_word(item.get("severity"))
    title = item.get("title") or kind
    remedy = as_dict(as_dict(item.get("remediation")).get("recommendation")).get("text") or ""
    if remedy.strip().lower() == "none provided":  # Inspector's placeholder
        remedy = ""
    if kind == "NETWORK_REACHABILITY":
        details = as_dict(item.get("networkReachabilityDetails"))
        ports = as_dict(details.get("openPortRange"))
        begin, end = ports.get("begin"), ports.get("end")
        span = str(begin) if begin == end else f"{begin}-{end}"
        protocol = str(details.get("protocol") or "").lower()
        return [
            make_finding(
                title=title,
                reference="NETWORK_REACHABILITY",
                severity=severity,
                target=target,
                location=f"{span}/{protocol}",
                solution=remedy,
            )
        ]
    if kind == "CODE_VULNERABILITY":
        details = as_dict(item.get("codeVulnerabilityDetails"))
        path = as_dict(details.get("filePath"))
        line = path.get("startLine")
        where = f"{path.get('filePath') or path.get('fileName') or ''}:{line}" if line else str(path.get("filePath") or "")
        reference = details.get("ruleId") or details.get("detectorId") or "CODE_VULNERABILITY"
        return [make_finding(title=title, reference=reference, severity=severity, target=target, location=where, solution=remedy)]
    details = as_dict(item.get("packageVulnerabilityDetails"))
    reference = details.get("vulnerabilityId") or title
    packages = [as_dict(p) for p in as_list(details.get("vulnerablePackages"))] or [{}]
    found = []
    for package in packages:
        name = str(package.get("name") or "")
        version = "-".join(str(v) for v in (package.get("version"), package.get("release")) if v)
        fixed = package.get("fixedInVersion")
        found.append(
            make_finding(
                title=title,
                reference=reference,
                severity=severity,
                target=target,
                package=f"{name} {version}".strip(),
                location=package.get("filePath") or "",
                solution=f"Upgrade {name} to {fixed}" if fixed and fixed != "NotAvailable" else remedy,
            )
        )
    return found
