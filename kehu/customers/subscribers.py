"""Keep the search index current through domain events, inside the writer's transaction."""

from __future__ import annotations

from kehu.core import search
from kehu.core.events import Event, subscribe
from kehu.customers.models import Contact, Customer, Order, Product


@subscribe("customer.created", in_transaction=True)
@subscribe("customer.updated", in_transaction=True)
def index_customer(event: Event) -> None:
    customer = Customer.objects.filter(pk=event.object_id).first()
    if customer is not None:
        search.index(customer)


@subscribe("customer.deleted", in_transaction=True)
def unindex_customer(event: Event) -> None:
    search.unindex(Customer, event.object_id)
    for contact_id in event.data.get("contact_ids", []):
        search.unindex(Contact, contact_id)


@subscribe("contact.created", in_transaction=True)
@subscribe("contact.updated", in_transaction=True)
def index_contact(event: Event) -> None:
    contact = Contact.objects.filter(pk=event.object_id).first()
    if contact is not None:
        search.index(contact)


@subscribe("contact.deleted", in_transaction=True)
def unindex_contact(event: Event) -> None:
    search.unindex(Contact, event.object_id)


@subscribe("order.created", in_transaction=True)
def index_order(event: Event) -> None:
    order = Order.objects.filter(pk=event.object_id).first()
    if order is not None:
        search.index(order)


@subscribe("product.created", in_transaction=True)
@subscribe("product.updated", in_transaction=True)
def index_product(event: Event) -> None:
    product = Product.objects.filter(pk=event.object_id).first()
    if product is not None:
        search.index(product)


@subscribe("order.deleted", in_transaction=True)
@subscribe("product.deleted", in_transaction=True)
def unindex_record(event: Event) -> None:
    search.unindex(Order if event.object_type == "order" else Product, event.object_id)


# The fields whose change can make or unmake a duplicate (see kehu.customers.duplicates).
_KEY_FIELDS = {"name", "name_key", "core_key", "uscc"}


@subscribe("customer.created", in_transaction=True)
@subscribe("customer.updated", in_transaction=True)
@subscribe("customer.deleted", in_transaction=True)
@subscribe("contact.created", in_transaction=True)
@subscribe("contact.updated", in_transaction=True)
@subscribe("contact.deleted", in_transaction=True)
def flag_duplicates(event: Event) -> None:
    from kehu.customers import duplicates

    data = event.data or {}
    if event.name == "contact.updated" and not (
        {"mobile", "email"} & set(data.get("fields") or ("mobile",))
    ):
        return  # a job title, a birthday, the primary mark: nothing that decides duplicates
    if event.name == "contact.deleted":
        ids = [data["customer_id"]] if data.get("customer_id") else []
    elif event.object_type == "contact":
        customer_id = (
            Contact.objects.filter(pk=event.object_id).values_list("customer_id", flat=True).first()
        )
        ids = [customer_id] if customer_id else []
    elif event.name == "customer.deleted":
        ids = [data["merged_into"]] if data.get("merged_into") else []
    else:
        fields = set(data.get("fields") or ())
        if event.name == "customer.updated" and not (
            fields & _KEY_FIELDS or data.get("merged") or data.get("old_keys")
        ):
            return  # a level, a city, a tag: nothing that decides duplicates changed
        ids = [int(event.object_id)]  # type: ignore[arg-type]
    duplicates.refresh_for(ids, old_keys=data.get("old_keys"))
