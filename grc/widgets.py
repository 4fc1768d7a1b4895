"""A form renderer for pages that render many widgets: the same HTML as Django's, written in Python.
Shared core (UI helpers): production views use it, so it does not live with the benchmark tooling.

Django renders every widget through its template engine: an ``<input>`` is two template renders
and a ``<select>`` one more per option. On the reviewer's page (50 rows x 3 fields) and the
inventory's filter (an owner list of every portal user: 2,000 options at scale) that is most of
the page's time. ``FastWidgetRenderer`` writes the plain input, select and option widgets with
string formatting, byte for byte as ``django/forms/widgets/*.html`` do (tests/scale/test_widgets.py
compares them), and hands any other template to Django's renderer. Views opt in per form:
``use_fast_widgets(form)``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from django.http import HttpRequest

INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "number", "email", "url", "search", "tel", "password", "hidden", "date", "datetime", "time", "checkbox")
)
SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
_FormT = TypeVar("_FormT", bound=forms.BaseForm | None)


def conditional_escape(value: object) -> str:
    """``django.utils.html.conditional_escape`` without its lazy-argument wrapper (called thousands of times here)."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))  # what django.utils.html.escape does


def _text(value: object) -> str:
    """``{{ value|stringformat:'s' }}`` under autoescaping."""
    return conditional_escape(value if isinstance(value, str) else "%s" % (value,))  # noqa: UP031 (as the filter does)


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    value = f' value="{_text(widget["value"])}"' if widget["value"] is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'
    )


def _option(option: dict[str, Any]) -> str:
    return f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>{conditional_escape(option["label"])}</option>'


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(f"\n  {_option(option)}\n")  # the option template ends with a newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FastWidgetRenderer(BaseRenderer):
    """Renders input, select and option widgets in Python; everything else as Django would."""

    @property
    def fallback(self) -> BaseRenderer:
        return get_default_renderer()

    def get_template(self, template_name: str) -> Any:
        return self.fallback.get_template(template_name)

    def render(self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        html = None
        if widget is not None and set(context) == {"widget"}:
            if template_name in INPUT_TEMPLATES and "type" in widget:
                html = _input(widget)
            elif template_name == SELECT_TEMPLATE and "optgroups" in widget:
                html = _select(widget)
            elif template_name == OPTION_TEMPLATE:
                html = _option(widget)
        if html is None:
            return self.fallback.render(template_name, context, request=request)
        return html.strip()


FAST = FastWidgetRenderer()


def use_fast_widgets(form: _FormT) -> _FormT:
    """Render ``form``'s widgets with ``FastWidgetRenderer`` (returns the form, for chaining)."""
    if form is not None:
        form.renderer = FAST
    return form


class PlainSelect(forms.Select):
    """A single-choice ``<select>`` of plain ``(value, label)`` pairs, written in one pass: the HTML of
    Django's ``Select`` without an option dictionary and template render per option."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None) -> SafeString:
        chosen = set(self.format_value(value))
        parts = [f'<select name="{conditional_escape(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>']
        for option, label in self.choices:
            text = "" if option is None else str(option)
            selected = text in chosen
            if selected:
                chosen = set()  # only the first match is selected, as in Select.optgroups
            parts.append(
                f'\n  <option value="{conditional_escape(text)}"{" selected" if selected else ""}>{conditional_escape(label)}</option>\n'
            )
        parts.append("\n</select>")
        # every value and label is escaped above
        return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


def plain_choices(field: forms.ModelChoiceField[Any], rows: Iterable[tuple[Any, str]]) -> None:
    """Give a ``ModelChoiceField`` its options from plain ``(value, label)`` rows, rendered by
    ``PlainSelect``: a list of every portal user (2,000 at scale) then costs one ``values_list``
    query and a string join, not 2,000 model instances and option dictionaries. Validation still
    goes through the field's queryset; the field's own (lazy) choices are never evaluated."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    widget = PlainSelect(attrs=field.widget.attrs)
    widget.choices = empty + list(rows)
    widget.is_required = field.widget.is_required
    field.widget = widget


def full_name(first: str, last: str, username: str) -> str:
    """``User.get_full_name() or username`` from plain values."""
    return f"{first} {last}".strip() or username
