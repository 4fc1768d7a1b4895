"""One helper puts a service's ValidationError on a form (issue 22.3): next to the field it names,
marked invalid for sight and screen readers, or on top when it names none."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from grc.forms import StyledForm, add_errors


class ReasonForm(StyledForm):
    reason = forms.CharField()


def test_a_field_error_of_a_service_sits_next_to_its_field_and_marks_it():
    form = ReasonForm({"reason": "x"})
    assert form.is_valid()
    add_errors(form, ValidationError({"reason": "Say why the period changes.", "other": "Not a field of the form."}))
    assert form.errors["reason"] == ["Say why the period changes."]
    assert form.non_field_errors() == ["Not a field of the form."]
    attrs = form.fields["reason"].widget.attrs
    assert "is-invalid" in attrs["class"] and attrs["aria-invalid"] == "true"
    assert 'aria-invalid="true"' in str(form["reason"])


def test_an_error_without_a_field_goes_on_top():
    form = ReasonForm({"reason": "x"})
    form.is_valid()
    add_errors(form, ValidationError("Signing needs a fresh one-time code."))
    assert form.non_field_errors() == ["Signing needs a fresh one-time code."]
    assert "is-invalid" not in form.fields["reason"].widget.attrs.get("class", "")
