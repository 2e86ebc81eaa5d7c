from django.urls import path

from kehu.dataops import views

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
]
