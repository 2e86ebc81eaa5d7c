from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kehu.dataops.models import DataAudit, DataAuditSchedule


@admin.register(DataAudit)
class DataAuditAdmin(admin.ModelAdmin):
    list_display = ("started_at", "scope", "trigger", "started_by", "status", "score")
    list_filter = ("scope", "trigger", "status")
    readonly_fields = [f.name for f in DataAudit._meta.fields]


@admin.register(DataAuditSchedule)
class DataAuditScheduleAdmin(SimpleHistoryAdmin):
    list_display = ("period", "stale_days", "updated_at", "updated_by")
