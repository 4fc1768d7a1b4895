"""The areas of the control register and their fields: the one schema behind pages, CSV, API and rules.

Each area is what the security lead records once per in-scope system (per PII data store for
``purpose``) and re-attests on its cadence. A field knows how to read a value typed by a person
or sent by a pipeline (``"yes"``, ``"90"``, ``"sign_ins;api_calls"``) and says, in words, why a
value is refused. Pure Python: no database, so the import, the form and the API validate alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

YES_NO = (("yes", "Yes"), ("no", "No"))
TRUE_WORDS = {"yes", "y", "true", "1", "on"}
FALSE_WORDS = {"no", "n", "false", "0", "off"}


class FieldError(ValueError):
    """A value the field cannot take; the message is shown next to the field or the CSV line."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # "choice" | "multi" | "int" | "bool" | "date" | "text" | "system"
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = True
    minimum: int = 0
    maximum: int = 100_000
    help: str = ""

    def parse(self, raw: Any) -> Any:
        """The stored value of ``raw`` (a string from a form or CSV, or a JSON value), or FieldError."""
        if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
            if self.required:
                raise FieldError("is required")
            return [] if self.kind == "multi" else None
        parse = getattr(self, f"_parse_{self.kind}")
        return parse(raw)

    def _parse_choice(self, raw: Any) -> str:
        value = str(raw).strip().lower()
        keys = [key for key, _label in self.choices]
        if value not in keys:
            raise FieldError(f"{raw!r} is not one of {', '.join(keys)}")
        return value

    def _parse_multi(self, raw: Any) -> list[str]:
        items = raw if isinstance(raw, list | tuple) else str(raw).replace(",", ";").split(";")
        values = [str(item).strip().lower() for item in items if str(item).strip()]
        keys = [key for key, _label in self.choices]
        unknown = [value for value in values if value not in keys]
        if unknown:
            raise FieldError(f"{', '.join(repr(u) for u in unknown)} not one of {', '.join(keys)}")
        if not values and self.required:
            raise FieldError("is required")
        return [key for key in keys if key in values]  # the schema's order, no duplicates

    def _parse_int(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise FieldError(f"{raw!r} is not a whole number")
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise FieldError(f"{raw!r} is not a whole number") from None
        if not self.minimum <= value <= self.maximum:
            raise FieldError(f"{value} is outside {self.minimum} to {self.maximum}")
        return value

    def _parse_bool(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise FieldError(f"{raw!r} is not yes or no")

    def _parse_date(self, raw: Any) -> str:
        if isinstance(raw, date):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise FieldError(f"{raw!r} is not a date (YYYY-MM-DD)") from None

    def _parse_text(self, raw: Any) -> str:
        value = str(raw).strip()
        if len(value) > 500:
            raise FieldError("is longer than 500 characters")
        return value

    def _parse_system(self, raw: Any) -> str:
        return str(raw).strip()  # a system's registry name; resolved by the service, which knows the registry

    def display(self, value: Any) -> str:
        """The value in words, as the pages and the evidence pack print it."""
        if value is None or value == "" or value == []:
            return "—"
        labels = dict(self.choices)
        if self.kind == "multi":
            return ", ".join(labels.get(v, v) for v in value)
        if self.kind == "choice":
            return labels.get(value, value)
        if self.kind == "bool":
            return "yes" if value else "no"
        return str(value)


@dataclass(frozen=True)
class Area:
    key: str
    clause: str
    title: str
    subject: str  # "system" or "data_store"
    fields: tuple[Field, ...] = field(default_factory=tuple)
    help: str = ""
    between: Callable[[dict[str, Any]], dict[str, str]] | None = None  # rules between this area's fields

    @property
    def words(self) -> str:
        """The title inside a sentence: "logging and monitoring", "purpose of PII"."""
        return self.title[:1].lower() + self.title[1:]

    @property
    def obligation_kind(self) -> str:
        return f"controls.{self.key}_review"

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def parse(self, raw: dict[str, Any], *, partial_of: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
        """(values, errors by field name). With ``partial_of``, fields absent from ``raw`` keep that value."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for f in self.fields:
            if partial_of is not None and f.name not in raw:
                values[f.name] = partial_of.get(f.name)
                continue
            try:
                values[f.name] = f.parse(raw.get(f.name))
            except FieldError as error:
                errors[f.name] = str(error)
        unknown = sorted(set(raw) - {f.name for f in self.fields})
        for name in unknown:
            errors[name] = f"is not a field of {self.words}"
        errors.update(self.cross_check(values) if not errors else {})
        return values, errors

    def cross_check(self, values: dict[str, Any]) -> dict[str, str]:
        return self.between(values) if self.between is not None else {}


def identity_between(values: dict[str, Any]) -> dict[str, str]:
    """A system's own settings are required unless sign-in is delegated to an identity provider."""
    if values.get("delegated_to"):
        return {}
    return {
        name: "is required unless sign-in is delegated to an identity provider"
        for name in IDENTITY_OWN_SETTINGS
        if values.get(name) is None
    }


def purpose_between(values: dict[str, Any]) -> dict[str, str]:
    """A purpose other than tax and shipping needs its reason."""
    if "other" in (values.get("purposes") or []) and not values.get("other_reason"):
        return {"other_reason": "give the reason for a purpose other than tax and shipping"}
    return {}


ENABLED = (("blocked", "Blocked"), ("monitored", "Monitored and alerted"), ("none", "No control"), ("not_applicable", "Not applicable"))

IDENTITY_OWN_SETTINGS = (
    "mfa_enforced",
    "password_min_length",
    "password_character_classes",
    "password_no_name",
    "password_min_age_days",
    "password_max_age_days",
    "lockout_threshold",
)

AREAS: dict[str, Area] = {
    area.key: area
    for area in [
        Area(
            "identity",
            "1.4",
            "Identity settings",
            "system",
            (
                Field(
                    "delegated_to",
                    "Sign-in delegated to",
                    "system",
                    required=False,
                    help="The identity-provider system whose settings apply (leave empty when the system has its own).",
                ),
                Field("mfa_enforced", "MFA enforced for all users", "choice", (("yes", "Yes"), ("partial", "Partly"), ("no", "No")), False),
                Field("password_min_length", "Password minimum length", "int", required=False, maximum=256),
                Field(
                    "password_character_classes",
                    "Character classes required (upper, lower, digit, special)",
                    "int",
                    required=False,
                    maximum=4,
                ),
                Field("password_no_name", "Passwords may not contain the user's name", "bool", required=False),
                Field("password_min_age_days", "Minimum password age (days)", "int", required=False, maximum=3650),
                Field("password_max_age_days", "Maximum password age (days, 0 = never expires)", "int", required=False, maximum=3650),
                Field("lockout_threshold", "Lockout after failed sign-ins (0 = never)", "int", required=False, maximum=1000),
                Field("session_timeout_minutes", "Idle session timeout (minutes)", "int", required=False, maximum=100_000),
            ),
            "DPP 1.2 lockout and 1.4 passwords and MFA, as the system enforces them.",
            identity_between,
        ),
        Area(
            "logging",
            "2.6",
            "Logging and monitoring",
            "system",
            (
                Field(
                    "events_logged",
                    "What is logged",
                    "multi",
                    (
                        ("sign_ins", "Sign-ins"),
                        ("admin_actions", "Admin actions"),
                        ("data_access", "Data access"),
                        ("api_calls", "API calls"),
                    ),
                ),
                Field(
                    "destination", "Where logs are shipped", "choice", (("siem", "SIEM"), ("log_store", "Log store"), ("none", "Nowhere"))
                ),
                Field("retention_days", "Retention (days)", "int", maximum=36_500),
                Field("pii_excluded", "PII kept out of the logs", "bool"),
                Field("tamper_protected", "Logs protected against tampering", "bool"),
                Field(
                    "alarms",
                    "Alarms in place",
                    "multi",
                    (
                        ("failed_sign_ins", "Repeated failed sign-ins"),
                        ("request_rate", "Unexpected request rate"),
                        ("data_volume", "Unusual data retrieval volume"),
                        ("canary_access", "Canary record access"),
                        ("exfiltration", "Information beyond its boundaries"),
                    ),
                    required=False,
                ),
                Field(
                    "review",
                    "How logs are reviewed",
                    "choice",
                    (("siem_alerting", "SIEM alerting"), ("manual", "Manual review"), ("none", "Not reviewed")),
                ),
                Field("review_every_days", "Manual review every (days)", "int", required=False, maximum=3650),
                Field("last_reviewed_on", "Last manual review", "date", required=False),
                Field("canary_records", "Canary records in this system's data stores", "bool", required=False),
                Field("canary_checked_on", "Canaries last checked", "date", required=False),
            ),
            "DPP 2.6: what the system logs, where, for how long, and who watches.",
        ),
        Area(
            "network",
            "1.1",
            "Network protection",
            "system",
            (
                Field("firewall", "Firewalls / network ACLs deny unauthorised addresses", "bool"),
                Field("firewall_reviewed_on", "Firewall rules last reviewed", "date", required=False),
                Field("segmented", "PII stores segmented from other networks", "choice", (*YES_NO, ("not_applicable", "No PII stores"))),
                Field(
                    "public_access",
                    "Public access",
                    "choice",
                    (("none", "Not publicly reachable"), ("approved_users", "Approved users only"), ("open", "Open to anyone")),
                ),
            ),
            "DPP 1.1: firewalls and ACLs, segmentation, and who may reach the system publicly.",
        ),
        Area(
            "dlp",
            "2.3",
            "Data-loss prevention",
            "system",
            (
                Field("email", "Email", "choice", ENABLED),
                Field("removable_media", "Removable media", "choice", ENABLED),
                Field("cloud_sharing", "Cloud sharing", "choice", ENABLED),
                Field("public_links", "Public links", "choice", ENABLED),
                Field(
                    "alerting",
                    "How the company is alerted",
                    "choice",
                    (("siem", "SIEM"), ("email", "Email to the security lead"), ("none", "Not alerted")),
                ),
            ),
            "DPP 2.3: controls that detect or stop unauthorised movement of data, per channel.",
        ),
        Area(
            "secrets",
            "2.5",
            "Secrets and environments",
            "system",
            (
                Field(
                    "credentials_store",
                    "Where credentials are kept",
                    "choice",
                    (("vault", "Secrets vault"), ("environment", "Environment / secret files"), ("code", "In the code")),
                ),
                Field("secret_scanning", "Secret scanning in the release scan", "bool"),
                Field("environments_separated", "Production and test separated", "bool"),
                Field("production_pii_in_tests", "Production PII used in tests", "bool"),
            ),
            "DPP 2.5: no hard-coded or public credentials; test and production kept apart.",
        ),
        Area(
            "purpose",
            "2",
            "Purpose of PII",
            "data_store",
            (
                Field(
                    "purposes",
                    "Purposes",
                    "multi",
                    (("tax", "Tax"), ("shipping", "Merchant-fulfilled shipping"), ("other", "Other")),
                ),
                Field("other_reason", "Reason for another purpose", "text", required=False),
            ),
            "DPP 2: PII only for tax and merchant-fulfilled shipping, on a must-have basis.",
            purpose_between,
        ),
    ]
}

SYSTEM_AREAS = tuple(area for area in AREAS.values() if area.subject == "system")
CLAUSE_AREAS = {"1.1": "network", "1.2": "identity", "1.4": "identity", "2": "purpose", "2.3": "dlp", "2.5": "secrets", "2.6": "logging"}


def area_for(key: str) -> Area:
    try:
        return AREAS[key]
    except KeyError:
        raise FieldError(f"{key!r} is not an area ({', '.join(AREAS)})") from None
