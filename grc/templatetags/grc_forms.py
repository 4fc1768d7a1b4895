from django import template
from django.forms import BaseForm

from grc.forms import StyledFormMixin

register = template.Library()


@register.filter
def styled(form: BaseForm) -> BaseForm:
    """Bootstrap classes for a form we did not write (Django's own auth forms)."""
    if isinstance(form, StyledFormMixin):
        return form
    for name, field in form.fields.items():
        css = "form-select" if field.widget.input_type == "select" else "form-control"
        if name in form.errors:
            css += " is-invalid"
        field.widget.attrs["class"] = css
    return form
