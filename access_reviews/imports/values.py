"""Reading cell values the same way in every import; errors say what was expected, never echo PII."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from django.utils.dateparse import parse_date, parse_datetime

TRUE_WORDS = {"yes", "y", "true", "t", "1", "enabled", "active", "on"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "disabled", "inactive", "off", "suspended"}
UNKNOWN_WORDS = {"unknown", "?", "n/a", "na"}
NEVER_WORDS = {"", "never", "-", "none", "null"}


class CellError(ValueError):
    """One cell cannot be read; the message names the column and what was expected."""


def read_bool(value: str, column: str, default: bool | None = None) -> bool:
    word = value.strip().lower()
    if word == "" and default is not None:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"{column} must be yes or no")


def read_mfa(value: str, column: str) -> str:
    word = value.strip().lower()
    if word in UNKNOWN_WORDS or word == "":
        return "unknown"
    if word in TRUE_WORDS:
        return "yes"
    if word in FALSE_WORDS:
        return "no"
    raise CellError(f"{column} must be yes, no or unknown")


# Year-first with slashes, as Google Workspace's "Last Sign In [READ ONLY]" writes it
# (``2019/08/26 12:57:45``): never ambiguous, unlike 08/26/2019, which stays refused.
SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def read_datetime(value: str, column: str, *, required: bool = False, none_words: frozenset[str] = frozenset()) -> datetime | None:
    """ISO 8601 date or date-time (``2026-11-02``, ``2026-11-02 10:15``, ``…T10:15:00Z``, offsets
    such as ``+02:00``) or year-first with slashes (``2019/08/26 12:57:45``); naive means UTC.
    ``none_words`` are the words a source writes for "no date" (AWS ``N/A``, ``no_information``,
    Google ``Never logged in``): read as no date, only where a preset says so."""
    text = value.strip()
    if text.lower() in NEVER_WORDS or text.lower() in none_words:
        if required:
            raise CellError(f"{column} is required")
        return None
    parsed: datetime | None = None
    slashed = SLASHED.match(text)
    if slashed:
        text = "{}-{:0>2}-{:0>2}".format(*slashed.groups()[:3])
        if slashed.group(4):
            text += " {:0>2}:{}:{}".format(slashed.group(4), slashed.group(5), slashed.group(6) or "00")
    try:
        parsed = parse_datetime(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        if parsed is None:
            day: date | None = parse_date(text)
            if day is not None:
                parsed = datetime.combine(day, time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise CellError(f"{column} must be a date like 2026-11-02 or 2026-11-02 14:30")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def read_text(value: str, column: str, *, max_length: int, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise CellError(f"{column} is empty")
    if len(text) > max_length:
        raise CellError(f"{column} is longer than {max_length} characters")
    return text


def mask_email(email: str) -> str:
    """``jane.doe@example.com`` → ``j***@example.com``: enough for the person who ran the sync to
    recognise whose link changes in a dry run, without the preview (kept in the import job, sent
    back to an API caller) holding the address itself."""
    text = email.strip()
    if not text:
        return ""
    local, _at, domain = text.partition("@")
    return f"{local[:1]}***@{domain}" if domain else f"{text[:1]}***"


def mask_name(name: str) -> str:
    """``Jane Doe`` → ``J*** D***`` (each word's first letter), for the same reason as ``mask_email``."""
    return " ".join(f"{word[:1]}***" for word in name.split())


def mapping_column_problems(
    mapping: dict[str, str], header: list[str], labels: dict[str, str], *, email_may_share: str, shared_words: str
) -> list[str]:
    """What is wrong with a column mapping of either import, whatever its required fields: an
    unknown target, a column the file lacks, or a column used twice — except that the email column
    may also be ``email_may_share`` (the account or person key of an export keyed by address)."""
    problems = []
    for target, column in mapping.items():
        if target not in labels:
            problems.append(f"Unknown field {target}.")
        elif column and column not in header:
            problems.append(f"The file has no column named {column!r} (for {labels[target]}).")
    columns = [
        column for target, column in mapping.items() if column and not (target == "email" and column == mapping.get(email_may_share))
    ]
    if len(columns) != len(set(columns)):
        problems.append(f"Each column can be used for one field only (the email column may also be the {shared_words}).")
    return problems


def header_key(name: str) -> str:
    """How a header name is compared when columns are guessed: ``First Name [Required]``,
    ``first_name`` and ``firstName`` all read ``firstname`` (Google's suffixes dropped)."""
    name = re.sub(r"\s*\[[^\]]*\]\s*$", "", name.strip())
    return re.sub(r"[^a-z0-9#]", "", name.lower())


def guess_columns(header: list[str], fields: dict[str, tuple[str, bool, tuple[str, ...]]]) -> dict[str, str]:
    """A first mapping of either import from the header's names: each target takes the first of its
    names the file has, each column serves one target (the user confirms on the mapping screen)."""
    by_key: dict[str, str] = {}
    for column in header:
        if column:
            by_key.setdefault(header_key(column), column)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for target, (_label, _required, names) in fields.items():
        found = next((by_key[header_key(name)] for name in names if by_key.get(header_key(name)) not in (None, *used)), None)
        if found:
            mapping[target] = found
            used.add(found)
    return mapping
