"""Claims drafted from the control register (DPP 1.1, 1.2, 1.4, 2, 2.3, 2.5, 2.6): what the company's
in-scope systems (and PII data stores) record, and, in red, each one that falls short or is not yet
recorded.

Everything is read from ``Records.controls`` — ``grc.controls.selectors.register_facts``, the facts
the clause checks read — so an answer cannot call a system fine where its clause says otherwise.
The rules stay in ``grc.controls.rules``: a green sentence describes the recorded values of the
subjects whose verdict is within the DPP (numbers as recorded: "kept at least 365 days"), and a red
one repeats the verdicts' own words. Systems are named by their registry name, data stores by
inventory tag; the free-text reason for another purpose of PII is never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.urls import reverse

from grc.controls.areas import AREAS, CLAUSE_AREAS
from grc.controls.rules import AT_RISK, NOT_MET, Verdict
from grc.controls.selectors import register_url
from grc.kit.questionnaire.base import Claim, Source, listed, plural, verb
from grc.kit.questionnaire.records import Records

NO_COMPANY_SYSTEM = "No in-scope system besides this portal is in the system registry yet."
ORDER = {NOT_MET: 0, AT_RISK: 1}  # in a shortfall, systems not met first, then at risk, then not yet recorded


def register_link(area: str) -> Source:
    return Source(f"Control register: {lower(AREAS[area].title)}", register_url(area))


def sentence(text: str) -> str:
    """A check's reason as a sentence: capital first letter, one full stop."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def on_date(iso: str) -> str:
    moment = date.fromisoformat(iso)
    return f"{moment.day} {moment:%b %Y}"


def lower(label: str) -> str:
    """A choice's label inside a sentence: "API calls" keeps its acronym, "Sign-ins" becomes "sign-ins"."""
    return " ".join(word if word.isupper() else word.lower() for word in label.split())


def names(verdicts: list[Verdict]) -> str:
    return listed([verdict.subject.name for verdict in verdicts])


def tally(count: int, total: int) -> str:
    """How many of a group of ``total``: "on all 3", "on both", "on 2" ("" for a group of one)."""
    if total == 1:
        return ""
    if count == total:
        return "on both" if total == 2 else f"on all {total}"
    return f"on {count}"


def unless_all(count: int, total: int) -> str:
    """ " (on 2 of 3)" when not every one of a group does it, else nothing."""
    return "" if count == total else f" (on {count} of {total})"


def grouped(counts: list[tuple[str, int]], total: int) -> str:
    """ "sign-ins and data access (on all 3); API calls (on 2)": labels grouped by how many have them."""
    by_count: dict[int, list[str]] = {}
    for label, count in counts:
        if count:
            by_count.setdefault(count, []).append(label)
    parts = []
    for count, labels in sorted(by_count.items(), reverse=True):
        note = tally(count, total)
        parts.append(listed(labels) + (f" ({note})" if note else ""))
    return "; ".join(parts)


@dataclass
class Standing:
    """One clause over the register: every subject's verdict, and the page where it is recorded."""

    clause: str
    verdicts: list[Verdict]
    records: Records

    @property
    def area(self) -> str:
        return CLAUSE_AREAS[self.clause]

    @property
    def link(self) -> Source:
        return register_link(self.area)

    @property
    def of_stores(self) -> bool:
        return AREAS[self.area].subject == "data_store"

    @property
    def noun(self) -> tuple[str, str]:
        return ("data store holding PII", "data stores holding PII") if self.of_stores else ("in-scope system", "in-scope systems")

    @property
    def total(self) -> int:
        return len(self.verdicts)

    @property
    def within(self) -> list[Verdict]:
        """Subjects recorded and judged within the DPP by the rules: the only ones a green sentence describes."""
        return [verdict for verdict in self.verdicts if verdict.status == "met"]

    @property
    def short(self) -> list[Verdict]:
        return [verdict for verdict in self.verdicts if verdict.problems or verdict.missing]

    def share(self, count: int) -> str:
        """ "2 of 3 in-scope systems", "all 3 in-scope systems"."""
        single, many = self.noun
        if count == self.total and count > 1:
            return f"all {plural(count, single, many)}"
        return f"{count} of {plural(self.total, single, many)}"

    def facts(self, label: str) -> dict[str, int]:
        return {
            f"{label}: within the DPP": len(self.within),
            f"{label}: falling short": sum(1 for v in self.verdicts if v.problems),
            f"{label}: not yet recorded": sum(1 for v in self.verdicts if v.missing),
        }


def standing(r: Records, clause: str) -> Standing:
    return Standing(clause, r.controls.verdicts(clause), r)


def values(verdict: Verdict) -> dict:
    return verdict.entry.values if verdict.entry is not None else {}


def no_company_claims(r: Records, *, stores: bool = False, what: str = "") -> list[Claim]:
    """Red when the register has nothing of the company's to judge: no in-scope system besides the
    portal (the same sentence in every section, so an answer that joins sections says it once), or
    no data store holding PII."""
    subjects = r.controls.subjects
    if stores:
        if any(subject.kind == "data_store" and subject.holds_pii for subject in subjects):
            return []
        src = Source("Data stores", reverse("assets:index") + "?kind=data_store&pii=yes")
        return [Claim.gap_at(f"No data store holding PII is recorded in the asset inventory, so {lower(what)} cannot be shown.", src)]
    if any(subject.kind == "system" and not subject.is_portal for subject in subjects):
        return []
    return [Claim.gap_at(NO_COMPANY_SYSTEM, Source("System registry", reverse("access_reviews:system_list")))]


def distinct(claims: list[Claim]) -> list[Claim]:
    """The claims in order, each sentence once (sections joined in one answer may share a red one)."""
    return list(dict.fromkeys(claims))


def shortfall_claims(s: Standing, what: str) -> list[Claim]:
    """The red sentences of a clause: no subject besides the portal, and each subject that falls short
    (in the verdict's own words) or is not yet recorded. Fixed on the register page of the area."""
    claims = no_company_claims(s.records, stores=s.of_stores, what=what)
    short = sorted(s.short, key=lambda v: ORDER.get(v.status, 2))
    if short:
        parts = []
        own = s.records.controls.entries
        for verdict in short:
            if verdict.missing:
                delegated = s.area == "identity" and (verdict.subject.key, "identity") in own  # its own entry names another system
                parts.append(f"{verdict.subject.name}: not yet recorded" + (f" ({verdict.missing})" if delegated else ""))
            else:
                parts.append(f"{verdict.subject.name}: {'; '.join(problem.text for problem in verdict.problems)}")
        count = s.share(len(short))
        head = f"{count[:1].upper()}{count[1:]} {verb(len(short), 'falls', 'fall')} short of DPP {s.clause} ({lower(what)})."
        claims.append(Claim.gap_at(" ".join([head, *(sentence(part) for part in parts)]), s.link))
    return claims


def delegation_note(s: Standing, group: list[Verdict]) -> str:
    """ " (sign-in of AWS production through Google Workspace)" for systems whose sign-in is delegated."""
    facts = s.records.controls
    by_name = {subject.name.lower(): subject.name for subject in facts.subjects if subject.kind == "system"}
    notes = []
    for verdict in group:
        own = facts.entries.get((verdict.subject.key, "identity"))
        target = own.values.get("delegated_to") if own is not None else None
        if target:
            notes.append(f"{verdict.subject.name} through {by_name.get(target.lower(), target)}")
    return f" (sign-in of {listed(notes)})" if notes else ""


# --- DPP 1.1 ----------------------------------------------------------------------------------------------
def network_claims(r: Records) -> tuple[list[Claim], dict]:
    s = standing(r, "1.1")
    ok, claims = s.within, []
    if ok:
        reviewed = [values(v)["firewall_reviewed_on"] for v in ok if values(v).get("firewall_reviewed_on")]
        text = f"Firewalls or network ACLs deny unauthorised addresses on {s.share(len(ok))} ({names(ok)})"
        text += f"; their rules were last reviewed on {on_date(min(reviewed))} or later." if reviewed else "."
        counted = [
            (sum(1 for v in ok if values(v).get("segmented") == "yes"), "segment their PII stores from other networks"),
            (sum(1 for v in ok if values(v).get("segmented") == "not_applicable"), "hold no PII stores"),
            (sum(1 for v in ok if values(v).get("public_access") == "none"), "are not publicly reachable"),
            (sum(1 for v in ok if values(v).get("public_access") == "approved_users"), "are reachable publicly by approved users only"),
        ]
        parts = [f"{'all ' if count == len(ok) > 2 else ''}{count} {phrase}" for count, phrase in counted if count]
        if parts:
            text += f" Of these {plural(len(ok), 'system')}, {listed(parts)}."
        claims.append(Claim(text, sources=(s.link,)))
    claims += shortfall_claims(s, "Network protection")
    return claims, s.facts("network protection")


# --- DPP 1.2 and 1.4 ----------------------------------------------------------------------------------------
def lockout_claims(r: Records) -> tuple[list[Claim], dict]:
    s = standing(r, "1.2")
    ok, claims = s.within, []
    if ok:
        most = max(values(v).get("lockout_threshold") or 0 for v in ok)
        claims.append(
            Claim(
                f"Accounts lock after at most {most} failed sign-ins on {s.share(len(ok))} ({names(ok)}){delegation_note(s, ok)}.",
                sources=(s.link,),
            )
        )
    claims += shortfall_claims(s, "Account lockout")
    return claims, s.facts("account lockout")


def identity_claims(r: Records) -> tuple[list[Claim], dict]:
    """MFA enforcement and password settings per system (DPP 1.4), as recorded (or computed, for the portal)."""
    s = standing(r, "1.4")
    ok, claims = s.within, []
    if ok:
        v = [values(verdict) for verdict in ok]
        mfa = sum(1 for x in v if x.get("mfa_enforced") == "yes")
        no_name = sum(1 for x in v if x.get("password_no_name"))
        rules = (
            f"at least {min(x.get('password_min_length') or 0 for x in v)} characters "
            f"with {min(x.get('password_character_classes') or 0 for x in v)} of the 4 character classes, "
            f"a minimum age of {plural(min(x.get('password_min_age_days') or 0 for x in v), 'day')} "
            f"and expiry within {max(x.get('password_max_age_days') or 0 for x in v)} days"
        )
        claims.append(
            Claim(
                f"{names(ok)} ({s.share(len(ok))}) {verb(len(ok), 'enforces', 'enforce')} MFA for all users"
                + unless_all(mfa, len(ok))
                + f" and {verb(len(ok), 'requires', 'require')} passwords of {rules}; a password containing the user's name is refused"
                + unless_all(no_name, len(ok))
                + f"{delegation_note(s, ok)}.",
                sources=(s.link,),
            )
        )
    claims += shortfall_claims(s, "Identity settings")
    return claims, s.facts("identity settings")


def account_mfa_claims(r: Records) -> tuple[list[Claim], dict]:
    """DPP 1.4 "MFA for all user accounts", in the words of the register's account check."""
    result = r.controls.account_mfa()
    link = register_link("identity")
    accounts = Source("Accounts without MFA", reverse("access_reviews:account_list") + "?flag=no_mfa")
    gap = result.status != "met"
    subjects = [subject for subject in r.controls.subjects if subject.kind == "system"]
    facts = {
        "enabled human accounts": sum(subject.facts.get("human_accounts", 0) for subject in subjects),
        "enabled human accounts without MFA": sum(subject.facts.get("accounts_without_mfa", 0) for subject in subjects),
    }
    alone = no_company_claims(r)
    if alone:  # the account check says the same in its own words
        return alone, facts
    fix = accounts if facts["enabled human accounts without MFA"] else link
    return [Claim(sentence(result.reason), gap=gap, sources=(link, accounts), fix=fix if gap else None)], facts


# --- DPP 2 --------------------------------------------------------------------------------------------------
def purpose_claims(r: Records) -> tuple[list[Claim], dict]:
    s = standing(r, "2")
    ok, claims = s.within, []
    field = AREAS["purpose"].field("purposes")
    if ok:
        groups: dict[tuple[str, ...], list[Verdict]] = {}
        for verdict in ok:
            groups.setdefault(tuple(values(verdict).get("purposes") or ()), []).append(verdict)
        labels = dict(field.choices)
        parts = [
            f"{names(group)} {verb(len(group), 'uses', 'use')} it for {listed([lower(labels[p]) for p in purposes])} only"
            for purposes, group in groups.items()
        ]
        claims.append(Claim(f"The purposes of PII are recorded for {s.share(len(ok))}: {'; '.join(parts)}.", sources=(s.link,)))
    claims += shortfall_claims(s, "Purpose of PII")
    return claims, s.facts("purpose of PII")


# --- DPP 2.3 ------------------------------------------------------------------------------------------------
DLP_ALERTING = {"siem": "through the SIEM", "email": "by email to the security lead", "none": "not at all"}


def dlp_claims(r: Records) -> tuple[list[Claim], dict]:
    s = standing(r, "2.3")
    ok, claims = s.within, []
    area = AREAS["dlp"]
    if ok:
        channels = []
        for f in area.fields:
            if f.name == "alerting":
                continue
            counts = [(sum(1 for v in ok if values(v).get(f.name) == key), lower(label)) for key, label in f.choices]
            channels.append(f"{lower(f.label)} {', '.join(f'{label} on {count}' for count, label in counts if count)}")
        alerting = [
            f"{phrase} on {count}"
            for key, phrase in DLP_ALERTING.items()
            if (count := sum(1 for v in ok if values(v).get("alerting") == key))
        ]
        text = f"Data-loss controls are recorded on {s.share(len(ok))} ({names(ok)}): {'; '.join(channels)}."
        if alerting:
            text += f" Unauthorised data movement is alerted {listed(alerting)}."
        claims.append(Claim(text, sources=(s.link,)))
    claims += shortfall_claims(s, "Data-loss prevention")
    return claims, s.facts("data-loss prevention")


# --- DPP 2.5 ------------------------------------------------------------------------------------------------
SECRET_PARTS = ("store", "scanning", "environments")


def secrets_claims(r: Records, parts: tuple[str, ...] = SECRET_PARTS) -> tuple[list[Claim], dict]:
    """Where credentials are kept, secret scanning, and test kept apart from production, per system."""
    s = standing(r, "2.5")
    ok, claims = s.within, []
    if ok and "store" in parts:
        groups = [
            f"{where} on {count}"
            for key, where in (("vault", "in a secrets vault"), ("environment", "in environment or secret files"))
            if (count := sum(1 for v in ok if values(v).get("credentials_store") == key))
        ]
        claims.append(
            Claim(
                f"Credentials are kept out of the code on {s.share(len(ok))} ({names(ok)}): {listed(groups)}.",
                sources=(s.link,),
            )
        )
    if ok and "scanning" in parts:
        scanned = [v for v in ok if values(v).get("secret_scanning")]
        if scanned:
            claims.append(
                Claim(f"The release scan looks for secrets in the code of {s.share(len(scanned))} ({names(scanned)}).", sources=(s.link,))
            )
    if ok and "environments" in parts:
        apart = [v for v in ok if values(v).get("environments_separated") and values(v).get("production_pii_in_tests") is False]
        if apart:
            claims.append(
                Claim(
                    f"Production and test are separated, and no production PII is used in tests, on {s.share(len(apart))} ({names(apart)}).",
                    sources=(s.link,),
                )
            )
    claims += shortfall_claims(s, "Secrets and environments")
    return claims, s.facts("secrets and environments")


# --- DPP 2.6 ------------------------------------------------------------------------------------------------
def _log_route(entry: dict, group: list[dict]) -> str:
    destination, review = entry.get("destination"), entry.get("review")
    where = {"siem": "a SIEM", "log_store": "a log store", "none": "nowhere"}.get(destination or "", "nowhere")
    if review == "siem_alerting":
        return f"{where} with alerting"
    if review == "manual":
        every = max(values_.get("review_every_days") or 0 for values_ in group)
        return f"{where} reviewed by hand at least every {every} days"
    return f"{where}, not reviewed"


def logging_claims(r: Records, *, detail: bool = True) -> tuple[list[Claim], dict]:
    """Per system: where logs go and how they are watched, retention, what is logged, alarms, canaries.
    ``detail=False`` gives only the routes, alarms and the shortfall (the monitoring summary)."""
    s = standing(r, "2.6")
    ok, claims = s.within, []
    area = AREAS["logging"]
    routes: dict[tuple, list[Verdict]] = {}
    for verdict in ok:
        routes.setdefault((values(verdict).get("destination"), values(verdict).get("review")), []).append(verdict)
    for group in routes.values():
        entries = [values(v) for v in group]
        kept = min(e.get("retention_days") or 0 for e in entries)
        claims.append(
            Claim(
                f"Logs of {s.share(len(group))} go to {_log_route(entries[0], entries)} ({names(group)}) and are kept at least {kept} days.",
                sources=(s.link,),
            )
        )
    if ok and detail:
        events = [
            (lower(label), sum(1 for v in ok if key in (values(v).get("events_logged") or [])))
            for key, label in area.field("events_logged").choices
        ]
        kept_out = [("PII is kept out of the logs", sum(1 for v in ok if values(v).get("pii_excluded")))]
        sealed = [("the logs are protected against tampering", sum(1 for v in ok if values(v).get("tamper_protected")))]
        parts = [f"Logged: {grouped(events, len(ok))}."]
        parts += [sentence(grouped(counts, len(ok))) for counts in (kept_out, sealed) if counts[0][1]]
        claims.append(Claim(" ".join(parts), sources=(s.link,)))
    if ok:
        alarms = [
            (lower(label), sum(1 for v in ok if key in (values(v).get("alarms") or []))) for key, label in area.field("alarms").choices
        ]
        canaries = [v for v in ok if values(v).get("canary_records")]
        text = f"Alarms watch for {grouped(alarms, len(ok))}." if any(count for _label, count in alarms) else ""
        if canaries:
            checked = [values(v)["canary_checked_on"] for v in canaries if values(v).get("canary_checked_on")]
            text += f" Canary records sit in the data of {names(canaries)} to detect extraction" + (
                f", last checked on {on_date(max(checked))}." if checked else "."
            )
        if text:
            claims.append(Claim(text.strip(), sources=(s.link,)))
    claims += shortfall_claims(s, "Logging and monitoring")
    facts = s.facts("logging and monitoring")
    recorded = [values(v).get("retention_days") for v in s.verdicts if v.entry is not None]
    facts["shortest log retention (days)"] = min((days or 0 for days in recorded), default=0)
    return claims, facts


def portal_name(r: Records) -> str:
    return next((subject.name for subject in r.controls.subjects if subject.is_portal), "this portal")
