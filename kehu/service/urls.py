from django.contrib.auth.decorators import login_required
from django.urls import path

from kehu.service import views

app_name = "service"

urlpatterns = [
    path("", views.TicketListView.as_view(), name="list"),
    path("new/", views.TicketCreateView.as_view(), name="create"),
    path("map/", login_required(views.service_map), name="map"),
    path("map.svg", login_required(views.service_map_svg), name="map_svg"),
    path("sla/", login_required(views.sla_list), name="sla_list"),
    path("sla/new/", login_required(views.sla_edit), name="sla_create"),
    path("sla/<int:pk>/", login_required(views.sla_edit), name="sla_edit"),
    path("routing/", login_required(views.routing), name="routing"),
    path("<int:pk>/", views.TicketDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.TicketEditView.as_view(), name="edit"),
    path("<int:pk>/history/", views.TicketHistoryView.as_view(), name="history"),
    path("<int:pk>/survey-link/", login_required(views.survey_link), name="survey_link"),
    path("<int:pk>/act/<str:action>/", login_required(views.ticket_action), name="action"),
]
