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

import hashlib
import html
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.conf import settings
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.urls import reverse
from django.utils.choices import normalize_choices
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

from grc import degraded

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
    Django's ``Select`` without an option dictionary and template render per option.

    ``cached_plain_choices`` gives it instead ``options_html`` (the options written once, none
    selected, kept in the cache) and ``choices_loader`` (reads the pairs only if asked for them)."""

    options_html: str | None = None
    choices_loader: Callable[[], list[tuple[Any, str]]] | None = None
    first_choice: tuple[Any, Any] | None = None
    _choices: Any

    @property
    def choices(self) -> Any:
        if self._choices is None and self.choices_loader is not None:
            self._choices = self.choices_loader()
        return self._choices

    @choices.setter
    def choices(self, value: Any) -> None:
        # a list of plain pairs is kept as given: Django's normalisation walks every option (2,000)
        self._choices = value if isinstance(value, list) else normalize_choices(value)

    def use_required_attribute(self, initial: Any) -> bool:
        if self._choices is None and self.options_html is not None and self.first_choice is not None:
            # Select's rule on the first option, without reading every choice
            return forms.Widget.use_required_attribute(self, initial) and self.first_choice[0] in (None, "")
        return super().use_required_attribute(initial)

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None) -> SafeString:
        formatted = self.format_value(value)
        if self.options_html is not None and len(formatted) == 1:
            # the first option of that value selected, as below; labels are escaped: no "<" inside
            tag = f'<option value="{conditional_escape(formatted[0])}">'
            options = self.options_html.replace(tag, f'<option value="{conditional_escape(formatted[0])}" selected>', 1)
            head = f'<select name="{conditional_escape(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>'
            # the options were escaped by options_of
            return mark_safe(f"{head}{options}\n</select>")  # noqa: S308  # nosec B308 B703
        chosen = set(formatted)
        choices = list(self.choices)
        texts = ["" if option is None else str(option) for option, _label in choices]
        values = _escape_all(texts)
        labels = _escape_all([label for _option, label in choices])
        selected = [""] * len(texts)
        for index, text in enumerate(texts):
            if text in chosen:
                selected[index] = " selected"  # only the first match is selected, as in Select.optgroups
                break
        parts = [f'<select name="{conditional_escape(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>']
        parts += [f'\n  <option value="{v}"{s}>{label}</option>\n' for v, s, label in zip(values, selected, labels, strict=True)]
        parts.append("\n</select>")
        # every value and label is escaped above
        return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


def options_of(choices: list[tuple[Any, Any]]) -> str:
    """The ``<option>`` tags of ``PlainSelect.render`` for ``choices``, none selected."""
    values = _escape_all(["" if option is None else str(option) for option, _label in choices])
    labels = _escape_all([label for _option, label in choices])
    return "".join(f'\n  <option value="{v}">{label}</option>\n' for v, label in zip(values, labels, strict=True))


def _escape_all(values: list[Any]) -> list[str]:
    """``conditional_escape`` of many values at once: plain strings are joined, escaped in one
    ``html.escape`` call and split again (2,000 owner labels: one C call instead of 2,000)."""
    if all(type(value) is str for value in values):  # exactly str: no SafeString, no lazy text
        pieces = html.escape("\x00".join(values)).split("\x00")
        if len(pieces) == len(values):  # no value holds the separator itself
            return pieces
    return [conditional_escape(value) for value in values]


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


def choices_cache_seconds() -> int:
    """How long ``cached_plain_choices`` keeps a filter's options: ``FILTER_CHOICES_CACHE_SECONDS``
    if set, else ``ACCOUNT_LIST_COUNT_CACHE_SECONDS`` (10 minutes; 0, off, under the tests)."""
    return int(getattr(settings, "FILTER_CHOICES_CACHE_SECONDS", settings.ACCOUNT_LIST_COUNT_CACHE_SECONDS))


def cached_plain_choices(
    field: forms.ModelChoiceField[Any],
    rows: Callable[[], Iterable[tuple[Any, str]]],
    *,
    version: Callable[[], object],
    where: str,
    seconds: int | None = None,
) -> None:
    """``plain_choices`` with the options kept in the cache, written once (``options_of``): a filter listing every
    portal user (2,000 at scale) read and labelled them on every load of its page. The key holds
    ``version()`` (a view passes ``grc.audit.selectors.latest_change_id``: the next audited change
    anywhere drops it, as the dashboard's posture and the accounts count) and the SQL of the
    field's queryset (each reader's visible users are cached apart). Off (rows read each time)
    when ``seconds`` is 0; with the cache down the rows are read (grc.degraded)."""
    seconds = choices_cache_seconds() if seconds is None else seconds
    if seconds <= 0:
        plain_choices(field, rows())
        return
    queryset = field.queryset
    assert queryset is not None  # a ModelChoiceField always has one
    sql, params = queryset.query.sql_with_params()
    digest = hashlib.sha256(f"{sql}|{params!r}|{field.empty_label!r}".encode()).hexdigest()
    key = f"choices:{where}:{version()}:{digest}"
    empty: list[tuple[Any, Any]] = [("", field.empty_label)] if field.empty_label is not None else []
    options = degraded.cache_get(key, where=where)
    if not isinstance(options, str):
        options = options_of(empty + list(rows()))
        degraded.cache_set(key, options, seconds, where=where)
    widget = PlainSelect(attrs=field.widget.attrs)
    widget._choices = None
    widget.choices_loader = lambda: empty + list(rows())  # only if something reads the choices
    widget.options_html = options
    widget.first_choice = empty[0] if empty else None
    widget.is_required = field.widget.is_required
    field.widget = widget


def full_name(first: str, last: str, username: str) -> str:
    """``User.get_full_name() or username`` from plain values."""
    return f"{first} {last}".strip() or username


_PK_MARKER = 987654321987


def pk_url(view_name: str) -> Callable[[int], str]:
    """``reverse(view_name, args=[pk])`` for every row of a list from one ``reverse()`` call: the
    URL of a sample key, split around it (list pages link each of their 25–200 rows)."""
    head, _, tail = reverse(view_name, args=[_PK_MARKER]).partition(str(_PK_MARKER))

    def url(pk: int) -> str:
        return f"{head}{int(pk)}{tail}"

    return url
