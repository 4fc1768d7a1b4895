"""The API's JSON parser: a body that is too deep or too large is a JSON 400/413, never a 500.

Python's ``json`` recurses once per nesting level, so ``[[[[…]]]]`` 100,000 deep raised
``RecursionError`` — not a ``ValueError`` that DRF turns into a 400 — and the caller got an HTML
500. Even a depth that parses (a few hundred) would recurse again in the serializers, the error
flattening and the audit trail. No endpoint takes more than a few levels (a scan with its
findings, a sync with its accounts), so the depth is checked *before* parsing, without recursion,
and anything deeper than ``MAX_DEPTH`` is refused with the field-less reason.

The size is checked again while reading: ``grc.api.base.check_body_size`` trusts
``Content-Length``, which a chunked request does not send.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_DEPTH = 20  # the deepest body any endpoint accepts is 3 levels; 20 leaves room without risk
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024

# A JSON string (with its escapes) — brackets inside strings do not nest anything.
STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
BRACKETS = re.compile(r"[\[\]{}]")


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


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
        limit = max_body_bytes()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            from grc.api.errors import BodyTooLarge  # here: grc.api.errors imports DRF's views, which load this parser

            raise BodyTooLarge(f"The request body is larger than the limit of {limit} bytes. Send fewer records per call.")
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


def _refuse_constant(name: str):
    """``NaN`` and ``Infinity`` are not JSON (RFC 8259); DRF's own parser refuses them too."""
    raise ValueError(f"{name} is not a valid JSON value")
