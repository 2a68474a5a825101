from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AccountSession, Couple, Invitation, Membership, SecurityEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "role", "is_active", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "role", "professional_title")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("email", "display_name", "role", "password1", "password2")}),
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    readonly_fields = ["user", "joined_at", "active"]


@admin.register(Couple)
class CoupleAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "ended_at"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["code", "inviter", "created_at", "expires_at", "accepted_at", "revoked_at"]
    readonly_fields = ["token", "code"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: an event is a record, never edited."""

    list_display = ["at", "kind", "user", "email", "ip_coarse", "detail"]
    list_filter = ["kind"]
    search_fields = ["email", "user__email", "ip_coarse"]
    date_hierarchy = "at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(AccountSession)
class AccountSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "device", "ip_coarse", "created_at", "last_seen"]
    exclude = ["session_key"]
    readonly_fields = ["user", "device", "ip_coarse", "created_at", "last_seen"]

    def has_add_permission(self, request: object) -> bool:
        return False
