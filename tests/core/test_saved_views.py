"""Saved table views: personal, shared with a team, never leaking to others."""

from django.test import Client

from kehu.accounts.models import Team
from kehu.core.models import SavedView


def save(client, name, query, team=None):
    data = {"table": "customers:list", "name": name, "query": query}
    if team is not None:
        data["team"] = team.pk
    return client.post("/views/save/", data)


def test_save_a_personal_view_and_open_it(logged_in, user):
    response = save(logged_in, "我的A类客户", "level=A&sort=-name&after=abc")
    assert response.status_code == 302
    assert response["Location"] == "/customers/?level=A&sort=-name"
    view = SavedView.objects.get()
    assert (view.owner, view.query, view.team) == (user, "level=A&sort=-name", None)
    page = logged_in.get("/customers/").content.decode()
    assert 'data-view="我的A类客户"' in page and 'href="/customers/?level=A&amp;sort=-name"' in page


def test_a_view_shared_with_a_team_reaches_teammates_only(logged_in, user, other_user, make_user):
    team = Team.objects.create(name="华东销售组")
    team.members.add(user, other_user)
    save(logged_in, "本周跟进", "follow_up=week", team=team)
    mate = Client()
    mate.force_login(other_user)
    assert 'data-view="本周跟进"' in mate.get("/customers/").content.decode()
    stranger = Client()
    stranger.force_login(make_user("stranger", roles=("sales_rep",)))
    assert 'data-view="本周跟进"' not in stranger.get("/customers/").content.decode()
    # A teammate can use it but not delete it.
    view = SavedView.objects.get()
    mate.post(f"/views/{view.pk}/delete/")
    assert SavedView.objects.filter(pk=view.pk).exists()
    logged_in.post(f"/views/{view.pk}/delete/")
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_sharing_with_a_team_one_is_not_in_is_refused(logged_in):
    foreign = Team.objects.create(name="别的组")
    assert save(logged_in, "偷偷分享", "level=A", team=foreign).status_code == 302
    view = SavedView.objects.get()
    assert view.team is None  # the foreign team is ignored, the view stays personal


def test_a_view_needs_a_name_and_bad_tables_go_nowhere(logged_in):
    response = save(logged_in, "  ", "level=A")
    assert response.status_code == 302 and not SavedView.objects.exists()
    logged_in.post("/views/save/", {"table": "nope", "name": "x", "query": ""})
    assert not SavedView.objects.exists()
