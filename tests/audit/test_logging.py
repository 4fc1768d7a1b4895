"""Application logs: JSON lines on stdout, without PII (DPP 2.6; grc/logging.py)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.conf import settings

from grc.logging import WITHHELD, JSONFormatter, RedactPIIFilter, redact
from tests.core.test_settings import run_manage


def log_line(emit) -> dict:
    """Run ``emit(logger)`` through the portal's handler setup and return the JSON object written."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(RedactPIIFilter())
    logger = logging.getLogger("grc.tests.logging")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail q.thorndyke@example.org now", "mail [email] now"),
        ("call +44 20 7946 0958 or (555) 123-4567", "call [number] or [number]"),
        ("from 198.51.100.7 and 2001:db8::1", "from [ip] and [ip]"),
        ("on 2027-03-10 09:00:00 event 1234 took 12:30", "on 2027-03-10 09:00:00 event 1234 took 12:30"),
        (
            "hash 35adbc873a03bdee4be6edc6592e35ebcfaecefa17fe9d2d1771e3ed24863f4d",
            "hash 35adbc873a03bdee4be6edc6592e35ebcfaecefa17fe9d2d1771e3ed24863f4d",
        ),
    ],
)
def test_redact_masks_emails_phones_and_addresses_but_keeps_dates_ids_and_hashes(text, expected):
    assert redact(text) == expected


def test_each_record_is_one_json_line_with_time_level_logger_and_message():
    line = log_line(lambda logger: logger.warning("incident %s escalated", 42))
    assert line["level"] == "WARNING" and line["logger"] == "grc.tests.logging"
    assert line["message"] == "incident 42 escalated"
    assert line["time"].endswith("+00:00")


def test_pii_in_a_message_is_masked():
    line = log_line(lambda logger: logger.info("reset for %s from %s", "q.thorndyke@example.org", "198.51.100.7"))
    assert line["message"] == "reset for [email] from [ip]"


def test_exception_messages_are_withheld_but_class_and_stack_kept():
    def emit(logger):
        try:
            raise ValueError('duplicate key: Key (email)=(q.thorndyke@example.org) for "Quintessa Thorndyke"')
        except ValueError as error:
            logger.exception("saving failed: %s", error)

    line = log_line(emit)
    assert line["message"] == f"saving failed: {WITHHELD}"
    assert "Quintessa" not in json.dumps(line) and "example.org" not in json.dumps(line)
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "test_logging.py" in line["exception"] and line["exception"].endswith(f"ValueError: {WITHHELD}")


def test_chained_exceptions_keep_only_their_classes():
    def emit(logger):
        try:
            try:
                raise KeyError("Quintessa")
            except KeyError as inner:
                raise RuntimeError("for 221B Baker Street") from inner
        except RuntimeError:
            logger.exception("failed")

    line = log_line(emit)
    assert "KeyError" in line["exception"] and "RuntimeError" in line["exception"]
    assert "Quintessa" not in line["exception"] and "Baker" not in line["exception"]


def test_extras_keep_numbers_and_identifiers_and_drop_free_text_and_objects():
    line = log_line(
        lambda logger: logger.info(
            "done",
            extra={
                "incident_id": 4,
                "audit_head_hash": "ab" * 32,
                "task_name": "grc.audit.tasks.x",
                "note": "Quintessa rang",
                "user_name": "Quintessa Thorndyke",
                "data": {"exc": "x"},
            },
        )
    )
    assert line["incident_id"] == 4 and line["audit_head_hash"] == "ab" * 32 and line["task_name"] == "grc.audit.tasks.x"
    assert "note" not in line and "user_name" not in line and "data" not in line


def test_settings_send_json_lines_to_stdout_through_the_filter():
    handler = settings.LOGGING["handlers"]["stdout"]
    assert handler["stream"] == "ext://sys.stdout" and handler["filters"] == ["redact"] and handler["formatter"] == "json"
    assert settings.LOGGING["formatters"]["json"]["()"] == "grc.logging.JSONFormatter"


def test_a_running_portal_process_logs_json_on_stdout_and_nothing_on_stderr():
    code = "import logging; logging.getLogger('grc.probe').warning('probe for %s', 'q.thorndyke@example.org')"
    result = run_manage("shell", "-c", code, env_changes={"DJANGO_ENV": "test", "DATABASE_URL": "sqlite:////tmp/unused.sqlite3"})
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {"logger": "grc.probe", "message": "probe for [email]"}.items() <= lines[-1].items()
    assert "probe" not in result.stderr


def test_celery_workers_keep_the_portals_logging():
    """A connected ``setup_logging`` receiver stops Celery replacing the handlers with its own format."""
    from celery.signals import setup_logging

    from grc.celery import use_django_logging

    assert use_django_logging in setup_logging._live_receivers(None)
