"""数据质量审计: what each check counts, scores, trend, schedule, exports and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from kehu.core.models import Notification
from kehu.customers import services as customer_services
from kehu.customers.models import Contact, Customer
from kehu.dataops import audit_selectors as selectors
from kehu.dataops import audit_services as services
from kehu.dataops import checks
from kehu.dataops.models import DataAudit, DataAuditSchedule
from tests.dataops.conftest import bare_customer, complete_customer


def counts(audit):
    return {key: (v["count"], v["total"]) for key, v in audit.results["checks"].items()}


def org_audit():
    audit = services.run_organisation_audit()
    assert audit.status == DataAudit.Status.DONE, audit.error
    return audit


def test_a_complete_customer_passes_every_check_and_a_bare_one_fails_the_completeness_checks(
    people,
):
    complete_customer(people.manager, "杭州云帆科技有限公司")
    bare_customer(people.rep, "宁波恒泰电子有限公司")
    found = counts(org_audit())
    for key in (
        "missing_industry",
        "missing_source",
        "missing_location",
        "missing_address",
        "missing_intent",
        "missing_needs",
        "no_contact",
        "stale",
    ):
        assert found[key] == (1, 2), key  # the bare one, of both
    assert found["missing_website"] == (1, 2)
    assert found["missing_uscc"] == (1, 2)
    for key in ("missing_level", "duplicates", "no_owner"):
        assert found[key] == (0, 2), key
    for key in ("contact_missing_phone", "contact_missing_email", "contact_missing_title"):
        assert found[key] == (0, 1), key  # the complete customer's contact
    assert found["invalid_phone"] == (0, 1)
    assert found["invalid_email"] == (0, 1)
    assert found["invalid_uscc"] == (0, 1)
    assert found["overdue_follow_up"] == (0, 1)


def test_company_only_checks_leave_individuals_out(people):
    customer_services.create_customer(
        actor=people.rep, owner=people.rep, name="张三", kind="individual", industry="零售"
    )
    found = counts(org_audit())
    assert found["missing_website"] == (0, 0)
    assert found["missing_uscc"] == (0, 0)
    assert found["missing_industry"] == (0, 1)


def test_purchase_intent_none_with_a_note_counts_as_recorded(people):
    bare_customer(people.rep, "甲有限公司", purchase_intent="none", purchase_intent_note="预算冻结")
    bare_customer(people.rep, "乙有限公司", purchase_intent="none")
    bare_customer(people.rep, "丙有限公司", purchase_intent="low")
    assert counts(org_audit())["missing_intent"] == (1, 3)


def test_contacts_missing_details_are_counted_per_contact(people):
    customer = bare_customer(people.rep, "联系人测试有限公司")
    customer_services.add_contact(
        actor=people.rep, customer=customer, name="只有邮箱", email="a@b.cn"
    )
    customer_services.add_contact(
        actor=people.rep, customer=customer, name="只有座机", phone="0571-88886666", title="前台"
    )
    found = counts(org_audit())
    assert found["contact_missing_phone"] == (1, 2)
    assert found["contact_missing_email"] == (1, 2)
    assert found["contact_missing_title"] == (1, 2)
    assert found["no_contact"] == (0, 1)


def test_invalid_phone_email_and_credit_code_are_found(people):
    good = complete_customer(people.rep, "格式正确有限公司")
    bad = complete_customer(people.rep, "格式错误有限公司", uscc="91440300708461136U")
    # Typed before the forms checked them (an old import): still on file.
    Contact.objects.filter(customer=bad).update(mobile="12345", email="wrong@")
    extra = customer_services.add_contact(
        actor=people.rep, customer=good, name="座机有误", phone="0571-88886666"
    )
    Contact.objects.filter(pk=extra.pk).update(phone="0571-8")
    found = counts(org_audit())
    assert found["invalid_phone"] == (2, 3)  # the bad mobile and the bad landline
    assert found["invalid_email"] == (1, 2)  # the landline contact has no e-mail to check
    assert found["invalid_uscc"] == (1, 2)


def test_duplicates_count_every_customer_in_a_group(people):
    a = complete_customer(people.rep, "温州瑞安机械有限公司")
    complete_customer(people.outsider, "瑞安机械")  # the same distinctive name
    c = complete_customer(people.rep, "完全不同的客户")
    d = complete_customer(people.outsider, "另一家不同的客户")
    mobile = Contact.objects.filter(customer=c).values_list("mobile", flat=True).get()
    customer_services.add_contact(actor=people.outsider, customer=d, name="同号码", mobile=mobile)
    complete_customer(people.rep, "独一无二贸易有限公司")
    assert counts(org_audit())["duplicates"] == (4, 5)
    groups = selectors_duplicates(people.director)
    assert {a.pk, c.pk, d.pk} <= groups


def selectors_duplicates(user):
    from kehu.customers.selectors import duplicate_groups

    return {c.pk for g in duplicate_groups(user) for c in g.customers}


def test_no_owner_stale_and_overdue_follow_ups(people):
    fresh = complete_customer(people.rep, "新近联系有限公司")
    old = complete_customer(people.rep, "久未联系有限公司")
    orphan = complete_customer(people.rep, "无人负责有限公司")
    now = timezone.now()
    Customer.objects.filter(pk=old.pk).update(
        last_contact_at=now - dt.timedelta(days=91), next_follow_up_at=now - dt.timedelta(hours=1)
    )
    Customer.objects.filter(pk=orphan.pk).update(owner=None)
    found = counts(org_audit())
    assert found["no_owner"] == (1, 3)
    assert found["stale"] == (1, 3)
    assert found["overdue_follow_up"] == (1, 3)
    DataAuditSchedule.objects.create(pk=1, stale_days=30)
    Customer.objects.filter(pk=fresh.pk).update(last_contact_at=now - dt.timedelta(days=31))
    again = org_audit()
    assert counts(again)["stale"] == (2, 3)
    assert again.stale_days == 30
    rows = {r.key: r for r in selectors.check_rows(again, people.director)}
    assert rows["stale"].change is None  # 90 days then, 30 now: not comparable
    assert rows["no_owner"].change == 0
    row = next(r for r in selectors.check_rows(again, people.director) if r.key == "stale")
    assert row.url == "/customers/?stale=30" and "30" in row.label


def test_score_is_the_weighted_share_of_passing_records(people):
    complete_customer(people.manager, "满分客户有限公司")
    bare_customer(people.rep, "空白客户有限公司")
    results = org_audit().results
    owners = {row["id"]: row for row in results["owners"]}
    assert owners[people.manager.pk]["score"] == 100.0
    # The bare company passes level, duplicates and owner (weights 1 + 3 + 3) of the 23 points
    # its checks weigh; contact checks have nothing to measure and are left out.
    assert owners[people.rep.pk]["score"] == round(100 * 7 / 23, 1) == 30.4
    assert owners[people.rep.pk]["worst"] == "no_contact"
    assert results["owners"][0]["id"] == people.rep.pk  # weakest first
    assert 30.4 < results["score"] < 100


def test_team_scores_add_up_members_and_the_teams_below(people):
    complete_customer(people.manager, "华东完整有限公司")
    bare_customer(people.rep, "华东空白有限公司")
    complete_customer(people.outsider, "华南完整有限公司")
    results = org_audit().results
    teams = {row["name"]: row for row in results["teams"]}
    assert set(teams) == {"销售部", "华东销售组", "华南销售组"}
    assert teams["华南销售组"]["score"] == 100.0
    assert teams["华东销售组"]["customers"] == 2 and teams["华东销售组"]["owners"] == 2
    assert teams["销售部"]["customers"] == 3 and teams["销售部"]["owners"] == 3
    assert teams["华东销售组"]["score"] < teams["销售部"]["score"] < 100
    assert people.director.pk not in {o["id"] for o in results["owners"]}  # owns nothing


def test_the_trend_compares_with_the_previous_audit_of_the_same_scope(people):
    bare = bare_customer(people.rep, "趋势测试有限公司")
    first = org_audit()
    assert first.previous is None
    customer_services.update_customer(
        actor=people.director, customer=bare, expected_version=bare.version, industry="教育"
    )
    bare_customer(people.rep, "又一家空白有限公司")
    second = org_audit()
    assert second.previous == first
    rows = {r.key: r for r in selectors.check_rows(second, people.director)}
    assert rows["missing_industry"].count == 1 and rows["missing_industry"].change == 0
    assert rows["missing_source"].change == 1
    assert rows["duplicates"].change == 0
    # A personal audit is not the previous one of an organisation-wide audit, nor the reverse.
    personal = services.request_audit(actor=people.manager)
    assert personal.scope == DataAudit.Scope.PERSONAL and personal.previous is None
    assert org_audit().previous == second


def test_a_customer_managers_audit_never_counts_records_outside_her_team(people):
    complete_customer(people.manager, "团队内完整有限公司")
    bare_customer(people.rep, "团队内空白有限公司")
    bare_customer(people.outsider, "团队外空白有限公司")
    orphan = bare_customer(people.director, "团队外无主有限公司")
    Customer.objects.filter(pk=orphan.pk).update(owner=None)
    audit = services.request_audit(actor=people.manager)
    assert audit.scope == DataAudit.Scope.PERSONAL and audit.status == DataAudit.Status.DONE
    found = counts(audit)
    assert found["missing_industry"] == (1, 2)
    assert found["no_owner"] == (0, 2)
    assert {row["id"] for row in audit.results["owners"]} == {people.manager.pk, people.rep.pk}
    assert {row["name"] for row in audit.results["teams"]} == {"销售部", "华东销售组"}
    director_audit = services.request_audit(actor=people.director)
    assert director_audit.scope == DataAudit.Scope.ORGANISATION
    assert counts(director_audit)["missing_industry"] == (3, 4)


def test_running_needs_the_permission_and_one_audit_per_scope_waits_at_a_time(people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.start_audit(actor=people.rep)
    first, created = services.start_audit(actor=people.manager)
    again, created_again = services.start_audit(actor=people.manager)
    assert created and not created_again and again == first
    assert first.status == DataAudit.Status.QUEUED
    done = services.perform_audit(audit_id=first.pk)
    assert done.status == DataAudit.Status.DONE
    # A second worker handed the same job leaves it alone: one result, one notification.
    assert services.perform_audit(audit_id=first.pk).finished_at == done.finished_at
    assert Notification.objects.filter(recipient=people.manager, kind="data_audit").count() == 1


def test_a_failing_audit_is_recorded_and_reported(people, monkeypatch):
    from kehu.dataops import measure

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(measure, "measure", broken)
    audit = services.request_audit(actor=people.manager)
    assert audit.status == DataAudit.Status.FAILED and "went away" in audit.error
    note = Notification.objects.get(recipient=people.manager, kind="data_audit")
    assert note.level == Notification.Level.WARNING and note.url == audit.get_absolute_url()


@pytest.mark.parametrize(
    ("period", "day", "due"),
    [
        ("monthly", dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
        ("monthly", dt.date(2026, 3, 7), dt.date(2026, 3, 1)),  # catching up a missed 1st
        ("monthly", dt.date(2026, 3, 8), None),
        ("quarterly", dt.date(2026, 1, 1), dt.date(2026, 1, 1)),
        ("quarterly", dt.date(2026, 4, 1), dt.date(2026, 4, 1)),
        ("quarterly", dt.date(2026, 7, 1), dt.date(2026, 7, 1)),
        ("quarterly", dt.date(2026, 10, 1), dt.date(2026, 10, 1)),
        ("quarterly", dt.date(2026, 2, 1), None),
        ("quarterly", dt.date(2026, 3, 1), None),
        ("quarterly", dt.date(2026, 12, 1), None),
    ],
)
def test_when_a_scheduled_audit_is_due(period, day, due):
    assert services.due_period(day, period) == due


def test_the_daily_job_audits_on_the_first_of_the_month_and_not_on_the_second(people):
    complete_customer(people.manager, "定时审计有限公司")
    first = services.run_scheduled_audit(today=dt.date(2026, 3, 1))
    assert first is not None and first.status == DataAudit.Status.DONE
    assert first.scope == DataAudit.Scope.ORGANISATION and first.started_by is None
    assert (first.trigger, first.period, first.period_start) == (
        DataAudit.Trigger.SCHEDULE,
        "monthly",
        dt.date(2026, 3, 1),
    )
    assert services.run_scheduled_audit(today=dt.date(2026, 3, 2)) is None
    assert services.run_scheduled_audit(today=dt.date(2026, 3, 15)) is None
    assert services.run_scheduled_audit(today=dt.date(2026, 4, 1)) is not None
    assert DataAudit.objects.filter(trigger="schedule").count() == 2


def test_a_quarterly_schedule_audits_only_in_january_april_july_and_october(people):
    services.update_schedule(
        actor=people.director, period="quarterly", stale_days=90, expected_version=1
    )
    ran = [
        month
        for month in range(1, 13)
        if services.run_scheduled_audit(today=dt.date(2026, month, 1)) is not None
    ]
    assert ran == [1, 4, 7, 10]


def test_the_scheduled_result_goes_to_everyone_who_sees_every_customer_and_may_audit(
    people, make_user
):
    admin = make_user("admin", roles=("administrator",))
    make_user("gone", roles=("sales_director",), is_active=False)
    audit = services.run_scheduled_audit(today=dt.date(2026, 5, 1))
    told = set(
        Notification.objects.filter(kind="data_audit").values_list("recipient__username", flat=True)
    )
    assert told == {"zhouhang", "admin"}  # not the team-scoped manager, not the inactive one
    note = Notification.objects.get(recipient=admin, kind="data_audit")
    assert note.url == f"/data/audit/{audit.pk}/"


def test_the_periodic_task_runs_daily():
    from kehu.dataops.tasks import scheduled_data_audit

    task = scheduled_data_audit.task_class()
    assert task.validate_datetime(dt.datetime(2026, 3, 1, 18, 17))
    assert task.validate_datetime(dt.datetime(2026, 3, 2, 18, 17))  # daily; the service decides
    assert not task.validate_datetime(dt.datetime(2026, 3, 1, 18, 18))


def test_the_schedule_is_changed_only_by_those_who_see_everything_and_never_lost(people):
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.core.locking import StaleWriteError

    assert selectors.audit_schedule().period == "monthly"
    with pytest.raises(PermissionDenied):
        services.update_schedule(
            actor=people.manager, period="quarterly", stale_days=60, expected_version=1
        )
    saved = services.update_schedule(
        actor=people.director, period="quarterly", stale_days=60, expected_version=1
    )
    assert (saved.period, saved.stale_days, saved.version) == ("quarterly", 60, 2)
    assert saved.history.count() == 2
    with pytest.raises(StaleWriteError):
        services.update_schedule(
            actor=people.director, period="monthly", stale_days=60, expected_version=1
        )
    with pytest.raises(ValidationError):
        services.update_schedule(
            actor=people.director, period="monthly", stale_days=3, expected_version=2
        )


def test_csv_export_has_a_bom_and_neutralises_formula_looking_cells(client, people, make_user):
    from tests.conftest import force_login_verified

    sly = make_user("sly", display_name='=HYPERLINK("http://x")', roles=("sales_rep",))
    at = make_user("at", display_name="@SUM(1+1)", roles=("sales_rep",))
    bare_customer(sly, "公式客户一有限公司")
    bare_customer(at, "公式客户二有限公司")
    audit = org_audit()
    force_login_verified(client, people.director)
    response = client.get(f"/data/audit/{audit.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells and "'@SUM(1+1)" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    from kehu.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="export", object_id=str(audit.pk)).exists()


def test_xlsx_export_has_a_sheet_per_table_and_no_formulas(client, people, make_user):
    from openpyxl import load_workbook

    from tests.conftest import force_login_verified

    sly = make_user("sly", display_name="-2+3", roles=("sales_rep",))
    bare_customer(sly, "公式客户有限公司")
    audit = org_audit()
    force_login_verified(client, people.director)
    response = client.get(f"/data/audit/{audit.pk}/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 4
    values = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    assert "'-2+3" in values
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in values)
    assert all(c.data_type != "f" for sheet in book for row in sheet.iter_rows() for c in row)
    checks_sheet = book.worksheets[1]
    counted = {row[1].value: row[2].value for row in checks_sheet.iter_rows(min_row=2)}
    assert isinstance(next(iter(counted.values())), int)  # numbers stay numbers


def test_kehu_audit_prints_the_checks_and_the_score(people):
    complete_customer(people.manager, "命令行审计有限公司")
    bare_customer(people.rep, "命令行空白有限公司")
    out = io.StringIO()
    call_command("audit", stdout=out)
    text = out.getvalue()
    for check in checks.CHECKS:
        assert check.key in text
    assert "score: " in text and "/100" in text
    audit = DataAudit.objects.get()
    assert audit.trigger == DataAudit.Trigger.COMMAND and audit.scope == "organisation"
    out = io.StringIO()
    call_command("audit", "--json", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["customers"] == 2 and printed["checks"]["missing_industry"]["count"] == 1
    assert DataAudit.objects.count() == 2


def test_kehu_audit_is_a_command_of_its_own(migrated_data_dir):
    from tests.servers import kehu_env, run_kehu

    env = kehu_env(migrated_data_dir)
    assert "kehu audit" in run_kehu("--help", env=env).stdout
    result = run_kehu("audit", env=env)
    assert result.returncode == 0, result.stderr
    assert "missing_industry" in result.stdout and "score: " in result.stdout
