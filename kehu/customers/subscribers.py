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
