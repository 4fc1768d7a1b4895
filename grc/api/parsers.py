"""The API's JSON parser: a body that is too deep or too large is a JSON 400/413, never a 500.

Python's ``json`` recurses once per nesting level, so ``[[[[…]]]]`` 100,000 deep raised
``RecursionError`` — not a ``ValueError`` that DRF turns into a 400 — and the caller got an HTML
500. Even a depth that parses (a few hundred) would recurse again in the serializers, the error
flattening and the audit trail. No endpoint takes more than a few levels (a scan with its
findings, a sync with its accounts), so the depth is checked *before* parsing, without recursion,
and anything deeper than ``MAX_DEPTH`` is refused with the field-less reason.

The size is checked again while reading: ``grc.api.base.check_body_size`` trusts
``Content-Length``, which a chunked request does not send.

A body sent with ``Content-Encoding: gzip`` is decompressed here, at most
``SYNC_MAX_DECOMPRESSED_BYTES`` of it (a small body that inflates to gigabytes — a gzip bomb — is
a 413 once past the cap, without inflating the rest), and the depth check applies to the
decompressed text. The compressed size is what ``API_MAX_BODY_BYTES`` limits. A 413 says how to
send more: gzip, or a sync session for a full sync (README "REST API").
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import BaseParser, JSONParser

from grc.csvio import MAX_CSV_BYTES

MAX_DEPTH = 20  # the deepest body any endpoint accepts is 3 levels; 20 leaves room without risk
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
DECOMPRESSED_FACTOR = 10  # without SYNC_MAX_DECOMPRESSED_BYTES: ten times the body limit
SESSIONS_PATH = "/api/v1/systems/{id}/accounts/sync/sessions/"
SYNC_PATH = re.compile(r"^/api/v1/systems/([0-9]{1,18})/accounts/sync/")
IDENTITY = ("", "identity")

# A JSON string (with its escapes) — brackets inside strings do not nest anything.
STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
BRACKETS = re.compile(r"[\[\]{}]")


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def max_decompressed_bytes() -> int:
    return int(getattr(settings, "SYNC_MAX_DECOMPRESSED_BYTES", DECOMPRESSED_FACTOR * max_body_bytes()))


def larger_body_advice(path: str = "") -> str:
    """How to send more than one body holds. A sync cannot simply be split: each call replaces the
    system's whole list, so a second half would remove the first half's accounts."""
    match = SYNC_PATH.match(path or "")
    sessions = SESSIONS_PATH.format(id=match.group(1) if match else "{id}")
    if match:
        return (
            "Send it gzip-compressed (Content-Encoding: gzip) or, for a full sync, open a sync session: "
            f'POST {sessions}, then append pages and commit (README "REST API").'
        )
    return (
        "Send it gzip-compressed (Content-Encoding: gzip) or fewer records per call; for a full sync of a "
        f'system\'s accounts, open a sync session: POST {sessions}, then append pages and commit (README "REST API").'
    )


def too_large_message(limit: int, length: int | None = None, path: str = "") -> str:
    """The 413's text: the size (when known), the limit and how to send it anyway."""
    if length is None:
        return f"The request body is larger than the limit of {limit} bytes. {larger_body_advice(path)}"
    return f"The request body has {length} bytes; the limit is {limit} bytes. {larger_body_advice(path)}"


def gunzip(raw: bytes, cap: int) -> bytes:
    """``raw`` decompressed, refusing output past ``cap`` bytes (413) and anything that is not one
    complete gzip stream (400). The output is inflated at most ``cap + 1`` bytes far."""
    from grc.api.errors import BodyTooLarge  # here: grc.api.errors imports DRF's views, which load this parser

    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # 16+: a gzip header and trailer
    try:
        data = inflater.decompress(raw, cap + 1)
    except zlib.error:
        raise exceptions.ParseError("The request body is not valid gzip (Content-Encoding: gzip).")
    if len(data) > cap:
        raise BodyTooLarge(
            f"The gzip body decompresses to more than {cap} bytes, the limit once decompressed. "
            f"Send fewer records per call or, for a full sync, open a sync session: POST {SESSIONS_PATH}, "
            'then append pages and commit (README "REST API").'
        )
    if not inflater.eof or inflater.unused_data:
        raise exceptions.ParseError("The request body is not one complete gzip stream (Content-Encoding: gzip).")
    return data


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in ``text``, counted without recursion; stops
    counting once past ``limit`` (the answer is then ``limit + 1``). Malformed text is left to
    the JSON parser to refuse."""
    depth = deepest = 0
    for bracket in BRACKETS.finditer(STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > limit:
                return limit + 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a size limit while reading and a depth limit before parsing."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:  # no body at all (DRF passes None for an empty one)
            return super().parse(stream, media_type, parser_context)  # type: ignore[arg-type]  # DRF passes None; the stubs want a stream
        request = (parser_context or {}).get("request")
        meta = getattr(request, "META", {})
        limit = max_body_bytes()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            from grc.api.errors import BodyTooLarge  # here: grc.api.errors imports DRF's views, which load this parser

            raise BodyTooLarge(too_large_message(limit, path=getattr(request, "path", "")))
        coding = meta.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        if coding == "gzip":
            raw = gunzip(raw, max_decompressed_bytes())
        elif coding not in IDENTITY:
            raise exceptions.UnsupportedMediaType(coding[:40], detail="The only Content-Encoding accepted is gzip.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError(f"The request body is not valid {encoding} text.")
        if nesting_depth(text, self.max_depth) > self.max_depth:
            raise exceptions.ParseError(f"The JSON body is nested deeper than {self.max_depth} levels.")
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:  # unreachable after the depth check; kept so no body can ever be a 500
            raise exceptions.ParseError(f"The JSON body is nested deeper than {self.max_depth} levels.")
        except ValueError as error:  # JSONDecodeError, and numbers over Python's digit limit
            raise exceptions.ParseError(f"JSON parse error - {error}")


# --- CSV files (the identity and HR exports' file imports) ------------------------------------
MULTIPART_SLACK = 1024 * 1024  # a multipart body carries its fields and boundaries besides the file


def csv_max_bytes() -> int:
    """The largest CSV file an import takes: ``API_CSV_MAX_BYTES`` if set, never more than what
    ``grc.csvio.read_csv`` reads (the upload page's limit too)."""
    return min(int(getattr(settings, "API_CSV_MAX_BYTES", MAX_CSV_BYTES)), MAX_CSV_BYTES)


def csv_too_large(length: int | None = None) -> Exception:
    from grc.api.errors import BodyTooLarge  # here: grc.api.errors imports DRF's views, which load this parser

    limit = csv_max_bytes()
    size = f"The file has {length} bytes; " if length is not None else "The file is larger than the limit: "
    return BodyTooLarge(
        f"{size}CSV files up to {limit} bytes ({limit // (1024 * 1024)} MB) are accepted. "
        "Split the export, or send it gzip-compressed (Content-Encoding: gzip) if it is smaller once compressed."
    )


def check_file_body_size(request, *, limit: int, too_large: Callable[[int], Exception]) -> None:
    """``Content-Length`` against a file import's own limit, before anything is read (instead of the
    JSON body limit; a multipart body may carry its fields besides the file)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise exceptions.ParseError("Content-Length is not a number.")
    multipart = (request.META.get("CONTENT_TYPE") or "").lower().startswith("multipart/")
    if length > limit + (MULTIPART_SLACK if multipart else 0):
        raise too_large(length)


def check_csv_body_size(request) -> None:
    """The body check of the CSV file imports (``@action(..., body_check=check_csv_body_size)``)."""
    check_file_body_size(request, limit=csv_max_bytes(), too_large=csv_too_large)


class RawBodyParser(BaseParser):
    """The body as bytes, gzip-compressed (``Content-Encoding: gzip``) or not: what the file says is
    its reader's job, not DRF's. Reads at most ``max_bytes()`` (and as much once decompressed), so a
    body that does not say its length is cut off too. Subclasses give the limit and its 413."""

    def max_bytes(self) -> int:
        raise NotImplementedError

    def too_large(self) -> Exception:
        raise NotImplementedError

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return b""
        meta = getattr((parser_context or {}).get("request"), "META", {})
        limit = self.max_bytes()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise self.too_large()
        coding = meta.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        if coding == "gzip":
            from grc.api.errors import BodyTooLarge  # here: grc.api.errors imports DRF's views, which load this parser

            try:
                raw = gunzip(raw, limit)
            except BodyTooLarge:
                raise self.too_large()
        elif coding not in IDENTITY:
            raise exceptions.UnsupportedMediaType(coding[:40], detail="The only Content-Encoding accepted is gzip.")
        return raw


class RawCsvParser(RawBodyParser):
    """A CSV file sent as the body (``Content-Type: text/csv``); ``grc.csvio.read_csv`` reads it."""

    media_type = "text/csv"

    def max_bytes(self) -> int:
        return csv_max_bytes()

    def too_large(self) -> Exception:
        return csv_too_large()


def _refuse_constant(name: str):
    """``NaN`` and ``Infinity`` are not JSON (RFC 8259); DRF's own parser refuses them too."""
    raise ValueError(f"{name} is not a valid JSON value")
