"""Work setup: a team lead edits areas, priority labels, kanban limits, capacity and skills in
Kehu itself; a sales rep may not; refused input comes back with what was typed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kehu.work import services
from kehu.work.models import Area, PriorityLabel, Task, WipLimit, WorkerProfile

URL = "/work/setup/"


@pytest.fixture
def lead(make_user: Any) -> Any:
    return make_user("lead", display_name="王经理", roles=("customer_manager",))


def test_only_those_who_set_up_work_see_the_page_and_its_menu_entry(
    client: Any, user: Any, lead: Any
) -> None:
    client.force_login(user)  # a sales rep
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "area", "name": "偷偷加"}).status_code == 403
    assert 'data-nav="work_setup"' not in client.get("/").content.decode()
    assert not Area.objects.filter(name="偷偷加").exists()
    client.force_login(lead)
    page = client.get(URL).content.decode()
    assert "分工设置" in page and 'data-testid="setup-capacity"' in page
    assert 'data-testid="label-P0"' in page and 'data-testid="capacity-lead"' in page
    assert 'data-nav="work_setup"' in client.get("/").content.decode()


def test_add_rename_and_retire_an_area(client: Any, lead: Any) -> None:
    client.force_login(lead)
    response = client.post(
        URL,
        {"action": "area", "a-new-name": "直播运营", "a-new-position": 7, "a-new-is_active": "on"},
    )
    assert response.status_code == 302 and response["Location"] == f"{URL}#areas"
    area = Area.objects.get(name="直播运营")
    assert area.created_by == lead and area.is_active
    p = f"a{area.pk}"
    client.post(
        URL,
        {
            "action": "area",
            "id": area.pk,
            f"{p}-name": "直播与短视频",
            f"{p}-name_en": "Live video",
            f"{p}-position": 8,
            f"{p}-version": area.version,
        },
    )
    area.refresh_from_db()
    assert (area.name, area.name_en, area.is_active) == ("直播与短视频", "Live video", False)
    assert area.version == 2 and area.updated_by == lead


def test_a_refused_area_keeps_what_was_typed(client: Any, lead: Any) -> None:
    Area.objects.create(name="售后服务")
    client.force_login(lead)
    response = client.post(
        URL,
        {
            "action": "area",
            "a-new-name": "售后服务",
            "a-new-name_en": "After sales",
            "a-new-position": 3,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "已有名为“售后服务”的领域" in page
    assert 'value="After sales"' in page
    assert Area.objects.filter(name__iexact="售后服务").count() == 1
    stale = Area.objects.get(name="售后服务")
    response = client.post(
        URL,
        {
            "action": "area",
            "id": stale.pk,
            f"a{stale.pk}-name": "售后回访",
            f"a{stale.pk}-position": 1,
            f"a{stale.pk}-version": stale.version + 5,
        },
    )
    assert response.status_code == 409
    assert Area.objects.get(pk=stale.pk).name == "售后服务"


def test_rename_and_recolour_a_priority_label(client: Any, lead: Any) -> None:
    label = PriorityLabel.objects.get(code="P0")
    client.force_login(lead)
    p = f"l{label.pk}"
    ok = client.post(
        URL,
        {
            "action": "label",
            "id": label.pk,
            f"{p}-name": "火急",
            f"{p}-colour": "#b42318",
            f"{p}-position": 0,
            f"{p}-version": label.version,
        },
    )
    assert ok.status_code == 302
    label.refresh_from_db()
    assert (label.code, label.name, label.colour) == ("P0", "火急", "#b42318")
    bad = client.post(
        URL,
        {
            "action": "label",
            "id": label.pk,
            f"{p}-name": "火急",
            f"{p}-colour": "red",
            f"{p}-position": 0,
            f"{p}-version": label.version,
        },
    )
    assert bad.status_code == 400 and "#d92d20" in bad.content.decode()


def test_a_wip_limit_set_here_holds_on_the_kanban(client: Any, lead: Any) -> None:
    client.force_login(lead)
    client.post(URL, {"action": "wip", "wip-doing": 1, "wip-blocked": ""})
    assert WipLimit.objects.get(status="doing", team=None).limit == 1
    assert not WipLimit.objects.filter(status="blocked").exists()
    services.create_task(actor=lead, title="进行中", responsible=lead, status="doing")
    waiting = services.create_task(actor=lead, title="等待中", responsible=lead)
    with pytest.raises(Exception, match="上限为 1"):
        services.update_task(actor=lead, task=waiting, version=waiting.version, status="doing")
    assert client.post(URL, {"action": "wip", "wip-doing": 0}).status_code == 400
    client.post(URL, {"action": "wip", "wip-doing": ""})
    assert not WipLimit.objects.exists()
    assert Task.objects.get(pk=waiting.pk).status == "todo"


def test_capacity_and_skills_feed_the_workload(client: Any, lead: Any, user: Any) -> None:
    client.force_login(lead)
    p = f"u{user.pk}"
    client.post(
        URL,
        {
            "action": "capacity",
            "id": user.pk,
            f"{p}-weekly_hours": "24.5",
            f"{p}-skills": "售后，数据分析、 售后",
        },
    )
    profile = WorkerProfile.objects.get(user=user)
    assert profile.weekly_capacity_hours == Decimal("24.5")
    assert profile.skills == ["售后", "数据分析"]
    bad = client.post(
        URL,
        {"action": "capacity", "id": user.pk, f"{p}-weekly_hours": "200", f"{p}-skills": "客服"},
    )
    assert bad.status_code == 400 and 'value="客服"' in bad.content.decode()
    assert WorkerProfile.objects.get(user=user).skills == ["售后", "数据分析"]
