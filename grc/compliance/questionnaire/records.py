"""What the portal's records say, read once per page: the facts behind every draft and checklist item.

``Records(now)`` reads other apps read-only, through their models and selectors, one aggregate
query per topic (loaded lazily, so a page asks only for what it shows, and the count does not grow
with the number of rows except for the bounded lists of examples). It never reads a free-text or
encrypted field's value: whether such a field is filled in is asked in SQL (an empty encrypted
field is stored as ``""``), so names, notes and secrets cannot reach a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.db.models import BooleanField, Case, Count, F, Max, Q, Value, When
from django.urls import reverse

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


def _filled(name: str):
    """``True`` when a (possibly encrypted) text field is not empty — decided in SQL, never decrypted."""
    return Case(
        When(**{name: ""}, then=Value(False)),
        When(**{f"{name}__isnull": True}, then=Value(False)),
        default=Value(True),
        output_field=BooleanField(),
    )


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
    restore_tested_at: object
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
        from assets.flags import encryption_shortfall
        from assets.models import AssetKind, DataStore

        rows = (
            DataStore.objects.filter(asset__kind=AssetKind.DATA_STORE, asset__retired_at__isnull=True)
            .annotate(
                backup_recorded=_filled("backup_procedure"),
                restore_recorded=_filled("restore_procedure"),
                legal_basis=_filled("retention_legal_basis"),
                sharing_recorded=_filled("rop_shared"),
                rop_complete=Case(
                    When(
                        Q(rop_data_fields="")
                        | Q(rop_collected="")
                        | Q(rop_processed="")
                        | Q(rop_stored="")
                        | Q(rop_used="")
                        | Q(rop_shared="")
                        | Q(rop_disposed=""),
                        then=Value(False),
                    ),
                    default=Value(True),
                    output_field=BooleanField(),
                ),
            )
            .values_list(
                "asset_id",
                "asset__tag",
                "store_type",
                "asset__environment",
                "asset__holds_pii",
                "asset__holds_amazon_information",
                "asset__encryption_algorithm",
                "asset__encryption_key_bits",
                "keys_service_only",
                "pii_retention_days",
                "legal_basis",
                "attribution",
                "backup_recorded",
                "restore_recorded",
                "restore_tested_at",
                "rop_complete",
                "sharing_recorded",
            )
            .order_by("asset__tag", "asset_id")
        )
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
        from assets.models import AMAZON_CREDENTIALS, END_USER_DEVICES, Asset, AssetKind, Ownership

        active = Asset.objects.filter(retired_at__isnull=True)
        device = Q(kind=AssetKind.HARDWARE, hardware_type__in=END_USER_DEVICES)
        credential = Q(kind=AssetKind.CREDENTIAL)
        amazon_key = credential & Q(credential_type__in=AMAZON_CREDENTIALS)
        encrypted = ~Q(encryption_algorithm="")
        endpoint = Q(kind=AssetKind.ENDPOINT)
        info = Q(holds_pii=True) | Q(holds_amazon_information=True)
        rotation_cutoff = (self.now - timedelta(days=int(getattr(settings, "ASSETS_CREDENTIAL_ROTATION_DAYS", 365)))).date()
        baseline_cutoff = (self.now - timedelta(days=int(getattr(settings, "ASSETS_BASELINE_MAX_AGE_DAYS", 365)))).date()
        baseline_kinds = Q(kind__in=[AssetKind.HARDWARE, AssetKind.SOFTWARE, AssetKind.DATA_STORE])
        return active.aggregate(
            total=Count("id"),
            flagged=Count("id", filter=Q(flag_count__gt=0)),
            devices=Count("id", filter=device),
            devices_protected=Count("id", filter=device & Q(anti_malware_present=True, anti_malware_updated=True)),
            devices_encrypted=Count("id", filter=device & encrypted),
            personal_with_info=Count("id", filter=Q(kind=AssetKind.HARDWARE, ownership=Ownership.PERSONAL) & info),
            removable_pii_plain=Count("id", filter=Q(kind=AssetKind.REMOVABLE_MEDIA, holds_pii=True, encryption_algorithm="")),
            credentials=Count("id", filter=credential),
            credentials_encrypted=Count("id", filter=credential & encrypted),
            credentials_holders=Count("id", filter=credential & ~Q(access_holders="")),
            credentials_rotated=Count("id", filter=credential & Q(last_rotated_at__gte=rotation_cutoff)),
            amazon_keys=Count("id", filter=amazon_key),
            amazon_keys_encrypted=Count("id", filter=amazon_key & encrypted),
            amazon_keys_holders=Count("id", filter=amazon_key & ~Q(access_holders="")),
            endpoints=Count("id", filter=endpoint),
            endpoints_tls=Count("id", filter=endpoint & Q(tls_min_version__in=["1.2", "1.3"])),
            endpoints_proxy_plain=Count("id", filter=endpoint & Q(untrusted_proxy=True, message_encryption=False)),
            production=Count("id", filter=Q(environment="production")),
            test=Count("id", filter=Q(environment="test")),
            test_with_pii=Count("id", filter=Q(environment="test", holds_pii=True)),
            baseline_kinds=Count("id", filter=baseline_kinds),
            baseline_current=Count("id", filter=baseline_kinds & ~Q(baseline_reference="") & Q(baseline_verified_at__gte=baseline_cutoff)),
        )

    @cached_property
    def test_pii_assets(self) -> list[tuple[int, str]]:
        """(id, tag) of test-environment assets that hold PII (DPP 2.5), at most EXAMPLES + 1."""
        from assets.models import Asset

        rows = Asset.objects.filter(retired_at__isnull=True, environment="test", holds_pii=True).order_by("tag")
        return list(rows.values_list("id", "tag")[: EXAMPLES + 1])

    # --- vulnerability management (DPP 2.7) --------------------------------------------------------
    @cached_property
    def vulns(self) -> dict:
        from assets.models import Finding as VulnFinding
        from assets.models import FindingStatus, PenetrationTest, ReleaseScan, VulnerabilityScan

        scan = VulnerabilityScan.objects.order_by("-performed_at", "-pk").values("pk", "performed_at").first()
        pentest = PenetrationTest.objects.order_by("-performed_at", "-pk").values("pk", "performed_at").first()
        year_ago = self.now - YEAR
        releases = ReleaseScan.objects.filter(release_date__gte=year_ago, release_date__lte=self.now).aggregate(
            total=Count("id"),
            scanned_before=Count("id", filter=Q(scanned_at__isnull=False, scanned_at__lte=F("release_date"))),
            unscanned=Count("id", filter=Q(scanned_at__isnull=True)),
        )
        findings = VulnFinding.objects.aggregate(
            open=Count("id", filter=Q(status=FindingStatus.OPEN)),
            overdue=Count("id", filter=Q(status=FindingStatus.OPEN, due_at__lte=self.now)),
            open_critical=Count("id", filter=Q(status=FindingStatus.OPEN, severity="critical")),
            open_high=Count("id", filter=Q(status=FindingStatus.OPEN, severity="high")),
            fixed_year=Count("id", filter=Q(status=FindingStatus.FIXED, resolved_at__gte=year_ago)),
            fixed_late_year=Count("id", filter=Q(status=FindingStatus.FIXED, resolved_at__gte=year_ago, resolved_at__gt=F("due_at"))),
            accepted=Count("id", filter=Q(status=FindingStatus.ACCEPTED)),
        )
        return {"scan": scan, "pentest": pentest, "releases": releases, "findings": findings}

    # --- access (DPP 1.1-1.3) ------------------------------------------------------------------------
    @cached_property
    def accounts(self) -> dict[str, int]:
        from access_reviews.models import Account, Mfa

        present = Account.objects.filter(removed_at__isnull=True, enabled=True, system__holds_amazon_information=True)
        return present.aggregate(
            total=Count("id"),
            mfa_yes=Count("id", filter=Q(mfa=Mfa.YES)),
            mfa_no=Count("id", filter=Q(mfa=Mfa.NO)),
            mfa_unknown=Count("id", filter=Q(mfa=Mfa.UNKNOWN)),
            shared=Count("id", filter=Q(flag_shared=True)),
            orphan=Count("id", filter=Q(flag_orphan=True)),
            privileged=Count("id", filter=Q(privileged=True)),
            no_request=Count("id", filter=Q(flag_no_request=True)),
            service=Count("id", filter=Q(is_service_account=True)),
            systems=Count("system", distinct=True),
        )

    @cached_property
    def people(self) -> dict[str, int]:
        from access_reviews.models import AccessRequest, Person

        counts = Person.objects.aggregate(active=Count("id", filter=Q(status="active")))
        counts.update(
            AccessRequest.objects.aggregate(
                requests_year=Count("id", filter=Q(created_at__gte=self.now - YEAR)),
                approved_year=Count("id", filter=Q(status="approved", decided_at__gte=self.now - YEAR)),
            )
        )
        return counts

    # --- the control register (DPP 1.1, 1.2, 1.4, 2, 2.3, 2.5, 2.6) ---------------------------------------
    @cached_property
    def controls(self):
        """Every in-scope system's (and PII data store's) controls, with the verdicts the clause checks
        return: ``grc.controls.selectors.register_facts``, loaded once per page."""
        from grc.controls.selectors import register_facts

        return register_facts(self.now)

    # --- the obligation engine ------------------------------------------------------------------------
    @cached_property
    def kinds(self) -> dict:
        """kind → KindSummary over all obligations (one aggregate query)."""
        from grc.compliance.selectors import kind_summaries

        return {summary.kind: summary for summaries in kind_summaries(self.now).values() for summary in summaries}

    def kind(self, kind: str):
        from grc.compliance.posture import KindSummary

        return self.kinds.get(kind) or KindSummary(kind=kind)

    @cached_property
    def cadences(self) -> dict:
        from grc.compliance.cadences import effective_cadences

        return effective_cadences()

    # --- policy library (DPP 1.6, 2.2, 2.7) --------------------------------------------------------------
    @cached_property
    def policies(self) -> dict[str, PolicyDoc]:
        from grc.policies.selectors import library

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
            major_changes[document.type.code] = document.major_change_due_at
        return docs

    def policy(self, key: str) -> PolicyDoc | None:
        return self.policies.get(POLICY_CODES[key])

    @cached_property
    def major_changes(self) -> dict[str, int]:
        from grc.policies.models import MajorChange

        return MajorChange.objects.aggregate(
            year=Count("id", filter=Q(changed_at__gte=self.now - YEAR)),
            unreviewed=Count("id", filter=Q(review__isnull=True)),
            overdue=Count("id", filter=Q(review__isnull=True, review_due_at__lte=self.now)),
        )

    # --- audit trail (DPP 2.6) ---------------------------------------------------------------------------
    @cached_property
    def audit(self) -> dict:
        from grc.audit.models import ACTIVE_ALARM_STATUSES, Alarm, AlarmRule, Canary
        from grc.books import audit_keep_policy

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
        from assets.models import DeletionRequest

        return DeletionRequest.objects.aggregate(
            total=Count("id"),
            certified=Count("id", filter=Q(certificate__isnull=False)),
            year=Count("id", filter=Q(received_at__gte=self.now - YEAR)),
        )

    # --- assessment documents (this app) --------------------------------------------------------------
    @cached_property
    def documents(self) -> list:
        from grc.compliance.kit_models import KitDocument

        return list(KitDocument.objects.filter(superseded_at__isnull=True).order_by("kind", "title", "pk"))

    @cached_property
    def attestations(self) -> dict:
        """The newest signed attestation of each statement (``grc.compliance.attestations``)."""
        from grc.compliance.attestations import current_attestations

        return current_attestations()

    # --- the portal's own configuration ----------------------------------------------------------------
    @cached_property
    def password_rules(self):
        from grc.compliance.questionnaire.passwords import enforced_password_rules

        return enforced_password_rules()

    def check(self, clause: str, name: str):
        """A registered live check's result (``grc.compliance.registry``), or None; run once per Records."""
        from grc.compliance.posture import run_check
        from grc.compliance.registry import checks_for
        from grc.compliance.selectors import in_savepoint

        cache = self.__dict__.setdefault("_checks", {})
        if (clause, name) not in cache:
            cache[(clause, name)] = next(
                (run_check(check_name, in_savepoint(check), self.now) for check_name, check in checks_for(clause) if check_name == name),
                None,
            )
        return cache[(clause, name)]
