"""The service-desk pages: table, ticket page and its buttons, settings, the process map."""

from __future__ import annotations

import pytest

from kehu.service import services
from kehu.service.models import AgentSkill, TeamRouting, Ticket
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, agent):
    force_login_verified(client, agent)
    return client


def test_table_filters_and_exports(agent_client, make_ticket, agent):
    urgent = make_ticket(actor=agent, priority="urgent", subject="服务器宕机")
    normal = make_ticket(actor=agent, subject="咨询发票")
    page = agent_client.get("/service/?priority=urgent").content.decode()
    assert urgent.number in page and normal.number not in page
    page = agent_client.get("/service/?q=发票").content.decode()
    assert normal.number in page and urgent.number not in page
    export = agent_client.get("/service/?export=csv")
    assert export.status_code == 200
    body = b"".join(export.streaming_content) if export.streaming else export.content
    assert urgent.number.encode() in body


def test_table_query_count_does_not_grow_with_rows(
    agent_client, make_ticket, agent, django_assert_max_num_queries
):
    for _ in range(3):
        make_ticket(actor=agent, assignee=agent)
    agent_client.get("/service/")
    for _ in range(10):
        make_ticket(actor=agent, assignee=agent)
    with django_assert_max_num_queries(25):
        agent_client.get("/service/")


def test_ticket_page_buttons(agent_client, make_ticket, agent, make_policy):
    make_policy(first_response_minutes=60, resolution_minutes=480)
    t = make_ticket(actor=agent, requester_email="c@example.com")
    page = agent_client.get(f"/service/{t.pk}/").content.decode()
    assert 'data-clock="response"' in page and 'data-status="in_progress"' in page
    url = f"/service/{t.pk}/act/"
    agent_client.post(url + "note/", {"body": "内部备注"})
    agent_client.post(url + "reply/", {"body": "您好，已收到"})
    agent_client.post(url + "pause/")
    t.refresh_from_db()
    assert t.waiting_on_customer and t.status == "in_progress"
    agent_client.post(url + "resume/")
    response = agent_client.post(url + "status/", {"status": "follow_up", "version": t.version})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.status == "in_progress"  # refused with a message
    agent_client.post(url + "status/", {"status": "resolved", "version": t.version})
    t.refresh_from_db()
    assert t.status == "resolved" and not t.waiting_on_customer
    kinds = list(t.messages.values_list("kind", flat=True))
    assert kinds == ["note", "reply"]


def test_stale_status_button_is_refused(agent_client, make_ticket, agent):
    t = make_ticket(actor=agent)
    old = t.version
    services.update_ticket(actor=agent, ticket=t, expected_version=old, priority="high")
    agent_client.post(f"/service/{t.pk}/act/status/", {"status": "in_progress", "version": old})
    t.refresh_from_db()
    assert t.status == "new"


def test_merge_button(agent_client, make_ticket, agent):
    a, b = make_ticket(actor=agent), make_ticket(actor=agent)
    response = agent_client.post(f"/service/{b.pk}/act/merge/", {"into": a.number.lower()})
    assert response["Location"] == f"/service/{a.pk}/"
    b.refresh_from_db()
    assert b.merged_into == a


def test_out_of_scope_actions_answer_404(client, make_user, make_ticket):
    rep = make_user("rep", roles=("sales_rep",))
    other = make_user("other", roles=("sales_rep",))
    t = make_ticket(actor=other, assignee=other)
    force_login_verified(client, rep)
    assert client.post(f"/service/{t.pk}/act/note/", {"body": "x"}).status_code == 404
    assert client.get(f"/service/{t.pk}/").status_code == 404


def test_create_and_edit_forms(agent_client, agent):
    response = agent_client.post(
        "/service/new/",
        {"subject": "新工单", "type": "complaint", "channel": "phone", "priority": "high"},
    )
    t = Ticket.objects.get()
    assert response["Location"] == t.get_absolute_url() and t.created_by == agent
    response = agent_client.post(
        f"/service/{t.pk}/edit/",
        {
            "subject": "新工单（改）",
            "type": "complaint",
            "channel": "phone",
            "priority": "urgent",
            "version": t.version,
        },
    )
    t.refresh_from_db()
    assert t.priority == "urgent" and t.subject == "新工单（改）"
    stale = agent_client.post(
        f"/service/{t.pk}/edit/",
        {"subject": "x", "type": "complaint", "channel": "phone", "priority": "low", "version": 1},
    )
    assert stale.status_code == 409


def test_settings_need_manage_service(client, agent, manager, make_user):
    from kehu.accounts.models import Team

    force_login_verified(client, agent)
    assert client.get("/service/sla/").status_code == 403
    assert client.get("/service/routing/").status_code == 403
    force_login_verified(client, manager)
    response = client.post(
        "/service/sla/new/",
        {
            "name": "紧急",
            "priority": "urgent",
            "ticket_type": "",
            "first_response_minutes": 30,
            "resolution_minutes": 240,
            "warn_before_minutes": 10,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert "紧急" in client.get("/service/sla/").content.decode()
    team = Team.objects.create(name="售后")
    team.members.add(agent)
    client.post("/service/routing/", {"team": team.pk, "mode": "skill"})
    client.post("/service/routing/", {"user": agent.pk, "skills": "tech_support， 打印机"})
    assert TeamRouting.objects.get(team=team).mode == "skill"
    assert set(AgentSkill.objects.filter(user=agent).values_list("skill", flat=True)) == {
        "tech_support",
        "打印机",
    }


def test_service_map_counts_and_bottleneck(agent_client, make_ticket, agent, make_policy):
    from tests.service.conftest import at

    make_policy(first_response_minutes=60, resolution_minutes=120)
    # one ticket sat in "new" for a whole working day, others moved on within minutes
    slow = make_ticket(actor=agent, opened_at=at("2026-11-23", "09:00"))
    services.change_status(
        actor=agent, ticket=slow, status="in_progress", now=at("2026-11-24", "09:00")
    )
    services.change_status(
        actor=agent, ticket=slow, status="resolved", now=at("2026-11-24", "09:30")
    )
    make_ticket(actor=agent, opened_at=at("2026-11-20", "09:00"))  # long overdue, still new
    page = agent_client.get("/service/map/").content.decode()
    assert '<tr data-status="new" class="text-danger" data-bottleneck="1">' in page
    assert "pm-bottleneck" in page
    svg = agent_client.get("/service/map.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    from kehu.service.selectors import service_flow

    steps = {s.status: s for s in service_flow(agent)}
    assert steps["new"].count == 1 and steps["new"].overdue == 1
    assert steps["resolved"].count == 1
    assert steps["new"].median_seconds == 8 * 3600


def test_service_map_needs_ticket_view(client, make_user):
    force_login_verified(client, make_user("mkt", roles=("marketing_specialist",)))
    assert client.get("/service/map/").status_code == 403


def test_customer_page_shows_its_tickets(
    agent_client, make_ticket, agent, make_customer, make_user
):
    owner = make_user("owner", roles=("customer_manager",))
    customer = make_customer(owner, name="上海远航物流有限公司")
    t = make_ticket(actor=agent, customer=customer, subject="运单查询失败")
    page = agent_client.get(f"/customers/{customer.pk}/").content.decode()
    assert t.number in page and "运单查询失败" in page


def test_global_search_finds_tickets_by_number_and_subject(agent_client, make_ticket, agent):
    t = make_ticket(actor=agent, assignee=agent, subject="空调外机漏水")
    for query in ("空调", t.number.split("-")[-1]):
        page = agent_client.get("/search/", {"q": query}).content.decode()
        assert t.number in page, query


def test_assign_button_by_hand_and_by_the_teams_rule(agent_client, make_ticket, agent, make_user):
    from kehu.accounts.models import Team

    mate = make_user("mate", roles=("tech_support",))
    team = Team.objects.create(name="轮流组")
    team.members.add(mate)
    TeamRouting.objects.create(team=team, mode="round_robin")
    t = make_ticket(actor=agent, team=None)
    agent_client.post(f"/service/{t.pk}/act/assign/", {"assignee": agent.pk})
    t.refresh_from_db()
    assert t.assignee == agent
    services.update_ticket(actor=agent, ticket=t, expected_version=t.version, team=team)
    agent_client.post(f"/service/{t.pk}/act/assign/", {"assignee": "auto"})
    t.refresh_from_db()
    assert t.assignee == mate
    assert mate.notifications.filter(kind="ticket.assigned").count() == 1
    assert list(t.assignments.values_list("method", flat=True)) == ["manual", "round_robin"]


def test_the_customer_pages_ticket_entries_cost_the_same_for_one_ticket_or_many(
    agent_client, make_ticket, agent, make_user, make_customer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer = make_customer(agent, name="宁波海天塑机集团")
    make_ticket(actor=agent, customer=customer, subject="首个工单")
    agent_client.get(customer.get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        agent_client.get(customer.get_absolute_url())
    for i in range(4):  # opened by other people, so each entry names someone else
        colleague = make_user(f"colleague{i}", roles=("tech_support",))
        make_ticket(actor=colleague, customer=customer, assignee=colleague, subject=f"工单{i}")
    with CaptureQueriesContext(connection) as five:
        page = agent_client.get(customer.get_absolute_url()).content.decode()
    assert "工单3" in page and "colleague3" in page
    assert len(five) == len(one)
