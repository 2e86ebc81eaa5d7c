"""Tickets: numbering, the status flow, assignment (fair round robin, skills), merges and the
reply e-mail over real SMTP."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kehu.core.locking import StaleWriteError
from kehu.service import services
from kehu.service.models import AgentSkill, TeamRouting, Ticket, TicketMessage
from tests.service.conftest import at

pytestmark = pytest.mark.django_db


def test_numbers_are_yearly_and_sequential(make_ticket):
    a = make_ticket(opened_at=at("2026-11-23"))
    b = make_ticket(opened_at=at("2026-11-23"))
    c = make_ticket(opened_at=at("2027-01-04"))
    assert (a.number, b.number, c.number) == ("T-2026-000001", "T-2026-000002", "T-2027-000001")


def test_status_flow_refuses_invalid_transitions_with_a_clear_message(make_ticket, agent):
    t = make_ticket(actor=agent)
    with pytest.raises(ValidationError) as err:
        services.change_status(actor=agent, ticket=t, status="follow_up")
    assert err.value.messages[0] == "“受理”的工单不能改为“回访”。"  # in the team's language
    with translation.override("en"), pytest.raises(ValidationError) as err:
        services.change_status(actor=agent, ticket=t, status="follow_up")
    assert "cannot become" in err.value.messages[0]
    services.change_status(actor=agent, ticket=t, status="in_progress")
    services.change_status(actor=agent, ticket=t, status="resolved")
    services.change_status(actor=agent, ticket=t, status="closed")
    services.change_status(actor=agent, ticket=t, status="in_progress")  # reopen
    t.refresh_from_db()
    assert t.status == "in_progress" and t.reopen_count == 1
    assert t.resolved_at is None and t.closed_at is None
    steps = list(t.status_changes.values_list("from_status", "to_status"))
    assert steps == [
        ("", "new"),
        ("new", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("closed", "in_progress"),
    ]
    assert t.history.count() >= 5


def test_status_change_with_a_stale_version_is_refused(make_ticket, agent):
    t = make_ticket(actor=agent)
    read_version = t.version
    services.add_note(actor=agent, ticket=t, body="先看看")
    services.change_status(actor=agent, ticket=t, status="in_progress")
    with pytest.raises(StaleWriteError):
        services.change_status(
            actor=agent, ticket=t, status="resolved", expected_version=read_version
        )


def test_update_ticket_uses_optimistic_locking(make_ticket, agent):
    t = make_ticket(actor=agent)
    services.update_ticket(actor=agent, ticket=t, expected_version=1, priority="high")
    with pytest.raises(StaleWriteError):
        services.update_ticket(actor=agent, ticket=t, expected_version=1, subject="旧版本")


def _team(make_user, n, *, mode, inactive=()):
    from kehu.accounts.models import Team

    team = Team.objects.create(name=f"客服{mode}")
    people = [make_user(f"{mode}{i}", roles=("tech_support",)) for i in range(n)]
    team.members.add(*people)
    for i in inactive:
        people[i].is_active = False
        people[i].save(update_fields=["is_active"])
    TeamRouting.objects.create(team=team, mode=mode)
    return team, people


def test_round_robin_is_fair_and_skips_inactive_members(make_user, make_ticket):
    team, people = _team(make_user, 4, mode="round_robin", inactive=(2,))
    order = [make_ticket(team=team).assignee for _ in range(30)]
    counts = Counter(order)
    assert people[2] not in counts
    assert sorted(counts.values()) == [10, 10, 10]
    # strictly cyclic: each active member waits for the other two
    assert order[:3] == order[3:6] == order[27:30]
    # a newcomer has had nothing: they are next, then the cycle goes on with the longest-waiting
    newcomer = make_user("newcomer", roles=("tech_support",))
    team.members.add(newcomer)
    assert make_ticket(team=team).assignee == newcomer
    assert make_ticket(team=team).assignee == order[-3]


def test_round_robin_counts_manual_assignments_too(make_user, make_ticket, agent):
    team, people = _team(make_user, 2, mode="round_robin")
    first = make_ticket(team=team).assignee
    other = people[1] if first == people[0] else people[0]
    # the other one got a ticket by hand meanwhile: the first is the longest-waiting now
    services.assign(actor=None, ticket=make_ticket(team=team, assignee=other), assignee=other)
    assert make_ticket(team=team).assignee == first


def test_skill_routing_picks_the_least_loaded_matching_person(make_user, make_ticket):
    from kehu.customers import services as customer_services

    team, (a, b, c) = _team(make_user, 3, mode="skill")
    AgentSkill.objects.create(user=a, skill="tech_support")
    AgentSkill.objects.create(user=b, skill="tech_support")
    AgentSkill.objects.create(user=c, skill="打印机")
    first = make_ticket(team=team, type="tech_support").assignee
    second = make_ticket(team=team, type="tech_support").assignee
    assert {first, second} == {a, b}  # the second goes to the one with nothing open
    services.change_status(actor=None, ticket=first.assigned_tickets.get(), status="resolved")
    assert make_ticket(team=team, type="tech_support").assignee == first  # now least loaded
    printer = customer_services.create_product(
        actor=None, code="P-1", name="激光打印机", price=1999, category="打印机"
    )
    assert make_ticket(team=team, type="after_sales", product=printer).assignee == c
    assert make_ticket(team=team, type="complaint").assignee is None  # nobody fits


def test_merge_moves_messages_and_closes_the_merged_one(make_ticket, agent):
    keep = make_ticket(actor=agent, subject="发票问题")
    dup = make_ticket(actor=agent, subject="发票问题（重复）")
    services.add_note(actor=agent, ticket=dup, body="客户又打来电话")
    services.add_customer_message(ticket=dup, body="发票还没收到")
    with translation.override("en"):
        services.merge_tickets(actor=agent, source=dup, target=keep)
    dup.refresh_from_db()
    assert dup.merged_into == keep and dup.status == "closed"
    bodies = list(keep.messages.values_list("body", flat=True))
    assert "客户又打来电话" in bodies and "发票还没收到" in bodies
    assert any(dup.number in b for b in bodies)
    assert dup.messages.get().body.endswith(f"{keep.number}.")
    assert dup.history.filter(merged_into=keep).exists()
    with pytest.raises(ValidationError):
        services.change_status(actor=agent, ticket=dup, status="in_progress")
    with pytest.raises(ValidationError):
        services.merge_tickets(actor=agent, source=keep, target=keep)


def test_reply_is_sent_over_smtp_to_the_contact(
    make_ticket, agent, make_customer, settings, django_capture_on_commit_callbacks
):
    from kehu.customers import services as customer_services
    from tests.service.smtpsink import smtp_sink

    customer = make_customer(agent, name="杭州云帆科技有限公司")
    contact = customer_services.add_contact(
        actor=agent, customer=customer, name="王磊", email="wanglei@yunfan.example"
    )
    t = make_ticket(actor=agent, contact=contact, subject="路由器掉线")
    assert t.customer == customer and t.requester_email == "wanglei@yunfan.example"
    with smtp_sink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        with django_capture_on_commit_callbacks(execute=True):
            message = services.reply(actor=agent, ticket=t, body="请重启路由器后再试。")
        assert len(sink.messages) == 1
    received = sink.messages[0]
    assert received.recipients == ["wanglei@yunfan.example"]
    from email.header import decode_header, make_header

    assert t.number in str(make_header(decode_header(received.message["Subject"])))
    assert "请重启路由器后再试" in received.message.get_payload(decode=True).decode()
    assert TicketMessage.objects.get(pk=message.pk).emailed


def test_notes_are_never_emailed(
    make_ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    t = make_ticket(actor=agent, requester_email="a@b.example")
    with django_capture_on_commit_callbacks(execute=True):
        services.add_note(actor=agent, ticket=t, body="内部：客户脾气急")
    assert mailoutbox == []
    with pytest.raises(ValidationError):
        services.reply(actor=agent, ticket=t, body="   ")


def test_customer_message_ends_the_wait(make_ticket, agent):
    t = make_ticket(actor=agent)
    services.pause(actor=agent, ticket=t)
    services.add_customer_message(ticket=t, body="型号是 X200")
    t.refresh_from_db()
    assert not t.waiting_on_customer and t.paused_at is None


def test_contact_of_another_customer_is_refused(make_customer, agent, make_ticket):
    from kehu.customers import services as customer_services

    a, b = make_customer(agent), make_customer(agent)
    contact = customer_services.add_contact(actor=agent, customer=a, name="张三")
    with pytest.raises(ValidationError) as err:
        make_ticket(actor=agent, customer=b, contact=contact)
    assert "contact" in err.value.message_dict
    assert not Ticket.objects.exists()


def test_customer_merge_moves_tickets(make_ticket, agent, make_customer, make_user):
    from kehu.customers import merging
    from kehu.customers import services as customer_services

    boss = make_user("boss2", roles=("administrator",))
    keep, dup = make_customer(boss, name="合并保留客户"), make_customer(boss, name="合并重复客户")
    contact = customer_services.add_contact(actor=boss, customer=dup, name="孙八")
    t = make_ticket(actor=agent, contact=contact)
    assert t.customer == dup
    merging.merge_customers(actor=boss, survivor=keep, merged=dup)
    t.refresh_from_db()
    assert t.customer == keep and t.contact == contact
