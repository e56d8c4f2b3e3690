"""API keys in the admin: a plan administrator makes one for a system, sees the key
once, chooses the plans it reads (of those they can see), and revokes it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from api import keys
from api.models import ApiKey
from plans import access, roles


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "created", "created_by", "last_used", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = ("prefix", "created", "created_by", "last_used", "revoked_at", "revoked_by")
    filter_horizontal = ("plans",)
    actions = ["revoke"]

    def has_module_permission(self, request) -> bool:
        return roles.is_plan_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.is_plan_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return roles.is_plan_admin(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return roles.is_plan_admin(request.user) and (obj is None or not obj.is_revoked)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: who had access stays on record

    def get_queryset(self, request):
        """Keys made by the people of the administrator's organisation."""
        return (
            super()
            .get_queryset(request)
            .filter(created_by__in=access.visible_people(request.user))
            .select_related("created_by")
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "plans":
            kwargs["queryset"] = access.visible_plans(request.user).order_by("title")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, obj.prefix, obj.hashed_key = keys.new_key()
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            f"The key for {obj.name} is {key} . Copy it now: it is not shown again.",
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Only plans the administrator can see, whatever the form was sent.
        obj = form.instance
        obj.plans.set(obj.plans.filter(pk__in=access.visible_plans(request.user)))

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset.filter(revoked_at=None):
            keys.api_key_revoke(api_key=api_key, revoked_by=request.user)
        self.message_user(request, f"Revoked at {timezone.now():%H:%M}.", messages.SUCCESS)
