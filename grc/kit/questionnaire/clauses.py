"""Drafts of the DPP clause areas (1.1 … 2.7, 3), one function per area, registered by key.

Each takes ``Records`` and returns claims and facts; gaps are marked red. Network (1.1), lockout
(1.2), MFA and passwords (1.4), data-loss prevention (2.3), secrets and environments (2.5) and
logging (2.6) are told from the control register, per in-scope system (``register``).
"""

from __future__ import annotations

from django.urls import reverse

from grc.kit.questionnaire.base import Claim, Source, all_of, day, plural, verb
from grc.kit.questionnaire.claims import (
    amazon_key_claims,
    assets_link,
    calendar_link,
    check_source,
    device_claims,
    drafter,
    encryption_claims,
    findings_claims,
    ir_plan_claims,
    obligation_claims,
    release_claims,
    scan_claims,
    tags,
    test_pii_claims,
    training_claims,
)
from grc.kit.questionnaire.records import Records
from grc.kit.questionnaire.register import (
    account_mfa_claims,
    distinct,
    dlp_claims,
    identity_claims,
    lockout_claims,
    logging_claims,
    network_claims,
    portal_name,
    secrets_claims,
)


@drafter("network")
def draft_network(r: Records):
    a = r.assets
    claims, facts = network_claims(r)
    claims += device_claims(r)
    diagrams = Source("Assessment documents", reverse("kit:documents"))
    network = [doc for doc in r.documents if doc.kind in ("architecture", "network")]
    if network:
        claims.append(
            Claim(
                f"{plural(len(network), 'architecture or network diagram')} {verb(len(network), 'is', 'are')} attached for the assessor.",
                sources=(diagrams,),
            )
        )
    else:
        claims.append(
            Claim.gap_at(
                "No architecture or network diagram is attached to show firewalls and segmentation.",
                diagrams,
            )
        )
    training = training_claims(r)
    facts["security training"] = training[0].text
    facts.update({"end-user devices": a["devices"], "devices with anti-malware": a["devices_protected"], "network diagrams": len(network)})
    return claims + training, facts


@drafter("access")
def draft_access(r: Records):
    acc, people = r.accounts, r.people
    registry = Source("Accounts registry", reverse("access_reviews:account_list"))
    claims = [
        Claim(
            f"Every person with access has a unique id: {plural(people['active'], 'active person', 'active people')} and "
            f"{plural(acc['total'], 'account')} on {plural(acc['systems'], 'system')} holding Information are registered.",
            sources=(registry,),
        )
    ]
    if acc["shared"]:
        shared = Source("Shared accounts", reverse("access_reviews:account_list") + "?flag=shared")
        claims.append(
            Claim.gap_at(
                f"{plural(acc['shared'], 'account')} {verb(acc['shared'], 'is', 'are')} shared by more than one person.",
                shared,
            )
        )
    review, facts = obligation_claims(
        r,
        "access_reviews.quarterly_review",
        "The access review of people and services",
        "No access review has been completed yet.",
        Source("Access reviews", reverse("access_reviews:campaign_list")),
    )
    deprovision = r.kind("access_reviews.deprovision")
    tasks = Source("Deprovisioning tasks", reverse("access_reviews:task_list"))
    period = r.cadences["access_reviews.deprovision"].period
    if deprovision.overdue_count:
        review.append(
            Claim.gap_at(
                f"{plural(deprovision.overdue_count, 'leaver')} {verb(deprovision.overdue_count, 'still has', 'still have')} access after {period}.",
                tasks,
            )
        )
    else:
        review.append(Claim(f"Access of leavers is removed within {period}; none is overdue.", sources=(tasks,), cadence=str(period)))
    lockout, lockout_facts = lockout_claims(r)
    review += lockout
    facts.update(lockout_facts)
    facts.update({"registered accounts": acc["total"], "shared accounts": acc["shared"], "leavers overdue": deprovision.overdue_count})
    return claims + review, facts


@drafter("least_privilege")
def draft_least_privilege(r: Records):
    acc, people = r.accounts, r.people
    requests = Source("Access requests", reverse("access_reviews:request_list"))
    claims = [
        Claim(
            f"Access is requested and approved per system and privilege: {plural(people['approved_year'], 'request')} approved in the last 12 months.",
            sources=(requests,),
        ),
        Claim(
            f"{plural(acc['privileged'], 'account')} {verb(acc['privileged'], 'holds', 'hold')} elevated rights and {verb(acc['privileged'], 'is', 'are')} flagged in every access review.",
            sources=(Source("Privileged accounts", reverse("access_reviews:account_list") + "?flag=privileged"),),
        ),
        Claim(
            "The portal itself grants four roles (security lead, manager, auditor, staff) and checks them on every page.",
            sources=(Source("Portal users and roles", reverse("accounts:users")),),
        ),
    ]
    if acc["no_request"]:
        src = Source("Accounts without a request", reverse("access_reviews:account_list") + "?flag=no_request")
        claims.append(
            Claim.gap_at(
                f"{plural(acc['no_request'], 'account')} {verb(acc['no_request'], 'has', 'have')} no recorded access request.",
                src,
            )
        )
    return claims, {"privileged accounts": acc["privileged"], "accounts without request": acc["no_request"]}


@drafter("credentials")
def draft_credentials(r: Records):
    a = r.assets
    claims, facts = account_mfa_claims(r)
    identity, identity_facts = identity_claims(r)
    claims = distinct(claims + identity) + amazon_key_claims(r)
    facts.update(identity_facts)
    facts.update({"Amazon credentials": a["amazon_keys"], "Amazon credentials encrypted": a["amazon_keys_encrypted"]})
    return claims, facts


@drafter("transit")
def draft_transit(r: Records):
    a = r.assets
    endpoints = assets_link("Endpoints", kind="endpoint")
    claims = []
    if a["endpoints"]:
        weak = a["endpoints"] - a["endpoints_tls"]
        claims.append(
            Claim(
                f"{all_of(a['endpoints'])} {plural(a['endpoints'], 'endpoint')} {verb(a['endpoints'], 'accepts', 'accept')} TLS 1.2 or later only."
                if not weak
                else f"{plural(weak, 'endpoint')} of {a['endpoints']} allow TLS below 1.2 or none recorded.",
                gap=bool(weak),
                sources=(endpoints,),
                fix=endpoints if weak else None,
            )
        )
        if a["endpoints_proxy_plain"]:
            claims.append(
                Claim.gap_at(
                    f"{plural(a['endpoints_proxy_plain'], 'endpoint')} {verb(a['endpoints_proxy_plain'], 'ends', 'end')} TLS in untrusted hardware without message-level encryption.",
                    endpoints,
                )
            )
    else:
        claims.append(Claim("No endpoints are recorded in the inventory.", gap=True, sources=(endpoints,), fix=endpoints))
    tls = r.check("1.5", "Portal TLS settings")
    if tls is not None:
        src = check_source("1.5", tls)
        claims.append(
            Claim(f"This portal: {tls.reason}.", gap=tls.status == "not_met", sources=(src,), fix=src if tls.status == "not_met" else None)
        )
    return claims, {"endpoints": a["endpoints"], "endpoints on TLS 1.2+": a["endpoints_tls"]}


@drafter("risk_ir")
def draft_risk_ir(r: Records):
    claims, facts = obligation_claims(
        r,
        "risks.annual_review",
        "Senior management reviews the risk assessment",
        "No senior-management risk review is recorded yet.",
        Source("Risk register", reverse("risks:index")),
    )
    claims += ir_plan_claims(r, facts)
    incidents = r.kind("incidents.amazon_notification")
    src = Source("Incidents", reverse("incidents:index"))
    if incidents.completed_count or incidents.open_count:
        late = incidents.late_recently
        claims.append(
            Claim(
                f"{plural(incidents.completed_count, 'incident')} {verb(incidents.completed_count, 'was', 'were')} notified to Amazon"
                + (f"; {late} late in the last 90 days." if late else " within 24 hours."),
                gap=bool(late or incidents.overdue_count),
                sources=(src,),
                fix=src if late or incidents.overdue_count else None,
            )
        )
    else:
        claims.append(Claim("No security incident has been recorded.", sources=(src,)))
    facts["incidents notified"] = incidents.completed_count
    return claims, facts


@drafter("deletion")
def draft_deletion(r: Records):
    d = r.deletions
    src = Source("Deletion requests", reverse("assets:deletions"))
    late = r.kind("assets.deletion_30d").overdue_count + r.kind("assets.deletion_90d").overdue_count
    period_30, period_90 = r.cadences["assets.deletion_30d"].period, r.cadences["assets.deletion_90d"].period
    claims = [
        Claim(
            f"Each Amazon deletion notice is tracked against {period_30} (Information) and {period_90} (all live instances), "
            "with a NIST 800-88 sanitisation record per data store and a signed certificate of destruction.",
            sources=(src,),
        )
    ]
    if d["total"]:
        claims.append(Claim(f"{plural(d['total'], 'notice')} received so far; {d['certified']} certified in writing.", sources=(src,)))
    if late:
        claims.append(Claim(f"{plural(late, 'deletion deadline')} {verb(late, 'is', 'are')} overdue.", gap=True, sources=(src,), fix=src))
    return claims, {"deletion notices": d["total"], "certified": d["certified"], "deletion deadlines overdue": late}


@drafter("attribution")
def draft_attribution(r: Records):
    scoped = [store for store in r.stores if store.in_scope]
    src = assets_link("Data stores", kind="data_store")
    separate = [s for s in scoped if s.attribution == "separate"]
    tagged = [s for s in scoped if s.attribution == "tagged"]
    neither = [s for s in scoped if s.attribution not in ("separate", "tagged")]
    claims = [
        Claim(
            f"Of {plural(len(scoped), 'data store')} holding Amazon Information, {len(separate)} {verb(len(separate), 'holds', 'hold')} it separately and {len(tagged)} {verb(len(tagged), 'tags', 'tag')} each record's origin.",
            sources=(src,),
        )
    ]
    if neither:
        claims.append(
            Claim(
                f"{plural(len(neither), 'data store')} ({tags(neither)}) neither separate nor tag it.",
                gap=True,
                sources=(src,),
                fix=Source(neither[0].tag, neither[0].url),
            )
        )
    if not scoped:
        claims = [Claim("No data store holding Amazon Information is recorded.", gap=True, sources=(src,), fix=src)]
    return claims, {"stores with Amazon Information": len(scoped), "stores not separated or tagged": len(neither)}


@drafter("retention")
def draft_retention(r: Records):
    pii = r.pii_stores
    src = assets_link("PII data stores", kind="data_store", pii="yes")
    unknown = [s for s in pii if s.retention_days is None]
    long_no_basis = [s for s in pii if s.retention_days is not None and s.retention_days > 30 and not s.legal_basis]
    long_basis = [s for s in pii if s.retention_days is not None and s.retention_days > 30 and s.legal_basis]
    claims = [
        Claim(
            f"PII is kept no longer than 30 days after order delivery in {len(pii) - len(unknown) - len(long_no_basis) - len(long_basis)} "
            f"of {plural(len(pii), 'PII data store')}"
            + (f"; {len(long_basis)} keep it longer where a law requires it." if long_basis else "."),
            sources=(src,),
        )
    ]
    if unknown:
        claims.append(
            Claim(
                f"{plural(len(unknown), 'PII data store')} ({tags(unknown)}) {verb(len(unknown), 'has', 'have')} no retention period recorded.",
                gap=True,
                sources=(src,),
                fix=Source(unknown[0].tag, unknown[0].url),
            )
        )
    if long_no_basis:
        claims.append(
            Claim(
                f"{plural(len(long_no_basis), 'PII data store')} ({tags(long_no_basis)}) keep PII over 30 days with no legal basis recorded.",
                gap=True,
                sources=(src,),
                fix=Source(long_no_basis[0].tag, long_no_basis[0].url),
            )
        )
    check, facts = obligation_claims(
        r,
        "assets.retention_check",
        "Purging of PII past retention is confirmed",
        "No purge confirmation is recorded yet.",
        calendar_link("assets.retention_check", "Retention checks"),
    )
    facts.update({"PII stores": len(pii), "retention not recorded": len(unknown), "kept over 30 days without basis": len(long_no_basis)})
    return claims + check, facts


@drafter("governance")
def draft_governance(r: Records):
    pii = r.pii_stores
    rop = Source("Record of processing", reverse("assets:record_of_processing"))
    complete = [s for s in pii if s.rop_complete]
    claims = []
    privacy = r.policy("privacy")
    library = Source("Policy library", reverse("policies:index"))
    if privacy is not None and privacy.in_force:
        claims.append(
            Claim(
                f"Our privacy and data-handling policy (version {privacy.version}, last reviewed {day(privacy.last_reviewed_at or privacy.approved_at)}) governs PII.",
                sources=(Source("Privacy policy", privacy.url),),
            )
        )
    else:
        claims.append(
            Claim("No approved privacy and data-handling policy is in the policy library.", gap=True, sources=(library,), fix=library)
        )
    incomplete = [s for s in pii if not s.rop_complete]
    claims.append(
        Claim(
            f"A record of processing describes the fields, collection, use, sharing and disposal for {len(complete)} of {plural(len(pii), 'PII data store')}"
            + (f"; {tags(incomplete)} {verb(len(incomplete), 'is', 'are')} incomplete." if incomplete else "."),
            gap=bool(incomplete),
            sources=(rop,),
            fix=rop if incomplete else None,
        )
    )
    dsar = r.kind("policies.dsar_response")
    if dsar.completed_count or dsar.open_count:
        claims.append(
            Claim(
                f"{plural(dsar.completed_count, 'data-subject request')} answered"
                + (f"; {dsar.overdue_count} overdue." if dsar.overdue_count else " on time."),
                gap=bool(dsar.overdue_count),
                sources=(calendar_link("policies.dsar_response", "Data-subject requests"),),
            )
        )
    return claims, {"PII stores with complete record of processing": len(complete), "PII stores": len(pii)}


@drafter("assets")
def draft_assets(r: Records):
    a = r.assets
    attest, facts = obligation_claims(
        r,
        "assets.inventory_attestation",
        "The asset inventory is attested",
        "The asset inventory has never been attested.",
        Source("Inventory attestations", reverse("assets:attestations")),
    )
    claims = [
        Claim(
            f"Our inventory lists {plural(a['total'], 'active asset')} (hardware, software, data stores, credentials, endpoints).",
            sources=(assets_link(),),
        )
    ]
    stale = a["baseline_kinds"] - a["baseline_current"]
    if a["baseline_kinds"]:
        claims.append(
            Claim(
                f"{a['baseline_current']} of {plural(a['baseline_kinds'], 'system')} follow a baseline configuration verified within a year.",
                gap=bool(stale),
                sources=(assets_link("Flagged assets", flagged="yes"),),
                fix=assets_link("Flagged assets", flagged="yes") if stale else None,
            )
        )
    bad = a["personal_with_info"] + a["removable_pii_plain"]
    if bad:
        claims.append(
            Claim(
                f"{plural(bad, 'personal device or unencrypted removable medium', 'personal devices or unencrypted removable media')} {verb(bad, 'holds', 'hold')} Information.",
                gap=True,
                sources=(assets_link("Flagged assets", flagged="yes"),),
                fix=assets_link("Flagged assets", flagged="yes"),
            )
        )
    dlp, dlp_facts = dlp_claims(r)
    facts.update({"active assets": a["total"], "baselines current": a["baseline_current"], "flagged assets": a["flagged"]})
    facts.update(dlp_facts)
    return claims + dlp + attest, facts


@drafter("encryption_rest")
def draft_encryption_rest(r: Records):
    claims, facts = encryption_claims(r)
    pii = r.pii_stores
    keys_open = [s for s in pii if not s.keys_service_only]
    src = assets_link("PII data stores", kind="data_store", pii="yes")
    if pii:
        claims.append(
            Claim(
                "Their keys can be used only by our own processes and services."
                if not keys_open
                else f"{plural(len(keys_open), 'PII data store')} ({tags(keys_open)}) {verb(len(keys_open), 'does', 'do')} not record that only our services can use the keys.",
                gap=bool(keys_open),
                sources=(src,),
                fix=Source(keys_open[0].tag, keys_open[0].url) if keys_open else None,
            )
        )
    field = r.check("2.4", "Portal field encryption key")
    if field is not None:
        src = check_source("2.4", field)
        claims.append(
            Claim(
                f"In this portal, {field.reason}.",
                gap=field.status == "not_met",
                sources=(src,),
                fix=src if field.status == "not_met" else None,
            )
        )
    facts["PII stores with keys not restricted"] = len(keys_open)
    return claims, facts


@drafter("secure_coding")
def draft_secure_coding(r: Records):
    claims, facts = secrets_claims(r)
    releases, release_facts = release_claims(r)
    a = r.assets
    claims += releases
    claims.append(
        Claim(
            f"The inventory marks {a['production']} assets as production and {a['test']} as test.", sources=(assets_link("Environments"),)
        )
    )
    claims += test_pii_claims(r, facts)
    facts.update(release_facts)
    return claims, facts


@drafter("logging")
def draft_logging(r: Records):
    claims, facts = logging_claims(r)
    audit = r.audit
    policy = audit["keep"]
    claims.append(
        Claim(
            f"This portal ({portal_name(r)}) writes its own security events to a tamper-evident audit trail. {policy.audit_sentence()}",
            sources=(Source("Audit trail", reverse("audit:index")),),
        )
    )
    facts.update({"audit events kept": policy.keeps, "portal alarms (12 months)": audit["year"]})
    return claims, facts


@drafter("vulnerability")
def draft_vulnerability(r: Records):
    claims, facts = scan_claims(r)
    runbook = r.policy("vuln_runbook")
    if runbook is not None and runbook.in_force:
        claims.insert(
            0,
            Claim(
                f"Our vulnerability-management runbook (version {runbook.version}) sets how we detect and remediate vulnerabilities.",
                sources=(Source("Vulnerability runbook", runbook.url),),
            ),
        )
    else:
        library = Source("Policy library", reverse("policies:index"))
        claims.insert(
            0, Claim("No approved vulnerability-management runbook is in the policy library.", gap=True, sources=(library,), fix=library)
        )
    more, more_facts = release_claims(r)
    facts.update(more_facts)
    return claims + more + findings_claims(r, facts), facts


@drafter("audit")
def draft_audit(r: Records):
    audit = r.audit
    policy = audit["keep"]
    claims = [
        Claim(
            "Books and records of compliance (obligations, reviews, incidents, deletion certificates, the audit trail) are kept in this portal "
            f"{policy.books_words()}, and can be exported as an evidence pack.",
            sources=(Source("DPP catalogue", reverse("compliance:catalogue")),),
        ),
        Claim(policy.audit_sentence(), sources=(Source("Audit trail", reverse("audit:index")),)),
    ]
    docs = r.documents
    overdue = [doc for doc in docs if doc.review_due_at <= r.now]
    src = Source("Assessment documents", reverse("kit:documents"))
    claims.append(
        Claim(
            f"{plural(len(docs), 'assessment document')} (architecture and data-flow diagrams) are attached with review dates"
            + (f"; {len(overdue)} overdue for review." if overdue else "."),
            gap=bool(overdue) or not docs,
            sources=(src,),
            fix=src if overdue or not docs else None,
        )
    )
    return claims, {"audit retention (days)": audit["retention_days"], "audit events kept": policy.keeps, "assessment documents": len(docs)}
