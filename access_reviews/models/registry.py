"""The registry of DPP 1.2/1.3: people, the systems that hold or reach Amazon Information, and
one row per account on a system.

Names and emails are encrypted at rest (``grc.crypto``), so they cannot be sorted or filtered on
in SQL: lists sort by person id, department and status, and emails are found through a keyed
blind index. Account names are encrypted too (they are often emails) and matched by their own
blind index. Account flags are computed by the pure functions of ``access_reviews.flags`` and
stored on the row by the services, so lists can filter and sort on them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from access_reviews.flags import flags_from_fields
from grc.crypto import EncryptedCharField, EncryptedTextField


class PersonKind(models.TextChoices):
    EMPLOYEE = "employee", "Employee"
    CONTRACTOR = "contractor", "Contractor"
    SERVICE_OWNER = "service_owner", "Service owner"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TERMINATED = "terminated", "Terminated"


class Person(models.Model):
    """Someone with (or who had) access to Information: one unique id each (DPP 1.2)."""

    person_id = models.CharField("person id", max_length=40, unique=True, help_text="Employee or contractor number; unique.")
    first_name = EncryptedCharField()
    last_name = EncryptedCharField()
    email = EncryptedCharField(blank=True)
    email_index = models.CharField(max_length=64, blank=True, editable=False, help_text="keyed hash of the email, for lookups")
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registry_person",
        help_text="The portal user who is this person, if any. A person's manager's portal user reviews their accounts.",
    )
    department = models.CharField(max_length=100, blank=True)
    kind = models.CharField("type", max_length=20, choices=PersonKind.choices, default=PersonKind.EMPLOYEE)
    status = models.CharField(max_length=20, choices=PersonStatus.choices, default=PersonStatus.ACTIVE, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    terminated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person_id"]
        constraints = [
            models.UniqueConstraint(fields=["email_index"], condition=~Q(email_index=""), name="person_email_unique"),
            models.CheckConstraint(
                condition=Q(status="active", terminated_at__isnull=True) | Q(status="terminated", terminated_at__isnull=False),
                name="person_terminated_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.person_id

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_terminated(self) -> bool:
        return self.status == PersonStatus.TERMINATED


class System(models.Model):
    """An application or service that holds or reaches Amazon Information, with an owner."""

    name = models.CharField(max_length=120, unique=True)
    description = EncryptedTextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,  # only the portal's own row (created by a migration, before any user exists) has none
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_systems",
    )
    is_portal = models.BooleanField(
        "this portal",
        default=False,
        editable=False,
        help_text="The compliance portal itself: one in-scope system among the others, its controls filled in from its settings.",
    )
    holds_amazon_information = models.BooleanField(
        "holds or reaches Amazon Information", default=True, help_text="Stores, processes or can reach Information (DPP scope)."
    )
    in_scope = models.BooleanField("in scope for access reviews", default=True)
    asset = models.ForeignKey(
        "assets.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_systems",
        help_text="The entry of the asset inventory (DPP 2.3) this system corresponds to, if any.",
    )
    column_mapping = models.JSONField(default=dict, blank=True, editable=False, help_text="CSV column for each account field")
    import_preset = models.CharField(
        max_length=20, default="custom", editable=False, help_text="the source preset its account files are read with (imports.presets)"
    )
    last_import_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["is_portal"], condition=Q(is_portal=True), name="system_one_portal_row")]

    def __str__(self) -> str:
        return self.name


class Mfa(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown"


class FlagFields(models.Model):
    """The stored result of ``flags.account_flags`` (on accounts, and snapshotted on review rows)."""

    flag_orphan = models.BooleanField(default=False)
    flag_shared = models.BooleanField(default=False)
    flag_no_mfa = models.BooleanField(default=False)
    flag_privileged = models.BooleanField(default=False)
    flag_no_request = models.BooleanField(default=False)
    flag_revoked_present = models.BooleanField(default=False)
    flag_count = models.PositiveSmallIntegerField(default=0, db_index=True)

    class Meta:
        abstract = True

    @property
    def flags(self):
        return flags_from_fields(self)


class Account(FlagFields):
    """One account on one system: whose it is, what it may do, and whether it is still there."""

    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="accounts")
    name = EncryptedCharField("account name")
    name_index = models.CharField(max_length=64, editable=False, help_text="keyed hash of the account name, for matching imports")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    is_service_account = models.BooleanField("service account", default=False)
    is_shared = models.BooleanField("used by more than one person", default=False)
    # An import's guess (AWS: no console password, an active access key) that the reviewer confirms
    # or rejects; once they did (reviewed_at), later imports leave both fields alone.
    service_account_suggested = models.BooleanField("service account?", default=False)
    service_account_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    purpose = EncryptedTextField(blank=True, help_text="For a service account: what it is for.")
    privilege = models.CharField("privilege / role", max_length=120, blank=True)
    privileged = models.BooleanField(default=False, help_text="Administrative or otherwise elevated rights.")
    mfa = models.CharField("MFA on this system", max_length=10, choices=Mfa.choices, default=Mfa.UNKNOWN)
    last_login_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Absent from the last import of its system.")
    last_seen_at = models.DateTimeField(null=True, blank=True, help_text="Last import that listed it.")
    access_request = models.ForeignKey(
        "access_reviews.AccessRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["system__name", "pk"]
        constraints = [models.UniqueConstraint(fields=["system", "name_index"], name="account_unique_per_system")]
        indexes = [
            models.Index(fields=["system", "removed_at"]),
            models.Index(fields=["person", "enabled"]),
            # the accounts list's default order (flagged first): its first page comes from the index (README "Performance")
            models.Index(fields=["-flag_count", "id"], name="account_list_flagged_first"),
        ]

    def __str__(self) -> str:
        return f"account {self.pk} on {self.system_id}"

    @property
    def is_present(self) -> bool:
        return self.removed_at is None


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class AccessRequest(models.Model):
    """The formal access registration of DPP 1.2: who, which system, which privilege, why, and who decided."""

    requester = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="access_requests")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="access_requests")
    privilege = models.CharField(max_length=120)
    privileged = models.BooleanField(default=False)
    justification = EncryptedTextField(help_text="Why this person needs this access (need-to-know, DPP 1.3).")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests_to_decide")
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_note = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True) | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="access_request_decision_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"access request {self.pk}"
