from django.contrib.auth.decorators import login_required
from django.urls import path

from kehu.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="list"),
    path("new/", views.CustomerCreateView.as_view(), name="create"),
    path("contacts/", views.ContactListView.as_view(), name="contacts"),
    path("interactions/", views.InteractionListView.as_view(), name="interactions"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="edit"),
    path("<int:pk>/history/", views.CustomerHistoryView.as_view(), name="history"),
    path("<int:pk>/cell/<str:field>/", views.CustomerCellEditView.as_view(), name="cell"),
    path("<int:pk>/interactions/", login_required(views.log_interaction), name="log"),
    path("<int:pk>/contacts/", login_required(views.add_contact), name="add_contact"),
]
