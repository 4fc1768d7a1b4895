"""System errors into the audit trail (DPP 2.6 "system errors"): failed Celery tasks and
unhandled exceptions in requests.

Only the task name or view name and the exception *class* are recorded: an exception's message
can carry data (an IntegrityError quotes the duplicate email). Receivers never raise: failing to
audit an error must not hide the error itself.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from celery.signals import task_failure
from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import HttpRequest

from grc.audit.models import Channel, Outcome
from grc.audit.services import record_event

logger = logging.getLogger("grc.audit")


@receiver(task_failure)
def audit_task_failure(sender: object = None, task_id: str | None = None, exception: BaseException | None = None, **kwargs: Any) -> None:
    name = getattr(sender, "name", "") or "unknown"
    try:
        record_event(
            "system.task_failed",
            system_actor=f"task:{name}"[:100],
            channel=Channel.TASK,
            outcome=Outcome.FAILURE,
            object_type="task",
            object_id=name[:64],
            message=f"{type(exception).__name__} in {name}",
            details={"task": name, "task_id": str(task_id or ""), "exception": type(exception).__name__},
        )
    except Exception:
        logger.exception("could not audit the failure of task %s", name)


@receiver(got_request_exception)
def audit_request_exception(sender: object = None, request: HttpRequest | None = None, **kwargs: Any) -> None:
    error = sys.exc_info()[1]
    view = getattr(getattr(request, "resolver_match", None), "view_name", "") or ""
    try:
        record_event(
            "system.request_failed",
            request=request,
            outcome=Outcome.FAILURE,
            object_type="url",
            object_id=view[:64],
            message=f"{type(error).__name__} in {view or 'an unresolved URL'}",
            details={"exception": type(error).__name__},
        )
    except Exception:
        logger.exception("could not audit an unhandled request exception")
