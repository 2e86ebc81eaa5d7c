"""Administration pages: people, invitations, teams, roles, org chart."""

import re

import pytest
from django.test import Client

from kehu.accounts.models import Role, Team, User
from kehu.core.models import AuditEvent
from tests.conftest import force_login_verified

ADMIN_PAGES = [
    "/settings/people/",
    "/settings/invitations/",
    "/settings/teams/",
    "/settings/teams/new/",
    "/settings/roles/",
]


@pytest.fixture
def admin(make_user, client):
    person = make_user("root", roles=("administrator",))
    force_login_verified(client, person)
    return person


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_refused_to_members(client, user, path):
    client.force_login(user)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_open_for_administrators(client, admin, path):
    assert client.get(path).status_code == 200


def test_invitation_round_trip(client, admin):
    rep = Role.objects.get(code="sales_rep")
    team = Team.objects.create(name="华东销售组")
    response = client.post(
        "/settings/invitations/",
        {
            "email": "NEW@example.cn",
            "display_name": "新同事",
            "roles": [rep.pk],
            "teams": [team.pk],
        },
    )
    link = re.search(r'data-testid="invite-link">([^<]+)<', response.content.decode()).group(1)
    path = link.split("testserver", 1)[1]
    newcomer = Client()
    assert newcomer.get(path).status_code == 200
    weak = newcomer.post(path, {"username": "xin", "password": "123", "password2": "123"})
    assert weak.status_code == 400
    ok = newcomer.post(
        path, {"username": "xin", "password": "Lian-xi-2026!", "password2": "Lian-xi-2026!"}
    )
    assert ok.status_code == 302
    person = User.objects.get(username="xin")
    assert person.email == "new@example.cn" and list(person.roles.all()) == [rep]
    assert list(person.teams.all()) == [team]
    assert newcomer.get("/").status_code == 200  # signed in
    assert Client().get(path).status_code == 404  # the link works once


def test_changing_a_role_is_audited_and_takes_effect(client, admin, user, make_customer):
    rep = Role.objects.get(code="sales_rep")
    data = {
        "name": rep.name,
        "description": rep.description,
        "scope:customer": "all",
        "scope:contact": "own",
        "scope:interaction": "own",
        "scope:order": "own",
        "scope:return": "own",
        "scope:product": "all",
        "perm:customer.view": "on",
    }
    # Record types other apps add (deals, tickets…) keep their scope: the form asks for each.
    for key, scope in rep.scopes.items():
        data.setdefault(f"scope:{key}", scope)
    assert client.post(f"/settings/roles/{rep.pk}/", data).status_code == 302
    rep.refresh_from_db()
    assert rep.scopes["customer"] == "all" and rep.permissions == ["customer.view"]
    event = AuditEvent.objects.get(action="role_changed")
    assert event.data["old"]["scopes"]["customer"] == "own"
    theirs = make_customer(admin, name="管理员的客户")
    member = Client()
    member.force_login(user)
    assert member.get(f"/customers/{theirs.pk}/").status_code == 200
    assert member.get(f"/customers/{theirs.pk}/edit/").status_code == 404


def test_editing_roles_of_a_person_is_audited(client, admin, user):
    director = Role.objects.get(code="sales_director")
    client.post(f"/settings/people/{user.pk}/", {"display_name": "林雪", "roles": [director.pk]})
    assert list(user.roles.all()) == [director]
    event = AuditEvent.objects.get(action="user_roles_changed")
    assert (event.data["old"], event.data["new"]) == (["sales_rep"], ["sales_director"])


def test_deactivate_with_handover(client, admin, user, other_user, make_customer):
    customer = make_customer(user)
    response = client.post(
        f"/settings/people/{user.pk}/deactivate/", {"reassign_to": other_user.pk}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    customer.refresh_from_db()
    assert not user.is_active and customer.owner == other_user


def test_team_cannot_go_under_itself(client, admin):
    company = Team.objects.create(name="公司", kind="company")
    sales = Team.objects.create(name="销售部", kind="department", parent=company)
    response = client.post(
        f"/settings/teams/{company.pk}/", {"name": "公司", "kind": "company", "parent": sales.pk}
    )
    assert response.status_code == 400
    company.refresh_from_db()
    assert company.parent is None


def test_org_chart_is_drawn_from_live_data(client, user):
    team = Team.objects.create(name="华南销售组", leader=user)
    team.members.add(user)
    client.force_login(user)
    page = client.get("/org/").content.decode()
    assert "华南销售组" in page and "林雪" in page and "销售代表" in page


def test_admin_unlocks_a_locked_account(client, admin, user, settings):
    member = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        member.post("/login/", {"username": "linxue", "password": "wrong"})
    assert (
        member.post("/login/", {"username": "linxue", "password": "s3cret-pass!"}).status_code
        == 429
    )
    page = client.get(f"/settings/people/{user.pk}/").content.decode()
    assert 'data-testid="lockout"' in page
    client.post(f"/settings/people/{user.pk}/unlock/")
    assert (
        member.post("/login/", {"username": "linxue", "password": "s3cret-pass!"}).status_code
        == 302
    )


def test_email_change_needs_the_password_again(user):
    import time

    member = Client()
    member.post("/login/", {"username": "linxue", "password": "s3cret-pass!"})
    session = member.session
    session["kehu_auth_at"] = time.time() - 3600
    session.save()
    data = {"display_name": "林雪", "email": "new@example.cn", "language": "", "time_zone": ""}
    response = member.post("/account/profile/", data)
    assert "confirm-password" in response["Location"]
    user.refresh_from_db()
    assert user.email == ""
    member.post("/account/confirm-password/?next=/account/profile/", {"password": "s3cret-pass!"})
    member.post("/account/profile/", data)
    user.refresh_from_db()
    assert user.email == "new@example.cn"
    bad = member.post("/account/profile/", {**data, "time_zone": "Mars/Base"})
    assert bad.status_code == 400


def test_password_change_signs_out_other_browsers(user):
    laptop, phone = Client(), Client()
    for c in (laptop, phone):
        c.post("/login/", {"username": "linxue", "password": "s3cret-pass!"})
    response = laptop.post(
        "/account/password/",
        {
            "old_password": "s3cret-pass!",
            "new_password1": "Brand-new-2026!",
            "new_password2": "Brand-new-2026!",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
