from django.contrib.auth.decorators import login_required
from django.urls import path

from kehu.dataops import views

app_name = "dataops"

urlpatterns = [
    path("audit/", login_required(views.audit_page), name="audit"),
    path("audit/run/", login_required(views.run_audit), name="audit_run"),
    path("audit/schedule/", login_required(views.save_schedule), name="audit_schedule"),
    path("audit/<int:pk>/", login_required(views.audit_page), name="audit_detail"),
    path("audit/<int:pk>/status/", login_required(views.audit_status), name="audit_status"),
    path(
        "audit/<int:pk>/export.<str:fmt>",
        login_required(views.export_audit),
        name="audit_export",
    ),
]
