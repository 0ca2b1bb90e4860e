"""Data entry for the programme. Running a live session happens on the session page."""

from django.contrib import admin

from assemblies.models import (
    AgendaItem,
    AuditEntry,
    Body,
    Event,
    Organisation,
    Role,
    Session,
    Venue,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    prepopulated_fields = {"slug": ("name",)}


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "kind")


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organisation")
    list_filter = ("kind", "organisation")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [RoleInline]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation")
    search_fields = ("name", "address")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "organisation", "hashtag")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [RoleInline]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 1
    fields = ("position", "title", "planned_minutes", "presenters", "description")


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_at", "status", "body", "event", "venue")
    list_filter = ("status", "kind", "body", "event")
    date_hierarchy = "starts_at"
    search_fields = ("title",)
    readonly_fields = ("status", "current_item", "started_at", "ended_at")
    inlines = [AgendaItemInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "session")
    list_filter = ("action",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
