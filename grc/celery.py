"""Celery application: configured from Django settings (``CELERY_*``), tasks found per app.

Beat's schedule is ``CELERY_BEAT_SCHEDULE`` in settings: in code, so every deployment runs the same sweeps.
"""

from __future__ import annotations

import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grc.settings")

app = Celery("grc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="grc.ping")
def ping(value: str = "pong") -> str:
    """A task with no side effects: the Celery round-trip test and health checks send it."""
    return value


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log like the web: JSON lines on stdout without PII (settings.LOGGING,
    grc/logging.py), instead of Celery replacing the root logger's handlers with its own format."""

    dictConfig(settings.LOGGING)
