"""The service settings page offers the public inquiry form's embed code and the team that
receives its tickets; skills keep their history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from kehu.service import services
from kehu.service.models import AgentSkill, Ticket
from tests.conftest import force_login_verified
from tests.service.test_public import _form

pytestmark = pytest.mark.django_db


def test_routing_page_shows_the_embed_code(client, manager):
    force_login_verified(client, manager)
    page = client.get("/service/routing/")
    html = page.content.decode()
    assert 'data-testid="embed-snippet"' in html
    assert "&lt;iframe src=&quot;http://testserver/support/inquiry/&quot;" in html


def test_form_tickets_go_to_the_chosen_team(client, manager, agent):
    from kehu.accounts.models import Team

    team = Team.objects.create(name="售前咨询")
    team.members.add(agent)
    force_login_verified(client, manager)
    client.post("/service/routing/", {"team": team.pk, "mode": "round_robin"})
    response = client.post("/service/routing/", {"inquiry_team": team.pk})
    assert response.status_code == 302
    page = client.get("/service/routing/").content.decode()
    assert f'<option value="{team.pk}" selected>' in page
    client.logout()
    sent = client.post("/support/inquiry/", _form(), REMOTE_ADDR="203.0.113.71")
    assert sent.status_code == 201
    ticket = Ticket.objects.get(channel=Ticket.Channel.WEB)
    assert ticket.team == team and ticket.assignee == agent
    # back to no team: the next form ticket waits unassigned
    force_login_verified(client, manager)
    client.post("/service/routing/", {"inquiry_team": ""})
    client.logout()
    again = client.post(
        "/support/inquiry/",
        _form(email="qian@other.example", subject="第二个问题"),
        REMOTE_ADDR="203.0.113.72",
    )
    assert again.status_code == 201
    second = Ticket.objects.get(subject="第二个问题")
    assert second.team is None and second.assignee is None


def test_only_service_managers_choose_the_team(agent):
    with pytest.raises(PermissionDenied):
        services.set_inquiry_team(actor=agent, team=None)


def test_skills_keep_their_history(manager, agent):
    services.set_skills(actor=manager, user=agent, skills=["tech_support", "打印机"])
    services.set_skills(actor=manager, user=agent, skills=["打印机"])
    rows = AgentSkill.history.filter(user_id=agent.pk).order_by("history_id")
    assert [(r.skill, r.history_type) for r in rows] == [
        ("tech_support", "+"),
        ("打印机", "+"),
        ("tech_support", "-"),
    ]
    assert all(r.history_user_id == manager.pk for r in rows)
