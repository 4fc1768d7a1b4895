"""Building blocks of the drafted answers: the registry of drafters, links to records, and the
claims several areas (and the readiness checklist) share: obligations kept, the IR plan, end-user
devices, Amazon API keys, credentials in the inventory, encryption at rest, scans, findings. The
claims read from the control register live in ``register``.

Sentences use counts, dates, settings and inventory ids only — never names, emails, free text
or secrets.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.urls import reverse

from grc.kit.attestations import EXPIRED, STATEMENTS, WITHDRAWN, attestation_state, in_force
from grc.kit.questionnaire.base import Claim, Source, all_of, day, listed, plural, verb
from grc.kit.questionnaire.records import Records
from grc.timefmt import time_left

Drafter = Callable[[Records], tuple[list[Claim], dict]]
DRAFTERS: dict[str, Drafter] = {}


def drafter(key: str):
    def register(fn: Drafter) -> Drafter:
        DRAFTERS[key] = fn
        return fn

    return register


def assets_link(label: str = "Asset inventory", **query) -> Source:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return Source(label, reverse("assets:index") + (f"?{params}" if params else ""))


def calendar_link(kind: str, label: str) -> Source:
    return Source(label, f"{reverse('compliance:calendar_list')}?kind={kind}")


def check_source(clause: str, finding) -> Source:
    """A claim read from one of the portal's own live checks: the check's link, else its DPP clause page."""
    return Source(f"DPP {clause}: {finding.name}", finding.url or reverse("compliance:requirement", args=[clause]))


def tags(stores) -> str:
    return listed([store.tag for store in stores])


def obligation_claims(r: Records, kind: str, done: str, missing: str, source: Source) -> tuple[list[Claim], dict]:
    """How one recurring obligation kind is kept: period in force, last completion, anything overdue."""
    summary = r.kind(kind)
    period = r.cadences[kind].period
    facts = {f"{done}: last done": day(summary.last_completed_at), f"{done}: overdue": summary.overdue_count}
    if summary.overdue_count:
        when = time_left(summary.next_due_at, r.now) if summary.next_due_at else "overdue"
        return [Claim(f"{done} is {when} (due every {period}).", gap=True, sources=(source,), fix=source, cadence=str(period))], facts
    if summary.last_completed_at is None:
        return [Claim(missing, gap=True, sources=(source,), fix=source, cadence=str(period))], facts
    return [Claim(f"{done} every {period}; the last on {day(summary.last_completed_at)}.", sources=(source,), cadence=str(period))], facts


def training_claims(r: Records) -> list[Claim]:
    """Security training of everyone with system access (DPP 1.1), in the words of the live check the
    dashboard shows: a first training completes the on-joining obligation, a refresher the yearly one."""
    finding = r.check("1.1", "access_reviews.training")
    src = Source("Training", reverse("access_reviews:training_overview"))
    period = str(r.cadences["access_reviews.training_annual"].period)
    if finding is None or str(finding.status) == "not_tracked":
        return [Claim.gap_at("No people with system access are registered, so no security training is recorded yet.", src)]
    gap = str(finding.status) != "met"
    text = f"Security and data-protection training: {finding.reason}."
    return [Claim(text, gap=gap, sources=(src,), fix=src if gap else None, cadence=period)]


def attestation_claim(r: Records, key: str) -> Claim:
    """A statement no record can show: its signed attestation is the source; missing, expired or
    withdrawn, the sentence is a gap that links to the page where it is signed."""
    statement = STATEMENTS[key]
    attestation = r.attestations.get(key)
    state = attestation_state(attestation, r.now)
    sign = Source(f"Sign: {statement.title}", reverse("kit:attestation_sign", args=[key]))
    if attestation is None:  # (state is MISSING)
        return Claim.gap_at(statement.missing, sign)
    if in_force(state):
        label = f"Attestation {attestation.pk}, signed on {day(attestation.signed_at)}, valid until {attestation.expires_on:%Y-%m-%d}"
        return Claim(statement.text, sources=(Source(label, attestation.get_absolute_url()),))
    if state == EXPIRED:
        text = f"{statement.missing[:-1]}: the last attestation expired on {attestation.expires_on:%Y-%m-%d}."
        return Claim(text, gap=True, sources=(Source(f"Attestation {attestation.pk}", attestation.get_absolute_url()),), fix=sign)
    if state == WITHDRAWN:
        text = f"{statement.missing[:-1]}: the last attestation was withdrawn on {day(attestation.withdrawn_at)}."
        return Claim(text, gap=True, sources=(Source(f"Attestation {attestation.pk}", attestation.get_absolute_url()),), fix=sign)
    return Claim.gap_at(statement.missing, sign)


def device_claims(r: Records) -> list[Claim]:
    """Anti-malware on the end-user devices of the inventory (DPP 1.1)."""
    a = r.assets
    devices = assets_link("End-user devices", kind="hardware")
    if not a["devices"]:
        return [Claim("No end-user devices are recorded in the asset inventory.", gap=True, sources=(devices,), fix=devices)]
    unprotected = a["devices"] - a["devices_protected"]
    return [
        Claim(
            f"{all_of(a['devices'])} {plural(a['devices'], 'end-user device')} in the inventory {verb(a['devices'], 'runs', 'run')} up-to-date anti-malware."
            if not unprotected
            else f"{plural(unprotected, 'end-user device')} of {a['devices']} {verb(unprotected, 'lacks', 'lack')} up-to-date anti-malware.",
            gap=bool(unprotected),
            sources=(devices,),
            fix=devices if unprotected else None,
        )
    ]


def amazon_key_claims(r: Records) -> list[Claim]:
    """The Amazon API credentials of the inventory: stored encrypted, holders recorded (DPP 1.4)."""
    a = r.assets
    keys = assets_link("Amazon API credentials", kind="credential")
    if not a["amazon_keys"]:
        return [Claim("No Amazon API credential is recorded in the inventory.", gap=True, sources=(keys,), fix=keys)]
    weak = a["amazon_keys"] - a["amazon_keys_encrypted"]
    holders = a["amazon_keys"] - a["amazon_keys_holders"]
    text = f"The {plural(a['amazon_keys'], 'Amazon API credential')} {verb(a['amazon_keys'], 'is', 'are')} stored encrypted and only named people and services can reach them."
    if weak or holders:
        text = f"Of {plural(a['amazon_keys'], 'Amazon API credential')}, {weak} {verb(weak, 'is', 'are')} stored without encryption and {holders} {verb(holders, 'has', 'have')} no record of who can reach {verb(holders, 'it', 'them')}."
    return [Claim(text, gap=bool(weak or holders), sources=(keys,), fix=keys if weak or holders else None)]


def credential_claims(r: Records) -> list[Claim]:
    """Every credential of the inventory: where it is stored, encrypted, rotated (DPP 2.5)."""
    a = r.assets
    src = assets_link("Credentials", kind="credential")
    claims = [
        Claim(
            f"{plural(a['credentials'], 'credential')} {verb(a['credentials'], 'is', 'are')} recorded in the inventory with where "
            f"{verb(a['credentials'], 'it is', 'they are')} stored, {a['credentials_encrypted']} of them encrypted.",
            sources=(src,),
        )
    ]
    plain = a["credentials"] - a["credentials_encrypted"]
    if plain:
        claims.append(
            Claim(f"{plural(plain, 'credential')} {verb(plain, 'is', 'are')} stored without encryption.", gap=True, sources=(src,), fix=src)
        )
    stale = a["credentials"] - a["credentials_rotated"]
    if stale:
        claims.append(
            Claim.gap_at(
                f"{plural(stale, 'credential')} {verb(stale, 'has', 'have')} not been rotated within the rotation period.",
                src,
            )
        )
    return claims


def ir_plan_claims(r: Records, facts: dict) -> list[Claim]:
    plan = r.policy("ir_plan")
    library = Source("Policy library", reverse("policies:index"))
    if plan is None or not plan.in_force:
        facts["IR plan version"] = "none"
        return [Claim("No approved incident response plan is in the policy library.", gap=True, sources=(library,), fix=library)]
    source = Source("Incident response plan", plan.url)
    reviewed = plan.last_reviewed_at or plan.approved_at
    facts.update({"IR plan version": plan.version, "IR plan last review": day(reviewed)})
    overdue = plan.review_due_at is not None and plan.review_due_at <= r.now
    period = r.cadences["policies.ir_plan_review"].period
    text = f"Our incident response plan (version {plan.version}) was last reviewed on {day(reviewed)} and is reviewed every {period} and after major changes."
    if overdue:
        text = f"Our incident response plan (version {plan.version}) is overdue for review (last reviewed on {day(reviewed)})."
    return [Claim(text, gap=overdue, sources=(source,), fix=source if overdue else None, cadence=str(period))]


def encryption_claims(r: Records) -> tuple[list[Claim], dict]:
    pii = r.pii_stores
    src = assets_link("PII data stores", kind="data_store", pii="yes")
    weak = [s for s in pii if not s.encryption_ok]
    unrecorded = [s for s in weak if not s.encryption]
    below = [s for s in weak if s.encryption]
    algorithms = sorted({s.encryption for s in pii if s.encryption_ok})
    claims = []
    if pii and not weak:
        claims.append(
            Claim(
                f"{all_of(len(pii))} {plural(len(pii), 'data store')} holding PII {verb(len(pii), 'is', 'are')} encrypted at rest ({', '.join(algorithms)}).",
                sources=(src,),
            )
        )
    elif pii:
        claims.append(
            Claim(
                f"{len(pii) - len(weak)} of {plural(len(pii), 'data store')} holding PII {verb(len(pii) - len(weak), 'is', 'are')} encrypted with AES-128/RSA-2048 or stronger.",
                sources=(src,),
            )
        )
    else:
        claims.append(Claim("No data store holding PII is recorded in the inventory.", gap=True, sources=(src,), fix=src))
    if unrecorded:
        claims.append(
            Claim(
                f"{plural(len(unrecorded), 'data store')} {verb(len(unrecorded), 'holds', 'hold')} PII with no encryption recorded ({tags(unrecorded)}).",
                gap=True,
                sources=(src,),
                fix=Source(unrecorded[0].tag, unrecorded[0].url),
            )
        )
    if below:
        claims.append(
            Claim(
                f"{plural(len(below), 'data store')} {verb(len(below), 'holds', 'hold')} PII with encryption below AES-128/RSA-2048 ({tags(below)}).",
                gap=True,
                sources=(src,),
                fix=Source(below[0].tag, below[0].url),
            )
        )
    return claims, {"PII stores": len(pii), "PII stores not encrypted": len(unrecorded), "PII stores weakly encrypted": len(below)}


def release_claims(r: Records) -> tuple[list[Claim], dict]:
    rel = r.vulns["releases"]
    src = Source("Releases and code scans", reverse("assets:vulnerabilities"))
    if not rel["total"]:
        return [Claim("No release with a code scan is recorded in the last 12 months.", gap=True, sources=(src,), fix=src)], {
            "releases (12 months)": 0
        }
    missed = rel["total"] - rel["scanned_before"]
    claims = [
        Claim(
            f"Code is scanned for vulnerabilities before each release: {rel['scanned_before']} of {plural(rel['total'], 'release')} in the last 12 months"
            + (f"; {missed} not scanned before release." if missed else "."),
            gap=bool(missed),
            sources=(src,),
            fix=src if missed else None,
        )
    ]
    return claims, {"releases (12 months)": rel["total"], "scanned before release": rel["scanned_before"]}


def test_pii_claims(r: Records, facts: dict) -> list[Claim]:
    a = r.assets
    facts["test assets with PII"] = a["test_with_pii"]
    if not a["test_with_pii"]:
        return [Claim("No test-environment asset holds PII.", sources=(assets_link("Test assets", environment="test"),))]
    ids = [tag for _, tag in r.test_pii_assets]
    first = r.test_pii_assets[0]
    return [
        Claim(
            f"{plural(a['test_with_pii'], 'test-environment asset')} {verb(a['test_with_pii'], 'holds', 'hold')} PII ({listed(ids, a['test_with_pii'])}).",
            gap=True,
            sources=(assets_link("Test assets", environment="test"),),
            fix=Source(first[1], reverse("assets:detail", args=[first[0]])),
        )
    ]


def scan_claims(r: Records) -> tuple[list[Claim], dict]:
    v = r.vulns
    src = Source("Vulnerability management", reverse("assets:vulnerabilities"))
    claims = []
    facts = {}
    for key, kind, what in (
        ("scan", "assets.vulnerability_scan", "vulnerability scan"),
        ("pentest", "assets.penetration_test", "penetration test"),
    ):
        last = v[key]
        period = r.cadences[kind].period
        facts[f"last {what}"] = day(last["performed_at"]) if last else "never"
        if last is None:
            claims.append(Claim(f"No {what} is recorded (due every {period}).", gap=True, sources=(src,), fix=src, cadence=str(period)))
            continue
        url = reverse("assets:scan_detail" if key == "scan" else "assets:pentest_detail", args=[last["pk"]])
        late = period.after(last["performed_at"]) < r.now
        claims.append(
            Claim(
                f"The last {what} was on {day(last['performed_at'])} (due every {period})"
                + ("; the next one is overdue." if late else "."),
                gap=late,
                sources=(Source(f"Last {what}", url),),
                fix=src if late else None,
                cadence=str(period),
            )
        )
    return claims, facts


def findings_claims(r: Records, facts: dict) -> list[Claim]:
    f = r.vulns["findings"]
    src = Source("Findings", reverse("assets:findings"))

    days = getattr(settings, "ASSETS_FINDING_DUE_DAYS", {})
    rule = ", ".join(f"{severity} {n} days" for severity, n in days.items())
    facts.update({"open findings": f["open"], "overdue findings": f["overdue"], "fixed late (12 months)": f["fixed_late_year"]})
    informational = f.get("informational", 0)
    kept = (
        f" {plural(informational, 'informational finding')} (nothing to remediate) {verb(informational, 'is', 'are')} kept without a deadline."
        if informational
        else ""
    )
    claims = [
        Claim(
            f"Every finding to remediate gets an owner and a fix deadline by severity ({rule}); {plural(f['open'], 'finding')} {verb(f['open'], 'is', 'are')} open, "
            f"{f['fixed_year']} fixed in the last 12 months.{kept}",
            sources=(src,),
        )
    ]
    if f["overdue"]:
        claims.append(
            Claim.gap_at(
                f"{plural(f['overdue'], 'finding')} {verb(f['overdue'], 'is', 'are')} past their fix deadline.",
                src,
            )
        )
    return claims
