"""A low satisfaction score books a follow-up visit (回访) task in Work: given to the ticket's
assignee or the customer's manager, due within the follow-up time, linked to the customer —
and also when the ticket has no customer."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kehu.core.workcalendar import working_calendar
from kehu.service import services
from kehu.service.models import Ticket

pytestmark = pytest.mark.django_db


def _resolve_and_rate(ticket, actor, score, comment=""):
    services.change_status(actor=actor, ticket=ticket, status="resolved")
    _invite, link = services.issue_survey_link(actor=actor, ticket=ticket)
    return services.answer_survey(
        token=link.rstrip("/").rsplit("/", 1)[1], score=score, comment=comment
    )


def _due_days():
    now = timezone.now()
    return {
        timezone.localdate(working_calendar().add_days(now, services.FOLLOW_UP_WORKING_DAYS)),
        timezone.localdate(
            working_calendar().add_days(
                now + timezone.timedelta(minutes=5), services.FOLLOW_UP_WORKING_DAYS
            )
        ),
    }


def test_low_score_gives_the_assignee_a_follow_up_task(make_ticket, make_customer, agent):
    from kehu.work.models import Task

    customer = make_customer(agent, name="杭州远望科技有限公司")
    ticket = make_ticket(actor=agent, assignee=agent, customer=customer, subject="发票开错")
    due_days = _due_days()
    _resolve_and_rate(ticket, agent, 1, "三天没人理")
    task = Task.objects.get()
    assert task.responsible == agent
    assert task.customer == customer
    assert task.due_on in due_days
    assert ticket.number in task.title and "1/5" in task.title
    assert "三天没人理" in task.description and ticket.get_absolute_url() in task.description
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.FOLLOW_UP
    assert agent.notifications.filter(kind="ticket.low_score").count() == 1


def test_without_an_assignee_the_customers_manager_gets_it(make_ticket, make_customer, make_user):
    from kehu.work.models import Task

    manager = make_user("cm-follow", roles=("customer_manager",))
    worker = make_user("svc-worker", roles=("tech_support",))
    customer = make_customer(manager, name="无锡恒达机械有限公司")
    ticket = make_ticket(actor=worker, customer=customer)
    _resolve_and_rate(ticket, worker, 2)
    task = Task.objects.get()
    assert task.responsible == manager and task.customer == customer
    assert manager.notifications.filter(kind="ticket.low_score").exists()


def test_a_ticket_without_customer_still_gets_its_task(make_ticket, agent):
    from kehu.work.models import Task

    ticket = make_ticket(
        actor=agent,
        assignee=agent,
        channel="walk_in",
        requester_name="刘女士",
        requester_phone="13700002222",
        subject="到店退货",
    )
    _resolve_and_rate(ticket, agent, 2, "排队太久")
    task = Task.objects.get()
    assert task.customer is None and task.responsible == agent
    assert "刘女士" in task.title or "刘女士" in task.description
    assert "13700002222" in task.description


def test_a_good_score_books_no_task(make_ticket, agent):
    from kehu.work.models import Task

    _resolve_and_rate(make_ticket(actor=agent, assignee=agent), agent, 4)
    assert not Task.objects.exists()
