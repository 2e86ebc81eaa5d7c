from django.contrib.auth.decorators import login_required
from django.urls import path

from kehu.customers import interaction_views, merge_views, order_views, views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="list"),
    path("new/", views.CustomerCreateView.as_view(), name="create"),
    path("contacts/", views.ContactListView.as_view(), name="contacts"),
    path("interactions/", interaction_views.InteractionListView.as_view(), name="interactions"),
    path(
        "interactions/<int:pk>/cell/<str:field>/",
        interaction_views.InteractionCellEditView.as_view(),
        name="interaction_cell",
    ),
    path(
        "interactions/bulk/",
        login_required(interaction_views.interaction_bulk),
        name="interaction_bulk",
    ),
    path("contacts/<int:pk>/edit/", views.ContactEditView.as_view(), name="contact_edit"),
    path(
        "contacts/<int:pk>/cell/<str:field>/",
        views.ContactCellEditView.as_view(),
        name="contact_cell",
    ),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    path("contacts/<int:pk>/history/", views.ContactHistoryView.as_view(), name="contact_history"),
    path(
        "interactions/<int:pk>/edit/",
        views.InteractionEditView.as_view(),
        name="interaction_edit",
    ),
    path(
        "interactions/<int:pk>/delete/",
        views.InteractionDeleteView.as_view(),
        name="interaction_delete",
    ),
    path(
        "interactions/<int:pk>/history/",
        views.InteractionHistoryView.as_view(),
        name="interaction_history",
    ),
    path("bulk/", login_required(views.bulk_change), name="bulk"),
    path("contacts/bulk/", login_required(views.contact_bulk), name="contact_bulk"),
    path("duplicates/", login_required(merge_views.duplicates), name="duplicates"),
    path("merge/", login_required(merge_views.merge), name="merge"),
    path("similar/", login_required(merge_views.similar), name="similar"),
    path("products/", order_views.ProductListView.as_view(), name="products"),
    path("products/new/", order_views.ProductCreateView.as_view(), name="product_create"),
    path("products/<int:pk>/", order_views.ProductEditView.as_view(), name="product_edit"),
    path("orders/", order_views.OrderListView.as_view(), name="orders"),
    path("orders/<int:pk>/", login_required(order_views.order_detail), name="order"),
    path(
        "orders/<int:pk>/cell/<str:field>/",
        order_views.OrderCellEditView.as_view(),
        name="order_cell",
    ),
    path("orders/bulk/", login_required(order_views.order_bulk), name="order_bulk"),
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
    path("<int:pk>/follow-up/", login_required(views.plan_follow_up), name="follow_up"),
]
