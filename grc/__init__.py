"""The DPP compliance portal's project package; importing it makes the Celery app available."""

from grc.celery import app as celery_app

__all__ = ["celery_app"]
