"""The minutes in the admin: status and publication, read-only (content is edited live)."""

from django.contrib import admin
from django.http import HttpRequest

from minutes.models import Minutes


@admin.register(Minutes)
class MinutesAdmin(admin.ModelAdmin):
    list_display = ["session", "status", "approved_at", "published_at", "version"]
    list_filter = ["status"]
    list_select_related = ["session"]
    readonly_fields = [
        "session",
        "status",
        "created_at",
        "approved_at",
        "approved_by",
        "published_at",
        "published_html",
        "version",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created with their skeleton on first use (minutes.services.store)
