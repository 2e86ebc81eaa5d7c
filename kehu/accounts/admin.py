from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kehu.accounts.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    list_display = ("username", "display_name", "title", "email", "mobile", "is_active")
    search_fields = ("username", "display_name", "email", "mobile")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Kehu"), {"fields": ("display_name", "title", "mobile", "language", "time_zone")}),
    )


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "parent", "leader")
    filter_horizontal = ("members",)
