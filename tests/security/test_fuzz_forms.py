"""Bad input to the main forms, posted the way a browser (or an attacker) would: random unicode,
huge strings, wrong types, impossible and out-of-range dates, formula cells, NUL characters.

Each form is read from its page (field names, types and options as rendered), then filled by
hypothesis. Whatever is sent, the answer is a page with the errors next to the fields and
nothing written, or a redirect after a complete, valid write — never a server error. Every
example runs in a savepoint that is rolled back.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from tests.conftest import signed_in
from tests.security.fuzz import FUZZ, any_text, bad_dates, counts, formula_cells, huge_text, nasty, tricky_text, undone, wrong_types

pytestmark = pytest.mark.django_db

# url name (and query), the role that fills it in, the models a successful post adds to
FORMS = [
    ("incidents:report", "staff", ("incidents.Incident",)),
    ("assets:create?kind=hardware", "lead", ("assets.Asset",)),
    ("assets:create?kind=data_store", "lead", ("assets.Asset", "assets.DataStore")),
    ("access_reviews:person_create", "lead", ("access_reviews.Person",)),
    ("access_reviews:system_create", "lead", ("access_reviews.System",)),
    ("access_reviews:account_create", "lead", ("access_reviews.Account",)),
    ("access_reviews:campaign_start", "lead", ("access_reviews.Campaign",)),
    ("assets:finding_create", "lead", ("assets.Finding",)),
    ("assets:deletion_create", "lead", ("assets.DeletionRequest",)),
    ("accounts:invite", "lead", ("accounts.Invitation",)),
    ("policies:document_create", "lead", ("policies.Document",)),
]
ERROR_MARKERS = (b"invalid-feedback", b"alert-danger", b"errorlist")


class FormFields(HTMLParser):
    """The fields of each POST form on the page: name -> (kind, options); ``main`` is the largest."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, tuple[str, list[str]]]] = []
        self.current: dict | None = None
        self.select: str | None = None

    @property
    def fields(self) -> dict[str, tuple[str, list[str]]]:
        return max(self.forms, key=len, default={})

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {} if (attrs.get("method") or "").lower() == "post" else None
            if self.current is not None:
                self.forms.append(self.current)
            return
        fields, name = self.current, attrs.get("name")
        if fields is None:
            return
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = attrs.get("type", "text")
            if kind not in ("submit", "button", "file"):
                options = fields.get(name, (kind, []))[1]
                fields[name] = (kind, [*options, attrs.get("value", "on")] if kind in ("radio", "checkbox", "hidden") else options)
        elif tag == "textarea" and name:
            fields[name] = ("textarea", [])
        elif tag == "select" and name:
            self.select = name
            fields[name] = ("select", [])
        elif tag == "option" and self.select:
            fields[self.select][1].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        if tag == "form":
            self.current = None


def value_for(kind: str, options: list[str]):
    good = st.sampled_from(options) if options else st.nothing()
    if kind in ("select", "radio", "hidden"):
        return st.one_of(good, good, nasty, st.lists(st.sampled_from(options or [""]), min_size=2, max_size=3))
    if kind == "checkbox":
        return st.one_of(good, st.just(""), tricky_text)
    if kind in ("date", "datetime-local", "time", "month"):
        return st.one_of(bad_dates, st.dates().map(str), st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")), nasty)
    if kind == "number":
        return st.one_of(st.integers(-(10**12), 10**12).map(str), wrong_types, tricky_text)
    if kind == "email":
        return st.one_of(st.emails(), any_text, huge_text, tricky_text)
    return st.one_of(any_text, tricky_text, huge_text, formula_cells, st.text(min_size=1, max_size=200))


def baseline(name: str, kind: str, options: list[str]) -> str:
    """A plausible valid value, so that one or two bad fields among good ones are what is tested."""
    moment = timezone.now() - timedelta(days=2)
    if options:
        return next((option for option in reversed(options) if option), options[0])
    return {
        "checkbox": "on",
        "date": moment.date().isoformat(),
        "datetime-local": moment.strftime("%Y-%m-%dT%H:%M"),
        "number": "256",
        "email": "fuzz.person@example.com",
    }.get(kind, {"tag": "FZ-0001", "person_id": "E7001", "period": f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"}.get(name, "Fuzz value"))


@pytest.fixture
def people(lead, manager, staff, auditor):
    return {"lead": lead, "manager": manager, "staff": staff, "auditor": auditor}


def check_form(client, user, url_name, labels, data) -> None:
    signed_in(client, user)
    url_name, _, query = url_name.partition("?")
    url = reverse(url_name) + (f"?{query}" if query else "")
    keep = dict(pair.split("=", 1) for pair in query.split("&")) if query else {}  # the page's own choice, not fuzzed
    page = client.get(url)
    assert page.status_code == 200, f"{url_name}: the form page answered {page.status_code}"
    parser = FormFields()
    parser.feed(page.content.decode())
    assert parser.fields, f"{url_name}: no form fields found on the page"
    names = sorted(parser.fields)
    if data.draw(st.booleans(), label="one or two bad fields among good ones"):
        bad = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=2), label="bad fields")
    else:
        bad = set(names)
    values = {
        name: data.draw(value_for(kind, options), label=name) if name in bad else baseline(name, kind, options)
        for name, (kind, options) in sorted(parser.fields.items())
    }
    values.update(keep)
    with undone():
        before = counts(*labels, "audit.AuditEvent")
        response = client.post(url, values)
        after = counts(*labels, "audit.AuditEvent")
    assert response.status_code in (200, 302), f"{url_name} answered {response.status_code}"
    event("accepted" if response.status_code == 302 else "refused with errors")
    if response.status_code == 200:
        assert any(marker in response.content for marker in ERROR_MARKERS), f"{url_name}: a 200 without an error message"
        assert after == before, f"{url_name}: a refused form wrote {after} (before {before})"
    else:
        assert all(after[label] - before[label] <= 1 for label in labels), (before, after)


@pytest.mark.parametrize("url_name,who,labels", FORMS, ids=[name for name, _who, _labels in FORMS])
@FUZZ
@given(data=st.data())
def test_a_form_answers_any_input_with_its_errors_or_a_complete_write(client, people, url_name, who, labels, data):
    check_form(client, people[who], url_name, labels, data)
