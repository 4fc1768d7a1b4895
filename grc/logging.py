"""Application logs as JSON lines on stdout, with PII scrubbed (DPP 2.6: logs hold no PII).

Log calls should refer to objects by id only; this module is the safety net for what slips
through:

* ``redact`` masks email addresses, phone numbers and IP addresses in any text (also used for
  audit-trail messages);
* ``RedactPIIFilter`` (on the stdout handler) rewrites each record's message with ``redact``, and
  withholds **exception messages** — an exception's text often quotes data ("Key (email)=(…)
  already exists", a task's failure with a customer's address) — keeping the exception class and
  where it happened (file, line, function; not the source lines);
* ``JSONFormatter`` writes one JSON object per line; of a record's ``extra`` fields it keeps
  numbers, booleans and short identifier-like strings under keys ending in ``_id``, ``_hash``,
  ``_count``, ``_status`` or ``_name`` (e.g. ``task_name``): free text and objects attached by
  libraries (Celery attaches the task's arguments and traceback) are dropped, not printed.

Names, street addresses and free text cannot be recognised by a pattern: the rule for code is
never to log them (tests/audit/test_pii.py feeds such values through every event type).
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from datetime import UTC, datetime
from types import TracebackType

WITHHELD = "[exception message withheld]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d ()-]{6,}\d(?![\w-])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}(?::\d{2})*)?")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_HEX4 = r"[0-9A-Fa-f]{1,4}"
_IPV6 = re.compile(  # the full form (8 groups) or a compressed one ("::" with a group on either side)
    rf"(?<![\w:])(?:(?:{_HEX4}:){{7}}{_HEX4}|(?:{_HEX4}(?::{_HEX4})*)?::(?:{_HEX4}(?::{_HEX4})*)?)(?![\w:])"
)
_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_.:/-]{0,200}")
_SAFE_EXTRA_SUFFIXES = ("_id", "_hash", "_count", "_status", "_name")
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    if _ISO_DATE.fullmatch(text.strip()) or sum(ch.isdigit() for ch in text) < 8:
        return text  # a date or a short number, not a phone number
    return "[number]"


def redact(text: str) -> str:
    """Mask emails, phone numbers and IP addresses (dates and short numbers are kept)."""
    text = _EMAIL.sub("[email]", text)
    text = _IPV4.sub("[ip]", text)
    text = _IPV6.sub("[ip]", text)
    return _PHONE.sub(_phone, text)


def _exception_summary(exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> str:
    """The traceback of an exception — files, lines and functions — with every exception's message
    withheld (classes kept)."""
    lines: list[str] = []
    seen: set[int] = set()

    def add(error: BaseException | None, error_type: type[BaseException], error_tb: TracebackType | None, depth: int) -> None:
        if error is not None and depth < 5 and id(error) not in seen:
            seen.add(id(error))
            cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
            if cause is not None:
                add(cause, type(cause), cause.__traceback__, depth + 1)
                lines.append("\nThe above exception led to the following one:\n\n")
        lines.append("Traceback (most recent call last):\n")
        for frame in traceback.extract_tb(error_tb):  # where, not the source line (a literal there could hold data)
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n')
        name = f"{error_type.__module__}.{error_type.__qualname__}" if error_type.__module__ != "builtins" else error_type.__qualname__
        lines.append(f"{name}: {WITHHELD}\n" if error is not None and str(error) else f"{name}\n")

    add(exc, exc_type, tb, 0)
    return "".join(lines).rstrip("\n")


def _message_variants(exc: BaseException) -> set[str]:
    text = str(exc)
    if not text:
        return set()
    return {text, repr(text)[1:-1], repr(exc), *(str(arg) for arg in getattr(exc, "args", ()) if isinstance(arg, str) and len(arg) > 3)}


class RedactPIIFilter(logging.Filter):
    """Rewrites the formatted message and the exception text of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None:
            for variant in sorted(_message_variants(exc_info[1]), key=len, reverse=True):
                message = message.replace(variant, WITHHELD)
            record.exc_text = _exception_summary(*exc_info)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg = redact(message)
        record.args = ()
        record.exc_info = None
        return True


_SCRUB = RedactPIIFilter()


def _safe_extra(key: str, value: object) -> tuple[bool, object]:
    if isinstance(value, bool | int | float) or value is None:
        return True, value
    if isinstance(value, str) and key.endswith(_SAFE_EXTRA_SUFFIXES) and _SAFE_TOKEN.fullmatch(value):
        return True, _IPV4.sub("[ip]", value)
    return False, None


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, safe extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        _SCRUB.filter(record)  # idempotent: also safe when a handler was configured without the filter
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD_ATTRS or key.startswith("_"):
                continue
            keep, safe = _safe_extra(key, value)
            if keep:
                entry[key] = safe
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)
