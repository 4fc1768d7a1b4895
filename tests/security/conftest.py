"""A seeded portal and one signed-in session per role class, for the authorization matrix.

``portal`` runs ``manage.py seed_demo``'s seeders (grc.seeding) once per test, gives the demo
users a confirmed TOTP device, adds an auditor whose access has ended, and makes the few objects
the seeders do not (an import of each kind, a calendar feed token). ``portal.session(role)`` is a
session key for a signed-in, MFA-verified user of that role class with a fresh step-up, so pages
behind ``step_up_required`` run their view instead of asking for a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.models import Role, User
from grc.accounts.stepup import SESSION_KEY as STEP_UP_KEY
from grc.seeding import SeedContext, seeders

ROLE_CLASSES = ("anonymous", "staff", "manager", "auditor", "expired_auditor", "security_lead")


@dataclass
class Portal:
    ctx: SeedContext
    users: dict[str, User]
    sessions: dict[str, str] = field(default_factory=dict)
    made: dict[str, object] = field(default_factory=dict)

    def session(self, role_class: str) -> str:
        return self.sessions.get(role_class, "")

    def client(self, role_class: str) -> Client:
        """A fresh test client carrying the role's session cookie (anonymous: none)."""
        client = Client()
        if role_class != "anonymous":
            client.cookies["sessionid"] = self.sessions[role_class]
        return client

    def api_client(self, role_class: str) -> tuple[Client, dict[str, str]]:
        """A client without a session and the header with the role's API token (anonymous: none)."""
        key = self.made.get("api_keys", {}).get(role_class)
        return Client(), ({"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {})

    def pk(self, label: str, **filters) -> int:
        """The id of the first row of ``label`` matching ``filters`` (a sample id for a URL)."""
        model = apps.get_model(label)
        row = model._base_manager.filter(**filters).order_by("pk").values_list("pk", flat=True).first()
        if row is None:
            raise LookupError(f"no {label} row matching {filters} in the seeded portal")
        return row


def sign_in(user: User) -> str:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[STEP_UP_KEY] = timezone.now().timestamp()  # a fresh step-up: signing pages run their view (for 10 minutes)
    session.save()
    return session.session_key


PDF = b"%PDF-1.4 matrix sample\n%%EOF\n"


def _file(field, name: str) -> None:
    field.save(name, ContentFile(PDF), save=False)


def _extra_objects(portal: Portal) -> None:
    """What the seeders leave out but the URLs need, so that each role's sample is one it may use:
    an import of each kind, a calendar feed token, an invitation link, files behind the download
    pages, and the manager as the owner / responsible / handler of the records they act on."""
    from access_reviews.imports.jobs import job_upload
    from access_reviews.models import ConfidentialityAgreement, ImportKind, TrainingRecord
    from assets.files import attach_report
    from assets.imports import import_upload
    from assets.models import DataSubjectRequest, DeletionRequest, DestructionCertificate, VulnerabilityScan
    from grc.accounts.models import hash_token
    from grc.accounts.services import activation_link_create
    from grc.compliance.services import calendar_feed_token_create
    from grc.evidence.models import AuditFinding, CertificationLetter, EvidencePack
    from grc.kit.models import Attestation, KitDocument, QuestionnaireSubmission
    from grc.policies.models import DocumentVersion
    from incidents.custody import evidence_add
    from incidents.models import Incident

    lead, manager, staff, now = portal.users["security_lead"], portal.users["manager"], portal.users["staff"], timezone.now()
    people = b"person_id,first_name,last_name,email,manager_id,department,type,status,started_at,terminated_at\nE9001,Test,Person,test.person@example.com,E1001,Security,employee,active,2025-01-06,\n"
    portal.made["people_import"] = job_upload(kind=ImportKind.PEOPLE, system=None, filename="people.csv", data=people, by=lead, now=now)
    assets = f"tag,name,kind,owner\nLT-9001,Matrix laptop,hardware,{lead.username}\n".encode()
    portal.made["asset_import"] = import_upload(filename="assets.csv", data=assets, by=lead, now=now)
    portal.made["feed_token"] = calendar_feed_token_create(user=manager, now=now)
    newcomer = User.objects.create(username="nnewcomer", first_name="New", last_name="Comer", email="new@example.com", role=Role.STAFF)
    portal.made["invitation_token"] = activation_link_create(user=newcomer, now=now).rstrip("/").rsplit("/", 1)[-1]

    # The staff member's open incident, owned (since triage) by their manager, with an evidence file.
    incident = Incident.objects.filter(reported_by=staff, closed_at__isnull=True).order_by("pk").first()
    Incident.objects.filter(pk=incident.pk).update(owner=manager)
    portal.made["incident"] = incident.pk
    portal.made["evidence"] = evidence_add(
        incident=Incident.objects.get(pk=incident.pk),
        by=lead,
        label="access log",
        upload=SimpleUploadedFile("access.log", b"GET / 200\n"),
        collected_by=lead,
        collected_at=now - timedelta(minutes=5),
        now=now,
    ).pk

    # Files behind the download pages.
    record = TrainingRecord.objects.filter(person__user=staff).order_by("pk").first()
    _file(record.evidence, "certificate.pdf")
    record.save(update_fields=["evidence"])
    portal.made["training_record"] = record.pk
    agreement = ConfidentialityAgreement.objects.order_by("pk").first()
    _file(agreement.document, "nda.pdf")
    agreement.save(update_fields=["document"])
    version = DocumentVersion.objects.order_by("pk").first()
    _file(version.file, "policy.pdf")
    version.save(update_fields=["file"])
    DocumentVersion.objects.create(document=version.document, number=version.number + 100, status="draft", created_by=lead)
    scan = VulnerabilityScan.objects.order_by("pk").first()
    attach_report(scan, SimpleUploadedFile("scan.pdf", PDF))
    scan.save()

    # The manager is the one who acts on these records.
    deletion = DeletionRequest.objects.order_by("pk").first()
    DeletionRequest.objects.filter(pk=deletion.pk).update(responsible=manager)
    certificate = DestructionCertificate(request=deletion, signed_by=lead, signed_at=now, step_up_at=now, sha256="0" * 64)
    _file(certificate.file, "certificate.pdf")
    certificate.save()
    DataSubjectRequest.objects.filter(pk=DataSubjectRequest.objects.order_by("-pk").values("pk")[:1]).update(handler=manager)
    AuditFinding.objects.filter(status="open").update(owner=staff)

    from access_reviews.models import AccessRequest

    waiting = AccessRequest.objects.filter(approver=manager).order_by("pk").first()
    AccessRequest.objects.filter(pk=waiting.pk).update(status="pending", decided_at=None, decided_by=None)
    from grc.risks.services.reviews import review_start

    portal.made["risk_review"] = review_start(approvers=[manager], by=lead, now=now)

    # Rows the seeders do not make (their builders render PDFs in Celery).
    pack = EvidencePack(
        period_start=now.date() - timedelta(days=90),
        period_end=now.date(),
        requested_by=lead,
        status="ready",
        pdf_sha256="0" * 64,
        finished_at=now,
    )
    _file(pack.pdf, "pack.pdf")
    pack.save()
    letter = CertificationLetter(as_of=now, signed_by=lead, signed_at=now, step_up_at=now, sha256="0" * 64)
    _file(letter.file, "letter.pdf")
    letter.save()
    submission = QuestionnaireSubmission(submitted_on=now.date(), content={}, content_sha256="0" * 64, created_by=lead, created_at=now)
    _file(submission.pdf, "answers.pdf")
    submission.save()
    document = KitDocument(
        kind="architecture",
        title="Architecture",
        file_name="a.pdf",
        file_sha256="0" * 64,
        uploaded_at=now,
        reviewed_at=now,
        review_due_at=now + timedelta(days=365),
    )
    _file(document.file, "architecture.pdf")
    document.save()
    attestation = Attestation(
        statement="change_control",
        text="t",
        owner=lead,
        evidence_name="change.pdf",
        signed_by=lead,
        signed_at=now,
        step_up_at=now,
        expires_on=now.date(),
    )
    _file(attestation.evidence, "change.pdf")
    attestation.save()
    from grc.evidence.models import Audit, AuditApproval, RemediationEvidence

    audit = Audit.objects.order_by("pk").first()
    approval = AuditApproval(
        audit=audit, approver_organisation="Amazon", approved_on=now.date(), recorded_by=lead, original_name="a.pdf", sha256="0" * 64
    )
    _file(approval.document, "approval.pdf")
    approval.save()
    finding = AuditFinding.objects.filter(status="open").order_by("pk").first()
    evidence = RemediationEvidence(finding=finding, description="screenshot", uploaded_by=staff, original_name="s.pdf", sha256="0" * 64)
    _file(evidence.file, "screenshot.pdf")
    evidence.save()

    from grc.api.models import ApiToken
    from grc.api.scopes import scopes_for_role
    from grc.api.services import new_key, token_create

    portal.made["api_token"] = token_create(
        user=manager,
        by=manager,
        name="matrix",
        kind="personal",
        scopes=scopes_for_role(manager.role),
        expires_at=now + timedelta(days=30),
        now=now,
    )[0].pk
    keys = portal.made["api_keys"] = {}
    for role_class, user in portal.users.items():  # a token per role class, with every scope its role may hold
        if role_class == "expired_auditor":  # made while their access was current (token_create refuses it now)
            keys[role_class] = key = new_key()
            ApiToken.objects.create(
                name="matrix",
                kind="personal",
                user=user,
                created_by=user,
                prefix=key[:12],
                key_hash=hash_token(key),
                scopes=scopes_for_role(user.role),
                created_at=now - timedelta(days=10),
                expires_at=now + timedelta(days=30),
            )
        elif role_class != "other_manager":
            expires = min(now + timedelta(days=30), user.access_expires_at or now + timedelta(days=30))
            keys[role_class] = token_create(
                user=user, by=user, name="matrix", kind="personal", scopes=scopes_for_role(user.role), expires_at=expires, now=now
            )[1]


@pytest.fixture(autouse=True)
def private_media_root(settings, tmp_path):
    """Files the tests upload go to the test's own folder, never to var/files."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def portal(db, settings) -> Portal:
    settings.SESSION_SAVE_EVERY_REQUEST = False  # nothing here is about idle time: one write less per request
    ctx = SeedContext(now=timezone.now())
    for _label, seed in seeders():
        seed(ctx)
    users = {
        "security_lead": ctx.users["lead"],
        "manager": ctx.users["manager"],
        "other_manager": ctx.users["manager2"],
        "staff": ctx.users["staff"],
        "auditor": ctx.users["auditor"],
        "expired_auditor": User.objects.create(
            username="eexpired",
            first_name="Eve",
            last_name="Expired",
            email="eexpired@example.com",
            role=Role.AUDITOR,
            access_expires_at=timezone.now() - timedelta(days=1),
        ),
    }
    portal = Portal(ctx=ctx, users=users)
    for role_class, user in users.items():
        portal.sessions[role_class] = sign_in(user)
    _extra_objects(portal)
    return portal
