"""Signed PDFs: evidence packs and certification letters an auditor can verify without the portal.

An auditor who receives a pack by email cannot reach the portal's verify page, and a SHA-256 only
proves a file matches *something* the portal stored. A PAdES signature (pyHanko) with the
organisation's key travels inside the PDF: any PDF reader, or ``pyhanko sign validate``, shows who
signed it, when, and whether a single byte changed since. With ``PDF_TIMESTAMP_URL`` an RFC 3161
timestamp authority also vouches for *when*, independently of the portal's clock.

* ``pdf_sign(data)`` — the PDF with one invisible signature appended as an incremental update
  (the rendered bytes are kept as they are; one signature per PDF keeps the CPU cost small).
* ``pdf_signature_report(data)`` — what the verify page shows: signer, signed at, intact or
  modified, and whether it was signed with this portal's certificate. Validation is pyHanko's own
  and never fetches anything over the network (it runs inside a request).

The key and certificate come from ``PDF_SIGNING_KEY`` / ``PDF_SIGNING_CERT`` (PEM; ``<NAME>_FILE``
works like every setting). The certificate setting may hold the chain after the signer's
certificate; it is embedded so that a reader can build the path to the issuing CA.
Development and tests get a self-signed certificate made on the machine (``dev_signing_pair``),
marked "development only"; production never makes one: without the settings it issues no PDF at
all (``SigningNotConfigured``) and ``manage.py check --deploy`` says so (``check_signing``).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core import checks

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from django.apps import AppConfig
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko.sign.timestamps import HTTPTimeStamper

_P = ParamSpec("_P")
_R = TypeVar("_R")
logger = logging.getLogger("grc.pdf_signing")

FIELD_NAME = "OrganisationSignature"
DEV_MARKER = "Development only - not for production"  # organizationalUnitName of the development certificate
DEV_FILE = "dev-pdf-signing.pem"
EXPIRY_WARNING_DAYS = 30


class SigningNotConfigured(RuntimeError):
    """Raised instead of issuing an unsigned PDF: an auditor must never get one from production."""


# --- The development certificate -------------------------------------------------------------


def _new_dev_pair(organisation: str, unit: str = DEV_MARKER) -> tuple[str, str]:
    """A P-256 key (fast to make and to sign with) and a self-signed certificate for it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} DPP portal (development)"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64] or "DPP portal"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # "non-repudiation": what pyHanko's validator asks of a document signer
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key_pem.decode(), cert.public_bytes(serialization.Encoding.PEM).decode()


def dev_signing_pair(var_dir: Path, organisation: str, *, persist: bool = True) -> tuple[str, str]:
    """The development key and certificate (PEM), made once and kept like the other development
    secrets: in ``var/dev-pdf-signing.pem`` (git-ignored, mode 0600) so that packs signed yesterday
    still show the same signer today. Tests (``persist=False``) make a fresh pair per run and put it
    in the environment so that processes they start (a Celery worker) sign with the same one."""
    if not persist:
        key_pem, cert_pem = _new_dev_pair(organisation)
        os.environ["PDF_SIGNING_KEY"], os.environ["PDF_SIGNING_CERT"] = key_pem, cert_pem
        return key_pem, cert_pem
    path = var_dir / DEV_FILE
    if not path.exists():
        # ``make run`` starts the web server, worker and beat at once: each writes a complete file
        # and links it into place; the first link wins and the others read the winner's pair.
        var_dir.mkdir(parents=True, exist_ok=True)
        key_pem, cert_pem = _new_dev_pair(organisation)
        fd, temporary = tempfile.mkstemp(dir=var_dir, prefix=".dev-pdf-signing-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(key_pem + cert_pem)
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    text = path.read_text()
    marker = text.index("-----BEGIN CERTIFICATE-----")
    return text[:marker], text[marker:]


# --- Key material from the settings -----------------------------------------------------------


@dataclass(frozen=True)
class Material:
    signer: SimpleSigner
    certificate: asn1_x509.Certificate  # of the signer
    chain: tuple[asn1_x509.Certificate, ...]  # the certificates after it in PDF_SIGNING_CERT

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.certificate.dump()).hexdigest()


@functools.lru_cache(maxsize=4)
def _material(key_pem: str, cert_pem: str) -> Material:
    """Parsed once per process and key: every pack and letter after the first reuses it."""
    # pyHanko is loaded only when a PDF is signed or checked: it adds ~1.1 s to every process start
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.sign.signers import SimpleSigner  # pyHanko, late as above
    from pyhanko_certvalidator.registry import SimpleCertificateStore  # pyHanko, late as above

    certs = list(load_certs_from_pemder_data(cert_pem.encode()))
    if not certs:
        raise SigningNotConfigured("PDF_SIGNING_CERT holds no certificate.")
    key = load_private_key_from_pemder_data(key_pem.encode(), passphrase=None)
    signer = SimpleSigner(signing_cert=certs[0], signing_key=key, cert_registry=SimpleCertificateStore.from_certs(certs))
    return Material(signer=signer, certificate=certs[0], chain=tuple(certs[1:]))


def signing_material() -> Material:
    key_pem, cert_pem = getattr(settings, "PDF_SIGNING_KEY", ""), getattr(settings, "PDF_SIGNING_CERT", "")
    if not key_pem or not cert_pem:
        missing = " and ".join(name for name, value in (("PDF_SIGNING_KEY", key_pem), ("PDF_SIGNING_CERT", cert_pem)) if not value)
        raise SigningNotConfigured(f"{missing} not set: the portal issues no unsigned evidence pack or letter.")
    return _material(key_pem, cert_pem)


# --- Signing ------------------------------------------------------------------------------------


def _off_the_event_loop(function: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """pyHanko's synchronous API runs ``asyncio.run``, which refuses to start inside a thread that
    already runs an event loop (an async caller, or Playwright's sync API in the browser tests);
    there it runs in a short-lived thread of its own. Elsewhere (Celery, gunicorn) it runs here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def _timestamper() -> HTTPTimeStamper | None:
    url = getattr(settings, "PDF_TIMESTAMP_URL", "")
    if not url:
        return None
    # pyHanko is loaded only when a PDF is signed or checked: it adds ~1.1 s to every process start
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=20)


def pdf_sign(data: bytes, *, reason: str = "") -> bytes:
    """``data`` with the organisation's PAdES signature over every byte of it (and an RFC 3161
    timestamp when ``PDF_TIMESTAMP_URL`` is set). The original bytes stay as they are: the
    signature is an incremental update after them, covering the whole file."""
    # pyHanko is loaded only when a PDF is signed or checked: it adds ~1.1 s to every process start
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers  # pyHanko, late as above

    material = signing_material()
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or f"Issued by the DPP compliance portal of {settings.ORGANISATION_NAME}",
        location=getattr(settings, "PORTAL_BASE_URL", ""),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    signer = signers.PdfSigner(metadata, signer=material.signer, timestamper=_timestamper())
    signed: io.BytesIO = _off_the_event_loop(signer.sign_pdf, writer)  # a new buffer: no output stream was given
    return signed.getvalue()


# --- What the verify page shows -----------------------------------------------------------------


@dataclass(frozen=True)
class SignatureReport:
    """One PDF's signature, in the words an auditor needs.

    ``state``: ``valid`` (intact, whole file, signed with this portal's certificate), ``foreign``
    (intact, but another certificate signed it), ``modified`` (bytes changed since signing, or
    content added after the signature), ``unsigned``, ``unreadable`` (not a PDF we can parse).
    """

    state: str
    detail: str
    signer: str = ""
    organisation: str = ""
    signed_at: datetime | None = None  # the time the signer wrote into the signature (its own clock)
    timestamped_at: datetime | None = None  # the time an RFC 3161 authority vouched for, if any
    intact: bool = False  # the signed bytes are unchanged and the signature over them is valid
    whole_file: bool = False  # nothing was appended after the signature
    ours: bool = False  # the signer's certificate is this portal's signing certificate
    development: bool = False  # signed with a development certificate (never a production pack)
    certificate_sha256: str = ""
    signatures: int = 0

    @property
    def ok(self) -> bool:
        return self.state == "valid"


def _name_part(certificate: asn1_x509.Certificate, attribute: str) -> str:
    value = certificate.subject.native.get(attribute, "")
    return ", ".join(value) if isinstance(value, list) else str(value or "")


def _trust_roots(ours: Material | None) -> list:
    """This portal's certificate and its chain, nothing else: not the system's CA store (a reader's
    trust is the reader's business) and nothing fetched (the report runs inside a request)."""
    return [ours.certificate, *ours.chain] if ours else []


def pdf_signature_report(data: bytes) -> SignatureReport:
    """Validate the last signature of ``data`` with pyHanko, trusting only this portal's signing
    certificate (and its chain). Never raises for a bad file: a damaged PDF is a finding."""
    # pyHanko is loaded only when a PDF is signed or checked: it adds ~1.1 s to every process start
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature  # pyHanko, late as above
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # pyHanko, late as above
    from pyhanko_certvalidator import ValidationContext  # pyHanko, late as above

    if not data.startswith(b"%PDF-"):
        return SignatureReport("unreadable", "This is not a PDF file, so it carries no signature.")
    try:
        ours = signing_material()
    except SigningNotConfigured:
        ours = None
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # any parse failure of an uploaded file is a finding, not a crash
        logger.info("signature report: the PDF could not be read")
        return SignatureReport("unreadable", "The PDF cannot be read: it is damaged or was changed in a way that broke its structure.")
    if not signatures:
        return SignatureReport("unsigned", "The PDF carries no digital signature.")
    embedded = signatures[-1]
    try:
        context = ValidationContext(trust_roots=_trust_roots(ours), allow_fetching=False)
        status = _off_the_event_loop(validate_pdf_signature, embedded, signer_validation_context=context)
    except Exception:  # a mangled signature value or CMS structure: the signature is broken
        logger.info("signature report: the signature could not be validated")
        return SignatureReport(
            "modified", "The signature is damaged: the file was changed after it was signed.", signatures=len(signatures)
        )
    certificate = status.signing_cert
    fingerprint = hashlib.sha256(certificate.dump()).hexdigest() if certificate is not None else ""
    intact = bool(status.intact and status.valid)
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    timestamp = status.timestamp_validity
    report: dict[str, Any] = {
        "signer": _name_part(certificate, "common_name") if certificate is not None else "",
        "organisation": _name_part(certificate, "organization_name") if certificate is not None else "",
        "signed_at": status.signer_reported_dt,
        "timestamped_at": timestamp.timestamp if timestamp is not None and timestamp.intact and timestamp.valid else None,
        "intact": intact,
        "whole_file": whole_file,
        "ours": ours is not None and fingerprint == ours.fingerprint,
        "development": certificate is not None and DEV_MARKER in _name_part(certificate, "organizational_unit_name"),
        "certificate_sha256": fingerprint,
        "signatures": len(signatures),
    }
    if not intact:
        return SignatureReport("modified", "The signature does not match the file: its content was changed after signing.", **report)
    if not whole_file:
        return SignatureReport("modified", "The signature is intact, but content was added to the file after it was signed.", **report)
    if not report["ours"]:
        return SignatureReport("foreign", "The signature is intact, but it was not made with this portal's signing certificate.", **report)
    return SignatureReport("valid", "Signed with this portal's certificate; not a byte has changed since.", **report)


# --- The deploy check ---------------------------------------------------------------------------


def check_signing(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``manage.py check --deploy``: production has a signing key and certificate that belong
    together, are not the development one and are in date. Registered with ``deploy=True`` by the
    evidence app. Without them production refuses to issue packs and letters (``pdf_sign``)."""
    hint = "Set PDF_SIGNING_KEY and PDF_SIGNING_CERT (PEM, or PDF_SIGNING_KEY_FILE / PDF_SIGNING_CERT_FILE); see README 'Signed PDFs'."
    try:
        material = signing_material()
    except SigningNotConfigured as error:
        return [checks.Error(str(error), hint=hint, id="evidence.E001")]
    except Exception as error:  # an unreadable PEM: say which setting, not its content
        return [
            checks.Error(f"PDF_SIGNING_KEY or PDF_SIGNING_CERT cannot be read ({type(error).__name__}).", hint=hint, id="evidence.E002")
        ]
    problems: list[checks.CheckMessage] = []
    certificate = material.certificate
    key = serialization.load_pem_private_key(settings.PDF_SIGNING_KEY.encode(), password=None)
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if public != certificate.public_key.dump():
        problems.append(checks.Error("PDF_SIGNING_KEY is not the key of PDF_SIGNING_CERT.", hint=hint, id="evidence.E003"))
    if settings.PRODUCTION and DEV_MARKER in _name_part(certificate, "organizational_unit_name"):
        problems.append(checks.Error("PDF_SIGNING_CERT is the development certificate.", hint=hint, id="evidence.E004"))
    ends = certificate["tbs_certificate"]["validity"]["not_after"].native
    now = datetime.now(UTC)
    if ends <= now:
        problems.append(checks.Error(f"PDF_SIGNING_CERT expired on {ends:%Y-%m-%d}.", hint=hint, id="evidence.E005"))
    elif ends <= now + timedelta(days=EXPIRY_WARNING_DAYS):
        problems.append(checks.Warning(f"PDF_SIGNING_CERT expires on {ends:%Y-%m-%d}: renew it.", hint=hint, id="evidence.W001"))
    return problems


def main(argv: list[str]) -> int:
    """``python -m grc.pdf_signing throwaway DIR``: a key and certificate for ``manage.py check
    --deploy`` in CI (``make checks``), written to DIR/key.pem and DIR/cert.pem and never used to sign
    anything. Marked "throwaway" rather than "development" so the check judges them like real ones."""
    if len(argv) != 2 or argv[0] != "throwaway":
        print("usage: python -m grc.pdf_signing throwaway DIR")
        return 2
    folder = Path(argv[1])
    key_pem, cert_pem = _new_dev_pair("manage.py check", unit="Throwaway for manage.py check --deploy")
    for name, text in (("key.pem", key_pem), ("cert.pem", cert_pem)):
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
