"""Sort, filter and paginate a list page the same way everywhere.

A view calls ``table_page(request, queryset, sorts=..., filterset_class=...)`` and renders
``partials/filter_form.html``, ``{% sort_header %}`` cells and ``partials/pagination.html``.
Only whitelisted sort keys are honoured, so a URL cannot order by an arbitrary column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

if TYPE_CHECKING:
    from django.core.paginator import _SupportsPagination
    from django.http import HttpRequest
    from django_filters import FilterSet

DEFAULT_PAGE_SIZE = 25
PAGE_SIZES = (25, 50, 100, 200)


@dataclass
class TablePage:
    page: Page
    filterset: Any
    sort: str

    @property
    def rows(self) -> _SupportsPagination[Any]:
        return self.page.object_list

    @property
    def is_filtered(self) -> bool:
        if self.filterset is None or not self.filterset.is_bound:  # an unbound form has no cleaned_data
            return False
        return any(v not in (None, "", []) for v in getattr(self.filterset.form, "cleaned_data", {}).values())


def table_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    sorts: dict[str, str | tuple[str, ...]],
    default_sort: str,
    filterset_class: type[FilterSet] | None = None,
    page_size: int | None = None,
    count: int | None = None,
) -> TablePage:
    """``sorts`` maps a URL key to the ordering field(s); ``-key`` sorts descending. ``count``: the
    number of rows when the view already knows it (a summary counted them), so not counted again."""
    filterset = None
    if filterset_class is not None:
        filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
        if filterset.is_bound and filterset.is_valid():
            queryset = filterset.qs
        elif not filterset.is_bound:
            filterset.form.is_valid()  # so templates can read cleaned_data of an empty form
    sort = request.GET.get("sort", default_sort)
    key = sort.lstrip("-")
    if key not in sorts:
        sort, key = default_sort, default_sort.lstrip("-")
    target = sorts[key]
    fields = target if isinstance(target, tuple) else (target,)
    prefix = "-" if sort.startswith("-") else ""
    ordering = [f"{prefix}{field.lstrip('-')}" if not field.startswith("-") else (field[1:] if prefix else field) for field in fields]
    queryset = queryset.order_by(*ordering, f"{prefix}pk")
    try:
        size = int(request.GET.get("size", page_size or DEFAULT_PAGE_SIZE))
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    size = size if size in PAGE_SIZES or size == page_size else DEFAULT_PAGE_SIZE
    paginator = Paginator(queryset, size)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not computed
    page = paginator.get_page(request.GET.get("page"))
    return TablePage(page=page, filterset=filterset, sort=sort)
