"""The data-audit page, its fix-it links, who may see what, and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.customers import services as customer_services
from kehu.customers.models import Contact, Customer
from kehu.dataops import audit_selectors as selectors
from kehu.dataops import audit_services as services
from kehu.dataops.models import DataAudit
from tests.conftest import force_login_verified
from tests.dataops.conftest import bare_customer, complete_customer


def listed(client, url):
    """The ids of every row the table at ``url`` lists."""
    response = client.get(url + ("&" if "?" in url else "?") + "limit=200")
    assert response.status_code == 200, url
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"], url
    return {row.pk for row in response.context["page"].items}


@pytest.fixture
def world(people):
    """One record failing each kind of check, and the records each check must count."""
    full = complete_customer(people.manager, "杭州云帆科技有限公司")
    bare = bare_customer(people.rep, "宁波恒泰电子有限公司")
    person = customer_services.create_customer(
        actor=people.rep,
        owner=people.rep,
        name="张三",
        kind="individual",
        industry="零售",
        source="转介绍",
        province="浙江省",
        city="杭州市",
        address="上城区",
        purchase_intent="medium",
        need_description="家用",
    )
    emailonly = customer_services.add_contact(
        actor=people.rep, customer=person, name="张三本人", email="zhangsan@example.com"
    )
    customer_services.log_interaction(
        actor=people.rep,
        customer=person,
        kind="visit",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        summary="上门",
        next_follow_up_at=timezone.now() + dt.timedelta(days=1),
    )
    Customer.objects.filter(pk=person.pk).update(
        next_follow_up_at=timezone.now() - dt.timedelta(hours=3)
    )
    bad = complete_customer(people.outsider, "广州瑞丰贸易有限公司", uscc="91440300708461136U")
    Contact.objects.filter(customer=bad).update(mobile="12345", email="wrong@")
    dup_a = complete_customer(people.outsider, "深圳海川物流有限公司")
    dup_b = complete_customer(people.director, "厦门远航贸易有限公司")
    shared = Contact.objects.filter(customer=dup_a).values_list("mobile", flat=True).get()
    customer_services.add_contact(
        actor=people.director,
        customer=dup_b,
        name="同一号码",
        mobile=shared,
        email="same@example.com",
        title="经理",
    )
    orphan = complete_customer(people.director, "苏州无主实业有限公司")
    Customer.objects.filter(pk=orphan.pk).update(owner=None)
    bad_contact = Contact.objects.get(customer=bad)
    everything = {"customers": {full, bare, person, bad, dup_a, dup_b, orphan}}
    expected = {
        "missing_industry": {bare.pk},
        "missing_source": {bare.pk},
        "missing_location": {bare.pk},
        "missing_address": {bare.pk},
        "missing_intent": {bare.pk},
        "missing_needs": {bare.pk},
        "missing_website": {bare.pk},
        "missing_uscc": {bare.pk},
        "no_contact": {bare.pk},
        "contact_missing_phone": {emailonly.pk},
        "contact_missing_title": {emailonly.pk},
        "invalid_phone": {bad_contact.pk},
        "invalid_email": {bad_contact.pk},
        "invalid_uscc": {bad.pk},
        "duplicates": {dup_a.pk, dup_b.pk},
        "no_owner": {orphan.pk},
        "stale": {bare.pk},
        "overdue_follow_up": {person.pk},
    }
    return {"expected": expected, "bare": bare, "full": full, **everything}


def test_every_fix_it_link_lists_exactly_the_records_counted(client, people, world):
    force_login_verified(client, people.director)
    response = client.post("/data/audit/run/")
    audit = DataAudit.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/data/audit/{audit.pk}/"
    assert audit.scope == DataAudit.Scope.ORGANISATION
    rows = {r.key: r for r in selectors.check_rows(audit, people.director)}
    expected = world["expected"]
    for key, row in rows.items():
        wanted = expected.get(key, set())
        assert row.count == len(wanted), key
        if wanted:
            assert row.url, key
            assert listed(client, row.url) == wanted, key
        else:
            assert row.url == "", key  # nothing to fix, no link
    page = client.get("/data/audit/").content.decode()
    for key in expected:
        assert f'data-fix="{key}"' in page
        assert f'href="{rows[key].url}"' in page.replace("&amp;", "&")


def test_a_managers_audit_and_links_stay_in_her_scope(client, people, world):
    force_login_verified(client, people.manager)
    client.post("/data/audit/run/")
    audit = DataAudit.objects.get()
    assert audit.scope == DataAudit.Scope.PERSONAL and audit.started_by == people.manager
    in_scope = {world["full"].pk, world["bare"].pk} | {
        c.pk for c in world["customers"] if c.owner_id == people.rep.pk
    }
    assert audit.results["customers"] == len(in_scope) == 3
    for row in selectors.check_rows(audit, people.manager):
        wanted = world["expected"].get(row.key, set()) & _scope_ids(in_scope, row)
        assert row.count == len(wanted), row.key
        assert bool(row.url) == bool(wanted), row.key
        if wanted:
            assert listed(client, row.url) == wanted, row.key
    page = client.get(f"/data/audit/{audit.pk}/").content.decode()
    assert 'data-fix="missing_industry"' in page and 'data-fix="duplicates"' not in page


def _scope_ids(customer_ids, row):
    """The records of the manager's scope a check may count: customers, or their contacts."""
    if row.key.startswith(("contact_", "invalid_phone", "invalid_email")):
        return set(Contact.objects.filter(customer__in=customer_ids).values_list("pk", flat=True))
    return set(customer_ids)


def test_people_without_the_permission_get_403_and_other_scopes_404(client, people, world):
    org = services.run_organisation_audit()
    personal = services.request_audit(actor=people.manager)
    force_login_verified(client, people.rep)
    for url in (
        "/data/audit/",
        f"/data/audit/{personal.pk}/",
        f"/data/audit/{personal.pk}/status/",
        f"/data/audit/{personal.pk}/export.csv",
        "/api/v1/data-audits",
        f"/api/v1/data-audits/{personal.pk}",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/data/audit/run/").status_code == 403
    assert client.post("/api/v1/data-audits").status_code == 403
    assert client.post("/data/audit/schedule/", {"period": "quarterly"}).status_code == 403
    assert not DataAudit.objects.filter(started_by=people.rep).exists()
    force_login_verified(client, people.manager)
    for url in (
        f"/data/audit/{org.pk}/",
        f"/data/audit/{org.pk}/export.xlsx",
        f"/data/audit/{org.pk}/status/",
        f"/api/v1/data-audits/{org.pk}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/data/audit/{personal.pk}/").status_code == 200
    assert [a["id"] for a in client.get("/api/v1/data-audits").json()["items"]] == [personal.pk]
    assert client.post("/data/audit/schedule/", {"period": "quarterly"}).status_code == 403
    client.logout()
    assert client.get("/data/audit/").status_code == 302
    assert client.get("/api/v1/data-audits").status_code == 401


def test_a_director_reads_a_managers_audit_without_fix_it_links(client, people, world):
    personal = services.request_audit(actor=people.manager)
    force_login_verified(client, people.director)
    page = client.get(f"/data/audit/{personal.pk}/").content.decode()
    assert 'data-testid="no-links"' in page and "data-fix=" not in page
    body = client.get(f"/api/v1/data-audits/{personal.pk}").json()
    assert all(check["fix_url"] == "" for check in body["checks"])


def test_the_page_shows_score_checks_people_teams_trend_and_history(client, people, world):
    first = services.run_organisation_audit()
    customer_services.update_customer(
        actor=people.director,
        customer=world["bare"],
        expected_version=world["bare"].version,
        industry="教育",
        source="官网",
    )
    bare_customer(people.rep, "新来的空白有限公司")
    second = services.run_organisation_audit()
    force_login_verified(client, people.director)
    page = client.get("/data/audit/").content.decode()
    assert f'data-score="{second.results["owners"][0]["score"]}"' in page
    assert f">{second.score}</b>" in page
    assert 'data-testid="score-change"' in page
    assert 'data-check="missing_industry"' in page and 'data-change="0"' in page
    assert 'data-change="1"' in page  # one more customer without needs, address…
    assert f'data-owner="{people.rep.pk}"' in page and 'data-owner="none"' in page
    assert 'data-team="' in page and "华东销售组" in page
    assert f'data-audit="{first.pk}"' in page and f'data-audit="{second.pk}"' in page
    assert 'data-testid="schedule-form"' in page
    assert 'hx-get="/data/audit/' not in page  # nothing running: no polling
    older = client.get(f"/data/audit/{first.pk}/").content.decode()
    assert f">{first.score}</b>" in older and 'data-testid="score-change"' not in older


def test_the_page_polls_while_an_audit_waits_and_reloads_when_it_is_done(client, people):
    queued, _created = services.start_audit(actor=people.manager)
    force_login_verified(client, people.manager)
    page = client.get("/data/audit/").content.decode()
    assert 'data-testid="audit-pending"' in page
    assert f'hx-get="/data/audit/{queued.pk}/status/"' in page
    waiting = client.get(f"/data/audit/{queued.pk}/status/", headers={"HX-Request": "true"})
    assert "HX-Refresh" not in waiting.headers
    services.perform_audit(audit_id=queued.pk)
    done = client.get(f"/data/audit/{queued.pk}/status/", headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true"


def test_a_customer_manager_sees_the_schedule_but_cannot_change_it(client, people):
    force_login_verified(client, people.manager)
    page = client.get("/data/audit/").content.decode()
    assert 'data-testid="schedule-form"' not in page and 'data-testid="schedule"' in page
    assert 'data-testid="no-audit"' in page


def test_the_schedule_form_saves_and_reports_problems(client, people):
    force_login_verified(client, people.director)
    response = client.post(
        "/data/audit/schedule/", {"period": "quarterly", "stale_days": "120", "version": "1"}
    )
    assert response.status_code == 302
    schedule = selectors.audit_schedule()
    assert (schedule.period, schedule.stale_days, schedule.updated_by) == (
        "quarterly",
        120,
        people.director,
    )
    stale = client.post(
        "/data/audit/schedule/", {"period": "monthly", "stale_days": "120", "version": "1"}
    )
    assert stale.status_code == 302 and selectors.audit_schedule().period == "quarterly"
    messages = [str(m) for m in client.get("/data/audit/").context["messages"]]
    assert messages  # the conflict was reported
    client.post("/data/audit/schedule/", {"period": "monthly", "stale_days": "2", "version": "2"})
    assert selectors.audit_schedule().stale_days == 120


def test_navigation_shows_the_audit_to_those_who_may_run_it(client, people):
    force_login_verified(client, people.manager)
    assert 'data-nav="data_audit"' in client.get("/").content.decode()
    force_login_verified(client, people.rep)
    assert 'data-nav="data_audit"' not in client.get("/").content.decode()


def test_audit_page_query_count_does_not_grow_with_customers(client, people):
    complete_customer(people.manager, "查询计数一有限公司")
    services.run_organisation_audit()
    force_login_verified(client, people.director)
    client.get("/data/audit/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/data/audit/").status_code == 200
    for i in range(12):
        bare_customer(people.rep, f"查询计数客户{i:02d}")
        complete_customer(people.outsider, f"查询计数完整{i:02d}")
    services.run_organisation_audit()
    with CaptureQueriesContext(connection) as many:
        assert client.get("/data/audit/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_api_lists_reads_and_runs_audits(client, people, world):
    force_login_verified(client, people.director)
    created = client.post("/api/v1/data-audits")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "done" and body["scope"] == "organisation"
    assert body["customers"] == 7 and len(body["checks"]) == len(
        selectors.check_rows(DataAudit.objects.get(pk=body["id"]), people.director)
    )
    by_key = {c["key"]: c for c in body["checks"]}
    assert by_key["no_owner"]["count"] == 1 and by_key["no_owner"]["fix_url"] == (
        "/customers/?owner=none"
    )
    assert {o["id"] for o in body["owners"]} >= {people.manager.pk, None}
    second = client.post("/api/v1/data-audits").json()
    assert second["previous_id"] == body["id"] and second["score_change"] == 0
    page = client.get("/api/v1/data-audits?limit=1").json()
    assert [a["id"] for a in page["items"]] == [second["id"]] and page["next_cursor"]
    rest = client.get(f"/api/v1/data-audits?cursor={page['next_cursor']}").json()
    assert [a["id"] for a in rest["items"]] == [body["id"]]
    one = client.get(f"/api/v1/data-audits/{body['id']}").json()
    assert one["checks"] == body["checks"]
    assert client.get("/api/v1/data-audits/999999").status_code == 404


def test_api_tokens_read_with_customers_read_and_run_with_customers_write(client, people):
    from kehu.accounts import services as account_services

    _, reader = account_services.create_token(
        user=people.manager, name="r", scopes=["customers:read"], expires_at=None
    )
    auth = {"Authorization": f"Bearer {reader}"}
    assert client.get("/api/v1/data-audits", headers=auth).status_code == 200
    assert client.post("/api/v1/data-audits", headers=auth).status_code == 403
    _, writer = account_services.create_token(
        user=people.manager, name="w", scopes=["customers:write"], expires_at=None
    )
    response = client.post("/api/v1/data-audits", headers={"Authorization": f"Bearer {writer}"})
    assert response.status_code == 201 and response.json()["scope"] == "personal"
    assert json.loads(response.content)["started_by_id"] == people.manager.pk
