from django.contrib.auth.decorators import login_required
from django.urls import path

from kehu.dataops import audit_views, views

app_name = "dataops"

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.job_page, name="import"),
    path("imports/<int:pk>/progress/", views.job_progress, name="import_progress"),
    path(
        "imports/<int:pk>/<str:action>/",
        views.job_action,
        name="import_action",
    ),
    path("imports/<int:pk>/invalid-rows.csv", views.invalid_rows, name="invalid_rows"),
    path("imports/template/<str:kind>.xlsx", views.template, name="template"),
    path("audit/", login_required(audit_views.audit_page), name="audit"),
    path("audit/run/", login_required(audit_views.run_audit), name="audit_run"),
    path("audit/schedule/", login_required(audit_views.save_schedule), name="audit_schedule"),
    path("audit/<int:pk>/", login_required(audit_views.audit_page), name="audit_detail"),
    path("audit/<int:pk>/status/", login_required(audit_views.audit_status), name="audit_status"),
    path(
        "audit/<int:pk>/export.<str:fmt>",
        login_required(audit_views.export_audit),
        name="audit_export",
    ),
]
