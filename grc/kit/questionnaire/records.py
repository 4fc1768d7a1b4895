"""What the portal's records say, read once per page: the facts behind every draft and checklist item.

``Records(now)`` reads other apps read-only, through their selectors, one aggregate
query per topic (loaded lazily, so a page asks only for what it shows, and the count does not grow
with the number of rows except for the bounded lists of examples). It never reads a free-text or
encrypted field's value: whether such a field is filled in is asked in SQL (an empty encrypted
field is stored as ``""``), so names, notes and secrets cannot reach a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, cast

from django.conf import settings
from django.db.models import Count, Max, Q
from django.urls import reverse

from access_reviews.selectors import amazon_account_counts, people_and_request_counts
from assets.flags import encryption_shortfall
from assets.selectors import data_store_facts, deletion_request_counts, inventory_counts, test_assets_holding_pii, vulnerability_summary
from grc.audit.models import ACTIVE_ALARM_STATUSES, Alarm, AlarmRule, Canary
from grc.books import audit_keep_policy
from grc.compliance.cadences import effective_cadences
from grc.compliance.posture import KindSummary, run_check
from grc.compliance.registry import checks_for
from grc.compliance.selectors import in_savepoint, kind_summaries
from grc.controls.selectors import register_facts
from grc.kit.attestations import current_attestations
from grc.kit.models import KitDocument
from grc.kit.questionnaire.passwords import enforced_password_rules
from grc.policies.selectors import library, major_change_counts

EXAMPLES = 5  # at most this many record ids are named in a sentence ("PII-DB-1, PII-DB-2 and 3 more")
YEAR = timedelta(days=365)
POLICY_CODES = {
    "ir_plan": "ir_plan",
    "privacy": "privacy_policy",
    "classification": "data_classification",
    "vuln_runbook": "vuln_runbook",
    "risk_process": "risk_process",
    "access_control": "access_control",
    "backup": "backup_restore",
}


@dataclass(frozen=True)
class Store:
    """A live data store, by its inventory id (tag) only."""

    asset_id: int
    tag: str
    store_type: str
    environment: str
    pii: bool
    amazon: bool
    encryption: str  # "AES-256", "" when none recorded
    encryption_ok: bool
    keys_service_only: bool
    retention_days: int | None
    legal_basis: bool
    attribution: str
    backup_recorded: bool
    restore_recorded: bool
    restore_tested_at: date | None
    rop_complete: bool
    rop_shared: bool

    @property
    def url(self) -> str:
        return reverse("assets:detail", args=[self.asset_id])

    @property
    def in_scope(self) -> bool:
        return self.pii or self.amazon


@dataclass
class PolicyDoc:
    code: str
    pk: int
    version: int | None
    approved_at: datetime | None
    last_reviewed_at: datetime | None
    review_due_at: datetime | None
    values: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return reverse("policies:document", args=[self.pk])

    @property
    def in_force(self) -> bool:
        return self.version is not None


class Records:
    """The facts of one moment. Every property is one query (or none; the control register a few) and cached."""

    def __init__(self, now: datetime):
        self.now = now

    # --- assets (DPP 1.1, 1.4, 1.5, 1.8, 2.1-2.5) --------------------------------------------------
    @cached_property
    def stores(self) -> list[Store]:
        rows = data_store_facts()
        stores = []
        for (
            asset_id,
            tag,
            store_type,
            env,
            pii,
            amazon,
            algorithm,
            bits,
            keys,
            days,
            basis,
            attribution,
            backup,
            restore,
            tested,
            rop,
            shared,
        ) in rows:
            label = {"aes": "AES", "rsa": "RSA"}.get(algorithm, "other algorithm") if algorithm else ""
            stores.append(
                Store(
                    asset_id=asset_id,
                    tag=tag,
                    store_type=store_type,
                    environment=env,
                    pii=pii,
                    amazon=amazon,
                    encryption=f"{label}-{bits}" if algorithm and bits else label,
                    encryption_ok=encryption_shortfall(algorithm, bits) is None,
                    keys_service_only=keys,
                    retention_days=days,
                    legal_basis=basis,
                    attribution=attribution,
                    backup_recorded=backup,
                    restore_recorded=restore,
                    restore_tested_at=tested,
                    rop_complete=rop,
                    rop_shared=shared,
                )
            )
        return stores

    @cached_property
    def pii_stores(self) -> list[Store]:
        return [store for store in self.stores if store.pii]

    @cached_property
    def assets(self) -> dict[str, int]:
        """Counts over the active inventory (one aggregate query)."""
        rotation_cutoff = (self.now - timedelta(days=int(getattr(settings, "ASSETS_CREDENTIAL_ROTATION_DAYS", 365)))).date()
        baseline_cutoff = (self.now - timedelta(days=int(getattr(settings, "ASSETS_BASELINE_MAX_AGE_DAYS", 365)))).date()
        return inventory_counts(rotation_cutoff=rotation_cutoff, baseline_cutoff=baseline_cutoff)

    @cached_property
    def test_pii_assets(self) -> list[tuple[int, str]]:
        """(id, tag) of test-environment assets that hold PII (DPP 2.5), at most EXAMPLES + 1."""
        rows = test_assets_holding_pii().order_by("tag")
        return list(rows.values_list("id", "tag")[: EXAMPLES + 1])

    # --- vulnerability management (DPP 2.7) --------------------------------------------------------
    @cached_property
    def vulns(self) -> dict:
        return vulnerability_summary(now=self.now, since=self.now - YEAR)

    # --- access (DPP 1.1-1.3) ------------------------------------------------------------------------
    @cached_property
    def accounts(self) -> dict[str, int]:
        return amazon_account_counts()

    @cached_property
    def people(self) -> dict[str, int]:
        return people_and_request_counts(self.now - YEAR)

    # --- the control register (DPP 1.1, 1.2, 1.4, 2, 2.3, 2.5, 2.6) ---------------------------------------
    @cached_property
    def controls(self):
        """Every in-scope system's (and PII data store's) controls, with the verdicts the clause checks
        return: ``grc.controls.selectors.register_facts``, loaded once per page."""
        return register_facts(self.now)

    # --- the obligation engine ------------------------------------------------------------------------
    @cached_property
    def kinds(self) -> dict:
        """kind → KindSummary over all obligations (one aggregate query)."""
        return {summary.kind: summary for summaries in kind_summaries(self.now).values() for summary in summaries}

    def kind(self, kind: str):
        return self.kinds.get(kind) or KindSummary(kind=kind)

    @cached_property
    def cadences(self) -> dict:
        return effective_cadences()

    # --- policy library (DPP 1.6, 2.2, 2.7) --------------------------------------------------------------
    @cached_property
    def policies(self) -> dict[str, PolicyDoc]:
        docs: dict[str, PolicyDoc] = {}
        major_changes = {}
        for document in library():
            version = document.current_version
            docs[document.type.code] = PolicyDoc(
                code=document.type.code,
                pk=document.pk,
                version=version.number if version else None,
                approved_at=version.approved_at if version else None,
                last_reviewed_at=document.last_reviewed_at,
                review_due_at=document.review_due_at,
                values=dict(getattr(version, "values", None) or {}) if version else {},
            )
            major_changes[document.type.code] = cast(Any, document).major_change_due_at  # an annotation of library()
        return docs

    def policy(self, key: str) -> PolicyDoc | None:
        return self.policies.get(POLICY_CODES[key])

    @cached_property
    def major_changes(self) -> dict[str, int]:
        return major_change_counts(now=self.now, since=self.now - YEAR)

    # --- audit trail (DPP 2.6) ---------------------------------------------------------------------------
    @cached_property
    def audit(self) -> dict:

        counts = Alarm.objects.aggregate(
            active=Count("id", filter=Q(status__in=ACTIVE_ALARM_STATUSES)),
            year=Count("id", filter=Q(raised_at__gte=self.now - YEAR)),
            last=Max("raised_at"),
        )
        return {
            "retention_days": int(getattr(settings, "AUDIT_RETENTION_DAYS", 0) or 0),
            "keep": audit_keep_policy(self.now),  # what the purge really keeps (DPP 2.6 and 3)
            "rules": [label for _, label in AlarmRule.choices],
            "canaries": Canary.objects.count(),
            **counts,
        }

    # --- deletion requests (DPP 1.7) ---------------------------------------------------------------------
    @cached_property
    def deletions(self) -> dict[str, int]:
        return deletion_request_counts(since=self.now - YEAR)

    # --- assessment documents (this app) --------------------------------------------------------------
    @cached_property
    def documents(self) -> list:
        return list(KitDocument.objects.filter(superseded_at__isnull=True).order_by("kind", "title", "pk"))

    @cached_property
    def attestations(self) -> dict:
        """The newest signed attestation of each statement (``grc.kit.attestations``)."""
        return current_attestations()

    # --- the portal's own configuration ----------------------------------------------------------------
    @cached_property
    def password_rules(self):
        return enforced_password_rules()

    def check(self, clause: str, name: str):
        """A registered live check's result (``grc.compliance.registry``), or None; run once per Records."""

        cache = self.__dict__.setdefault("_checks", {})
        if (clause, name) not in cache:
            cache[(clause, name)] = next(
                (run_check(check_name, in_savepoint(check), self.now) for check_name, check in checks_for(clause) if check_name == name),
                None,
            )
        return cache[(clause, name)]
