"""Packs and letters an auditor can verify without the portal: each is a PAdES-signed PDF.

Packs and letters are built by the real builder and service and signed by real pyHanko; every
signature is then checked by pyHanko's own validator (not by our report), trusting only the
configured certificate. The report the verify page shows is checked against the same files, a
one-byte change and an appended revision. No network: no timestamp authority in tests.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder_data
from pyhanko.pdf_utils.generic import pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from grc.evidence.models import CertificationLetter, PackStatus
from grc.evidence.services.letters import letter_sign
from grc.pdf_signing import (
    DEV_FILE,
    DEV_MARKER,
    SigningNotConfigured,
    _new_dev_pair,
    check_signing,
    dev_signing_pair,
    main,
    pdf_sign,
    pdf_signature_report,
)
from tests.evidence.conftest import build_pack, client_for, compact, pdf_pages, sha256

pytestmark = pytest.mark.django_db


def pyhanko_status(data: bytes, cert_pem: str):
    """pyHanko's own verdict on the only signature, trusting nothing but ``cert_pem``."""
    signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    assert len(signatures) == 1
    trust = list(load_certs_from_pemder_data(cert_pem.encode()))
    return validate_pdf_signature(signatures[0], ValidationContext(trust_roots=trust, allow_fetching=False))


def flip_one_byte_in_a_stream(data: bytes) -> bytes:
    """One bit of page content changed, inside the bytes the signature covers; offsets unchanged."""
    position = data.index(b"stream", len(data) // 3) + 40
    assert position < data.rindex(b"/ByteRange")  # in the rendered document, before the signature
    altered = bytearray(data)
    altered[position] ^= 0x01
    return bytes(altered)


def test_a_built_pack_is_signed_and_pyhankos_validator_finds_it_valid_and_intact(lead, settings):
    pack = build_pack(by=lead, clauses=["3"], days=30)
    assert pack.status == PackStatus.READY
    pdf = pack.pdf.read()

    status = pyhanko_status(pdf, settings.PDF_SIGNING_CERT)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE  # nothing after the signature
    assert status.signing_cert.subject.native["organization_name"] == settings.ORGANISATION_NAME
    assert status.signer_reported_dt is not None and abs((timezone.now() - status.signer_reported_dt).total_seconds()) < 600

    # the stored hash, the ZIP's copy and SHA256SUMS are all of the signed bytes
    assert pack.pdf_sha256 == sha256(pdf) and pack.pdf_size == len(pdf)
    with zipfile.ZipFile(pack.zip.open("rb")) as archive:
        root = archive.namelist()[0].split("/")[0]
        assert archive.read(f"{root}/{root}.pdf") == pdf
        assert f"{pack.pdf_sha256}  {root}.pdf" in archive.read(f"{root}/SHA256SUMS").decode().splitlines()
    assert compact("3 Audit and Assessment") in compact("\n".join(pdf_pages(pdf)))  # still readable after signing

    report = pdf_signature_report(pdf)
    assert report.state == "valid" and report.ok and report.intact and report.whole_file and report.ours
    assert report.development and report.signatures == 1
    assert report.organisation == settings.ORGANISATION_NAME and report.signed_at == status.signer_reported_dt

    # the verify page: the hash matches and the signature is reported, for the PDF and for the ZIP
    verifier = client_for(lead)
    page = verifier.post(reverse("evidence:verify"), {"file": SimpleUploadedFile("pack.pdf", pdf, "application/pdf")})
    assert page.context["match"].pack == pack and page.context["signature"].state == "valid"
    html = page.content.decode()
    assert 'data-testid="signature-report" data-state="valid"' in html and report.signer in html
    pack.zip.seek(0)
    zipped = verifier.post(reverse("evidence:verify"), {"file": SimpleUploadedFile("pack.zip", pack.zip.read(), "application/zip")})
    assert zipped.context["match"].what == "zip" and zipped.context["signature"].state == "valid"


def test_one_changed_byte_breaks_the_signature_and_the_hash(lead, settings):
    pack = build_pack(by=lead, clauses=["3"], days=30, include_zip=False)
    altered = flip_one_byte_in_a_stream(pack.pdf.read())

    status = pyhanko_status(altered, settings.PDF_SIGNING_CERT)
    assert not status.intact and not status.bottom_line

    report = pdf_signature_report(altered)
    assert report.state == "modified" and not report.intact and not report.ok
    page = client_for(lead).post(reverse("evidence:verify"), {"file": SimpleUploadedFile("pack.pdf", altered, "application/pdf")})
    assert not page.context["match"].found and page.context["signature"].state == "modified"
    assert 'data-state="modified"' in page.content.decode()


def test_content_added_after_signing_is_reported_as_modified(settings):
    from weasyprint import HTML

    signed = pdf_sign(HTML(string="<p>Evidence</p>").write_pdf())
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root["/Lang"] = pdf_string("fr")  # any later revision: the signature no longer covers the file
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    appended = out.getvalue()
    assert appended.startswith(signed)

    status = pyhanko_status(appended, settings.PDF_SIGNING_CERT)
    assert status.intact and status.coverage != SignatureCoverageLevel.ENTIRE_FILE
    report = pdf_signature_report(appended)
    assert report.state == "modified" and report.intact and not report.whole_file


def test_the_certification_letter_is_signed_too(lead, settings):
    now = timezone.now()
    letter = letter_sign(data={"addressed_to": "Amazon"}, by=lead, step_up_at=now, now=now)
    data = letter.file.read()
    assert sha256(data) == letter.sha256 == CertificationLetter.objects.get().sha256

    status = pyhanko_status(data, settings.PDF_SIGNING_CERT)
    assert status.intact and status.valid and status.trusted and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    report = pdf_signature_report(data)
    assert report.state == "valid"
    page = client_for(lead).post(reverse("evidence:verify"), {"file": SimpleUploadedFile("letter.pdf", data, "application/pdf")})
    assert page.context["match"].letter == letter and page.context["signature"].state == "valid"


def test_the_development_certificate_is_made_once_and_reused(tmp_path, settings):
    first = dev_signing_pair(tmp_path, "Acme Ltd")
    path = tmp_path / DEV_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert dev_signing_pair(tmp_path, "Acme Ltd") == first  # the second run reads it back
    assert dev_signing_pair(tmp_path, "Another name") == first  # even when the name changed: one signer identity
    assert dev_signing_pair(tmp_path / "other", "Acme Ltd") != first
    cert = load_cert_from_pemder(str(_write(tmp_path / "cert.pem", first[1])))
    assert cert.subject.native["organizational_unit_name"] == DEV_MARKER
    assert cert.subject.native["organization_name"] == "Acme Ltd"

    # signing with it: two documents, one certificate (parsed once per process)
    settings.PDF_SIGNING_KEY, settings.PDF_SIGNING_CERT = first
    from weasyprint import HTML

    html = HTML(string="<p>one</p>").write_pdf()
    a, b = pdf_signature_report(pdf_sign(html)), pdf_signature_report(pdf_sign(html))
    assert a.state == b.state == "valid" and a.certificate_sha256 == b.certificate_sha256


def _write(path, text):
    path.write_text(text)
    return path


def test_reports_for_unsigned_foreign_and_non_pdf_files(settings):
    from weasyprint import HTML

    plain = HTML(string="<p>Not signed</p>").write_pdf()
    assert pdf_signature_report(plain).state == "unsigned"
    assert pdf_signature_report(b"PK\x03\x04 not a pdf").state == "unreadable"
    assert pdf_signature_report(b"%PDF-1.7 truncated").state == "unreadable"

    ours = settings.PDF_SIGNING_KEY, settings.PDF_SIGNING_CERT
    settings.PDF_SIGNING_KEY, settings.PDF_SIGNING_CERT = _new_dev_pair("Someone Else Ltd")
    foreign = pdf_sign(plain)
    settings.PDF_SIGNING_KEY, settings.PDF_SIGNING_CERT = ours
    report = pdf_signature_report(foreign)
    assert report.state == "foreign" and report.intact and not report.ours and report.organisation == "Someone Else Ltd"


def test_production_without_a_key_issues_no_unsigned_pack_and_check_deploy_says_so(lead, settings):
    settings.PRODUCTION = True
    settings.PDF_SIGNING_KEY = settings.PDF_SIGNING_CERT = ""
    with pytest.raises(SigningNotConfigured):
        pdf_sign(b"%PDF-1.7")
    assert [error.id for error in check_signing()] == ["evidence.E001"]
    pack = build_pack(by=lead, clauses=["3"], days=30, include_zip=False)
    assert pack.status == PackStatus.FAILED and not pack.pdf_sha256
    assert "SigningNotConfigured" in pack.failure


def test_check_deploy_refuses_the_development_certificate_and_a_key_of_another_certificate(settings, tmp_path):
    settings.PRODUCTION = True
    assert [error.id for error in check_signing()] == ["evidence.E004"]  # the test run's development pair
    key, _cert = _new_dev_pair("Acme Ltd", unit="Signing")
    settings.PDF_SIGNING_KEY = key
    assert "evidence.E003" in [error.id for error in check_signing()]

    # the throwaway pair `make checks` uses passes the check like a real certificate would
    assert main(["throwaway", str(tmp_path)]) == 0
    settings.PDF_SIGNING_KEY = (tmp_path / "key.pem").read_text()
    settings.PDF_SIGNING_CERT = (tmp_path / "cert.pem").read_text()
    assert check_signing() == []


def test_without_a_key_the_letter_page_says_why_and_signs_nothing(lead_client, settings):
    from tests.evidence.conftest import with_step_up

    settings.PRODUCTION = True
    settings.PDF_SIGNING_KEY = settings.PDF_SIGNING_CERT = ""
    with_step_up(lead_client)
    page = lead_client.post(reverse("evidence:letter_sign"), {"addressed_to": "Amazon", "confirm": "on"})
    assert page.status_code == 200 and "PDF_SIGNING_KEY" in page.content.decode()
    assert not CertificationLetter.objects.exists()


def test_signing_and_checking_work_inside_a_running_event_loop():
    """Playwright's sync API (browser tests) and any async caller run a loop in the thread that
    builds the pack; pyHanko's synchronous calls must still work there."""
    import asyncio

    from weasyprint import HTML

    plain = HTML(string="<p>Signed beside a running loop</p>").write_pdf()

    async def inside_a_loop():
        return pdf_signature_report(pdf_sign(plain))

    assert asyncio.run(inside_a_loop()).state == "valid"
