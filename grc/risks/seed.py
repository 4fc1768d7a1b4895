"""Demo risk register of a small SP-API seller-tools company (DPP 1.6).

Seven risks recorded five months ago — leaked SP-API credentials (raised from last month's
incident), buyer PII kept past 30 days, an unpatched laptop (an asset flag), exploitable OpenSSH on
the bastion (a vulnerability finding), a legacy TLS 1.0 webhook, phishing of Seller Central logins
(accepted until four months from now) and a courier data breach (transferred) — one closed risk,
one completed annual review signed two months ago (one risk re-scored), and a fresh risk from
this quarter's access review: the AWS console without MFA, above the appetite with no treatment
plan yet, so the dashboard flags it. Treatment actions are overdue, due soon and done.
Everything goes through the services, so obligations, history and audit events exist.
"""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps

from grc.risks.models import SourceType, Treatment
from grc.risks.services.register import risk_close, risk_create, risk_update
from grc.risks.services.reviews import item_decide, review_sign, review_start
from grc.risks.services.treatment import acceptance_decide, acceptance_request, action_add, action_complete

RISKS = [
    # key, title, owner key, (inherent L, I), (residual L, I), treatment, clauses, assets, systems, texts
    (
        "credentials",
        "Leaked SP-API / LWA credentials",
        "lead",
        (4, 5),
        (3, 5),
        Treatment.MITIGATE,
        ["1.4", "2.5"],
        ["CR-0001", "SRV-0002"],
        ["Seller Central integration", "AWS production"],
        {
            "description": "The LWA client secret and refresh tokens let anyone call the SP-API as us and read orders with buyer PII.",
            "threat": "An outside attacker who finds a secret in a repository, a CI log or a developer laptop.",
            "vulnerability": "The LWA client secret sits in CI variables readable by every pipeline job; tokens are long-lived.",
            "existing_controls": "Secrets manager for production; yearly rotation; alarm on bulk order exports.",
            "treatment_plan": "Move every Amazon credential into the secrets manager, scan repositories for secrets, rotate quarterly.",
        },
    ),
    (
        "retention",
        "Buyer PII kept past 30 days after delivery",
        "manager",
        (4, 4),
        (4, 4),
        Treatment.MITIGATE,
        ["2.1", "1.7"],
        ["DS-0001", "DS-0002"],
        ["Order DB"],
        {
            "description": "Shipping addresses stay in the orders database and label bucket long after delivery.",
            "threat": "Any breach of the order database exposes every buyer address we ever held.",
            "vulnerability": "No automatic purge: deletion is a manual monthly task that is often skipped.",
            "existing_controls": "Monthly manual purge checklist; database encrypted at rest.",
            "treatment_plan": "A nightly job deletes buyer PII 30 days after delivery; backups expire after 30 days.",
        },
    ),
    (
        "laptop",
        "Unpatched laptop with Amazon Information",
        "manager2",
        (3, 4),
        (3, 3),
        Treatment.MITIGATE,
        ["1.1", "2.3"],
        ["LT-0004"],
        [],
        {
            "description": "A finance laptop with order exports runs out-of-date anti-malware and OS patches.",
            "threat": "Malware delivered by email or a malicious download.",
            "vulnerability": "Updates depend on the user; anti-malware signatures are weeks old.",
            "existing_controls": "Disk encryption (BitLocker); no local admin rights.",
            "treatment_plan": "MDM enforces automatic OS and anti-malware updates; non-compliant devices lose access.",
        },
    ),
    (
        "openssh",
        "Exploitable OpenSSH on the bastion host",
        "lead",
        (4, 4),
        (3, 4),
        Treatment.MITIGATE,
        ["2.7", "1.1"],
        ["SRV-0001"],
        ["AWS production"],
        {
            "description": "The bastion host gives shell access to the production network.",
            "threat": "Internet scanners exploiting the OpenSSH signal handler race (regreSSHion).",
            "vulnerability": "OpenSSH not patched since the last scan; SSH open to the internet.",
            "existing_controls": "Key-only authentication; fail2ban.",
            "treatment_plan": "Patch OpenSSH and allow SSH only from the company VPN.",
        },
    ),
    (
        "webhook",
        "Legacy label webhook accepts TLS 1.0",
        "manager",
        (3, 3),
        (3, 3),
        Treatment.AVOID,
        ["1.5"],
        ["EP-0002"],
        [],
        {
            "threat": "A network attacker downgrading the connection to read label data in transit.",
            "vulnerability": "The old label printer integration only speaks TLS 1.0.",
            "existing_controls": "Label data carries no email or phone number.",
            "treatment_plan": "Retire the legacy webhook; the new label app uses TLS 1.2+.",
        },
    ),
    (
        "phishing",
        "Phishing of Seller Central logins",
        "manager2",
        (4, 4),
        (2, 4),
        Treatment.ACCEPT,
        ["1.1", "1.4"],
        [],
        ["Seller Central integration", "Google Workspace"],
        {
            "threat": "Targeted phishing emails imitating Amazon Seller Support.",
            "vulnerability": "Operations staff receive many genuine Amazon emails and act on them quickly.",
            "existing_controls": "MFA on Seller Central; yearly security training; mail filtering.",
            "treatment_plan": "Accepted at the current level: training and MFA bring it within the appetite.",
        },
    ),
    (
        "courier",
        "Courier partner breach exposes shipping labels",
        "manager",
        (2, 4),
        (2, 3),
        Treatment.TRANSFER,
        ["2.2", "1.8"],
        ["DS-0002"],
        [],
        {
            "threat": "A breach at the courier that receives our shipping labels.",
            "vulnerability": "Labels carry buyer names and addresses outside our control.",
            "existing_controls": "Only the fields the courier needs are shared.",
            "treatment_plan": "Data-processing agreement with breach notification; cyber insurance covers notification costs.",
        },
    ),
    (
        "drive",
        "Order exports shared from personal Google Drive",
        "manager2",
        (3, 4),
        (2, 4),
        Treatment.MITIGATE,
        ["2.2", "2.3"],
        [],
        ["Google Workspace"],
        {
            "threat": "A share link forwarded outside the company.",
            "vulnerability": "Staff could share Drive files with anyone who has the link.",
        },
    ),
]


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _source_ids(ctx) -> dict[str, tuple[str, int]]:
    """The records some risks were raised from, when the other apps' seeders made them."""
    sources: dict[str, tuple[str, int]] = {}
    incident = _model("incidents.Incident")
    if incident is not None:
        found = incident.objects.filter(title__startswith="Reporting service token").first()
        if found is not None:
            sources["credentials"] = (SourceType.INCIDENT, found.pk)
    assets = {asset.tag: asset for asset in ctx.made.get("assets") or []}
    if "LT-0004" in assets:
        sources["laptop"] = (SourceType.ASSET_FLAG, assets["LT-0004"].pk)
    finding = _model("assets.Finding")
    if finding is not None:
        found = finding.objects.filter(title__icontains="OpenSSH").first()
        if found is not None:
            sources["openssh"] = (SourceType.VULNERABILITY, found.pk)
    return sources


def seed(ctx) -> None:
    lead = ctx.users["lead"]
    users = {key: ctx.users.get(key) or lead for key in ("lead", "manager", "manager2")}
    approver = users["manager"]
    now = ctx.now
    recorded = now - timedelta(days=150)
    assets = {asset.tag: asset for asset in ctx.made.get("assets") or []}
    systems = ctx.made.get("systems_by_name") or {}
    sources = _source_ids(ctx)

    risks = {}
    for key, title, owner, inherent, residual, treatment, clauses, tags, system_names, texts in RISKS:
        source_type, source_id = sources.get(key, ("", None))
        data = {
            "title": title,
            "owner": users[owner],
            "inherent_likelihood": inherent[0],
            "inherent_impact": inherent[1],
            "residual_likelihood": residual[0],
            "residual_impact": residual[1],
            "treatment": treatment,
            "clauses": clauses,
            "affected_assets": [assets[tag] for tag in tags if tag in assets],
            "affected_systems": [systems[name] for name in system_names if name in systems],
            **texts,
        }
        risks[key] = risk_create(data=data, source_type=source_type, source_id=source_id, by=lead, now=recorded)

    day = timedelta(days=1)
    # treatment actions: done, due soon, overdue and later
    scanning = action_add(
        risk=risks["credentials"],
        title="Turn on secret scanning for every repository",
        owner=lead,
        due_at=recorded + 30 * day,
        by=lead,
        now=recorded,
    )
    action_complete(action=scanning, note="GitHub secret scanning and push protection on", by=lead, now=recorded + 20 * day)
    action_add(
        risk=risks["credentials"],
        title="Move the LWA client secret from CI variables into the secrets manager",
        owner=users["manager"],
        due_at=now + 21 * day,
        by=lead,
        now=recorded,
    )
    action_add(
        risk=risks["retention"],
        title="Nightly job deletes buyer PII 30 days after delivery",
        owner=users["manager"],
        due_at=now + 10 * day,
        by=lead,
        now=recorded,
    )
    action_add(
        risk=risks["laptop"],
        title="Enforce automatic OS and anti-malware updates through MDM",
        owner=users["manager2"],
        due_at=now - 5 * day,
        by=lead,
        now=recorded,
    )
    action_add(
        risk=risks["openssh"],
        title="Patch OpenSSH and allow SSH only from the VPN",
        owner=lead,
        due_at=now + 7 * day,
        by=lead,
        now=recorded,
    )
    action_add(
        risk=risks["webhook"], title="Retire the legacy label webhook", owner=users["manager"], due_at=now + 45 * day, by=lead, now=recorded
    )
    dpa = action_add(
        risk=risks["courier"],
        title="Sign a data-processing agreement with breach notification with the courier",
        owner=users["manager"],
        due_at=recorded + 60 * day,
        by=lead,
        now=recorded,
    )
    action_complete(action=dpa, note="DPA signed; insurance policy renewed", by=users["manager"], now=recorded + 40 * day)

    # the drive risk was closed once external sharing was switched off
    risk_close(risk=risks["drive"], reason="External sharing is disabled for the whole domain.", by=lead, now=now - 90 * day)

    # phishing is accepted: asked by its owner, approved by the security lead with a one-time code
    acceptance = acceptance_request(
        risk=risks["phishing"],
        rationale="MFA on Seller Central and yearly training keep the residual score at 8, within the appetite of 12; "
        "hardware keys for everyone cost more than the remaining risk.",
        expires_at=now + 120 * day,
        by=users["manager2"],
        now=now - 70 * day,
    )
    acceptance_decide(acceptance=acceptance, approve=True, note="", by=lead, step_up_at=now - 69 * day, now=now - 69 * day)

    # the annual review, signed two months ago by the operations director (the manager)
    started = now - 65 * day
    review = review_start(approvers=[approver], title=f"Annual risk review {started:%Y}", by=lead, now=started)
    for item in review.items.select_related("risk"):
        if item.risk_id == risks["retention"].pk:
            item_decide(
                item=item,
                decision="rescored",
                levels={"inherent_likelihood": 4, "inherent_impact": 4, "residual_likelihood": 3, "residual_impact": 4},
                comment="The monthly purge now runs reliably; backups still keep addresses for 35 days.",
                by=approver,
                now=started + 2 * day,
            )
        else:
            item_decide(item=item, decision="confirmed", by=approver, now=started + 2 * day)
    review_sign(
        review=review,
        signer=approver,
        note="Appetite stays at 12. Priorities: credentials in the vault, automatic PII purge.",
        step_up_at=started + 5 * day,
        now=started + 5 * day,
    )

    # after the review: secret scanning lowered the credential risk
    risk_update(risk=risks["credentials"], data={"residual_likelihood": 2}, by=lead, now=now - 20 * day)

    # this quarter's access review found the AWS console account without MFA: no plan yet (flagged)
    account = None
    account_model = _model("access_reviews.Account")
    if account_model is not None and "AWS production" in systems:
        account = account_model.objects.filter(system=systems["AWS production"], flag_no_mfa=True, person__isnull=False).first()
    risk_create(
        data={
            "title": "Cloud console account without MFA",
            "owner": lead,
            "threat": "Credential stuffing or phishing of an AWS console password.",
            "vulnerability": "An engineer's AWS production console account has no MFA device.",
            "existing_controls": "",
            "inherent_likelihood": 4,
            "inherent_impact": 5,
            "residual_likelihood": 4,
            "residual_impact": 5,
            "treatment": "",
            "clauses": ["1.2", "1.4"],
            "affected_systems": [systems["AWS production"]] if "AWS production" in systems else [],
        },
        source_type=SourceType.ACCESS_FINDING if account is not None else "",
        source_id=account.pk if account is not None else None,
        by=lead,
        now=now - 1 * day,
    )
    ctx.made["risks"] = list(risks.values())
    ctx.say(
        f"Risk register: {len(risks) + 1} risks (one closed, one above the appetite without a plan), "
        f"an accepted risk, treatment actions, and the annual review signed {started + 5 * day:%d %b %Y}"
    )
