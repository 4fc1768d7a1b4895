"""``FastWidgetRenderer`` writes the same HTML as Django's widget templates, and the pages that use it
still list every user with the same labels."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from access_reviews.forms import DecisionForm
from grc.accounts.models import Role
from grc.forms import DateInput, DateTimeInput, StyledForm
from grc.widgets import FAST, PlainSelect, plain_choices, use_fast_widgets


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
