from django.contrib.auth.decorators import login_required
from django.urls import path

from kehu.sales import views

app_name = "sales"

urlpatterns = [
    path("", views.board, name="board"),
    path("deals/", views.DealListView.as_view(), name="deals"),
    path("deals/new/", views.DealCreateView.as_view(), name="deal_create"),
    path("deals/<int:pk>/", views.DealDetailView.as_view(), name="deal"),
    path("deals/<int:pk>/edit/", views.DealEditView.as_view(), name="deal_edit"),
    path("deals/<int:pk>/history/", views.DealHistoryView.as_view(), name="deal_history"),
    path("deals/<int:pk>/move/", views.move, name="deal_move"),
    path("deals/<int:pk>/win/", views.win, name="deal_win"),
    path("deals/<int:pk>/order/", views.record_order, name="deal_order"),
    path("deals/<int:pk>/lines/", views.edit_lines, name="deal_lines"),
    path("forecast/", views.forecast, name="forecast"),
    path("map/", views.flow_map, name="map"),
    path("settings/", login_required(views.pipeline_settings), name="settings"),
]
