"""Run every check for an AWS account and seal the raw answers as one JSON evidence document.

Account-wide checks (IAM, S3, the CloudTrail trail) run once, in the first region given;
regional ones run in each region. The evidence document has sorted keys and fixed separators,
so the same answers always give the same bytes and the same SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from grc.controls.aws.checks import CHECKS, Check, CheckResult
from grc.controls.aws.session import Clients, ConnectorError


@dataclass(frozen=True)
class CollectionResult:
    results: list[CheckResult]
    collected_at: datetime
    raw_json_bytes: bytes
    sha256: str

    @property
    def failing(self) -> list[CheckResult]:
        return [r for r in self.results if r.passed is False]

    @property
    def not_run(self) -> list[CheckResult]:
        return [r for r in self.results if r.passed is None]


def collect(clients: Clients, *, regions: list[str], now: datetime, checks: list[Check] | None = None) -> CollectionResult:
    if not regions:
        raise ValueError("collect needs at least one region")
    results = []
    for item in checks if checks is not None else CHECKS:
        for region in regions if item.regional else regions[:1]:
            results.append(item(clients, region=region, now=now))
    return _sealed(results, regions=regions, now=now)


def unreachable(error: ConnectorError, *, regions: list[str], now: datetime) -> CollectionResult:
    """When the role cannot be assumed, every check is "could not run" with the refused action, never met."""
    results = [
        CheckResult(
            check_id=item.check_id,
            clause=item.clause,
            title=item.title,
            passed=None,
            reason=f"could not run: {error.message}",
            console_url="https://console.aws.amazon.com/iam/home#/roles",
            region=region if item.regional else None,
            raw={error.action: [{"error": error.message}]},
        )
        for item in CHECKS
        for region in (regions if item.regional else regions[:1])
    ]
    return _sealed(results, regions=regions, now=now)


def _sealed(results: list[CheckResult], *, regions: list[str], now: datetime) -> CollectionResult:
    document = {
        "collected_at": now.isoformat(),
        "regions": list(regions),
        "results": [asdict(result) for result in results],
    }
    raw = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return CollectionResult(results=results, collected_at=now, raw_json_bytes=raw, sha256=hashlib.sha256(raw).hexdigest())
