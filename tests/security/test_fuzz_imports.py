"""Bad input to every CSV import (people, accounts of a system, assets): random unicode, huge and
formula cells, wrong types, impossible dates, broken encodings, binary files.

Whatever the file, the import either refuses it as a whole with a clear message, or checks it
and names each bad row by its line; nothing is written while a row is bad (unless the user chose
to import the good rows), and what an apply writes is exactly what the preview said.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import event, given, settings
from hypothesis import strategies as st

from access_reviews.imports import people as people_import
from access_reviews.imports.accounts import FIELDS
from access_reviews.imports.jobs import job_apply, job_check, job_request_apply, job_set_mapping, job_upload
from access_reviews.models import ImportJob, ImportKind, ImportStatus, System
from assets.imports import COLUMNS as ASSET_COLUMNS
from assets.imports import import_apply, import_upload
from assets.models import AssetImport
from grc.csvio import CsvFileError
from tests.conftest import signed_in
from tests.security.fuzz import FEW, FUZZ, any_text, bad_dates, counts, formula_cells, huge_text, tricky_text, undone, wrong_types

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
IMPORTS = settings(FUZZ, max_examples=40)
REGISTRY = ("access_reviews.Person", "access_reviews.Account", "access_reviews.DeprovisionTask", "access_reviews.TrainingRecord")
INVENTORY = ("assets.Asset", "assets.DataStore")

plausible = st.sampled_from(
    ["E1001", "E2002", "Ada", "Lovelace", "ada@example.com", "employee", "contractor", "active", "terminated", "2025-01-06", "yes", "no"]
)
cell = st.one_of(plausible, any_text, tricky_text, bad_dates, formula_cells, wrong_types.map(str), huge_text.map(lambda t: t[:20_000]))


@st.composite
def csv_files(draw, columns, good_row=None) -> bytes:
    """A CSV file as a spreadsheet (or an attacker) might produce it, in some encoding. ``good_row``
    draws a valid row as a dict, so some files pass the check and get applied."""
    columns = list(columns)
    header = draw(
        st.one_of(
            st.just(columns),
            st.just(columns),
            st.permutations(columns),
            st.lists(st.one_of(st.sampled_from(columns), any_text), max_size=12),
        )
    )
    bad_row = st.lists(cell, max_size=len(header) + 2)
    good = good_row.map(lambda row: [row.get(name, "") for name in header]) if good_row is not None else bad_row
    rows = draw(st.lists(st.one_of(good, good, bad_row), min_size=1, max_size=6))
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    body = text.getvalue()
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "utf-16", "latin-1", "cp1252", "broken", "nul", "binary"]))
    if encoding == "broken":  # valid UTF-8 with invalid bytes spliced in
        data = body.encode("utf-8")
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x80\x80", b"\xed\xa0\x80"])) + data[at:]
    if encoding == "nul":
        return body.encode("utf-8") + b"\x00\x00"
    if encoding == "binary":
        return draw(st.sampled_from([b"PK\x03\x04" + b"\x00" * 40, b"%PDF-1.7\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])) + draw(
            st.binary(max_size=200)
        )
    return body.encode(encoding, errors="replace")


numbers = st.integers(1000, 9999)
good_person = st.builds(
    lambda n, first: {
        "person_id": f"F{n}",
        "first_name": first,
        "last_name": "Fuzz",
        "email": f"f{n}@example.com",
        "department": "Ops",
        "type": "employee",
        "status": "active",
        "started_at": "2025-01-06",
    },
    numbers,
    st.sampled_from(["Ada", "Zoë", "Łukasz", "李"]),
)
good_account = st.builds(
    lambda n: {"account": f"user{n}", "privilege": "member", "mfa": "yes", "enabled": "yes", "last login": "2027-01-02"}, numbers
)


def good_asset(owner: str):
    return st.builds(lambda n: {"tag": f"FZ-{n}", "name": f"Fuzz laptop {n}", "kind": "software", "owner": owner}, numbers)


def line_count(data: bytes) -> int:
    return len(re.findall(rb"\r\n|\r|\n", data)) + 1


def assert_clear(message: str) -> None:
    assert message and len(message) < 500 and "Traceback" not in message


def assert_row_errors(errors: list[dict], data: bytes) -> None:
    for error in errors:
        assert 1 <= error["line"] <= line_count(data), error
        assert_clear(error["message"])


@pytest.fixture
def system(lead):
    return System.objects.create(name="Fuzzed system", description="", owner=lead, created_at=NOW)


@IMPORTS
@given(data=csv_files(people_import.COLUMNS, good_person))
def test_the_people_import_refuses_bad_files_clearly_and_writes_nothing_while_a_row_is_bad(lead, data):
    with undone():
        before = counts(*REGISTRY)
        try:
            job = job_upload(kind=ImportKind.PEOPLE, system=None, filename="people.csv", data=data, by=lead, now=NOW)
        except CsvFileError as error:
            event("refused as a whole")
            assert_clear(str(error))
            assert not ImportJob.objects.exists() and counts(*REGISTRY) == before
            return
        if job.status == ImportStatus.MAPPING:  # columns not the template's: the guessed mapping, as confirmed
            try:
                job = job_set_mapping(job=job, mapping=job.mapping, by=lead, now=NOW)
            except ValidationError as error:
                assert all(error.messages)
                assert counts(*REGISTRY) == before
                return
        job = job_check(job_id=job.pk, now=NOW)
        event(f"checked: {'bad rows' if job.summary.get('bad') else 'all rows good'}")
        assert job.status in (ImportStatus.PREVIEW, ImportStatus.FAILED)
        if job.status == ImportStatus.FAILED:
            assert_clear(job.failure)
            return
        assert_row_errors(job.errors, data)
        assert counts(*REGISTRY) == before  # checking writes nothing
        if job.summary.get("bad"):
            with pytest.raises(ValidationError):
                job_request_apply(job=job, import_good_rows=False, by=lead, now=NOW)
            assert counts(*REGISTRY) == before


@IMPORTS
@given(data=csv_files([names[0] for _label, _required, names in FIELDS.values()], good_account))
def test_the_accounts_import_refuses_bad_files_clearly_and_applies_all_or_nothing(lead, system, data):
    with undone():
        before = counts(*REGISTRY)
        try:
            job = job_upload(kind=ImportKind.ACCOUNTS, system=system, filename="accounts.csv", data=data, by=lead, now=NOW)
        except CsvFileError as error:
            event("refused as a whole")
            assert_clear(str(error))
            assert counts(*REGISTRY) == before
            return
        if job.status == ImportStatus.MAPPING:
            try:
                job = job_set_mapping(job=job, mapping=job.mapping, by=lead, now=NOW)
            except ValidationError as error:
                assert all(error.messages)
                assert counts(*REGISTRY) == before
                return
        job = job_check(job_id=job.pk, now=NOW)
        event(f"checked: {'bad rows' if job.summary.get('bad') else 'all rows good'}")
        assert job.status in (ImportStatus.PREVIEW, ImportStatus.FAILED)
        if job.status == ImportStatus.FAILED:
            assert_clear(job.failure)
            return
        assert_row_errors(job.errors, data)
        assert counts(*REGISTRY) == before
        if job.summary.get("bad"):
            with pytest.raises(ValidationError):
                job_request_apply(job=job, import_good_rows=False, by=lead, now=NOW)
            assert counts(*REGISTRY) == before
        else:
            job_request_apply(job=job, import_good_rows=False, by=lead, now=NOW)
            job = job_apply(job_id=job.pk, now=NOW)
            assert job.status == ImportStatus.APPLIED
            assert counts("access_reviews.Account")["access_reviews.Account"] == before["access_reviews.Account"] + job.summary.get(
                "adds", 0
            )


@IMPORTS
@given(data=st.data())
def test_the_asset_import_refuses_bad_files_clearly_and_applies_all_or_nothing(lead, data):
    columns = ["tag", "name", "kind", "owner", *[c for c in ASSET_COLUMNS if c not in ("tag", "name", "kind", "owner")][:8]]
    data = data.draw(csv_files(columns, good_asset(lead.username)))
    with undone():
        before = counts(*INVENTORY)
        try:
            job = import_upload(filename="assets.csv", data=data, by=lead, now=NOW)
        except CsvFileError as error:
            event("refused as a whole")
            assert_clear(str(error))
            assert not AssetImport.objects.exists() and counts(*INVENTORY) == before
            return
        event(f"checked: {'bad rows' if job.summary['bad'] else 'all rows good'}")
        assert_row_errors(job.errors, data)
        assert counts(*INVENTORY) == before  # the preview writes nothing
        if job.summary["bad"]:
            with pytest.raises(ValidationError):
                import_apply(job=job, import_good_rows=False, by=lead, now=NOW)
            assert counts(*INVENTORY) == before
        else:
            import_apply(job=job, import_good_rows=False, by=lead, now=NOW)
            assert counts("assets.Asset")["assets.Asset"] == before["assets.Asset"] + job.summary["adds"]


@FEW
@given(
    name=st.sampled_from(["people.csv", "../../../etc/passwd.csv", "C:\\evil\\x.csv", "a\x00.csv", "x.exe", "x.csv.exe", "ünï.csv"]),
    data=st.one_of(csv_files(people_import.COLUMNS), st.binary(max_size=300)),
)
def test_the_upload_pages_answer_any_file_with_a_page_or_a_redirect(client, lead, name, data):
    signed_in(client, lead)
    for url in (reverse("access_reviews:people_import"), reverse("assets:import_upload")):
        with undone():
            response = client.post(url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})
            assert response.status_code in (200, 302), (url, response.status_code)
            if response.status_code == 200:
                assert b"invalid-feedback" in response.content or b"alert-danger" in response.content
            for job in [*ImportJob.objects.all(), *AssetImport.objects.all()]:
                assert "/" not in job.filename and "\\" not in job.filename and ".." not in job.filename  # the name is only a label
