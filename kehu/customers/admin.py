from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kehu.customers.models import Contact, Customer, Interaction


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ("name", "level", "status", "city", "owner", "next_follow_up_at")
    list_filter = ("level", "status")
    search_fields = ("name", "short_name")


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ("name", "customer", "mobile", "email", "is_primary")
    search_fields = ("name", "mobile", "email")


@admin.register(Interaction)
class InteractionAdmin(SimpleHistoryAdmin):
    list_display = ("customer", "kind", "occurred_at", "user")
