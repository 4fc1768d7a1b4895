"""Drafts of the follow-up topics (why PII, sharing, storage, backups, RTO/RPO, passwords …).

Same rules as ``drafts``: counts, dates, settings and inventory ids only; gaps marked red. The
purpose of PII (2), passwords, lockout and MFA (1.2, 1.4), secrets and test data (2.5) and
monitoring (2.6) are told from the control register, per in-scope system or PII data store.
"""

from __future__ import annotations

from collections import Counter

from django.urls import reverse

from grc.kit.questionnaire.base import Claim, Source, day, listed, plural, verb
from grc.kit.questionnaire.claims import (
    assets_link,
    attestation_claim,
    credential_claims,
    drafter,
    encryption_claims,
    findings_claims,
    ir_plan_claims,
    release_claims,
    scan_claims,
    tags,
    test_pii_claims,
)
from grc.kit.questionnaire.records import Records
from grc.kit.questionnaire.register import (
    account_mfa_claims,
    distinct,
    identity_claims,
    lockout_claims,
    logging_claims,
    portal_name,
    purpose_claims,
    secrets_claims,
)

STORE_TYPE_LABELS = {
    "database": "database",
    "bucket": "object storage bucket",
    "file_share": "file share",
    "warehouse": "data warehouse",
    "backup": "backup store",
    "spreadsheet": "spreadsheet",
    "other": "other store",
}


@drafter("pii_need")
def draft_pii_need(r: Records):
    pii = r.pii_stores
    rop = Source("Record of processing", reverse("assets:record_of_processing"))
    claims, facts = purpose_claims(r)
    claims.append(
        Claim(
            f"{plural(len(pii), 'data store')} {verb(len(pii), 'holds', 'hold')} PII; each one's fields and uses are listed in our record of processing.",
            sources=(rop,),
        )
    )
    incomplete = [s for s in pii if not s.rop_complete]
    if incomplete:
        claims.append(Claim(f"The record of processing is incomplete for {tags(incomplete)}.", gap=True, sources=(rop,), fix=rop))
    facts.update({"PII stores": len(pii), "records of processing incomplete": len(incomplete)})
    return claims, facts


@drafter("sharing")
def draft_sharing(r: Records):
    pii = r.pii_stores
    rop = Source("Record of processing", reverse("assets:record_of_processing"))
    missing = [s for s in pii if not s.rop_shared]
    claims = [
        Claim(
            f"Who receives the data is recorded per data store: {len(pii) - len(missing)} of {plural(len(pii), 'PII data store')} state how their data is shared.",
            sources=(rop,),
        ),
    ]
    if missing:
        claims.append(Claim(f"Sharing is not recorded for {tags(missing)}.", gap=True, sources=(rop,), fix=rop))
    return claims, {"PII stores with sharing recorded": len(pii) - len(missing)}


@drafter("storage")
def draft_storage(r: Records):
    scoped = [s for s in r.stores if s.in_scope]
    types = Counter(STORE_TYPE_LABELS.get(s.store_type, "other store") for s in scoped)
    src = assets_link("Data stores", kind="data_store")
    kinds = ", ".join(plural(n, label) for label, n in sorted(types.items()))
    claims = [
        Claim(f"Amazon Information is stored in {plural(len(scoped), 'data store')}" + (f" ({kinds})." if kinds else "."), sources=(src,))
    ]
    production = sum(1 for s in scoped if s.environment == "production")
    if scoped:
        claims.append(
            Claim(f"{production} of them are production stores; each is listed by inventory id with its encryption.", sources=(src,))
        )
    more, facts = encryption_claims(r)
    facts["stores with Amazon Information"] = len(scoped)
    return claims + more, facts


@drafter("backups")
def draft_backups(r: Records):
    backups = [s for s in r.stores if s.store_type == "backup"]
    pii = r.pii_stores
    src = assets_link("Backup stores", kind="data_store")
    claims = []
    if backups:
        weak = [s for s in backups if (s.pii or s.amazon) and not s.encryption_ok]
        claims.append(
            Claim(
                f"Backups are kept in {plural(len(backups), 'backup store')} ({tags(backups)})"
                + (
                    f"; {tags(weak)} {verb(len(weak), 'holds', 'hold')} Information without strong encryption."
                    if weak
                    else ", encrypted at rest like the primary stores."
                ),
                gap=bool(weak),
                sources=(src,),
                fix=Source(weak[0].tag, weak[0].url) if weak else None,
            )
        )
    else:
        claims.append(Claim("No backup store is recorded in the inventory.", gap=True, sources=(src,), fix=src))
    without = [s for s in pii if not s.backup_recorded]
    if pii:
        claims.append(
            Claim(
                f"A backup procedure is recorded for {len(pii) - len(without)} of {plural(len(pii), 'PII data store')}"
                + (f"; missing for {tags(without)}." if without else "."),
                gap=bool(without),
                sources=(src,),
                fix=Source(without[0].tag, without[0].url) if without else None,
            )
        )
    return claims, {"backup stores": len(backups), "PII stores without backup procedure": len(without)}


@drafter("rto_rpo")
def draft_rto_rpo(r: Records):
    plan = r.policy("backup")
    library = Source("Policy library", reverse("policies:index"))
    claims = []
    facts: dict = {}
    if plan is not None and plan.in_force and plan.values.get("rto_hours") is not None and plan.values.get("rpo_hours") is not None:
        rto, rpo = plan.values["rto_hours"], plan.values["rpo_hours"]
        facts.update({"RTO (hours)": rto, "RPO (hours)": rpo})
        claims.append(
            Claim(
                f"Our backup and restore plan (version {plan.version}) sets a recovery time objective of {rto} hours and a recovery point objective of {rpo} hours.",
                sources=(Source("Backup and restore plan", plan.url),),
            )
        )
    else:
        claims.append(
            Claim(
                "No approved backup and restore plan with RTO and RPO is in the policy library.", gap=True, sources=(library,), fix=library
            )
        )
    pii = r.pii_stores
    tested = [s for s in pii if s.restore_tested_at]
    latest = max((s.restore_tested_at for s in tested if s.restore_tested_at is not None), default=None)
    src = assets_link("PII data stores", kind="data_store", pii="yes")
    untested = [s for s in pii if not s.restore_tested_at]
    claims.append(
        Claim(
            f"Restores are tested: {len(tested)} of {plural(len(pii), 'PII data store')}, the latest on {day(latest)}"
            + (f"; never tested for {tags(untested)}." if untested else "."),
            gap=bool(untested) or not pii,
            sources=(src,),
            fix=Source(untested[0].tag, untested[0].url) if untested else None,
        )
    )
    facts["last restore test"] = day(latest)
    return claims, facts


@drafter("monitoring_ir")
def draft_monitoring_ir(r: Records):
    audit = r.audit
    claims, facts = logging_claims(r, detail=False)
    alarms = Source("Alarms", reverse("audit:alarms"))
    claims.append(
        Claim(
            f"This portal ({portal_name(r)}) keeps its own tamper-evident audit trail: {plural(audit['year'], 'alarm')} raised in the "
            f"last 12 months, {audit['active']} open for investigation.",
            sources=(alarms,),
        )
    )
    claims += ir_plan_claims(r, facts)
    notified = r.kind("incidents.amazon_notification")
    incidents = Source("Incidents", reverse("incidents:index"))
    claims.append(
        Claim(
            "Security Incidents are reported to Amazon (3p-security@amazon.com) within 24 hours of detection, on a clock the portal tracks"
            + (
                f"; {plural(notified.overdue_count, 'notification')} {verb(notified.overdue_count, 'is', 'are')} overdue."
                if notified.overdue_count
                else "."
            ),
            gap=bool(notified.overdue_count),
            sources=(incidents,),
            fix=incidents if notified.overdue_count else None,
        )
    )
    facts.update({"open alarms": audit["active"], "Amazon notifications overdue": notified.overdue_count})
    return claims, facts


@drafter("passwords")
def draft_passwords(r: Records):
    rules = r.password_rules
    classes = [
        name
        for name, needed in (
            ("upper-case letters", rules.needs_upper),
            ("lower-case letters", rules.needs_lower),
            ("digits", rules.needs_digit),
            ("special characters", rules.needs_special),
        )
        if needed
    ]
    text = f"Passwords need at least {rules.min_length or 'no'} characters"
    text += f" with {', '.join(classes[:-1]) + ' and ' + classes[-1] if len(classes) > 1 else ''.join(classes)}" if classes else ""
    text += "; they may not contain any part of the user's name" if rules.refuses_name else ""
    text += "; common passwords are refused" if rules.refuses_common else ""
    text += "."
    ages = []
    if rules.min_age_hours:
        hours = rules.min_age_hours
        ages.append("a minimum age of 1 day" if hours == 24 else f"a minimum age of {hours} hours")
    if rules.max_age_days:
        ages.append(f"expiry after {rules.max_age_days} days")
    if rules.history:
        ages.append(f"no reuse of the last {rules.history}")
    source = Source("Password rules (DPP 1.4)", reverse("compliance:requirement", args=["1.4"]))
    portal = f"This portal ({portal_name(r)}): {text[:1].lower()}{text[1:]}" + (f" Passwords have {', '.join(ages)}." if ages else "")
    claims, facts = identity_claims(r)
    lockout, lockout_facts = lockout_claims(r)
    mfa, mfa_facts = account_mfa_claims(r)
    claims = distinct(claims + lockout + mfa) + [Claim(portal, sources=(source,))]
    facts.update(lockout_facts)
    facts.update(mfa_facts)
    facts.update(
        {
            "minimum length": rules.min_length,
            "maximum age (days)": rules.max_age_days,
            "minimum age (hours)": rules.min_age_hours,
            "character classes": len(classes),
            "name refused": "yes" if rules.refuses_name else "no",
        }
    )
    return claims, facts


@drafter("pii_testing")
def draft_pii_testing(r: Records):
    claims, facts = secrets_claims(r, ("environments",))
    claims += test_pii_claims(r, facts)
    return claims, facts


@drafter("credentials_code")
def draft_credentials_code(r: Records):
    a = r.assets
    claims, facts = secrets_claims(r, ("store", "scanning"))
    claims += credential_claims(r)
    more, release_facts = release_claims(r)
    facts.update(release_facts)
    facts.update(
        {
            "credentials": a["credentials"],
            "credentials unencrypted": a["credentials"] - a["credentials_encrypted"],
            "credentials not rotated": a["credentials"] - a["credentials_rotated"],
        }
    )
    return claims + more, facts


@drafter("fix_tracking")
def draft_fix_tracking(r: Records):
    claims, facts = scan_claims(r)
    claims += findings_claims(r, facts)
    return claims, facts


@drafter("change_owner")
def draft_change_owner(r: Records):
    changes = r.major_changes
    src = Source("Major changes", reverse("policies:major_changes"))
    claims = [
        attestation_claim(r, "change_control"),
        Claim(
            f"Major infrastructure and system changes are logged ({plural(changes['year'], 'change')} in the last 12 months) "
            "and each opens a review of the incident response plan.",
            sources=(src,),
        ),
    ]
    if changes["overdue"]:
        claims.append(
            Claim.gap_at(
                f"{plural(changes['overdue'], 'major change')} {verb(changes['overdue'], 'still awaits its', 'still await their')} review.",
                src,
            )
        )
    return claims, {"major changes (12 months)": changes["year"], "major changes awaiting review": changes["unreviewed"]}


@drafter("other_sources")
def draft_other_sources(r: Records):
    scoped = [s for s in r.stores if s.amazon]
    src = assets_link("Data stores", kind="data_store")
    separate = [s for s in scoped if s.attribution == "separate"]
    tagged = [s for s in scoped if s.attribution == "tagged"]
    neither = [s for s in scoped if s.attribution not in ("separate", "tagged")]
    claims = [
        Claim(
            f"Where Amazon Information sits beside data from other sources, its origin is tagged: {len(separate)} of {plural(len(scoped), 'store')} "
            f"{verb(len(separate), 'holds', 'hold')} Amazon data alone and {len(tagged)} {verb(len(tagged), 'tags', 'tag')} the origin of each record.",
            sources=(src,),
        )
    ]
    if neither:
        claims.append(
            Claim(
                f"{listed([s.tag for s in neither])} {verb(len(neither), 'mixes', 'mix')} data without tagging its origin.",
                gap=True,
                sources=(src,),
                fix=Source(neither[0].tag, neither[0].url),
            )
        )
    return claims, {"stores with Amazon data": len(scoped), "stores mixing untagged": len(neither)}
