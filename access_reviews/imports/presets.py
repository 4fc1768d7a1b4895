"""Source presets: how the account exports of common identity tools are read.

A preset knows one tool's export: the header names that identify it (``signature``, to guess the
preset from an uploaded file), which column holds each account field (``columns``, candidates in
order of preference: the job's mapping keeps target → column as always; people are matched by
email, not by an employee id the tool may number differently from HR) and how that tool writes
its values (``readers``: dates like ``N/A`` or ``Never logged in``, statuses like Okta's
``LOCKED_OUT``). ``derive`` computes facts from several columns of a row (AWS: the root user is
privileged; a user without a console password but with an active access key may be a service
account). The preset ``custom`` is the mapping alone, read as before presets existed.

Column names and value sets, from each tool's documentation (checked with the project's search
tool where it found them; the others follow the names the tools are documented to write):

- AWS IAM credential report: docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
  (``user, arn, user_creation_time, password_enabled, password_last_used, … mfa_active,
  access_key_1_active …``; ``N/A``, ``no_information``, ``not_supported`` for the root user).
- Google Workspace "Download users": the admin console's CSV (``Email Address [Required]``,
  ``Status [READ ONLY]`` Active/Suspended/Archived, ``Last Sign In [READ ONLY]`` written
  ``2019/08/26 12:57:45`` or ``Never logged in``, ``2sv Enrolled [READ ONLY]`` True/False).
- Okta users (API user object and the admin console's user export): status STAGED, PROVISIONED,
  ACTIVE, RECOVERY, LOCKED_OUT, PASSWORD_EXPIRED, SUSPENDED, DEPROVISIONED (the Okta user schema).
- Microsoft Entra ID "Download users" (portal): ``userPrincipalName``, ``accountEnabled``
  True/False; the per-user MFA page's state Disabled/Enabled/Enforced.
- GitHub organisation "Export" of members: ``login, name, email, role, 2fa_enabled, saml_name_id``.
- Active Directory ``csvde``: ``DN, sAMAccountName, userPrincipalName, mail, userAccountControl``
  (bit 0x2 ACCOUNTDISABLE, 0x10 LOCKOUT), ``lastLogonTimestamp`` (Windows FILETIME).
- JumpCloud user export: ``username, email, activated, suspended, account_locked, totp_enabled``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from access_reviews.imports.values import CellError, read_bool, read_datetime

CUSTOM = "custom"
Reader = Callable[[str, str], Any]


def norm(name: str) -> str:
    """A header name as presets and the guesser compare it: lower case, ``_``/``-``/spaces as one
    space, and Google's ``[Required]`` / ``[READ ONLY]`` / ``[UPLOAD ONLY]`` suffixes dropped."""
    name = re.sub(r"\s*\[[^\]]*\]\s*$", "", name.strip())
    return re.sub(r"[\s_\-]+", " ", name.lower()).strip()


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    how_to_export: str  # one line for the README and the upload page
    signature: tuple[tuple[str, ...], ...] = ()  # each entry: one of these (normalised) headers is present
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # target → header candidates
    readers: dict[str, Reader] = field(default_factory=dict)  # target → reader(value, column) → stored value
    derive: Callable[[dict[str, str]], dict[str, Any]] | None = None  # the raw row (by header) → extra values
    known: tuple[str, ...] = ()  # columns the tool writes that the portal does not need (not "unmapped")

    def matches(self, header: list[str]) -> bool:
        names = {norm(column) for column in header}
        return bool(self.signature) and all(any(norm(n) in names for n in options) for options in self.signature)

    def mapping(self, header: list[str]) -> dict[str, str]:
        """target → the file's column, for the targets whose column this file has."""
        by_norm = {norm(column): column for column in header if column}
        found: dict[str, str] = {}
        for target, candidates in self.columns.items():
            for candidate in candidates:
                if norm(candidate) in by_norm:
                    found[target] = by_norm[norm(candidate)]
                    break
        return found

    def complete(self, header: list[str]) -> bool:
        """The file has a column for each field of the preset that its signature names: no need
        to ask the user for the mapping."""
        return "account" in self.mapping(header) and self.matches(header)

    def known_columns(self, header: list[str]) -> set[str]:
        names = {norm(n) for n in self.known}
        return {column for column in header if norm(column) in names}


# --- value readers shared by presets ---------------------------------------------------------
def _words(table: dict[str, Any], expected: str) -> Reader:
    """A reader of a closed set of words (case-insensitive); anything else is an error."""

    def read(value: str, column: str) -> Any:
        word = value.strip().lower()
        if word in table:
            return table[word]
        raise CellError(f"{column} must be {expected}")

    return read


def _dates(*none_words: str) -> Reader:
    words = frozenset(word.lower() for word in none_words)
    return lambda value, column: read_datetime(value, column, none_words=words)


# Okta's user statuses (the Okta user schema). LOCKED_OUT, SUSPENDED and DEPROVISIONED cannot sign
# in: stored disabled, so no deprovisioning task opens for them (a locked account is still
# reviewed; it comes back when unlocked, and the next import says so). STAGED and PROVISIONED have
# never been activated, PASSWORD_EXPIRED and RECOVERY are mid-password-reset: each can become a
# working sign-in without an administrator, so they count as enabled.
OKTA_STATUS = {
    "active": True,
    "password_expired": True,
    "recovery": True,
    "provisioned": True,
    "staged": True,
    "locked_out": False,
    "suspended": False,
    "deprovisioned": False,
}
GOOGLE_STATUS = {"active": True, "suspended": False, "archived": False}
TRUE_FALSE = {"true": True, "false": False, "yes": True, "no": False}
ENTRA_MFA = {"disabled": "no", "enabled": "yes", "enforced": "yes", "": "unknown"}
# Windows FILETIME: 100 ns ticks since 1601-01-01; 0 and the largest value mean "never".
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
FILETIME_NEVER = {0, 9223372036854775807}
UF_ACCOUNTDISABLE, UF_LOCKOUT = 0x2, 0x10


def read_okta_status(value: str, column: str) -> bool:
    return _words(OKTA_STATUS, "an Okta status (ACTIVE, SUSPENDED, LOCKED_OUT …)")(value.replace(" ", "_"), column)


def read_filetime(value: str, column: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit():
        return read_datetime(text, column)  # some exports convert it to a date already
    ticks = int(text)
    if ticks in FILETIME_NEVER:
        return None
    return FILETIME_EPOCH + timedelta(microseconds=ticks // 10)


def read_user_account_control(value: str, column: str) -> bool:
    """Enabled unless the ACCOUNTDISABLE or LOCKOUT bit is set (Microsoft's userAccountControl flags)."""
    text = value.strip()
    try:
        flags = int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise CellError(f"{column} must be a userAccountControl number like 512")
    return not flags & (UF_ACCOUNTDISABLE | UF_LOCKOUT)


def read_not(value: str, column: str) -> bool:
    """A "suspended" yes/no column, read as "enabled"."""
    return not read_bool(value, column)


# --- AWS --------------------------------------------------------------------------------------
AWS_NONE = ("N/A", "no_information", "not_supported")


def _aws_derive(row: dict[str, str]) -> dict[str, Any]:
    """The root user is privileged; a user without a console password but with an active access
    key is probably a machine's (``service_account_suggested``: the reviewer confirms); the last
    login is the latest use of the password or either access key."""
    values: dict[str, Any] = {}
    cells = {norm(column): text.strip() for column, text in row.items()}
    if cells.get("user") == "<root_account>":
        values["privileged"] = True
    keys_active = any(cells.get(f"access key {n} active", "").lower() == "true" for n in (1, 2))
    values["service_account_suggested"] = cells.get("password enabled", "").lower() == "false" and keys_active
    used = []
    for column in ("password last used", "access key 1 last used date", "access key 2 last used date"):
        try:
            when = read_datetime(cells.get(column, ""), column, none_words=frozenset(w.lower() for w in AWS_NONE))
        except CellError:
            continue  # the mapped column reports its own error
        if when is not None:
            used.append(when)
    if used:
        values["last_login_at"] = max(used)
    return values


PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (
        Preset(
            key="aws_iam",
            label="AWS IAM credential report",
            how_to_export="IAM console → Credential report → Download credentials report (or `aws iam generate-credential-report` then `get-credential-report`).",
            signature=(("user",), ("arn",), ("password_enabled",), ("mfa_active",)),
            columns={"account": ("user",), "mfa": ("mfa_active",), "last_login": ("password_last_used",)},
            readers={"last_login": _dates(*AWS_NONE)},
            derive=_aws_derive,
            known=(
                "arn",
                "user_creation_time",
                "password_enabled",
                "password_last_changed",
                "password_next_rotation",
                *(
                    f"access_key_{n}_{suffix}"
                    for n in (1, 2)
                    for suffix in ("active", "last_rotated", "last_used_date", "last_used_region", "last_used_service")
                ),
                *(f"cert_{n}_{suffix}" for n in (1, 2) for suffix in ("active", "last_rotated")),
            ),
        ),
        Preset(
            key="google_workspace",
            label="Google Workspace users",
            how_to_export="Admin console → Directory → Users → Download users → All user info columns, CSV.",
            signature=(("Email Address [Required]",), ("Org Unit Path [Required]",), ("Status [READ ONLY]",)),
            columns={
                "account": ("Email Address [Required]",),
                "email": ("Email Address [Required]",),
                "mfa": ("2sv Enrolled [READ ONLY]",),
                "last_login": ("Last Sign In [READ ONLY]",),
                "enabled": ("Status [READ ONLY]",),
            },
            readers={
                "enabled": _words(GOOGLE_STATUS, "Active, Suspended or Archived"),
                "last_login": _dates("Never logged in"),
            },
            known=("First Name", "Last Name", "Org Unit Path", "2sv Enforced", "Password", "Password Hash Function"),
        ),
        Preset(
            key="okta",
            label="Okta users",
            how_to_export="Admin console → Directory → People → More actions → Export users (or Reports → User accounts report), CSV.",
            signature=(("login", "username"), ("status",), ("last login", "lastlogin"), ("first name", "firstname")),
            columns={
                "account": ("login", "username", "user name"),
                "email": ("email", "primary email"),
                "last_login": ("last login", "lastlogin"),
                "enabled": ("status",),
            },
            readers={"enabled": read_okta_status, "last_login": _dates()},
            known=("first name", "firstname", "last name", "lastname", "id", "created", "activated", "status changed", "password changed"),
        ),
        Preset(
            key="entra",
            label="Microsoft Entra ID users",
            how_to_export="Entra admin center → Users → All users → Download users (CSV); add the per-user MFA state column from the MFA page if you use it.",
            signature=(("userPrincipalName",), ("accountEnabled",)),
            columns={
                "account": ("userPrincipalName",),
                "email": ("mail", "userPrincipalName"),
                "mfa": ("Per-user MFA state", "perUserMfaState", "MFA state", "strongAuthenticationRequirements"),
                "last_login": ("lastSignInDateTime", "Last sign-in"),
                "enabled": ("accountEnabled",),
            },
            # Per-user MFA "Disabled" can still mean MFA by Conditional Access: leave the column out then.
            readers={"enabled": _words(TRUE_FALSE, "True or False"), "mfa": _words(ENTRA_MFA, "Disabled, Enabled or Enforced")},
            known=("displayName", "surname", "givenName", "objectId", "id", "userType", "jobTitle", "department", "createdDateTime"),
        ),
        Preset(
            key="github",
            label="GitHub organisation members",
            how_to_export="Organisation → People → Export (CSV).",
            signature=(("login",), ("role",), ("2fa_enabled",)),
            columns={
                "account": ("login",),
                "email": ("saml_name_id", "email"),
                "privilege": ("role",),
                "mfa": ("2fa_enabled",),
                "last_login": ("last_active",),
            },
            readers={"last_login": _dates("N/A", "never")},
            known=("name", "id", "email", "saml_name_id", "teams", "last_active"),
        ),
        Preset(
            key="ldap_csvde",
            label="Active Directory / LDAP (csvde)",
            how_to_export='csvde -f users.csv -r "(&(objectCategory=person)(objectClass=user))" -l "DN,sAMAccountName,userPrincipalName,mail,employeeID,userAccountControl,lastLogonTimestamp,memberOf"',
            signature=(("dn",), ("sAMAccountName",)),
            columns={
                "account": ("sAMAccountName",),
                "email": ("mail", "userPrincipalName"),
                "last_login": ("lastLogonTimestamp",),
                "enabled": ("userAccountControl",),
            },
            readers={"enabled": read_user_account_control, "last_login": read_filetime},
            known=("dn", "objectClass", "memberOf", "userPrincipalName", "displayName", "cn", "givenName", "sn"),
        ),
        Preset(
            key="jumpcloud",
            label="JumpCloud users",
            how_to_export="Admin portal → User Management → Users → Export (CSV).",
            signature=(("username",), ("activated",), ("suspended",)),
            columns={
                "account": ("username",),
                "email": ("email",),
                "mfa": ("totp_enabled", "mfa"),
                "enabled": ("suspended",),
            },
            readers={"enabled": read_not},
            known=("firstname", "lastname", "activated", "account_locked", "password_expired", "id"),
        ),
    )
}
PRESET_CHOICES: list[tuple[str, str]] = [(key, preset.label) for key, preset in PRESETS.items()] + [(CUSTOM, "Other (custom mapping)")]


def preset_for(key: str) -> Preset | None:
    """The preset of a key; None for ``custom`` (and for a key no longer known: read as custom)."""
    return PRESETS.get(key)


def guess_preset(header: list[str]) -> str:
    """The preset whose signature the header has (the most specific one), else ``custom``."""
    matching = [preset for preset in PRESETS.values() if preset.matches(header)]
    if not matching:
        return CUSTOM
    return max(matching, key=lambda preset: len(preset.signature)).key


# how the refusal of a file that is not the chosen tool's export names that export
EXPORT_NAMES = {
    "aws_iam": "an AWS IAM credential report",
    "google_workspace": "a Google Workspace users export",
    "okta": "an Okta users export",
    "entra": "a Microsoft Entra ID users export",
    "github": "a GitHub organisation members export",
    "ldap_csvde": "an Active Directory csvde export",
    "jumpcloud": "a JumpCloud users export",
}


def missing_signature(preset: Preset, header: list[str]) -> list[str]:
    """The preset's signature columns this header lacks (``login or username`` for a choice)."""
    names = {norm(column) for column in header}
    return [" or ".join(options) for options in preset.signature if not any(norm(n) in names for n in options)]


def wrong_format_message(chosen: str, header: list[str]) -> str:
    """Why a file is not the export of the tool the user chose ("" when it is, or when the user
    chose none or ``custom``). Read as that tool, another tool's file would map a column or two by
    chance and import wrong values (an Okta status read as an AWS column), so it is refused whole."""
    preset = preset_for(chosen)
    if preset is None or preset.matches(header):
        return ""
    export = EXPORT_NAMES.get(preset.key, f"a {preset.label} export")
    return (
        f"This file does not look like {export}: it has no column {', '.join(missing_signature(preset, header))}. "
        "Choose the tool it came from, or 'Guess from the header'."
    )
