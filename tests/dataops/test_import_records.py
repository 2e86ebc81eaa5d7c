"""Importing deals, tasks and tickets: written through their apps' services, checked row by row,
duplicates by each record's rule, undone, refused without the create permission."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from openpyxl import load_workbook

from kehu.customers import services as customer_services
from kehu.dataops import services
from kehu.dataops.models import ImportedRecord, ImportJob
from tests.conftest import force_login_verified
from tests.dataops.filemakers import write_csv, write_xlsx
from tests.dataops.test_imports import checked, run, upload

YUNFAN, XINGHE = "杭州云帆科技有限公司", "上海星河贸易有限公司"


def start(user: Any, path: Path, kind: str, **options: Any) -> ImportJob:
    return checked(user, path.read_bytes(), kind=kind, name=path.name, **options)


def reasons(job: ImportJob) -> dict[int, str]:
    """Row -> its reasons, as one text."""
    return {
        item["row"]: " ".join(f"{label}: {text}" for label, text in item["errors"])
        for item in job.check_summary["invalid"]
    }


@pytest.fixture
def director(make_user: Any) -> Any:
    return make_user("zhou5", display_name="周总监", roles=("sales_director",))


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("lin5", display_name="林经理", roles=("customer_manager",))


@pytest.fixture
def customers(manager: Any) -> dict[str, Any]:
    """Two customers of the customer manager (the director sees every customer)."""
    out = {}
    for name in (YUNFAN, XINGHE):
        out[name] = customer_services.create_customer(actor=manager, owner=manager, name=name)
    customer_services.add_contact(
        actor=manager, customer=out[YUNFAN], name="张三", mobile="13800138000"
    )
    return out


# ---- deals -----------------------------------------------------------------------------------

DEAL_HEADER = ["客户名称", "商机名称", "阶段", "金额", "赢率", "预计成交日期", "负责人", "输单原因"]


def sheet(tmp_path: Path, header: list[str], rows: list[list[Any]], name: str, **csv: Any) -> Path:
    """The rows under ``header`` as an .xlsx or a .csv file, by ``name``."""
    if name.endswith(".csv"):
        return write_csv(tmp_path / name, [header, *rows], **csv)
    return write_xlsx(tmp_path / name, [header, *rows])


def deals_file(tmp_path: Path, rows: list[list[Any]], name: str = "商机.xlsx") -> Path:
    return sheet(tmp_path, DEAL_HEADER, rows, name, bom=True)


DEALS = [
    [YUNFAN, "年度网关采购", "跟进", "120,000", "40%", "2024-06-30", "lin5", ""],
    [XINGHE, "天线项目", "", "¥8000", "", "", "", ""],
    [XINGHE, "老项目", "输单", "5000", "", "", "", "价格太高"],
    [XINGHE, "签约项目", "Signed", "1000", "", "", "", ""],
]


def test_deals_enter_their_stages_as_by_hand_and_show_on_the_deals_page(
    director, manager, customers, tmp_path, client
):
    from kehu.sales.models import Deal, StageChange

    job = start(director, deals_file(tmp_path, DEALS), "deals")
    assert [job.mapping[str(i)] for i in range(len(DEAL_HEADER))] == [
        "customer",
        "title",
        "stage",
        "amount",
        "probability",
        "expected_close_on",
        "owner",
        "lost_reason",
    ]
    assert job.check_summary["counts"] == {"create": 4, "update": 0, "skip": 0, "invalid": 0}
    job = run(director, job)
    assert job.status == "done" and job.created_count == 4
    big = Deal.objects.get(title="年度网关采购")
    assert (big.stage.name, big.amount, big.probability, big.owner) == (
        "跟进",
        Decimal("120000.00"),
        40,
        manager,
    )
    assert big.expected_close_on == dt.date(2024, 6, 30) and big.stage_due_at is not None
    first = Deal.objects.get(title="天线项目")
    assert (first.stage.name, first.probability, first.owner) == ("线索获取", 10, director)
    lost = Deal.objects.get(title="老项目")
    assert (lost.status, lost.lost_reason) == ("lost", "价格太高") and lost.closed_at
    assert Deal.objects.get(title="签约项目").status == "won"
    assert StageChange.objects.filter(deal__in=Deal.objects.all()).count() == 4
    entry = big.history.get()
    assert (entry.history_user, entry.history_change_reason) == (director, "import")
    force_login_verified(client, director)
    page = client.get("/sales/deals/").content.decode()
    assert all(title in page for title in ("年度网关采购", "天线项目", "老项目"))


def test_a_deals_dry_run_says_what_is_wrong_with_each_row(director, customers, tmp_path):
    from kehu.sales.models import Deal

    rows = [
        ["不存在的公司", "甲", "", "", "", "", "", ""],
        [YUNFAN, "乙", "不存在的阶段", "", "", "", "", ""],
        [YUNFAN, "丙", "输单", "", "", "", "", ""],
        [YUNFAN, "丁", "", "很多", "150", "下周", "nobody", ""],
        [YUNFAN, "", "", "", "", "", "", ""],
    ]
    job = start(director, deals_file(tmp_path, rows, "商机.csv"), "deals")
    found = reasons(job)
    assert job.check_summary["counts"]["invalid"] == 5 and Deal.objects.count() == 0
    assert "没有名为“不存在的公司”且您可以查看的客户" in found[2]
    assert "不存在的阶段" in found[3] and "线索获取" in found[3]
    assert "输单原因" in found[4] and "说明丢单的原因" in found[4]
    assert "“很多”不是金额" in found[5] and "0 到 100" in found[5] and "nobody" in found[5]
    assert "必填" in found[6]


def test_amounts_need_the_financial_permission(manager, customers, tmp_path):
    from kehu.sales.models import Deal

    job = start(manager, deals_file(tmp_path, DEALS[:2]), "deals")
    found = reasons(job)
    assert set(found) == {2, 3} and "您无权设置此字段" in found[2]
    assert Deal.objects.count() == 0


def test_reimporting_deals_creates_nothing_and_update_moves_the_stage(
    director, customers, tmp_path
):
    from kehu.sales.models import Deal

    run(director, start(director, deals_file(tmp_path, DEALS), "deals"))
    again = run(director, start(director, deals_file(tmp_path, DEALS), "deals"))
    # the open deals are duplicates; the closed ones are not open deals any more
    assert (again.created_count, again.skipped_count) == (2, 2)
    assert Deal.objects.filter(title="年度网关采购").count() == 1
    changed = [[YUNFAN, "年度 网关采购", "谈判", "150000", "", "", "", ""]]
    job = start(director, deals_file(tmp_path, changed), "deals", duplicates="update")
    assert job.check_summary["counts"]["update"] == 1
    job = run(director, job)
    big = Deal.objects.get(title="年度网关采购")
    assert (big.stage.name, big.amount, job.updated_count) == ("谈判", Decimal("150000"), 1)
    assert big.stage_changes.count() == 2


def test_undo_removes_the_imported_deals(director, customers, tmp_path):
    from kehu.sales.models import Deal

    job = run(director, start(director, deals_file(tmp_path, DEALS[:2]), "deals"))
    assert services.undo_import(actor=director, job=job) == {"removed": 2, "kept": 0}
    assert Deal.objects.count() == 0 and ImportedRecord.objects.count() == 0


# ---- tasks -----------------------------------------------------------------------------------

TASK_HEADER = [
    "任务名称",
    "所属目标",
    "客户",
    "领域",
    "优先级",
    "状态",
    "进度",
    "开始日期",
    "截止日期",
    "预计工时",
    "负责人",
]


def tasks_file(tmp_path: Path, rows: list[list[Any]], name: str = "任务.csv") -> Path:
    return sheet(tmp_path, TASK_HEADER, rows, name, encoding="gb18030")


@pytest.fixture
def goal(director: Any) -> Any:
    from kehu.work import services as work

    return work.create_goal(actor=director, title="提升客户满意度")


TASKS = [
    [
        "客户回访",
        "提升客户满意度",
        YUNFAN,
        "客户服务",
        "P1",
        "进行中",
        "40",
        "2024-03-01",
        "2024-03-15",
        "8",
        "lin5",
    ],
    ["整理投诉", "提升客户满意度", "", "投诉处理", "紧急", "已完成", "", "", "", "4", ""],
    ["写周报", "", "", "", "", "", "", "", "", "", ""],
]


def test_tasks_roll_up_into_their_goal_and_show_on_the_tasks_page(
    director, manager, customers, goal, tmp_path, client
):
    from kehu.work.models import Task

    job = run(director, start(director, tasks_file(tmp_path, TASKS), "tasks"))
    assert job.status == "done" and job.created_count == 3, job.check_summary
    visit = Task.objects.get(title="客户回访")
    assert (visit.goal, visit.customer.name, visit.area.name, visit.label.code) == (
        goal,
        YUNFAN,
        "客户服务",
        "P1",
    )
    assert (visit.status, visit.progress, visit.responsible) == ("doing", 40, manager)
    assert (visit.start_on, visit.due_on, visit.estimate_hours) == (
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 15),
        Decimal("8.0"),
    )
    done = Task.objects.get(title="整理投诉")
    assert (done.label.code, done.progress, done.responsible) == ("P0", 100, director)
    assert done.completed_at is not None
    goal.refresh_from_db()
    assert goal.progress == 60  # (40 × 8 + 100 × 4) / 12
    assert visit.history.get().history_change_reason == "import"
    force_login_verified(client, director)
    page = client.get("/work/tasks/").content.decode()
    assert "客户回访" in page and "写周报" in page


def test_a_tasks_dry_run_says_what_is_wrong_with_each_row(director, goal, tmp_path):
    rows = [
        ["甲", "没有这个目标", "", "", "", "", "", "", "", "", ""],
        ["乙", "", "", "不存在的领域", "P9", "", "", "", "", "", ""],
        ["丙", "", "", "", "", "搁置", "120", "", "", "", ""],
        ["丁", "", "", "", "", "", "", "2024-03-10", "2024-03-01", "", ""],
    ]
    job = start(director, tasks_file(tmp_path, rows, "任务.xlsx"), "tasks")
    found = reasons(job)
    assert job.check_summary["counts"]["invalid"] == 4
    assert "没有这个目标" in found[2] and "目标" in found[2]
    assert "不存在的领域" in found[3] and "P9" in found[3]
    assert "“搁置”不在可选值中" in found[4] and "0 到 100" in found[4]
    assert "截止日期不能早于开始日期" in found[5]


def test_reimporting_tasks_creates_nothing_new_and_undo_recomputes_the_goal(
    director, manager, customers, goal, tmp_path
):
    from kehu.work.models import Task

    job = run(director, start(director, tasks_file(tmp_path, TASKS), "tasks"))
    again = run(director, start(director, tasks_file(tmp_path, TASKS), "tasks"))
    assert (again.created_count, again.skipped_count) == (0, 3)
    moved = [["客户回访", "提升客户满意度", YUNFAN, "", "", "已完成", "", "", "", "", "lin5"]]
    update = start(director, tasks_file(tmp_path, moved), "tasks", duplicates="update")
    assert run(director, update).updated_count == 1
    assert Task.objects.get(title="客户回访").progress == 100
    goal.refresh_from_db()
    assert goal.progress == 100
    outcome = services.undo_import(actor=director, job=job)
    assert outcome == {"removed": 3, "kept": 0} and Task.objects.count() == 0
    goal.refresh_from_db()
    assert goal.progress == 0


# ---- tickets ---------------------------------------------------------------------------------

TICKET_HEADER = [
    "工单标题",
    "问题描述",
    "工单类型",
    "渠道",
    "优先级",
    "客户名称",
    "联系人",
    "处理人",
    "处理团队",
    "创建时间",
]


def tickets_file(tmp_path: Path, rows: list[list[Any]], name: str = "工单.xlsx") -> Path:
    return sheet(tmp_path, TICKET_HEADER, rows, name)


@pytest.fixture
def team(manager: Any) -> Any:
    from kehu.accounts.models import Team

    team = Team.objects.create(name="售后一组")
    team.members.add(manager)
    return team


TICKETS = [
    [
        "网关无法联网",
        "重启无效",
        "技术支持",
        "电话",
        "紧急",
        YUNFAN,
        "张三",
        "lin5",
        "售后一组",
        "2024-03-15 09:30",
    ],
    ["发票寄错", "", "售后", "微信", "", YUNFAN, "13800138000", "", "", ""],
    ["咨询报价", "", "", "", "", "", "", "", "", ""],
]


def test_tickets_are_numbered_and_their_sla_clock_starts_when_they_were_opened(
    manager, customers, team, tmp_path, client, make_user
):
    from kehu.core.search import search
    from kehu.service.models import SLAPolicy, Ticket

    SLAPolicy.objects.create(
        name="紧急", priority="urgent", first_response_minutes=60, resolution_minutes=480
    )
    job = run(manager, start(manager, tickets_file(tmp_path, TICKETS), "tickets"))
    assert job.status == "done" and job.created_count == 3, job.check_summary
    down = Ticket.objects.get(subject="网关无法联网")
    assert (down.type, down.channel, down.priority) == ("tech_support", "phone", "urgent")
    assert (down.contact.name, down.assignee, down.team) == ("张三", manager, team)
    assert down.number.startswith("T-2024-") and down.sla_policy is not None
    opened = timezone.make_aware(dt.datetime(2024, 3, 15, 9, 30))
    assert down.created_at == opened and down.first_response_due_at > opened
    assert down.status_changes.count() == 1
    invoice = Ticket.objects.get(subject="发票寄错")
    assert invoice.contact.name == "张三" and invoice.requester_phone == "+8613800138000"
    assert invoice.assignee is None and invoice.channel == "wechat"
    assert Ticket.objects.get(subject="咨询报价").customer is None
    assert search(manager, "网关无法联网")[0][1] == [down]
    assert down.history.earliest("history_date").history_change_reason == "import"
    client.force_login(make_user("support5", roles=("tech_support",)))  # sees every ticket
    page = client.get("/service/").content.decode()
    assert "网关无法联网" in page and "发票寄错" in page


def test_a_tickets_dry_run_says_what_is_wrong_with_each_row(manager, customers, team, tmp_path):
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    rows = [
        ["甲", "", "", "", "", "", "张三", "", "", ""],
        ["乙", "", "", "", "", YUNFAN, "李四", "", "", ""],
        ["丙", "", "维修", "传真", "", "", "", "", "没有的组", ""],
        ["丁", "", "", "", "", "", "", "", "", future],
    ]
    job = start(manager, tickets_file(tmp_path, rows, "工单.csv"), "tickets")
    found = reasons(job)
    assert job.check_summary["counts"]["invalid"] == 4
    assert "同时写明联系人所属的客户" in found[2]
    assert "没有联系人“李四”" in found[3]
    assert "“维修”不在可选值中" in found[4] and "“传真”不在可选值中" in found[4]
    assert (
        "没有名为“没有的组”的团队" in found[4] and "创建时间: 工单的创建时间不能在将来" in found[5]
    )


def test_assigning_someone_else_needs_the_assign_permission(make_user, tmp_path):
    make_user("lin5", display_name="林经理", roles=("customer_manager",))
    rep = make_user("rep5", roles=("sales_rep",))  # may open tickets, not assign them
    rows = [["网关无法联网", "", "", "", "", "", "", "lin5", "", ""]]
    job = start(rep, tickets_file(tmp_path, rows), "tickets")
    assert reasons(job)[2].startswith("处理人: 您无权设置此字段")


def test_reimporting_tickets_creates_nothing_new_until_they_are_closed(
    manager, customers, team, tmp_path
):
    from kehu.service.models import Ticket

    job = run(manager, start(manager, tickets_file(tmp_path, TICKETS), "tickets"))
    again = run(manager, start(manager, tickets_file(tmp_path, TICKETS), "tickets"))
    assert (again.created_count, again.skipped_count) == (0, 3)
    Ticket.objects.filter(subject="咨询报价").update(status="closed")
    third = run(manager, start(manager, tickets_file(tmp_path, TICKETS), "tickets"))
    assert third.created_count == 1 and Ticket.objects.count() == 4
    assert services.undo_import(actor=manager, job=job)["removed"] == 3
    assert Ticket.objects.count() == 1


# ---- all three -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "role"),
    [("deals", "tech_support"), ("tickets", "marketing_specialist"), ("tasks", None)],
)
def test_people_who_may_not_create_the_records_cannot_import_them(make_user, tmp_path, kind, role):
    person = make_user(f"nobody-{kind}", roles=(role,) if role else ())
    path = write_csv(tmp_path / "x.csv", [["标题"], ["甲"]])
    with pytest.raises(PermissionDenied):
        services.start_import(actor=person, upload=upload(path.read_bytes(), "x.csv"), kind=kind)


@pytest.mark.parametrize(
    ("kind", "first", "listed"),
    [
        ("deals", "客户", "线索获取,跟进,谈判,签约,输单"),
        ("tasks", "任务", "P0,P1,P2,P3"),
        ("tickets", "主题", "咨询,投诉,售后,技术支持"),
    ],
)
def test_the_templates_of_the_new_kinds(client, manager, kind, first, listed):
    client.force_login(manager)
    response = client.get(f"/data/imports/template/{kind}.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == first and sheet["A2"].value
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert f'"{listed}"' in lists
