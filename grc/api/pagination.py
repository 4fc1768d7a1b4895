"""Cursor pagination on the primary key: stable while records are added, no counting of the whole
table, and the same cost on page 1 and page 20,000. Follow ``next`` until it is null."""

from __future__ import annotations

from typing import cast

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

MAX_PAGE_SIZE = 500


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "pk"

    def get_ordering(self, request, queryset, view):
        return (getattr(view, "cursor_ordering", self.ordering),)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model  # decode_cursor checks the position against the ordering field
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """The cursor of a ``next``/``previous`` link, or a 400 when it was not one of ours.

        DRF checks that the cursor is base64 of ``o=…&r=…&p=…`` but not that the position fits
        the ordering field: ``base64("p=x")`` reached ``filter(pk__gt="x")`` (a ValueError, a 500),
        and a position of 20 digits overflows the database's integer (another 500)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self.invalid()
        # decoded from the query string, the position is text (the stubs say int)
        if cursor is not None and cursor.position is not None and not self.position_fits(cast(str, cursor.position)):
            raise self.invalid()
        return cursor

    def invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: "The cursor is not valid: follow the next or previous link of a page."})

    def position_fits(self, position: str) -> bool:
        """Whether ``position`` is a value of the first ordering field that a query can compare."""
        if "\x00" in position:  # PostgreSQL refuses NUL in text
            return False
        model = getattr(self, "_model", None)
        name = self.ordering[0].lstrip("-") if self.ordering else "pk"
        if model is None or "__" in name:
            return True  # no field to check against (not reached by the portal's orderings)
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        try:
            field.run_validators(field.to_python(position))  # integer fields carry the database's range
        except DjangoValidationError:
            return False
        return True

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: f"Give a whole number from 1 to {self.max_page_size}."})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
