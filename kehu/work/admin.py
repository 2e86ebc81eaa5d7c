"""The reference lists of the division table (areas, priority labels, WIP limits), worker
profiles and templates are kept by administrators here; goals and tasks have their pages."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kehu.work.models import Area, Goal, PriorityLabel, Task, WipLimit, WorkerProfile, WorkTemplate


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "position", "is_active")
    list_editable = ("position", "is_active")


@admin.register(PriorityLabel)
class PriorityLabelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "colour", "position")
    list_editable = ("name", "colour", "position")


@admin.register(WipLimit)
class WipLimitAdmin(admin.ModelAdmin):
    list_display = ("status", "limit", "team")


@admin.register(WorkerProfile)
class WorkerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "weekly_capacity_hours", "skills")
    search_fields = ("user__username", "user__display_name")


@admin.register(WorkTemplate)
class WorkTemplateAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "is_builtin")


@admin.register(Goal)
class GoalAdmin(SimpleHistoryAdmin):
    list_display = ("title", "owner", "team", "status", "due_on", "progress")
    list_filter = ("status",)
    search_fields = ("title",)


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ("title", "status", "responsible", "area", "due_on", "progress")
    list_filter = ("status", "area")
    search_fields = ("title",)
    raw_id_fields = ("goal", "customer", "parent", "responsible", "collaborators", "depends_on")
