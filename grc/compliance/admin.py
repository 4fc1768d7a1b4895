"""Django admin (security lead only, behind MFA): obligations and reminder deliveries, read-mostly."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from grc.compliance.models import CalendarFeedToken, Obligation, OverdueDigest, Reminder, Requirement


class ReadOnlyAdmin(admin.ModelAdmin):
    """Writes go through the services (which audit them); the admin only shows the rows."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("id", "obligation", "milestone", "status", "attempts", "last_error", "next_attempt_at", "sent_at", "created_at")
    list_filter = ("status", "milestone")
    search_fields = ("obligation__id", "obligation__kind")
    list_select_related = ("obligation",)


@admin.register(OverdueDigest)
class OverdueDigestAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "day", "status", "attempts", "item_count", "last_error", "next_attempt_at", "sent_at")
    list_filter = ("status", "day")
    list_select_related = ("user",)


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    list_display = ("id", "clause", "kind", "title", "owner", "due_at", "completed_at")
    list_filter = ("clause", "kind")
    search_fields = ("kind", "title", "subject_type", "subject_id")
    list_select_related = ("owner",)
    date_hierarchy = "due_at"


@admin.register(Requirement)
class RequirementAdmin(ReadOnlyAdmin):
    list_display = ("clause", "title", "section_title")
    readonly_fields = ("clause", "section", "section_title", "title", "text", "position")  # from data/dpp_requirements.json


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "created_at", "last_used_at", "revoked_at")
    exclude = ("token_hash",)
    list_select_related = ("user",)
