"""Keep the search index current for tickets, inside the writer's transaction."""

from __future__ import annotations

from kehu.core import search
from kehu.core.events import Event, subscribe
from kehu.service.models import Ticket


@subscribe("ticket.created", in_transaction=True)
@subscribe("ticket.updated", in_transaction=True)
def index_ticket(event: Event) -> None:
    ticket = Ticket.objects.filter(pk=event.object_id).first()
    if ticket is not None:
        search.index(ticket)


@subscribe("ticket.deleted", in_transaction=True)
def unindex_ticket(event: Event) -> None:
    search.unindex(Ticket, event.object_id)
