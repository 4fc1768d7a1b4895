"""``FastWidgetRenderer`` writes the same HTML as Django's widget templates, and the pages that use it
still list every user with the same labels."""

from __future__ import annotations

import pytest
from django import forms
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from access_reviews.forms import DecisionForm
from grc.accounts.models import Role
from grc.audit.services import record_event
from grc.forms import DateInput, DateTimeInput, StyledForm
from grc.widgets import FAST, PlainSelect, cached_plain_choices, options_of, pk_url, plain_choices, use_fast_widgets


class EveryWidget(StyledForm):
    decision = forms.ChoiceField(choices=[("", "Decide…"), ("keep", "Keep <&> 'it'"), ("x", "X")])
    grouped = forms.ChoiceField(choices=[("Group <1>", [("1", "one"), ("2", "two")]), ("3", "three")], required=False)
    text = forms.CharField(widget=forms.TextInput(attrs={"placeholder": 'Say "why"', "autofocus": True, "disabled": False}))
    number = forms.IntegerField()
    hidden = forms.CharField(widget=forms.HiddenInput)
    checkbox = forms.BooleanField()
    when = forms.DateTimeField(widget=DateTimeInput())
    day = forms.DateField(widget=DateInput())
    email = forms.EmailField()
    notes = forms.CharField(widget=forms.Textarea)  # not one of ours: Django renders it
    many = forms.MultipleChoiceField(choices=[("1", "a"), ("2", "b")])
    radio = forms.ChoiceField(choices=[("1", "a")], widget=forms.RadioSelect)


DATA = {
    "decision": "keep",
    "grouped": "2",
    "text": "<b>x</b> & 'y'",
    "number": "5",
    "hidden": "h",
    "checkbox": "on",
    "when": "2027-01-01T10:00",
    "day": "2027-01-02",
    "email": "someone@example.test",
    "notes": "text",
    "many": ["1", "2"],
    "radio": "1",
}


@pytest.mark.parametrize("data", [None, DATA, {"decision": "nonsense", "number": "x"}], ids=["unbound", "valid", "invalid"])
def test_every_widget_renders_exactly_as_django_does(data):
    django_form, fast_form = EveryWidget(data, prefix="r12"), use_fast_widgets(EveryWidget(data, prefix="r12"))
    if data is not None:
        django_form.is_valid(), fast_form.is_valid()
    for name in django_form.fields:
        assert str(fast_form[name]) == str(django_form[name]), name
    assert fast_form.renderer is FAST


def test_the_decision_form_of_the_review_page_is_unchanged():
    initial = {"decision": "revoke", "new_privilege": "", "comment": "no longer needed"}
    assert str(use_fast_widgets(DecisionForm(initial=initial, prefix="r5"))) == str(DecisionForm(initial=initial, prefix="r5"))


def test_the_asset_owner_filter_lists_every_owner_with_its_label(lead_client, make_user, lead):
    make_user("zoe.quinn", Role.MANAGER)
    make_user("ines.varga", Role.AUDITOR)  # auditors own no assets
    page = lead_client.get(reverse("assets:index"), {"owner": str(lead.pk)}).content.decode()
    assert f'<option value="{lead.pk}" selected>Priya Shah (Security lead)</option>' in page
    assert ">Zoe Quinn (Manager)</option>" in page
    assert "Ines Varga" not in page


def test_the_audit_actor_filter_lists_every_user(lead_client, make_user, lead):
    make_user("zoe.quinn", Role.STAFF)
    page = lead_client.get(reverse("audit:index"), {"actor": str(lead.pk)}).content.decode()
    assert f'<option value="{lead.pk}" selected>Priya Shah (priyashah)</option>' in page
    assert ">Zoe Quinn (zoequinn)</option>" in page


CHOICES = [("", "Anyone"), (1, 'Ada <b> & "Q"'), (2, "Ben"), (2, "Ben again")]


@pytest.mark.parametrize("value", [None, "", "1", 2, ["2"]])
@pytest.mark.parametrize(
    "attrs", [{"class": "form-select form-select-sm"}, {"class": "x", "id": "id_actor", "required": True, "disabled": False}]
)
def test_a_plain_select_renders_exactly_as_django_s_select(value, attrs):
    plain = PlainSelect(attrs=attrs)
    plain.choices = CHOICES
    assert plain.render("actor", value) == forms.Select(attrs=attrs, choices=CHOICES).render("actor", value)


def test_plain_choices_keeps_the_field_s_validation_and_classes(lead, staff):
    from grc.audit.forms import EventFilterForm

    form = EventFilterForm({"actor": str(staff.pk)})
    assert form.is_valid()
    plain_choices(form.fields["actor"], [(staff.pk, "Lee Wong (leewong)")])
    html = str(form["actor"])
    assert 'class="form-select form-select-sm"' in html and f'<option value="{staff.pk}" selected>Lee Wong (leewong)</option>' in html
    assert not EventFilterForm({"actor": "999999"}).is_valid()  # the queryset still decides


@pytest.mark.parametrize(
    "choices",
    [
        [("", "Any"), ("a\x00b", "separator \x00 inside"), ("c", "C")],  # the bulk escape's separator in a value
        [("", "Any"), (1, mark_safe("<i>safe</i>")), (2, gettext_lazy("Yes")), (3, 'A & "B"')],
        [(n, f"Person {n} <{n}>") for n in range(2000)],
        [],
    ],
    ids=["separator", "safe-and-lazy", "2000", "empty"],
)
def test_a_plain_select_renders_any_choices_as_django_does(choices):
    plain = PlainSelect(attrs={"class": "form-select"})
    plain.choices = choices
    for value in (None, "1", "a\x00b", "1999"):
        assert plain.render("owner", value) == forms.Select(attrs={"class": "form-select"}, choices=choices).render("owner", value)


def test_pk_url_builds_the_urls_reverse_would():
    url_of = pk_url("risks:detail")
    assert [url_of(pk) for pk in (1, 42, 987654321)] == [reverse("risks:detail", args=[pk]) for pk in (1, 42, 987654321)]


def _cached_select(choices, attrs) -> PlainSelect:
    """A ``PlainSelect`` as ``cached_plain_choices`` makes it: the options written, the pairs unread."""
    select = PlainSelect(attrs=attrs)
    select._choices = None
    select.choices_loader = lambda: list(choices)
    select.options_html = options_of(choices)
    select.first_choice = choices[0] if choices and choices[0][0] == "" else None
    return select


@pytest.mark.parametrize("value", [None, "", "1", 2, "1999", "a\x00b", "nobody"])
@pytest.mark.parametrize(
    "choices",
    [
        CHOICES,
        [("", "Any"), ("a\x00b", "separator \x00 inside"), ("c", "C")],
        [("", "Any"), *((n, f"Person {n} <{n}>") for n in range(2000))],
    ],
    ids=["duplicates", "separator", "2000"],
)
def test_a_select_of_cached_options_renders_exactly_as_django_s_select(value, choices):
    attrs = {"class": "x", "id": "id_owner"}
    cached = _cached_select(choices, attrs)
    assert cached.render("owner", value) == forms.Select(attrs=attrs, choices=choices).render("owner", value)
    assert cached._choices is None  # rendered without reading the pairs


def test_a_select_of_cached_options_keeps_select_s_required_rule():
    for choices in (CHOICES, [(1, "Ada"), (2, "Ben")]):
        cached, django = _cached_select(choices, {}), forms.Select(choices=choices)
        assert cached.use_required_attribute(None) == django.use_required_attribute(None)
        assert list(cached.choices) == list(choices)  # read when asked for


def _owner_queries(captured) -> list[str]:
    """The owner filter's own query: users' names without the session's full user row."""
    return [q["sql"] for q in captured if '"accounts_user"."first_name"' in q["sql"] and '"accounts_user"."password"' not in q["sql"]]


@pytest.mark.django_db
def test_the_cached_owner_filter_is_the_same_and_kept_until_the_next_audited_change(lead_client, make_user, lead, settings):
    page_url = reverse("assets:index")
    uncached = lead_client.get(page_url, {"owner": str(lead.pk)}).content.decode()
    settings.ACCOUNT_LIST_COUNT_CACHE_SECONDS = 600
    cache.clear()
    first = lead_client.get(page_url, {"owner": str(lead.pk)}).content.decode()
    with CaptureQueriesContext(connection) as captured:
        second = lead_client.get(page_url, {"owner": str(lead.pk)}).content.decode()
    select = first[first.index('<select name="owner"') : first.index("</select>", first.index('<select name="owner"'))]
    assert select in uncached and select in second
    assert f'<option value="{lead.pk}" selected>Priya Shah (Security lead)</option>' in select
    assert not _owner_queries(captured)  # the second load reads no user names
    make_user("zoe.quinn", Role.MANAGER)
    assert "Zoe Quinn" not in lead_client.get(page_url).content.decode()  # no audited change yet: kept
    record_event("accounts.invitation_created", actor=lead, obj=lead)  # a change: drops the cached options
    assert ">Zoe Quinn (Manager)</option>" in lead_client.get(page_url).content.decode()


@pytest.mark.django_db
def test_cached_plain_choices_is_off_at_zero_seconds(lead, staff):
    from grc.audit.forms import EventFilterForm  # as the test above: the audit viewer's form

    form = EventFilterForm({"actor": str(staff.pk)})
    reads = []
    cached_plain_choices(
        form.fields["actor"], lambda: reads.append(1) or [(staff.pk, "Lee Wong (leewong)")], version=lambda: 1, where="t", seconds=0
    )
    cached_plain_choices(
        form.fields["actor"], lambda: reads.append(1) or [(staff.pk, "Lee Wong (leewong)")], version=lambda: 1, where="t", seconds=0
    )
    assert reads == [1, 1]
    assert f'<option value="{staff.pk}" selected>Lee Wong (leewong)</option>' in str(form["actor"])
