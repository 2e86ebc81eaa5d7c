"""A survey link for tickets without an e-mail address (phone, WeChat, walk-in): the agent gets
a fresh link to copy or show; a new link stops the earlier ones; only who may change the ticket
gets one, and only for a resolved ticket not rated yet."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.service import services
from kehu.service.models import SurveyInvite
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone_ticket(make_ticket, agent):
    """A walk-in/phone ticket with no e-mail address anywhere, resolved."""
    ticket = make_ticket(
        actor=agent,
        assignee=agent,
        channel="phone",
        requester_name="王先生",
        requester_phone="13900001111",
        subject="门店收银机黑屏",
    )
    services.change_status(actor=agent, ticket=ticket, status="resolved")
    ticket.refresh_from_db()
    assert ticket.reply_address == ""
    invite = SurveyInvite.objects.get(ticket=ticket)
    assert invite.sent_to == ""  # created on resolution, but nothing could be sent
    return ticket


def _token(url):
    return url.rstrip("/").rsplit("/", 1)[1]


def test_a_fresh_link_works_and_stops_the_earlier_ones(phone_ticket, agent):
    _invite, first = services.issue_survey_link(actor=agent, ticket=phone_ticket)
    _invite, second = services.issue_survey_link(actor=agent, ticket=phone_ticket)
    assert first != second and "/s/" in second
    with pytest.raises(services.SurveyUnavailable):
        services.answer_survey(token=_token(first), score=5)
    services.answer_survey(token=_token(second), score=5, comment="很满意")
    phone_ticket.refresh_from_db()
    assert phone_ticket.satisfaction_score == 5
    with pytest.raises(ValidationError) as exc:
        services.issue_survey_link(actor=agent, ticket=phone_ticket)
    assert exc.value.code == "rated"


def test_no_link_before_resolution(make_ticket, agent):
    ticket = make_ticket(actor=agent, assignee=agent, channel="wechat")
    with pytest.raises(ValidationError) as exc:
        services.issue_survey_link(actor=agent, ticket=ticket)
    assert exc.value.code == "not_resolved"
    assert not SurveyInvite.objects.filter(ticket=ticket).exists()


def test_only_who_may_change_the_ticket_gets_a_link(phone_ticket, make_user):
    director = make_user("svc-director", roles=("sales_director",))  # reads tickets only
    with pytest.raises(PermissionDenied):
        services.issue_survey_link(actor=director, ticket=phone_ticket)
    assert SurveyInvite.objects.filter(ticket=phone_ticket).count() == 1


# -- the ticket page ------------------------------------------------------------------------


def test_ticket_page_gives_the_agent_a_link_to_copy(client, phone_ticket, agent):
    force_login_verified(client, agent)
    page = client.get(f"/service/{phone_ticket.pk}/").content.decode()
    assert 'data-testid="survey-link-button"' in page
    response = client.post(f"/service/{phone_ticket.pk}/survey-link/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert 'data-testid="survey-link"' in html and "<html" not in html
    link = response.context["link"]
    assert link in html
    # the link the agent hands over opens the survey, without signing in
    client.logout()
    survey = client.get(urlsplit(link).path)
    assert survey.status_code == 200 and phone_ticket.number in survey.content.decode()


def test_without_htmx_the_link_is_shown_on_its_own_page(client, phone_ticket, agent):
    force_login_verified(client, agent)
    response = client.post(f"/service/{phone_ticket.pk}/survey-link/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and response.context["link"] in html


def test_page_refuses_outsiders_and_unresolved_tickets(client, phone_ticket, make_user, agent):
    director = make_user("svc-director2", roles=("sales_director",))
    force_login_verified(client, director)
    assert (
        'data-testid="survey-link-button"'
        not in client.get(f"/service/{phone_ticket.pk}/").content.decode()
    )
    assert client.post(f"/service/{phone_ticket.pk}/survey-link/").status_code == 404
    force_login_verified(client, agent)
    services.change_status(actor=agent, ticket=phone_ticket, status="in_progress")
    response = client.post(f"/service/{phone_ticket.pk}/survey-link/")
    assert response.status_code == 302
    assert SurveyInvite.objects.filter(ticket=phone_ticket).count() == 1


# -- API ------------------------------------------------------------------------------------


def test_api_issues_a_link(client, phone_ticket, agent, make_user):
    force_login_verified(client, agent)
    url = f"/api/v1/tickets/{phone_ticket.pk}/survey-link"
    response = client.post(url, json.dumps({}), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert "/s/" in body["url"] and body["expires_at"]
    services.answer_survey(token=_token(body["url"]), score=4)
    again = client.post(url, json.dumps({}), content_type="application/json")
    assert again.status_code in (400, 422)
    director = make_user("svc-director3", roles=("sales_director",))
    force_login_verified(client, director)
    assert client.post(url, json.dumps({}), content_type="application/json").status_code == 404
