"""What customers reach without signing in: the satisfaction survey and the inquiry form."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from kehu.service import public, services
from kehu.service.models import SurveyInvite, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(make_ticket, agent, make_customer, django_capture_on_commit_callbacks, mailoutbox):
    """A resolved ticket of a customer, and the survey link e-mailed to its contact."""
    from kehu.customers import services as customer_services

    customer = make_customer(agent, name="苏州明远贸易有限公司")
    contact = customer_services.add_contact(
        actor=agent, customer=customer, name="李娜", email="lina@mingyuan.example"
    )
    ticket = make_ticket(actor=agent, contact=contact, assignee=agent, subject="退货进度")
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(actor=agent, ticket=ticket, status="resolved")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["lina@mingyuan.example"]
    link = next(w for w in mailoutbox[0].body.split() if "/s/" in w)
    token = link.rstrip("/").rsplit("/", 1)[1]
    ticket.refresh_from_db()
    return ticket, token


def test_only_a_hash_of_the_token_is_stored(resolved):
    ticket, token = resolved
    invite = SurveyInvite.objects.get(ticket=ticket)
    assert token not in invite.token_hash and invite.token_hash == services.hash_token(token)
    lifetime = invite.expires_at - invite.created_at
    assert abs(lifetime - dt.timedelta(days=services.SURVEY_DAYS)) < dt.timedelta(seconds=5)


def test_survey_page_rates_once_and_the_score_lands_on_ticket_and_customer(client, resolved):
    ticket, token = resolved
    page = client.get(f"/s/{token}/")
    assert page.status_code == 200 and ticket.number in page.content.decode()
    response = client.post(f"/s/{token}/", {"score": "4", "comment": "处理很快"})
    assert response.status_code == 200 and b"survey-thanks" in response.content
    ticket.refresh_from_db()
    assert (ticket.satisfaction_score, ticket.satisfaction_comment) == (4, "处理很快")
    ticket.customer.refresh_from_db()
    assert ticket.customer.satisfaction == 4
    again = client.post(f"/s/{token}/", {"score": "1"})
    assert again.status_code == 410
    ticket.refresh_from_db()
    assert ticket.satisfaction_score == 4


def test_expired_and_unknown_links_are_refused(client, resolved):
    ticket, token = resolved
    SurveyInvite.objects.filter(ticket=ticket).update(expires_at=timezone.now())
    assert client.get(f"/s/{token}/").status_code == 410
    with pytest.raises(services.SurveyUnavailable):
        services.answer_survey(token=token, score=5)
    assert client.get("/s/not-a-real-token/").status_code == 410


def test_missing_rating_is_a_clear_error(client, resolved):
    _ticket, token = resolved
    response = client.post(f"/s/{token}/", {"comment": "忘了打分"})
    assert response.status_code == 400
    assert "1 to 5" in response.content.decode() or "1 到 5" in response.content.decode()


def test_low_score_books_a_follow_up_visit(resolved, agent):
    from kehu.customers.models import Interaction

    ticket, token = resolved
    services.answer_survey(token=token, score=2, comment="等太久")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.FOLLOW_UP
    visit = Interaction.objects.get(customer=ticket.customer)
    assert ticket.number in visit.next_step and "等太久" in visit.summary
    customer = ticket.customer
    customer.refresh_from_db()
    assert customer.next_follow_up_at is not None and customer.next_follow_up_at > timezone.now()
    assert customer.follow_up_plan == visit.next_step
    assert agent.notifications.filter(kind="ticket.low_score").count() == 1


def test_good_score_books_nothing(resolved):
    from kehu.customers.models import Interaction

    ticket, token = resolved
    services.answer_survey(token=token, score=3)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert not Interaction.objects.filter(customer=ticket.customer).exists()


# ---- the inquiry form ---------------------------------------------------------------------------


def _form(**overrides):
    _question, token = public.make_challenge(issued_at=time.time() - 10)
    data = public.signing.loads(token, salt=public.CHALLENGE_SALT)
    form = {
        "name": "赵先生",
        "email": "zhao@newco.example",
        "phone": "",
        "company": "宁波新科电子有限公司",
        "type": "inquiry",
        "subject": "想了解批量采购价格",
        "description": "需要 200 台，请报价。",
        "answer": str(data["a"] + data["b"]),
        "challenge": token,
        "website": "",
    }
    form.update(overrides)
    return form


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    from django.core.cache import cache

    cache.clear()


def test_inquiry_from_an_unknown_sender_opens_a_ticket_and_a_lead(client):
    from kehu.customers.models import Customer

    response = client.post("/support/inquiry/", _form())
    assert response.status_code == 201, response.content.decode()[:500]
    ticket = Ticket.objects.get()
    assert ticket.channel == "web" and ticket.subject == "想了解批量采购价格"
    assert ticket.number in response.content.decode()
    lead = Customer.objects.get(name="宁波新科电子有限公司")
    assert lead.status == Customer.Status.LEAD
    assert ticket.customer == lead and ticket.contact.email == "zhao@newco.example"


def test_inquiry_from_a_known_contact_joins_their_customer(client, make_customer, agent):
    from kehu.customers import services as customer_services
    from kehu.customers.models import Customer

    customer = make_customer(agent, name="老客户有限公司")
    contact = customer_services.add_contact(
        actor=agent, customer=customer, name="钱七", mobile="13812345678"
    )
    before = Customer.objects.count()
    response = client.post("/support/inquiry/", _form(email="", phone="138 1234 5678", company=""))
    assert response.status_code == 201
    assert Customer.objects.count() == before
    ticket = Ticket.objects.get()
    assert ticket.customer == customer and ticket.contact == contact


@pytest.mark.parametrize(
    ("overrides", "message", "message_en"),
    [
        ({"answer": "999"}, "答案不对", "not right"),
        ({"website": "http://spam.example"}, "未能发送", "could not be sent"),
        ({"challenge": "forged"}, "表单已过期", "expired"),
    ],
)
def test_challenge_failures_keep_what_was_typed(client, overrides, message, message_en):
    from django.conf import settings

    response = client.post("/support/inquiry/", _form(**overrides))
    text = response.content.decode()
    assert response.status_code == 400
    assert message in text
    assert "需要 200 台，请报价。" in text and "宁波新科电子有限公司" in text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post("/support/inquiry/", _form(**overrides))
    assert english.status_code == 400 and message_en in english.content.decode()
    assert not Ticket.objects.exists()


def test_too_fast_is_refused(client):
    _q, token = public.make_challenge()  # shown just now
    data = public.signing.loads(token, salt=public.CHALLENGE_SALT)
    response = client.post(
        "/support/inquiry/", _form(challenge=token, answer=str(data["a"] + data["b"]))
    )
    assert response.status_code == 400 and "提交得太快" in response.content.decode()


def test_rate_limit_per_ip(client):
    for _ in range(public.RATE_LIMIT):
        assert client.post("/support/inquiry/", _form()).status_code == 201
    refused = client.post("/support/inquiry/", _form())
    assert refused.status_code == 429
    assert Ticket.objects.count() == public.RATE_LIMIT
    other = client.post("/support/inquiry/", _form(), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 201


def test_only_the_inquiry_form_may_be_framed(client, logged_in):
    form = client.get("/support/inquiry/")
    assert "frame-ancestors *" in form["Content-Security-Policy"]
    assert "X-Frame-Options" not in form
    other = logged_in.get("/service/")
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]
