"""Application logs as JSON lines on stdout, with PII scrubbed (DPP 2.6: logs hold no PII).

Log calls should refer to objects by id only; the filter is the safety net for what slips
through (an email address, a phone number, an IP address inside an exception message).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_PII_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\+?\d[\d ()-]{7,}\d"), "[number]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip]"),
]
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    for pattern, replacement in _PII_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPIIFilter(logging.Filter):
    """Rewrites the formatted message and the exception text of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value if isinstance(value, (int, float, bool, type(None))) else redact(str(value))
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)
