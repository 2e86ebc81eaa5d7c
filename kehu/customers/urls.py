from django.contrib.auth.decorators import login_required
from django.urls import path

from kehu.customers import merge_views, order_views, views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="list"),
    path("new/", views.CustomerCreateView.as_view(), name="create"),
    path("contacts/", views.ContactListView.as_view(), name="contacts"),
    path("interactions/", views.InteractionListView.as_view(), name="interactions"),
    path("bulk/", login_required(views.bulk_change), name="bulk"),
    path("duplicates/", login_required(merge_views.duplicates), name="duplicates"),
    path("merge/", login_required(merge_views.merge), name="merge"),
    path("similar/", login_required(merge_views.similar), name="similar"),
    path("products/", order_views.ProductListView.as_view(), name="products"),
    path("products/new/", order_views.ProductCreateView.as_view(), name="product_create"),
    path("products/<int:pk>/", order_views.ProductEditView.as_view(), name="product_edit"),
    path("orders/", order_views.OrderListView.as_view(), name="orders"),
    path("orders/<int:pk>/", login_required(order_views.order_detail), name="order"),
    path(
        "orders/<int:pk>/returns/", login_required(order_views.record_return), name="order_return"
    ),
    path(
        "orders/<int:pk>/status/",
        login_required(order_views.set_order_status),
        name="order_status",
    ),
    path("<int:pk>/orders/new/", login_required(order_views.new_order), name="new_order"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="edit"),
    path("<int:pk>/history/", views.CustomerHistoryView.as_view(), name="history"),
    path("<int:pk>/cell/<str:field>/", views.CustomerCellEditView.as_view(), name="cell"),
    path("<int:pk>/interactions/", login_required(views.log_interaction), name="log"),
    path("<int:pk>/contacts/", login_required(views.add_contact), name="add_contact"),
]
