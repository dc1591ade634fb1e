"""API pagination (own module: DRF imports it while loading its settings, before any viewset)."""

from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class StrictPageSizeMixin:
    """`page_size` is a whole number from 1 to `max_page_size`, as the schema says; DRF would
    quietly use the default for anything else."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 100}
        return parameters


class PageNumberPagination(StrictPageSizeMixin, pagination.PageNumberPagination):
    page_size = 25


class CursorPagination(StrictPageSizeMixin, pagination.CursorPagination):
    """For large, append-mostly lists (calls). Ordering comes from the view's OrderingFilter."""

    page_size = 25
    ordering = "-created_at"
