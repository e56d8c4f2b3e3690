from django.contrib import admin

from sso.models import ExternalIdentity, GroupMapping


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin):
    list_display = ("group_id", "description", "role", "organisation")
    list_select_related = ("role", "organisation")
    list_filter = ("role", "organisation")
    search_fields = ("group_id", "description")


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "issuer", "tid", "oid", "last_login")
    list_select_related = ("user",)
    search_fields = ("user__username", "subject", "oid")
    readonly_fields = ("user", "issuer", "subject", "tid", "oid", "created", "last_login")

    def has_add_permission(self, request) -> bool:
        return False
