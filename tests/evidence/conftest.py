"""Helpers for the evidence tests: files under a temporary MEDIA_ROOT, auditor grants made through
the service, packs built through the real builder, PDFs read back with pypdf."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from grc.accounts.stepup import SESSION_KEY as STEP_UP_KEY
from grc.evidence.services.grants import grant_create
from grc.evidence.services.packs import pack_build, pack_request


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def client_for(user) -> Client:
    """A separate signed-in browser per user (the ``*_client`` fixtures share one Client)."""
    from tests.conftest import signed_in

    return signed_in(Client(), user)


def with_step_up(client: Client, when=None) -> Client:
    session = client.session
    session[STEP_UP_KEY] = (when or timezone.now()).timestamp()
    session.save()
    return client


@pytest.fixture
def grant(lead):
    """``grant(auditor, days=30, clauses=[])``: access from today for ``days`` days."""

    def make(auditor, *, days: int = 30, clauses=None, starts_in: int = 0, audit=None):
        today = timezone.localdate()
        return grant_create(
            auditor=auditor,
            starts_on=today + timedelta(days=starts_in),
            ends_on=today + timedelta(days=starts_in + days - 1),
            clauses=clauses or [],
            purpose="Amazon DPP assessment",
            audit=audit,
            by=lead,
            now=timezone.now(),
        )

    return make


@pytest.fixture
def auditor_with_access(auditor, grant):
    grant(auditor)
    return auditor


def build_pack(*, by=None, clauses=None, days: int = 90, include_zip: bool = True, start=None, end=None):
    """Request and build a pack in this process (as the Celery task does) and return it ready."""
    today = timezone.localdate()
    pack = pack_request(
        period_start=start or today - timedelta(days=days - 1),
        period_end=end or today,
        clauses=clauses or [],
        include_zip=include_zip,
        by=by,
        now=timezone.now(),
        queue=False,
    )
    return pack_build(pack_id=pack.pk)


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def compact(text: str) -> str:
    """Text without any whitespace: pypdf splits long hashes and some kerned pairs."""
    return re.sub(r"\s+", "", text)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
