"""No 500 on any input (issue 21): random query strings on every page, random JSON on every API
endpoint, as the security lead (who reaches every page and scope), on the seeded demo portal.

The pages and endpoints come from the resolver (tests/security/authz.py, the authorization
matrix's walk), so a page added tomorrow is fuzzed without touching this file. A page's query
parameters are read from the page itself — the fields of its GET forms and the ``?key=`` of its
links (filters, sort, page, size, cursors, month) — and from its view's source (``GET.get("x")``),
plus the names every list page shares. Each gets a few fixed hostile values (out-of-range dates,
huge numbers, a tampered cursor) and a few hypothesis examples; bounded and deterministic
(tests/security/fuzz.py's profile), every request rolled back.

What is asserted is only "never a 5xx": a page may answer 200 with a message, a redirect, or a
4xx — a refusal is a correct answer to nonsense.
"""

from __future__ import annotations

import base64
import inspect
import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.security import matrix
from tests.security.authz import discover, path_for, rule_for, sample_values
from tests.security.fuzz import FUZZ, bad_dates, tricky_text, undone

pytestmark = [pytest.mark.django_db]

PER_PAGE = hypothesis_settings(FUZZ, max_examples=3)  # random examples per page, on top of the fixed ones
PER_ENDPOINT = hypothesis_settings(FUZZ, max_examples=4)  # random bodies per API endpoint and method

SHARED_NAMES = ("sort", "page", "size", "cursor", "before", "after", "month", "q", "status", "state")
TAMPERED_CURSOR = base64.b64encode(b"p=x").decode()
FIXED_VALUES = (
    "9999-12",
    "9999-12-31T23:59",
    "0001-01-01",
    "99999999999999999999999",
    "-1",
    TAMPERED_CURSOR,
    base64.b64encode(b"o=1&r=1&p=99999999999999999999999").decode(),
    "\x00'\"<>%",
)
query_value = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    tricky_text,
    bad_dates,
    st.integers(-(10**25), 10**25).map(str),
    st.sampled_from(FIXED_VALUES),
)
# Bodies: any JSON value, and objects keyed by the endpoint's own field names.
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    tricky_text,
    bad_dates,
)
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=8
)
FIXED_BODIES = (
    "[" * 50_000 + "]" * 50_000,  # a RecursionError in json.loads before the parser's depth limit
    '{"a":' * 5_000 + "1" + "}" * 5_000,
    "1" * 5_000,  # more digits than Python converts
    "NaN",
    '{"x": "\\ud800"}',
    "",
    "{",
)
GET_NAMES = re.compile(r"""GET(?:\.get\(|\[|\.getlist\()\s*["']([\w-]+)["']""")


class QueryNames(HTMLParser):
    """The names a page itself puts in query strings: fields of GET forms and ``?key=`` of links."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.in_get_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_get_form = (attrs.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self.in_get_form and attrs.get("name"):
            self.names.add(attrs["name"])
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            href = attrs["href"]
            if href.startswith("?") or urlsplit(href).path in ("", self.path):
                self.names.update(key for key, _ in parse_qsl(urlsplit(href).query, keep_blank_values=True))

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_get_form = False


def names_in_source(callback) -> set[str]:
    """Query parameters a view reads by name (``request.GET.get("month")``), from its source."""
    view = getattr(callback, "view_class", None) or callback
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    try:
        return set(GET_NAMES.findall(inspect.getsource(view)))
    except (OSError, TypeError):
        return set()


def lead_pages(portal) -> list[tuple[str, object]]:
    """(path, endpoint) of every page the security lead may GET with a session (API and admin aside)."""
    pages = []
    for endpoint in discover():
        rule = rule_for(endpoint)
        if rule is None or rule.auth == "token" or rule.get in (matrix.ADMIN, matrix.TOKEN, matrix.NOT_OFFERED):
            continue
        if rule.get != matrix.PUBLIC and matrix.expected(rule, "GET", "security_lead") != matrix.IN:
            continue
        pages.append((path_for(endpoint, sample_values(endpoint, rule, portal)), endpoint))
    return pages


def api_endpoints(portal) -> list[tuple[str, object]]:
    return [
        (path_for(endpoint, sample_values(endpoint, rule_for(endpoint), portal)), endpoint)
        for endpoint in discover()
        if rule_for(endpoint) is not None and rule_for(endpoint).auth == "token" and endpoint.key != "api:not_found"
    ]


def field_names(endpoint) -> list[str]:
    """The names of the fields an API endpoint's serializers declare (for bodies that get past
    the "unknown shape" stage into validation and the services)."""
    cls = getattr(endpoint.callback, "cls", None)
    names: set[str] = set()
    for action in ("create", "partial_update", "update"):
        try:
            view = cls(action=action, request=None, format_kwarg=None, kwargs={})
            serializer = view.get_serializer_class()()
            names.update(serializer.fields)
        except Exception:  # noqa: BLE001 (a view without a serializer for this action: random keys only)
            continue
    return sorted(names) or ["name"]


def random_queries(client, path: str, names: list[str]) -> None:
    """A few hypothesis examples of query strings over ``names`` (a function per page: @given
    needs one, and the examples are then deterministic per page)."""

    @PER_PAGE
    @given(st.dictionaries(st.sampled_from(names), query_value, min_size=1, max_size=len(names)))
    def random_query(query):
        with undone():
            assert_no_5xx(client.get(path, query), f"{path}?{query!r}")

    random_query()


def random_bodies(send, path: str, names: list[str], auth: dict) -> None:
    """A few hypothesis examples of JSON bodies: any value, or an object with the endpoint's fields."""

    @PER_ENDPOINT
    @given(st.one_of(json_value, st.dictionaries(st.sampled_from(names), json_value, min_size=1)))
    def random_body(body):
        with undone():
            assert_no_5xx(send(path, json.dumps(body), content_type="application/json", **auth), f"{path} {body!r}"[:300])

    random_body()


def assert_no_5xx(response, what: str) -> None:
    assert response.status_code < 500, f"{what} answered {response.status_code}: {response.content[:300]!r}"
    if response.status_code >= 400 and what.startswith("/api/v1/"):
        assert response["Content-Type"].startswith("application/json"), f"{what}: a {response.status_code} that is not JSON"


def test_every_page_answers_any_query_string_without_a_server_error(portal):
    client = portal.client("security_lead")
    pages = lead_pages(portal)
    assert len(pages) > 50, "the resolver walk found too few pages: is the matrix in use?"
    fuzzed = 0
    for path, endpoint in pages:
        with undone():
            first = client.get(path)
        assert_no_5xx(first, path)
        assert "no-store" in first.get("Cache-Control", ""), f"{path}: a signed-in page a browser may keep (grc.http)"
        reader = QueryNames()
        reader.path = path
        if first.status_code == 200 and first.get("Content-Type", "").startswith("text/html"):
            reader.feed(first.content.decode("utf-8", "replace"))
        names = sorted((reader.names | names_in_source(endpoint.callback)) - {"csrfmiddlewaretoken"})
        if not names:
            continue  # a page without query parameters (a detail page, a form)
        fuzzed += 1
        names = sorted(set(names) | set(SHARED_NAMES))
        for value in FIXED_VALUES:
            with undone():
                assert_no_5xx(client.get(path, dict.fromkeys(names, value)), f"{path} with every parameter = {value!r}")
        random_queries(client, path, names)
    assert fuzzed >= 20, f"only {fuzzed} pages had query parameters: the discovery of names is broken"


def test_the_calendar_shows_an_out_of_range_month_with_a_message(portal):
    client = portal.client("security_lead")
    for month in ("9999-12", "0001-01", "1999-12", "2101-01"):
        response = client.get("/compliance/calendar/", {"month": month})
        assert response.status_code == 200, month
        assert b"not a month the calendar shows" in response.content, month
    assert b"not a month the calendar shows" not in client.get("/compliance/calendar/", {"month": "2030-06"}).content
    last = client.get("/compliance/calendar/", {"month": "2100-12"})
    assert b'data-testid="next-month"' not in last.content  # no link to a month it would refuse


def test_every_api_endpoint_answers_any_json_body_without_a_server_error(portal, settings):
    settings.API_RATE_LIMIT = "1000000/minute"
    client, auth = portal.api_client("security_lead")
    endpoints = api_endpoints(portal)
    assert len(endpoints) >= 20, "the resolver walk found too few API endpoints"
    for path, endpoint in endpoints:
        names = field_names(endpoint)
        for method in ("post", "patch"):
            send = getattr(client, method)
            for body in FIXED_BODIES:
                with undone():
                    assert_no_5xx(send(path, body, content_type="application/json", **auth), f"{path} {method} {body[:30]!r}")
            random_bodies(send, path, names, auth)


def test_every_api_list_answers_any_query_string_without_a_server_error(portal, settings):
    settings.API_RATE_LIMIT = "1000000/minute"
    client, auth = portal.api_client("security_lead")
    for path, endpoint in api_endpoints(portal):
        filterset = getattr(getattr(endpoint.callback, "cls", None), "filterset_class", None)
        names = sorted({"cursor", "page_size", *(filterset.base_filters if filterset else ())})
        for value in FIXED_VALUES[2:6]:  # dates, numbers, the tampered cursor: what a filter or a cursor parses
            assert_no_5xx(client.get(path, dict.fromkeys(names, value), **auth), f"{path} with every parameter = {value!r}")


def test_a_tampered_cursor_is_a_json_400_naming_the_cursor(portal, settings):
    client, auth = portal.api_client("security_lead")
    for cursor in (TAMPERED_CURSOR, base64.b64encode(b"p=99999999999999999999999").decode(), "YQ", base64.b64encode(b"p=\x00").decode()):
        response = client.get("/api/v1/people/", {"cursor": cursor}, **auth)
        assert response.status_code == 400, cursor
        assert response.json()["errors"] == [
            {"field": "cursor", "reason": "The cursor is not valid: follow the next or previous link of a page."}
        ]
    first = client.get("/api/v1/people/", {"page_size": 1}, **auth).json()
    assert first["next"], "the demo has more than one person"
    assert client.get(first["next"], **auth).status_code == 200  # a real cursor still works
