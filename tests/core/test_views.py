import pytest
from django.test import Client

from kehu.core import services


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_page_defaults_to_chinese_whatever_the_browser_says(client, db):
    response = client.get("/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-CN">' in response.content.decode()


def test_login_with_wrong_password_keeps_the_username_and_explains(client, user):
    response = client.post("/login/", {"username": "linxue", "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="linxue"' in page
    assert 'role="alert"' in page


def test_login_starts_a_new_session_and_lands_on_the_dashboard(client, user):
    client.get("/login/")
    before = client.session.session_key
    response = client.post("/login/", {"username": "linxue", "password": "s3cret-pass!"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session.session_key != before
    home = client.get("/")
    assert home.status_code == 200
    assert "林雪" in home.content.decode()


def test_logout_needs_post_and_ends_the_session(logged_in):
    assert logged_in.get("/logout/").status_code == 405
    assert logged_in.post("/logout/").status_code == 302
    assert logged_in.get("/").status_code == 302


def test_language_switch_is_kept_on_the_profile(logged_in, user):
    response = logged_in.post("/language/", {"language": "en", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    user.refresh_from_db()
    assert user.language == "en"
    assert logged_in.get("/")["Content-Language"] == "en"
    logged_in.cookies.clear()
    logged_in.force_login(user)
    assert logged_in.get("/")["Content-Language"] == "en"


def test_language_switch_ignores_unknown_languages_and_foreign_redirects(logged_in, user):
    response = logged_in.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.language == ""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_404_page_is_translated_and_styled(client, db, language):
    client.cookies["kehu_language"] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "kehu.css" in page
    if language == "en":
        assert "Page not found" in page and "The page does not exist" in page
    else:
        assert "Page not found" not in page and "The page does not exist" not in page


def test_500_page_renders_without_the_database(client, db, settings):
    from kehu.core.views import error_500

    response = error_500(None)
    assert response.status_code == 500
    assert b"500" in response.content


def test_csrf_failure_is_a_friendly_page(user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "linxue", "password": "x"})
    assert response.status_code == 403
    assert "kehu.css" in response.content.decode()


def test_security_headers(logged_in):
    response = logged_in.get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_dashboard_lists_my_overdue_follow_ups_not_others(
    logged_in, user, other_user, make_customer
):
    import datetime as dt

    from django.utils import timezone

    mine = make_customer(user, name="杭州启明贸易有限公司")
    mine.next_follow_up_at = timezone.now() - dt.timedelta(days=1)
    mine.follow_up_plan = "发送报价单"
    mine.save()
    theirs = make_customer(other_user, name="深圳华盛电子有限公司")
    theirs.next_follow_up_at = timezone.now()
    theirs.save()
    page = logged_in.get("/").content.decode()
    assert "杭州启明贸易有限公司" in page and "发送报价单" in page
    assert "深圳华盛电子有限公司" not in page


def test_bell_and_inbox(logged_in, user):
    services.notify(recipient=user, title="新客户分配给你")
    bell = logged_in.get("/notifications/bell/").content.decode()
    assert "新客户分配给你" in bell
    page = logged_in.get("/notifications/")
    assert "新客户分配给你" in page.content.decode()
    logged_in.post("/notifications/read/")
    assert user.notifications.filter(read_at__isnull=True).count() == 0


def test_htmx_requests_get_only_the_results_partial(logged_in, user):
    services.notify(recipient=user, title="partial")
    full = logged_in.get("/notifications/").content.decode()
    partial = logged_in.get("/notifications/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and "<html" not in partial
    assert "partial" in partial and 'data-testid="object-table"' in partial


def test_list_pages_say_how_many_rows_match_up_to_a_cap(client, user, make_customer, monkeypatch):
    from kehu.customers.views import CustomerListView

    for i in range(4):
        make_customer(user, name=f"计数客户{i}", level="A" if i < 3 else "B")
    client.force_login(user)
    # One page holds every match: its length is the count, no counting query.
    assert client.get("/customers/?level=A").context["matching"] == 3
    # More pages: the page asks for the count once shown, instead of waiting for it.
    paged = client.get("/customers/?limit=2")
    assert paged.context["matching"] == "later"
    assert "limit=2&amp;count=1" in paged.content.decode()
    counted = client.get("/customers/?limit=2&count=1", headers={"HX-Request": "true"})
    assert "4" in counted.content.decode() and "<" not in counted.content.decode()
    monkeypatch.setattr(CustomerListView, "count_cap", 2)
    capped = client.get("/customers/?count=1", headers={"HX-Request": "true"})
    # counted only to the cap + 1, shown as "more than 2"
    assert "2" in capped.content.decode() and "3" not in capped.content.decode()


def test_the_sidebar_marks_the_current_section_and_heads_the_settings(logged_in):
    import re

    page = logged_in.get("/customers/?level=A").content.decode()
    current = re.findall(r'<a href="([^"]+)" aria-current="page" data-nav="(\w+)"', page)
    assert current == [("/customers/", "customers")]
    home = logged_in.get("/").content.decode()
    assert re.findall(r'aria-current="page" data-nav="(\w+)"', home) == ["home"]


def test_options_mark_the_chosen_values_and_escape_labels():
    from kehu.core.templatetags.kehu import options

    choices = [("", "any"), ("a", "甲"), (2, "<b>乙</b>"), ("c", "丙")]
    html = options(choices, ["2", "c"])
    assert html == (
        '<option value="a">甲</option><option value="2" selected>&lt;b&gt;乙&lt;/b&gt;</option>'
        '<option value="c" selected>丙</option>'
    )
    one = options(choices, 2, "全部")
    assert one.startswith('<option value="">全部</option><option value="a">')
    assert '<option value="2" selected>' in one
    assert options(choices, None, "全部").startswith('<option value="" selected>全部</option>')
