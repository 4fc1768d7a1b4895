"""The readiness checklist: per DPP clause, what an assessor will ask to see, whether the portal
holds current evidence for it, and where to fix what is missing. Public for the evidence pack:

* ``readiness_checklist(clause, now)`` — one clause's ``Checklist`` (items + attached documents).
* ``readiness_checklists(now)`` — every clause, reading the records once.
* ``cadence_change_history(since=, until=)`` — the adjustable-cadence history (old and new
  period, reason, who, when, how many open obligations were re-dated).
* ``current_documents()`` — the attached assessment documents in force, with review dates.

Items are worked out from the same ``Records`` as the questionnaire drafts (no PII: counts,
dates, settings, inventory ids). The clauses the control register judges (1.1, 1.2, 1.4, 2, 2.3,
2.5, 2.6) take their item's status and words from ``Records.controls`` — the register's facts, the
same results as the clause checks — so the checklist, the answers and the DPP status agree; the
portal's own audit trail is one item about the portal beside them. Status words: ``met`` =
current evidence, ``at_risk`` = out of date, ``not_met`` = missing (a subject not yet recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from grc.compliance.cadence_models import CadenceChange
from grc.compliance.cadence_overrides import cadence_change_rows, describe, period_from_json
from grc.compliance.cadences import CADENCES
from grc.compliance.registry import CheckResult
from grc.compliance.selectors import all_requirements
from grc.kit.attestations import EXPIRING, MISSING, OK, STATEMENTS, attestation_state
from grc.kit.models import KitDocument, QuestionnaireSubmission
from grc.kit.questionnaire import drafts  # noqa: F401  (registers the drafters used below)
from grc.kit.questionnaire.base import Claim, Source, day, plural
from grc.kit.questionnaire.claims import (
    DRAFTERS,
    amazon_key_claims,
    attestation_claim,
    credential_claims,
    device_claims,
    encryption_claims,
    findings_claims,
    release_claims,
    test_pii_claims,
    training_claims,
)
from grc.kit.questionnaire.records import Records
from grc.kit.questionnaire.register import sentence

MET, AT_RISK, NOT_MET = "met", "at_risk", "not_met"
STATUS_WORDS = {MET: "current", AT_RISK: "out of date", NOT_MET: "missing"}
DOCUMENTS_URL = "kit:documents"


@dataclass(frozen=True)
class EvidenceItem:
    key: str
    asks: str  # what the assessor asks to see
    status: str
    detail: str  # what the records say, in words
    evidence: tuple[Source, ...] = ()
    fix: Source | None = None
    check: str = ""  # the registered live check the item repeats (same status as on the dashboard), if any

    @property
    def label(self) -> str:
        return STATUS_WORDS[self.status]


@dataclass(frozen=True)
class DocumentRow:
    pk: int
    kind: str
    kind_label: str
    title: str
    file_name: str
    sha256: str
    uploaded_at: datetime
    reviewed_at: datetime
    review_due_at: datetime
    status: str
    url: str  # the download (permission-checked, audited)
    clauses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checklist:
    clause: str
    title: str
    items: tuple[EvidenceItem, ...]
    documents: tuple[DocumentRow, ...]
    generated_at: datetime

    @property
    def counts(self) -> dict[str, int]:
        return {status: sum(1 for item in self.items if item.status == status) for status in (MET, AT_RISK, NOT_MET)}

    @property
    def status(self) -> str:
        statuses = {item.status for item in self.items}
        return NOT_MET if NOT_MET in statuses else AT_RISK if AT_RISK in statuses else MET

    @property
    def url(self) -> str:
        return reverse("kit:readiness_clause", args=[self.clause])


# --- how items are worked out --------------------------------------------------------------------------
def from_claims(key: str, asks: str, claims: list[Claim], *, gap_status: str = NOT_MET) -> EvidenceItem:
    """An item from draft claims: any gap makes it missing; the claims' sources are the evidence."""
    gaps = [claim for claim in claims if claim.gap]
    sources: dict[str, Source] = {}
    for claim in claims:
        for source in claim.sources:
            sources.setdefault(source.url, source)
    fix = next((claim.fix for claim in gaps if claim.fix), None) or (next(iter(sources.values()), None) if gaps else None)
    detail = " ".join(claim.text for claim in (gaps or claims))
    return EvidenceItem(key, asks, gap_status if gaps else MET, detail, tuple(sources.values()), fix)


def from_area(key: str, asks: str, area: str, r: Records) -> EvidenceItem:
    claims, _facts = DRAFTERS[area](r)
    return from_claims(key, asks, claims)


def from_obligation(key: str, asks: str, kind: str, r: Records, source: Source) -> EvidenceItem:
    """Current when done within the period in force, out of date when overdue, missing when never done."""
    summary = r.kind(kind)
    period = r.cadences[kind].period
    if summary.overdue_count:
        return EvidenceItem(
            key, asks, AT_RISK, f"Overdue: last done {day(summary.last_completed_at)}; due every {period}.", (source,), source
        )
    if summary.last_completed_at is None:
        return EvidenceItem(key, asks, NOT_MET, f"Never recorded (due every {period}).", (source,), source)
    return EvidenceItem(key, asks, MET, f"Last done {day(summary.last_completed_at)}; due every {period}.", (source,))


def from_documents(key: str, asks: str, kinds: tuple[str, ...], r: Records) -> EvidenceItem:
    docs = [doc for doc in r.documents if doc.kind in kinds]
    upload = Source("Attach a document", reverse("kit:document_new") + f"?kind={kinds[0]}")
    listing = Source("Assessment documents", reverse(DOCUMENTS_URL))
    if not docs:
        return EvidenceItem(key, asks, NOT_MET, "No such document is attached.", (listing,), upload)
    overdue = [doc for doc in docs if doc.review_due_at <= r.now]
    latest = max(doc.reviewed_at for doc in docs)
    if overdue:
        return EvidenceItem(key, asks, AT_RISK, f"{plural(len(overdue), 'document')} overdue for review.", (listing,), listing)
    return EvidenceItem(key, asks, MET, f"{plural(len(docs), 'document')} attached; last reviewed {day(latest)}.", (listing,))


def from_check(key: str, asks: str, clause: str, name: str, r: Records, label: str = "") -> EvidenceItem:
    """An item that repeats a live check of the dashboard: the same status and the same words."""
    finding = r.check(clause, name)
    if finding is None:
        return EvidenceItem(key, asks, NOT_MET, "The portal check is not registered.", check=name)
    status = {"met": MET, "at_risk": AT_RISK}.get(str(finding.status), NOT_MET)
    source = Source(label or asks, finding.url) if finding.url else None
    evidence = (source,) if source else ()
    fix = source if status != MET else None
    return EvidenceItem(key, asks, status, finding.reason[:1].upper() + finding.reason[1:] + ".", evidence, fix, check=name)


def from_result(key: str, asks: str, result: CheckResult, label: str = "Control register") -> EvidenceItem:
    """An item from a check's result as it stands (status and reason): not yet recorded is missing."""
    status = {"met": MET, "at_risk": AT_RISK}.get(str(result.status), NOT_MET)
    source = Source(label, result.url) if result.url else None
    evidence = (source,) if source is not None else ()
    return EvidenceItem(key, asks, status, sentence(result.reason), evidence, source if status != MET else None)


ItemSpec = Callable[[Records], EvidenceItem]


def from_register(key: str, asks: str, clause: str) -> ItemSpec:
    """The control register's result for ``clause`` over every in-scope system (or PII data store)."""
    return lambda r: from_result(key, asks, r.controls.result(clause))


def _link(name: str, label: str, query: str = "") -> Source:
    return Source(label, reverse(name) + query)


def _policy(key: str, asks: str, policy: str, r: Records, label: str) -> EvidenceItem:
    doc = r.policy(policy)
    library = _link("policies:index", "Policy library")
    if doc is None or not doc.in_force:
        return EvidenceItem(key, asks, NOT_MET, f"No approved {label} in the policy library.", (library,), library)
    source = Source(label[:1].upper() + label[1:], doc.url)
    if doc.review_due_at is not None and doc.review_due_at <= r.now:
        return EvidenceItem(key, asks, AT_RISK, f"Version {doc.version} is overdue for review.", (source,), source)
    return EvidenceItem(key, asks, MET, f"Version {doc.version}, last reviewed {day(doc.last_reviewed_at or doc.approved_at)}.", (source,))


# --- what an assessor asks, per clause ---------------------------------------------------------------------
SPECS: dict[str, list[ItemSpec]] = {
    "1.1": [
        from_register(
            "network",
            "Firewalls or network ACLs, segmentation and public access of every in-scope system",
            "1.1",
        ),
        lambda r: from_documents(
            "network_diagram", "Network diagram showing firewalls, access lists and segmentation", ("network", "architecture"), r
        ),
        lambda r: from_claims("anti_malware", "Anti-malware on every end-user device", device_claims(r)),
        lambda r: from_claims("training", "Security training records for everyone with system access", training_claims(r)),
    ],
    "1.2": [
        lambda r: from_area("registry", "Register of people, systems and accounts (unique ids, no shared accounts)", "access", r),
        lambda r: from_obligation(
            "access_review",
            "The last quarterly access review and its sign-off",
            "access_reviews.quarterly_review",
            r,
            _link("access_reviews:campaign_list", "Access reviews"),
        ),
        from_register("lockout", "Account lockout after failed sign-ins on every in-scope system", "1.2"),
    ],
    "1.3": [lambda r: from_area("least_privilege", "Approved access requests and the list of privileged accounts", "least_privilege", r)],
    "1.4": [
        lambda r: from_result("mfa", "MFA on every enabled account of every in-scope system", r.controls.account_mfa()),
        from_register(
            "password_rules",
            "MFA enforced and password settings of every in-scope system (12+ characters, classes, no name, "
            "1-day minimum and 365-day maximum age)",
            "1.4",
        ),
        lambda r: from_claims(
            "amazon_keys", "Amazon API keys stored encrypted, reachable only by named people and services", amazon_key_claims(r)
        ),
    ],
    "1.5": [lambda r: from_area("tls", "TLS 1.2+ on every endpoint, message-level encryption through untrusted proxies", "transit", r)],
    "1.6": [
        lambda r: from_obligation(
            "risk_review",
            "Risk assessment reviewed by senior management in the last 12 months",
            "risks.annual_review",
            r,
            _link("risks:index", "Risk register"),
        ),
        lambda r: from_check(
            "risk_register",
            "Risk register: every risk above the appetite has a treatment plan",
            "1.6",
            "risks.register",
            r,
            "Risk register",
        ),
        lambda r: from_check(
            "ir_plan", "Incident response plan, reviewed every six months and after major changes", "1.6", "policies.ir_plan", r, "IR plan"
        ),
        lambda r: from_area("incidents", "Incident records with Amazon notified within 24 hours", "risk_ir", r),
    ],
    "1.7": [lambda r: from_area("deletion", "Deletion notices with sanitisation records and certificates of destruction", "deletion", r)],
    "1.8": [lambda r: from_area("attribution", "Data stores that keep Amazon Information separate or tag its origin", "attribution", r)],
    "2": [from_register("purpose", "The purposes of PII in every data store holding it (tax and merchant-fulfilled shipping only)", "2")],
    "2.1": [
        lambda r: from_area("retention", "Retention period of each PII store (30 days after delivery, or the legal basis)", "retention", r),
        lambda r: from_obligation(
            "purge",
            "Monthly confirmation that PII past retention was purged",
            "assets.retention_check",
            r,
            _link("compliance:calendar_list", "Retention checks", "?kind=assets.retention_check"),
        ),
    ],
    "2.2": [
        lambda r: _policy("privacy_policy", "Privacy and data-handling policy", "privacy", r, "privacy and data-handling policy"),
        lambda r: from_area("rop", "Record of processing for every PII data store", "governance", r),
        lambda r: from_documents("data_flow", "Data-flow diagram of PII", ("data_flow",), r),
    ],
    "2.3": [
        lambda r: from_check(
            "inventory", "Asset inventory, updated and attested quarterly", "2.3", "Asset inventory current and attested", r, "Inventory"
        ),
        lambda r: from_area("baselines", "Baseline configurations; no PII on personal devices or unencrypted removable media", "assets", r),
        lambda r: from_documents("architecture", "Architecture diagram", ("architecture",), r),
        from_register(
            "dlp", "Data-loss prevention on email, removable media, cloud sharing and public links of every in-scope system", "2.3"
        ),
    ],
    "2.4": [
        lambda r: from_claims(
            "encryption", "Encryption at rest (AES-128 / RSA-2048 or stronger) of every PII store", encryption_claims(r)[0]
        ),
        lambda r: _keys_item(r),
        lambda r: from_check(
            "portal_key", "This portal's own field encryption key, from the environment", "2.4", "Portal field encryption key", r
        ),
    ],
    "2.5": [
        from_register(
            "secrets",
            "Credentials kept out of code, secret scanning, test and production separated and no production PII in tests, "
            "on every in-scope system",
            "2.5",
        ),
        lambda r: from_claims("code_scans", "Code scans before each release", release_claims(r)[0]),
        lambda r: from_claims("environments", "No test-environment asset of the inventory holds PII", test_pii_claims(r, {})),
        # rotation is good practice, not a DPP 2.5 rule: a gap here is "out of date", never "missing"
        lambda r: from_claims(
            "credentials", "Credentials of the inventory stored encrypted and rotated", credential_claims(r), gap_status=AT_RISK
        ),
    ],
    "2.6": [
        from_register(
            "logging",
            "Logging and monitoring of every in-scope system: what is logged, where, kept 90+ days, PII kept out, "
            "tamper protection, alarms and review",
            "2.6",
        ),
        lambda r: _log_retention_item(r),
        lambda r: from_check(
            "audit_trail", "This portal's own audit trail reviewed and its hash chain intact", "2.6", "Audit trail reviewed and intact", r
        ),
    ],
    "2.7": [
        lambda r: _policy("runbook", "Vulnerability-management runbook", "vuln_runbook", r, "vulnerability-management runbook"),
        lambda r: from_obligation(
            "scan", "Vulnerability scan within the period", "assets.vulnerability_scan", r, _link("assets:vulnerabilities", "Scans")
        ),
        lambda r: from_obligation(
            "pentest",
            "Penetration test within the period",
            "assets.penetration_test",
            r,
            _link("assets:vulnerabilities", "Penetration tests"),
        ),
        lambda r: from_claims("findings", "Findings fixed by their severity deadlines", findings_claims(r, {})),
        lambda r: from_area("backup", "Backup and restore plan (RTO/RPO) with tested restores", "rto_rpo", r),
    ],
    "3": [
        lambda r: from_documents("diagrams", "Architecture and data-flow diagrams with review dates", ("architecture", "data_flow"), r),
        lambda r: from_check("books", "Records kept for the agreement and 12 months after", "3", "Books and records retention", r),
        lambda r: _submission_item(r),
    ],
}


def attestation_items(clause: str, r: Records) -> tuple[EvidenceItem, ...]:
    """One item per statement of the clause that only a signature supports: current while signed and
    in force, out of date when it expires within 30 days, expired or was withdrawn, missing when never signed."""
    items = []
    for statement in (s for s in STATEMENTS.values() if s.clause == clause):
        claim = attestation_claim(r, statement.key)
        attestation = r.attestations.get(statement.key)
        state = attestation_state(attestation, r.now)
        status = {OK: MET, MISSING: NOT_MET}.get(state, AT_RISK)
        detail = claim.text
        if state == EXPIRING and attestation is not None:  # (an expiring state has an attestation)
            detail = f"{claim.text} The attestation expires on {attestation.expires_on:%Y-%m-%d}: sign it again."
        fix = claim.fix or (Source("Sign it again", reverse("kit:attestation_sign", args=[statement.key])) if status != MET else None)
        items.append(EvidenceItem(f"attest-{statement.key}", f"Signed attestation: {statement.title}", status, detail, claim.sources, fix))
    return tuple(items)


def _log_retention_item(r: Records) -> EvidenceItem:
    """The portal's own audit trail — one in-scope system among the register's — in the words of what
    its purge really keeps (``grc.books``): never under 90 days, and books and records (DPP 3) may keep
    every event far longer than ``AUDIT_RETENTION_DAYS``. Missing only if the setting itself is under
    90 (refused at start)."""
    asks, days = "This portal's own audit trail kept at least 90 days", r.audit["retention_days"]
    trail = _link("audit:index", "Audit trail")
    if days < 90:
        return EvidenceItem("log_retention", asks, NOT_MET, f"AUDIT_RETENTION_DAYS is {days}; DPP 2.6 needs at least 90.", (trail,))
    return EvidenceItem("log_retention", asks, MET, r.audit["keep"].audit_sentence(), (trail,))


def _keys_item(r: Records) -> EvidenceItem:
    asks = "Encryption keys usable only by your own processes and services"
    pii = r.pii_stores
    src = Source("PII data stores", reverse("assets:index") + "?kind=data_store&pii=yes")
    if not pii:
        return EvidenceItem("keys", asks, NOT_MET, "No data store holding PII is recorded.", (src,), src)
    open_keys = [store for store in pii if not store.keys_service_only]
    if open_keys:
        tags = ", ".join(store.tag for store in open_keys[:5]) + (f" and {len(open_keys) - 5} more" if len(open_keys) > 5 else "")
        detail = f"{plural(len(open_keys), 'PII data store')} do not record that only your services can use the keys ({tags})."
        return EvidenceItem("keys", asks, NOT_MET, detail, (src,), Source(open_keys[0].tag, open_keys[0].url))
    return EvidenceItem("keys", asks, MET, f"All {plural(len(pii), 'PII data store')} record keys usable only by your services.", (src,))


def _submission_item(r: Records) -> EvidenceItem:
    latest = QuestionnaireSubmission.objects.order_by("-submitted_on", "-pk").values("pk", "submitted_on").first()
    listing = _link("kit:submissions", "Questionnaire submissions")
    if latest is None:
        return EvidenceItem(
            "submission",
            "The security answers you submitted to Amazon",
            NOT_MET,
            "No submission snapshot is saved.",
            (listing,),
            _link("kit:questionnaire", "Prepare the answers"),
        )
    source = Source("Latest submission", reverse("kit:submission", args=[latest["pk"]]))
    return EvidenceItem(
        "submission",
        "The security answers you submitted to Amazon",
        MET,
        f"Snapshot submitted on {day(latest['submitted_on'])}.",
        (source,),
    )


# --- public functions ---------------------------------------------------------------------------------------
def current_documents() -> list[KitDocument]:
    return list(KitDocument.objects.filter(superseded_at__isnull=True).order_by("kind", "title", "pk"))


def document_rows(documents, now: datetime, clause: str | None = None) -> tuple[DocumentRow, ...]:
    rows = []
    for doc in documents:
        if clause is not None and clause not in (doc.clauses or []):
            continue
        status = AT_RISK if doc.review_due_at <= now else MET
        rows.append(
            DocumentRow(
                pk=doc.pk,
                kind=doc.kind,
                kind_label=doc.get_kind_display(),
                title=doc.title,
                file_name=doc.file_name,
                sha256=doc.file_sha256,
                uploaded_at=doc.uploaded_at,
                reviewed_at=doc.reviewed_at,
                review_due_at=doc.review_due_at,
                status=status,
                url=reverse("kit:document_download", args=[doc.pk]),
                clauses=tuple(doc.clauses or ()),
            )
        )
    return tuple(rows)


def _title(clause: str) -> str:
    return next((req.title for req in all_requirements() if req.clause == clause), "")


def readiness_checklist(clause: str, now: datetime, *, records: Records | None = None, title: str | None = None) -> Checklist:
    """One clause's checklist. Raises KeyError for a clause the DPP does not have."""
    specs = SPECS[clause]
    r = records or Records(now)
    items = tuple(spec(r) for spec in specs) + attestation_items(clause, r)
    return Checklist(clause, title if title is not None else _title(clause), items, document_rows(r.documents, now, clause), now)


def readiness_checklists(now: datetime, *, records: Records | None = None) -> list[Checklist]:
    """Every clause, in the policy's order, reading the records once."""
    r = records or Records(now)
    return [readiness_checklist(req.clause, now, records=r, title=req.title) for req in all_requirements() if req.clause in SPECS]


@dataclass(frozen=True)
class CadenceHistoryRow:
    kind: str
    clause: str
    title: str
    action: str
    old: str
    new: str
    policy: str
    reason: str
    changed_by: str
    changed_at: datetime
    redated_count: int


def cadence_change_history(*, since: datetime | None = None, until: datetime | None = None) -> list[CadenceHistoryRow]:
    """Every cadence change in ``[since, until)``, newest first (one query), for evidence packs."""

    rows = []
    for change in cadence_change_rows(since=since, until=until):
        cadence = CADENCES.get(change.kind)
        who = change.changed_by
        rows.append(
            CadenceHistoryRow(
                kind=change.kind,
                clause=change.clause,
                title=cadence.title if cadence else change.kind,
                action=change.get_action_display(),
                old=describe(period_from_json(change.old_period)),
                new=describe(period_from_json(change.new_period)),
                policy=describe(period_from_json(change.policy_period)),
                reason=change.reason,
                changed_by=(who.get_full_name() or who.username) if who else "a removed user",
                changed_at=change.changed_at,
                redated_count=change.redated_count,
            )
        )
    return rows


def cadence_changes_for_clause(clause: str) -> list[CadenceChange]:
    return list(CadenceChange.objects.filter(clause=clause).select_related("changed_by")[:20])
