"""The declared authorization matrix of the portal (DPP 1.3, least privilege).

One entry per URL name: who may GET and who may POST it, and how the test finds a sample id.
tests/security/test_authz_matrix.py requests every URL the resolver knows as each role class —
anonymous, staff, manager, auditor, expired auditor, security lead — with GET and with POST, and
compares what happens with what is declared here. A URL missing from this file fails the test.

What each role class is expected to get, for a method whose allowed roles are ``roles``:

=================================  ==========================================================
role class                          expected outcome
=================================  ==========================================================
in ``roles``                        ``in``: the view ran (2xx, a redirect that is not to the
                                    sign-in page, or 400 for refused input)
anonymous                           ``login``: 302 to the sign-in page
expired auditor                     ``login``: the access window ended, the session is ended
a role that passes the page's       ``405`` when the method is not offered (``NO``); the
role check (``gate``)               gate is the union of both methods' roles unless given
any other role                      ``403``, audited as ``accounts.permission_denied``
=================================  ==========================================================

Special kinds of access instead of a role set:

* ``PUBLIC`` — no sign-in needed (sign-in pages, invitation links, the health check);
* ``TOKEN`` — the secret token in the path is the credential (the iCalendar feed): everyone
  with the token gets in, a wrong token gets 404, whoever asks (an expired auditor's own
  session is ended first, like everywhere outside the sign-in pages);
* ``NOT_OFFERED`` — the method is refused (405) before any role check;
* ``API(...)`` instead of ``R(...)`` — an endpoint of the REST API: called with a bearer token of
  each role class instead of a session; without a token, or with an expired auditor's, 401;
* ``ADMIN`` — the Django admin site: only the security lead (``is_staff``) with a verified
  second factor gets past its gate (what follows is Django's model permissions: a page, a 403
  or a 404); everyone else is sent to the admin's sign-in page.

``expect`` overrides single cells, each with its reason in a comment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLE_CLASSES = ("anonymous", "staff", "manager", "auditor", "expired_auditor", "security_lead")
SIGNED_IN = ("staff", "manager", "auditor", "security_lead")

LEAD = frozenset({"security_lead"})
LEAD_OR_MANAGER = frozenset({"security_lead", "manager"})
READERS = frozenset({"security_lead", "manager", "auditor"})
LEAD_OR_AUDITOR = frozenset({"security_lead", "auditor"})
EVERYONE = frozenset({"security_lead", "manager", "auditor", "staff"})
WORKFORCE = frozenset({"security_lead", "manager", "staff"})
MANAGER = frozenset({"manager"})  # object-level: the sample names the manager (responsible, approver …)
LEAD_OR_STAFF = frozenset({"security_lead", "staff"})  # object-level: the sample's owner is the staff member
NOBODY = frozenset()  # as a gate: nobody passes the check of this method (e.g. a read-only API area)
NO = frozenset()  # the method is not offered: 405 for whoever passes the page's role check, 403 for the rest
NOT_OFFERED = "not offered"  # the method is refused before any role check: 405 for everyone who reaches the view

PUBLIC = "public"
TOKEN = "token"
ADMIN = "admin"

IN, LOGIN, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = "in", "login", "401", "403", "404", "405"
ADMITTED = "past the admin's gate"  # any answer but the admin's sign-in page (or a 5xx): model permissions decide the rest


@dataclass(frozen=True)
class AsUser:
    """In a sample filter: the user of a role class (``AsUser("manager")``)."""

    role_class: str


def obj(label: str, **filters) -> Callable[[Any], Any]:
    """A sample id: the first row of ``label`` matching ``filters`` in the seeded portal."""

    def find(portal):
        resolved = {k: portal.users[v.role_class] if isinstance(v, AsUser) else v for k, v in filters.items()}
        return portal.pk(label, **resolved)

    find.__qualname__ = f"obj({label!r})"
    return find


def attr(label: str, attribute: str, **filters) -> Callable[[Any], Any]:
    """A sample value: ``attribute`` of the first row of ``label`` (e.g. the parent id of a child row)."""

    def find(portal):
        from django.apps import apps

        return getattr(apps.get_model(label)._base_manager.get(pk=obj(label, **filters)(portal)), attribute)

    find.__qualname__ = f"attr({label!r}, {attribute!r})"
    return find


def made(key: str) -> Callable[[Any], Any]:
    """A sample value the test's fixture made (``portal.made[key]``, e.g. a calendar feed token)."""

    def find(portal):
        return portal.made[key]

    find.__qualname__ = f"made({key!r})"
    return find


def scan_import_job(portal) -> int:
    """A scan import that failed (the seeders queue none; a failed one's page renders without a worker)."""
    from assets.models import ScanImportJob, ScanImportStatus

    job = ScanImportJob.objects.order_by("pk").first() or ScanImportJob.objects.create(
        filename="trivy.json", status=ScanImportStatus.FAILED, failure="The file is not valid JSON (it may be cut short): line 3."
    )
    return job.pk


def control_entry_with_evidence_file(portal) -> int:
    """A control entry with an evidence file (the demo's entries link their evidence): one gets a file on first use."""
    from django.core.files.base import ContentFile

    from grc.controls.models import ControlEntry

    entry = ControlEntry.objects.exclude(evidence_file="").order_by("pk").first()
    if entry is None:
        entry = ControlEntry.objects.order_by("pk").first()
        if entry is None:
            raise LookupError("no controls.ControlEntry row in the seeded portal")
        entry.evidence_file.save("evidence.txt", ContentFile(b"firewall rules export\n"), save=True)
    return entry.pk


def aws_connected_system(portal) -> int:
    """A system with an AWS connection (the demo has none): the first system gets one on first use."""
    from grc.controls.models import AwsConnection

    connection = AwsConnection.objects.order_by("pk").first()
    if connection is None:
        system_id = portal.pk("access_reviews.System")
        connection = AwsConnection.objects.create(system_id=system_id, role_arn="arn:aws:iam::123456789012:role/dpp", regions=["eu-west-1"])
    return connection.system_id


def aws_collection(portal) -> int:
    """A stored AWS collection with its evidence file: one is made on first use."""
    from datetime import UTC, datetime

    from django.core.files.base import ContentFile

    from grc.controls.models import AwsCollection, AwsConnection

    collection = AwsCollection.objects.order_by("pk").first()
    if collection is None:
        connection = AwsConnection.objects.get(system_id=aws_connected_system(portal))
        collection = AwsCollection(
            connection=connection, collected_at=datetime(2026, 12, 1, tzinfo=UTC), status="collected", evidence_sha256="0" * 64
        )
        collection.evidence.save("aws.json", ContentFile(b"{}"), save=True)
    return collection.pk


@dataclass(frozen=True)
class Rule:
    get: frozenset | str
    post: frozenset | str
    gate: frozenset | None = None  # the page's role check, when wider than who gets in
    auth: str = "session"  # "token": an API endpoint, called with each role's API token instead of a session
    args: dict[str, Any] = field(default_factory=dict)  # path argument -> value or obj(...)
    expect: dict[tuple[str, str], str] = field(default_factory=dict)  # (method, role class) -> outcome


def R(get, post=None, *, gate=None, expect=None, **args) -> Rule:  # noqa: N802  (reads like a table row)
    return Rule(get=get, post=get if post is None else post, gate=gate, args=args, expect=expect or {})


def API(get, post=None, *, gate=None, expect=None, **args) -> Rule:  # noqa: N802
    """An API endpoint: each role class calls it with a bearer token of its own (all the scopes its
    role may hold); no token (anonymous) or the token of an expired auditor gets 401."""
    return Rule(get=get, post=get if post is None else post, gate=gate, auth="token", args=args, expect=expect or {})


def cells(method: str, outcome: str, role_classes=ROLE_CLASSES) -> dict[tuple[str, str], str]:
    """``expect`` for several role classes at once."""
    return {(method, role_class): outcome for role_class in role_classes}


def expected(rule: Rule, method: str, role_class: str) -> str:
    override = rule.expect.get((method, role_class))
    if override:
        return override
    allowed = rule.get if method == "GET" else rule.post
    if allowed == NOT_OFFERED:
        return LOGIN if role_class == "expired_auditor" else NOT_ALLOWED
    if allowed == PUBLIC:
        return IN
    if allowed == TOKEN:
        return LOGIN if role_class == "expired_auditor" else IN
    if allowed == ADMIN:
        return ADMITTED if role_class == "security_lead" else LOGIN
    if role_class in ("anonymous", "expired_auditor"):
        return UNAUTHENTICATED if rule.auth == "token" else LOGIN
    if role_class in allowed:
        return IN
    gate = rule.gate if rule.gate is not None else frozenset().union(*(s for s in (rule.get, rule.post) if isinstance(s, frozenset)))
    if not allowed and role_class in gate:
        return NOT_ALLOWED
    return FORBIDDEN


# --- the matrix ----------------------------------------------------------------------------------
MATRIX: dict[str, Rule] = {
    "api:docs": R(EVERYONE, NO),  # the API documentation page, for signed-in users
    "api:not_found": API(
        NOBODY, NOBODY, gate=NOBODY, expect=cells("GET", NOT_FOUND, SIGNED_IN) | cells("POST", NOT_FOUND, SIGNED_IN)
    ),  # any other /api/ path: a JSON 404
    "api:schema": API(EVERYONE, NO, gate=EVERYONE),  # the OpenAPI schema, for any valid token (or a verified session)
    "api:token": API(EVERYONE, NO, gate=EVERYONE),  # about the calling token itself
    "api:audit-event-detail": API(LEAD, NO, gate=NOBODY, pk=obj("audit.AuditEvent")),  # the security lead only, read-only
    "api:audit-event-list": API(LEAD, NO, gate=NOBODY),  # the security lead only, read-only
    "api:dpp-status": API(EVERYONE, NO, gate=NOBODY),  # a read-only area
    "api:obligation-detail": API(EVERYONE, NO, gate=NOBODY, pk=obj("compliance.Obligation", owner=AsUser("staff"))),  # a read-only area
    "api:obligation-list": API(EVERYONE, NO, gate=NOBODY),  # a read-only area
    "api:control-bulk": API(NO, LEAD, gate=READERS),  # the infrastructure-as-code feed of the control register
    "api:control-detail": API(READERS, NO, gate=LEAD, pk=obj("controls.ControlEntry")),  # DELETE (the lead) is tested in tests/api
    "api:control-list": API(READERS, LEAD),  # POST records an entry (the security lead)
    "api:control-status": API(READERS, NO, gate=LEAD),  # each clause's verdicts, computed now
    "api:risk-detail": API(READERS, NO, gate=NOBODY, pk=obj("risks.Risk")),  # a read-only area
    "api:risk-list": API(READERS, NO, gate=NOBODY),  # a read-only area
    "api:incident-detail": API(EVERYONE, NO, gate=WORKFORCE, pk=made("incident")),
    "api:incident-list": API(EVERYONE, WORKFORCE),
    "api:incident-detection": API(
        NO, LEAD_OR_MANAGER, gate=EVERYONE, pk=made("incident")
    ),  # correct the detection time: the owner (here the manager) or the lead; the reporter gets 403
    "api:release-scan-result": API(NO, LEAD, gate=READERS, pk=obj("assets.ReleaseScan")),
    "api:release-scan-detail": API(READERS, NO, gate=LEAD, pk=obj("assets.ReleaseScan")),
    "api:release-scan-list": API(READERS, LEAD),
    "api:finding-resolve": API(NO, LEAD, gate=READERS, pk=obj("assets.Finding")),
    "api:finding-detail": API(READERS, NO, gate=LEAD, pk=obj("assets.Finding")),
    "api:finding-list": API(READERS, LEAD),
    "api:vulnerability-scan-detail": API(READERS, NO, gate=LEAD, pk=obj("assets.VulnerabilityScan")),
    "api:vulnerability-scan-list": API(READERS, LEAD),
    "api:vulnerability-scan-import": API(NO, LEAD, gate=READERS),
    "api:data-store-detail": API(READERS, NO, gate=LEAD, pk=obj("assets.DataStore")),
    "api:data-store-list": API(READERS, NO, gate=LEAD),
    "api:asset-retire": API(NO, LEAD, gate=READERS, pk=obj("assets.Asset")),
    "api:asset-detail": API(READERS, NO, gate=LEAD, pk=obj("assets.Asset")),
    "api:asset-list": API(READERS, LEAD),
    "api:system-accounts-sync": API(NO, LEAD, gate=READERS, pk=obj("access_reviews.System")),
    "api:system-accounts-import": API(NO, LEAD, gate=READERS, pk=obj("access_reviews.System")),
    "api:system-accounts-sync-sessions": API(NO, LEAD, gate=READERS, pk=obj("access_reviews.System")),
    # a sync session is the opening token's own: the lead's matrix token never opened session 999999 (404)
    "api:system-accounts-sync-session-pages": API(
        NO, LEAD, gate=READERS, pk=obj("access_reviews.System"), session_id=999999, expect={("POST", "security_lead"): NOT_FOUND}
    ),
    "api:system-accounts-sync-session-commit": API(
        NO, LEAD, gate=READERS, pk=obj("access_reviews.System"), session_id=999999, expect={("POST", "security_lead"): NOT_FOUND}
    ),
    # DELETE only: a reader's GET is 405, a POST needs access:write first (403) — only the lead reaches the 405
    "api:system-accounts-sync-session": API(
        NO,
        NO,
        gate=READERS,
        pk=obj("access_reviews.System"),
        session_id=999999,
        expect={("POST", "manager"): FORBIDDEN, ("POST", "auditor"): FORBIDDEN},
    ),
    "api:system-detail": API(READERS, NO, gate=LEAD, pk=obj("access_reviews.System")),
    "api:system-list": API(READERS, NO, gate=LEAD),
    "api:account-detail": API(READERS, NO, gate=LEAD, pk=obj("access_reviews.Account", person__manager__user=AsUser("manager"))),
    "api:account-list": API(READERS, NO, gate=LEAD),
    "api:person-terminate": API(NO, LEAD, gate=READERS, pk=obj("access_reviews.Person", manager__user=AsUser("manager"))),
    "api:person-sync": API(NO, LEAD, gate=READERS),
    "api:person-import": API(NO, LEAD, gate=READERS),
    "api:person-detail": API(READERS, NO, gate=LEAD, pk=obj("access_reviews.Person", manager__user=AsUser("manager"))),
    "api:person-list": API(READERS, LEAD),
    "admin:logout": R(
        PUBLIC,
        expect={
            ("GET", "expired_auditor"): LOGIN,
            ("POST", "expired_auditor"): LOGIN,
            ("GET", "security_lead"): NOT_ALLOWED,
            ("POST", "security_lead"): LOGIN,
        },
    ),  # Django's admin sign-out (POST)
    "admin:login": R(
        PUBLIC, expect=cells("GET", LOGIN, ["expired_auditor"]) | cells("POST", LOGIN, ["expired_auditor"])
    ),  # the admin's own sign-in page
    "/": R(
        PUBLIC, expect={**cells("GET", LOGIN, ["expired_auditor"]), **cells("POST", LOGIN, ["expired_auditor"])}
    ),  # redirects to the dashboard; an expired auditor is signed out first
    "access_reviews:account_create": R(LEAD),
    "access_reviews:account_detail": R(READERS, pk=obj("access_reviews.Account", person__manager__user=AsUser("manager"))),
    "access_reviews:account_edit": R(LEAD, pk=obj("access_reviews.Account", person__manager__user=AsUser("manager"))),
    "access_reviews:account_export": R(LEAD_OR_AUDITOR),
    "access_reviews:account_list": R(READERS),
    "access_reviews:accounts_import": R(LEAD, system_pk=obj("access_reviews.System")),
    "access_reviews:bulk_keep": R(NO, LEAD_OR_MANAGER, pk=obj("access_reviews.Campaign")),
    "access_reviews:campaign_detail": R(READERS, pk=obj("access_reviews.Campaign")),
    "access_reviews:campaign_list": R(READERS),
    "access_reviews:campaign_report": R(LEAD_OR_AUDITOR, pk=obj("access_reviews.Campaign")),
    "access_reviews:campaign_start": R(LEAD),
    "access_reviews:import_apply": R(NO, LEAD, pk=obj("access_reviews.ImportJob")),
    "access_reviews:import_cancel": R(NO, LEAD, pk=obj("access_reviews.ImportJob")),
    "access_reviews:import_detail": R(LEAD, pk=obj("access_reviews.ImportJob")),
    "access_reviews:import_mapping": R(LEAD, pk=obj("access_reviews.ImportJob")),
    "access_reviews:import_preset": R(NO, LEAD, pk=obj("access_reviews.ImportJob")),
    "access_reviews:account_service_decide": R(NO, LEAD, pk=obj("access_reviews.Account")),
    "access_reviews:index": R(EVERYONE),
    "access_reviews:my_training": R(EVERYONE),
    "access_reviews:people_import": R(LEAD),
    "access_reviews:people_template": R(LEAD),
    "access_reviews:person_create": R(LEAD),
    "access_reviews:person_detail": R(READERS, pk=obj("access_reviews.Person", manager__user=AsUser("manager"))),
    "access_reviews:person_edit": R(LEAD, pk=obj("access_reviews.Person", manager__user=AsUser("manager"))),
    "access_reviews:person_list": R(READERS),
    "access_reviews:person_terminate": R(NO, LEAD, pk=obj("access_reviews.Person", manager__user=AsUser("manager"))),
    "access_reviews:person_training": R(
        READERS, LEAD, pk=obj("access_reviews.Person", manager__user=AsUser("manager"))
    ),  # records: the lead or the person
    "access_reviews:request_create": R(LEAD_OR_MANAGER),
    "access_reviews:request_decide": R(
        NO, MANAGER, gate=LEAD_OR_MANAGER, pk=obj("access_reviews.AccessRequest", approver=AsUser("manager"), status="pending")
    ),  # only the named approver decides
    "access_reviews:request_detail": R(READERS, pk=obj("access_reviews.AccessRequest", approver=AsUser("manager"))),
    "access_reviews:request_grant": R(
        NO, LEAD_OR_MANAGER, pk=obj("access_reviews.AccessRequest", status="approved", system__owner=AsUser("manager"))
    ),  # the lead or the system owner grants
    "access_reviews:request_list": R(READERS),
    "access_reviews:review_page": R(LEAD_OR_MANAGER, pk=obj("access_reviews.Campaign")),
    "access_reviews:row_decide": R(
        NO, LEAD_OR_MANAGER, pk=obj("access_reviews.ReviewRow", reviewer=AsUser("manager")), expect={("POST", "security_lead"): FORBIDDEN}
    ),  # only the row's reviewer decides it
    "access_reviews:sign_off": R(LEAD_OR_MANAGER, pk=obj("access_reviews.Campaign")),
    "access_reviews:system_create": R(LEAD),
    "access_reviews:system_detail": R(READERS, pk=obj("access_reviews.System", owner=AsUser("manager"))),
    "access_reviews:system_edit": R(LEAD, pk=obj("access_reviews.System", owner=AsUser("manager"))),
    "access_reviews:system_list": R(READERS),
    "access_reviews:task_detail": R(
        READERS, LEAD_OR_MANAGER, pk=obj("access_reviews.DeprovisionTask", owner=AsUser("manager"))
    ),  # confirmed by the lead or the system owner
    "access_reviews:task_list": R(READERS),
    "access_reviews:training_evidence": R(EVERYONE, pk=made("training_record")),
    "access_reviews:training_overview": R(READERS),
    "accounts:accept_invitation": R(
        TOKEN, token=made("invitation_token"), expect=cells("GET", IN, ["expired_auditor"]) | cells("POST", IN, ["expired_auditor"])
    ),  # the invitation token is the credential
    "accounts:backup_codes": R(EVERYONE),  # any signed-in account, also before its second factor
    "accounts:backup_codes_regenerate": R(EVERYONE),
    "accounts:enrol": R(EVERYONE),  # any signed-in account, also before its second factor
    "accounts:invitation_resend": R(NO, LEAD, pk=obj("accounts.Invitation")),
    "accounts:invitation_revoke": R(NO, LEAD, pk=obj("accounts.Invitation")),
    "accounts:invite": R(LEAD),
    "accounts:lockouts": R(LEAD),
    "accounts:login": R(PUBLIC),
    "accounts:logout": R(
        NOT_OFFERED, PUBLIC, expect={("GET", "expired_auditor"): NOT_ALLOWED, **cells("POST", LOGIN)}
    ),  # POST signs out, then the sign-in page
    "accounts:password_change": R(EVERYONE),
    "accounts:profile": R(EVERYONE),
    "accounts:step_up": R(EVERYONE),
    "accounts:unlock": R(NO, LEAD),
    "accounts:user_deactivate": R(NO, LEAD, pk=obj("accounts.User", username="lwong")),
    "accounts:user_detail": R(LEAD, pk=obj("accounts.User", username="lwong")),
    "accounts:user_mfa_reset": R(LEAD, pk=obj("accounts.User", username="lwong")),
    "accounts:user_password_reset": R(LEAD, pk=obj("accounts.User", username="lwong")),
    "accounts:user_reactivate": R(NO, LEAD, pk=obj("accounts.User", username="lwong")),
    "accounts:users": R(LEAD),
    "accounts:verify": R(EVERYONE),  # any signed-in account, also before its second factor
    "api:token_create": R(EVERYONE),
    "api:token_revoke": R(
        NO, LEAD_OR_MANAGER, gate=EVERYONE, pk=made("api_token"), expect={("POST", "staff"): NOT_FOUND, ("POST", "auditor"): NOT_FOUND}
    ),  # own tokens (the sample is the manager's), the lead any
    "api:tokens": R(EVERYONE),
    "assets:action_perform": R(LEAD, pk=attr("assets.DeletionAction", "request_id"), action_pk=obj("assets.DeletionAction")),
    "assets:action_verify": R(LEAD, pk=attr("assets.DeletionAction", "request_id"), action_pk=obj("assets.DeletionAction")),
    "assets:attestation_sign": R(LEAD_OR_MANAGER),
    "assets:attestations": R(READERS),
    "assets:certificate_download": R(READERS, pk=obj("assets.DeletionRequest")),
    "assets:certificate_sign": R(
        MANAGER, gate=LEAD_OR_MANAGER, pk=obj("assets.DeletionRequest")
    ),  # only the responsible person signs (here the manager)
    "assets:create": R(LEAD),
    "assets:deletion_add_store": R(NO, LEAD, pk=obj("assets.DeletionRequest")),
    "assets:deletion_create": R(LEAD),
    "assets:deletion_detail": R(READERS, pk=obj("assets.DeletionRequest")),
    "assets:deletion_edit": R(LEAD, pk=obj("assets.DeletionRequest")),
    "assets:deletions": R(READERS),
    "assets:detail": R(READERS, pk=obj("assets.Asset")),
    "assets:edit": R(LEAD, pk=obj("assets.Asset")),
    "assets:exception_create": R(LEAD, pk=obj("assets.DeletionRequest")),
    "assets:export": R(READERS),
    "assets:finding_create": R(LEAD),
    "assets:finding_detail": R(READERS, pk=obj("assets.Finding")),
    "assets:finding_edit": R(LEAD, pk=obj("assets.Finding")),
    "assets:finding_resolve": R(NO, LEAD, pk=obj("assets.Finding")),
    "assets:findings": R(READERS),
    "assets:import_apply": R(NO, LEAD, pk=obj("assets.AssetImport")),
    "assets:import_cancel": R(NO, LEAD, pk=obj("assets.AssetImport")),
    "assets:import_detail": R(LEAD, pk=obj("assets.AssetImport")),
    "assets:import_template": R(LEAD),
    "assets:import_upload": R(LEAD),
    "assets:index": R(READERS),
    "assets:pentest_create": R(LEAD),
    "assets:pentest_detail": R(READERS, pk=obj("assets.PenetrationTest")),
    "assets:record_of_processing": R(READERS),
    "assets:release_create": R(LEAD),
    "assets:release_detail": R(READERS, pk=obj("assets.ReleaseScan")),
    "assets:release_result": R(NO, LEAD, pk=obj("assets.ReleaseScan")),
    "assets:report_download": R(READERS, kind="scan", pk=obj("assets.VulnerabilityScan")),
    "assets:report_upload": R(NO, LEAD, kind="scan", pk=obj("assets.VulnerabilityScan")),
    "assets:retention_check": R(
        NO, LEAD, gate=LEAD_OR_MANAGER, pk=obj("assets.Asset", kind="data_store")
    ),  # the lead, or the store's owner (not the manager here)
    "assets:retire": R(NO, LEAD, pk=obj("assets.Asset")),
    "assets:rop_edit": R(LEAD, pk=obj("assets.Asset", kind="data_store")),
    "assets:scan_create": R(LEAD),
    "assets:scan_import": R(LEAD),
    "assets:scan_import_job": R(LEAD, NO, pk=scan_import_job),
    "assets:scan_target_assign": R(NO, LEAD, pk=obj("assets.VulnerabilityScan")),
    "assets:scan_detail": R(READERS, pk=obj("assets.VulnerabilityScan")),
    "assets:vulnerabilities": R(READERS),
    "audit:alarm_detail": R(LEAD_OR_AUDITOR, NO, pk=obj("audit.Alarm")),
    "audit:alarm_status": R(NO, LEAD, pk=obj("audit.Alarm")),
    "audit:alarms": R(LEAD_OR_AUDITOR, NO),
    "audit:canaries": R(LEAD),
    "audit:canary_toggle": R(NO, LEAD),
    "audit:export": R(LEAD_OR_AUDITOR, NO),
    "audit:index": R(LEAD_OR_AUDITOR, NO),
    "audit:review_create": R(LEAD),
    "audit:reviews": R(LEAD_OR_AUDITOR, NO),
    "audit:verify": R(NO, LEAD),
    "compliance:calendar": R(EVERYONE),
    "compliance:calendar_feed": R(
        TOKEN, NOT_OFFERED, token=made("feed_token")
    ),  # no role_required on purpose: the token in the path is the credential
    "compliance:calendar_list": R(EVERYONE),
    "compliance:catalogue": R(EVERYONE),
    "compliance:dashboard": R(EVERYONE),
    "compliance:feed_token_create": R(NOT_OFFERED, EVERYONE),
    "compliance:feed_token_revoke": R(NOT_OFFERED, EVERYONE),
    "kit:index": R(READERS),
    "kit:cadence_edit": R(LEAD, kind="access_reviews.quarterly_review"),
    "kit:cadences": R(READERS),
    "kit:changes": R(LEAD_OR_AUDITOR),
    "kit:attestation": R(READERS, pk=obj("kit.Attestation")),
    "kit:attestation_evidence": R(READERS, pk=obj("kit.Attestation", evidence_name="change.pdf")),
    "kit:attestation_sign": R(LEAD, key="change_control"),
    "kit:attestation_withdraw": R(NOT_OFFERED, LEAD, pk=obj("kit.Attestation")),
    "kit:attestations": R(READERS),
    "kit:document_download": R(READERS, pk=obj("kit.KitDocument")),
    "kit:document_new": R(LEAD),
    "kit:document_review": R(NOT_OFFERED, LEAD, pk=obj("kit.KitDocument")),
    "kit:documents": R(READERS),
    "kit:plan": R(LEAD_OR_AUDITOR),
    "kit:questionnaire": R(LEAD_OR_AUDITOR),
    "kit:questionnaire_save": R(NOT_OFFERED, LEAD),
    "kit:questionnaire_text": R(LEAD_OR_AUDITOR),
    "kit:readiness": R(READERS),
    "kit:readiness_clause": R(READERS, clause="1.2"),
    "kit:submission": R(LEAD_OR_AUDITOR, pk=obj("kit.QuestionnaireSubmission")),
    "kit:submission_changes": R(LEAD_OR_AUDITOR, pk=obj("kit.QuestionnaireSubmission")),
    "kit:submission_new": R(NOT_OFFERED, LEAD),
    "kit:submission_pdf": R(LEAD_OR_AUDITOR, pk=obj("kit.QuestionnaireSubmission")),
    "kit:submission_pdf_retry": R(NOT_OFFERED, LEAD, pk=obj("kit.QuestionnaireSubmission")),
    "kit:submission_text": R(LEAD_OR_AUDITOR, pk=obj("kit.QuestionnaireSubmission")),
    "kit:submissions": R(LEAD_OR_AUDITOR),
    "compliance:reminders": R(LEAD),
    "compliance:requirement": R(EVERYONE, clause="1.2"),
    "confidentiality:create": R(LEAD, person_pk=obj("access_reviews.Person")),
    "confidentiality:document": R(LEAD_OR_AUDITOR, pk=obj("access_reviews.ConfidentialityAgreement")),
    "confidentiality:overview": R(READERS),
    "controls:aws": R(READERS, NO, pk=aws_connected_system),
    "controls:aws_connect": R(NO, LEAD, pk=aws_connected_system),  # an empty form is refused with 400
    "controls:aws_evidence": R(READERS, NO, pk=aws_collection),
    "controls:aws_run": R(NO, LEAD, pk=aws_connected_system),  # queues a run after the commit
    "controls:delete": R(LEAD, pk=obj("controls.ControlEntry")),  # GET asks to confirm, POST removes
    "controls:edit": R(LEAD, pk=obj("controls.ControlEntry")),
    "controls:entry": R(READERS, NO, pk=obj("controls.ControlEntry")),
    "controls:evidence": R(READERS, NO, pk=control_entry_with_evidence_file),
    "controls:import": R(LEAD),  # GET the upload form, POST a file to preview
    "controls:import_apply": R(NO, LEAD),
    "controls:import_template": R(LEAD, NO),
    "controls:index": R(READERS, NO),
    "controls:reattest": R(NO, LEAD, pk=obj("controls.ControlEntry")),
    "controls:record": R(LEAD),  # without ?system=…&area=… it sends the lead back to the register
    "dsar:answer": R(LEAD_OR_MANAGER, pk=obj("assets.DataSubjectRequest", handler=AsUser("manager"))),
    "dsar:change": R(LEAD_OR_MANAGER, pk=obj("assets.DataSubjectRequest", handler=AsUser("manager"))),
    "dsar:extend": R(LEAD_OR_MANAGER, pk=obj("assets.DataSubjectRequest", handler=AsUser("manager"))),
    "dsar:new": R(LEAD),
    "dsar:register": R(READERS),
    "dsar:request": R(READERS, pk=obj("assets.DataSubjectRequest", handler=AsUser("manager"))),
    "evidence:approval_create": R(LEAD, pk=obj("evidence.Audit")),
    "evidence:approval_download": R(READERS, NO, pk=obj("evidence.AuditApproval")),
    "evidence:audit_close": R(LEAD, pk=obj("evidence.Audit")),
    "evidence:audit_create": R(LEAD),
    "evidence:audit_detail": R(READERS, pk=obj("evidence.Audit")),
    "evidence:audit_edit": R(LEAD, pk=obj("evidence.Audit")),
    "evidence:audit_list": R(READERS),
    "evidence:evidence_download": R(EVERYONE, NO, pk=obj("evidence.RemediationEvidence", finding__status="open")),
    "evidence:evidence_upload": R(
        NO, LEAD_OR_STAFF, gate=WORKFORCE, pk=obj("evidence.AuditFinding", status="open")
    ),  # the finding's owner (here staff) or the lead
    "evidence:finding_create": R(
        LEAD, pk=obj("evidence.Audit", status__in=["planned", "in_progress", "remediation"])
    ),  # to an audit not closed
    "evidence:finding_detail": R(EVERYONE, pk=obj("evidence.AuditFinding", status="open")),
    "evidence:finding_edit": R(LEAD, pk=obj("evidence.AuditFinding", status="open")),
    "evidence:finding_remediate": R(
        NO, LEAD_OR_STAFF, gate=WORKFORCE, pk=obj("evidence.AuditFinding", status="open")
    ),  # the finding's owner (here staff) or the lead
    "evidence:finding_reopen": R(NO, LEAD, pk=obj("evidence.AuditFinding", status="remediated")),
    "evidence:grant_create": R(LEAD),
    "evidence:grant_list": R(LEAD),
    "evidence:grant_revoke": R(NO, LEAD, pk=obj("evidence.AuditorGrant")),
    "evidence:index": R(EVERYONE),
    "evidence:letter_download": R(LEAD_OR_AUDITOR, NO, pk=obj("evidence.CertificationLetter")),
    "evidence:letter_list": R(LEAD_OR_AUDITOR),
    "evidence:letter_sign": R(LEAD),
    "evidence:pack_create": R(LEAD_OR_AUDITOR),
    "evidence:pack_detail": R(LEAD_OR_AUDITOR, pk=obj("evidence.EvidencePack")),
    "evidence:pack_download": R(LEAD_OR_AUDITOR, NO, pk=obj("evidence.EvidencePack"), what="pdf"),
    "evidence:pack_list": R(LEAD_OR_AUDITOR),
    "evidence:pack_progress": R(LEAD_OR_AUDITOR, NO, pk=obj("evidence.EvidencePack")),
    "evidence:verify": R(LEAD_OR_AUDITOR),
    "healthz": R(PUBLIC),  # liveness for load balancers: no session, no data
    "favicon": R(PUBLIC),  # /favicon.ico: a redirect to the static icon, no session, no data
    "incidents:advance": R(
        LEAD_OR_MANAGER, gate=WORKFORCE, pk=made("incident")
    ),  # the owner (here the manager) or the lead; the reporter only reads
    "incidents:custody_create": R(
        NO, LEAD_OR_MANAGER, gate=WORKFORCE, pk=made("evidence"), expect={("POST", "staff"): NOT_FOUND}
    ),  # the owner or the lead
    "incidents:custody_export": R(READERS, gate=EVERYONE, pk=made("incident")),  # not for a reporter who is not the owner
    "incidents:detail": R(EVERYONE, pk=made("incident")),
    "incidents:detection": R(
        LEAD_OR_MANAGER, gate=WORKFORCE, pk=made("incident")
    ),  # correcting the detection time: the owner (here the manager) or the lead; the reporter only reads
    "incidents:edit": R(
        LEAD_OR_MANAGER, gate=WORKFORCE, pk=made("incident")
    ),  # the owner (here the manager) or the lead; the reporter only reads
    "incidents:evidence": R(
        READERS, gate=EVERYONE, pk=made("evidence"), expect=cells("GET", NOT_FOUND, ["staff"]) | cells("POST", NOT_FOUND, ["staff"])
    ),  # evidence is hidden (404) from a reporter who is not the owner
    "incidents:evidence_create": R(LEAD_OR_MANAGER, gate=WORKFORCE, pk=made("incident")),  # the owner or the lead
    "incidents:evidence_download": R(
        READERS, gate=EVERYONE, pk=made("evidence"), expect=cells("GET", NOT_FOUND, ["staff"]) | cells("POST", NOT_FOUND, ["staff"])
    ),  # hidden (404) from a reporter who is not the owner
    "incidents:evidence_verify": R(
        NO, LEAD_OR_MANAGER, gate=WORKFORCE, pk=made("evidence"), expect={("POST", "staff"): NOT_FOUND}
    ),  # the owner or the lead
    "incidents:index": R(EVERYONE),
    "incidents:notification": R(LEAD, pk=made("incident")),
    "incidents:notification_build": R(NO, LEAD, pk=made("incident")),
    "incidents:notification_record": R(LEAD, pk=made("incident")),
    "incidents:regulatory_create": R(LEAD, pk=made("incident")),
    "incidents:report": R(WORKFORCE),
    "incidents:triage": R(LEAD, pk=made("incident")),
    "policies:document": R(EVERYONE, pk=obj("policies.Document")),
    "policies:document_create": R(LEAD),
    "policies:document_edit": R(LEAD, pk=obj("policies.Document")),
    "policies:index": R(EVERYONE),
    "policies:major_change_create": R(LEAD),
    "policies:major_changes": R(EVERYONE),
    "policies:review": R(LEAD_OR_MANAGER, pk=obj("policies.Document")),
    "policies:version": R(EVERYONE, pk=obj("policies.DocumentVersion")),
    "policies:version_approve": R(LEAD_OR_MANAGER, pk=obj("policies.DocumentVersion")),
    "policies:version_create": R(NO, LEAD, pk=obj("policies.Document")),
    "policies:version_edit": R(LEAD, pk=obj("policies.DocumentVersion", status="draft")),
    "policy_library:acknowledge": R(NO, WORKFORCE, pk=obj("policies.DocumentVersion")),
    "policy_library:my_acknowledgements": R(WORKFORCE),
    "policy_library:version_file": R(EVERYONE, pk=obj("policies.DocumentVersion")),
    "risks:acceptance_decide": R(LEAD_OR_MANAGER, pk=obj("risks.RiskAcceptance")),
    "risks:acceptance_request": R(LEAD_OR_MANAGER, pk=obj("risks.Risk", owner=AsUser("manager"), status="open")),
    "risks:action_cancel": R(NO, LEAD_OR_MANAGER, pk=obj("risks.TreatmentAction", owner=AsUser("manager"), status="open")),
    "risks:action_complete": R(NO, LEAD_OR_MANAGER, pk=obj("risks.TreatmentAction", owner=AsUser("manager"), status="open")),
    "risks:action_create": R(LEAD_OR_MANAGER, pk=obj("risks.Risk", owner=AsUser("manager"), status="open")),
    "risks:close": R(LEAD_OR_MANAGER, pk=obj("risks.Risk", owner=AsUser("manager"), status="open")),
    "risks:create": R(LEAD_OR_MANAGER),
    "risks:detail": R(READERS, pk=obj("risks.Risk")),
    "risks:edit": R(LEAD_OR_MANAGER, pk=obj("risks.Risk", owner=AsUser("manager"), status="open")),
    "risks:export": R(READERS),
    "risks:index": R(READERS),
    "risks:item_decide": R(NO, LEAD_OR_MANAGER, pk=obj("risks.RiskReviewItem", review__status="open")),
    "risks:reopen": R(NO, LEAD_OR_MANAGER, pk=obj("risks.Risk", owner=AsUser("manager"))),
    "risks:review": R(READERS, pk=obj("risks.RiskReview")),
    "risks:review_sign": R(
        MANAGER, gate=LEAD_OR_MANAGER, pk=obj("risks.RiskReview", status="open")
    ),  # only the named approvers sign (here the manager)
    "risks:review_start": R(LEAD),
    "risks:reviews": R(READERS),
}

# Whole namespaces whose pages share one gate (every URL in them is still requested).
NAMESPACES: dict[str, Rule] = {
    "admin": R(ADMIN),
}
