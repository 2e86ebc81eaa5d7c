"""Importing spreadsheets: mapping, dry run, duplicates, commit modes, resume, cancel, undo."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from kehu.customers.models import Contact, Customer
from kehu.dataops import importing, services
from kehu.dataops.models import ImportedRecord, ImportJob

HEADER = ["客户名称", "客户级别", "城市", "联系人", "手机", "邮箱", "标签", "负责人"]
ROWS = [
    [
        "杭州云帆科技有限公司",
        "A",
        "杭州市",
        "张三",
        "13800138000",
        "zs@yunfan.cn",
        "重点、老客户",
        "",
    ],
    ["上海星河贸易有限公司", "B · 重要客户", "上海市", "李四", "139 0013 9000", "", "", ""],
    ["北京万象信息技术有限公司", "C", "北京市", "王五", "12345", "", "", ""],  # bad mobile
    ["杭州云帆科技有限公司", "A", "杭州市", "张三", "", "", "", ""],  # same as row 3
    ["", "D", "", "赵六", "13700137000", "", "", ""],  # no customer name
]


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8-sig", title: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    if title:
        writer.writerow(["2024年客户名单"])
        writer.writerow([])
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload(data: bytes, name: str = "客户.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def checked(
    user: Any, data: bytes, *, kind: str = "customers", name: str = "客户.csv", **options: Any
) -> ImportJob:
    job = services.start_import(actor=user, upload=upload(data, name), kind=kind)
    if options:
        services.set_options(actor=user, job=job, mapping=job.mapping, **options)
    return services.check_import(actor=user, job=job)


def run(user: Any, job: ImportJob) -> ImportJob:
    services.prepare_run(actor=user, job=job)
    return services.run_import(job.pk)


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager9", display_name="王经理", roles=("customer_manager",))


def test_a_gbk_file_under_a_title_row_is_mapped_checked_and_imported(manager):
    job = checked(manager, csv_bytes(ROWS, encoding="gbk", title=True))
    assert job.encoding == "gb18030" and job.header_row == 3
    assert [job.mapping.get(str(i)) for i in range(len(HEADER))] == [
        "name",
        "level",
        "city",
        "contact_name",
        "mobile",
        "email",
        "tags",
        "owner",
    ]
    counts = job.check_summary["counts"]
    assert counts == {"create": 2, "update": 0, "skip": 1, "invalid": 2}
    reasons = {item["row"]: item["errors"] for item in job.check_summary["invalid"]}
    assert set(reasons) == {6, 8}  # file rows: title, blank, header, then data from row 4
    assert reasons[6][0][0] == "手机" or "手机" in reasons[6][0][0]
    assert Customer.objects.count() == 0  # the dry run writes nothing

    job = run(manager, job)
    assert job.status == "done"
    assert (job.created_count, job.skipped_count, job.invalid_count) == (2, 1, 2)
    yunfan = Customer.objects.get(name="杭州云帆科技有限公司")
    assert yunfan.level == "A" and yunfan.owner == manager
    assert sorted(yunfan.tags.values_list("name", flat=True)) == ["老客户", "重点"]
    contact = Contact.objects.get(customer=yunfan)
    assert contact.mobile == "+8613800138000" and contact.is_primary
    assert Customer.objects.get(name="上海星河贸易有限公司").level == "B"
    assert yunfan.history.count() == 1 and contact.history.count() == 1
    from kehu.core.search import search

    assert search(manager, "云帆")[0][1] == [yunfan]  # indexed for search
    assert ImportedRecord.objects.filter(job=job).count() == 4  # 2 customers + 2 contacts


def test_importing_the_same_file_twice_creates_nothing_new(manager):
    run(manager, checked(manager, csv_bytes(ROWS)))
    before = (Customer.objects.count(), Contact.objects.count())
    again = checked(manager, csv_bytes(ROWS))
    assert again.check_summary["counts"]["create"] == 0
    again = run(manager, again)
    assert again.created_count == 0 and again.skipped_count == 3
    assert (Customer.objects.count(), Contact.objects.count()) == before


def test_update_strategy_changes_only_what_differs(manager):
    run(manager, checked(manager, csv_bytes(ROWS[:2])))
    changed = [["杭州云帆科技有限公司", "B", "宁波市", "", "", "", "", ""], ROWS[1]]
    job = checked(manager, csv_bytes(changed), duplicates="update")
    assert job.check_summary["counts"] == {"create": 0, "update": 1, "skip": 1, "invalid": 0}
    job = run(manager, job)
    yunfan = Customer.objects.get(name="杭州云帆科技有限公司")
    assert (yunfan.level, yunfan.city, yunfan.version) == ("B", "宁波市", 2)
    assert job.updated_count == 1 and yunfan.history.count() == 2


def test_all_or_nothing_writes_nothing_when_a_row_is_invalid(manager):
    job = checked(manager, csv_bytes(ROWS), mode="all")
    job = run(manager, job)
    assert job.status == "failed"
    assert "4" in job.message  # the first invalid row is named (header is row 1)
    assert Customer.objects.count() == 0 and ImportedRecord.objects.count() == 0
    assert job.created_count == 0


def test_valid_rows_mode_returns_the_invalid_rows_as_a_file_to_fix(manager):
    job = run(manager, checked(manager, csv_bytes(ROWS)))
    text = job.invalid_file.open("rb").read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][: len(HEADER)] == HEADER and len(rows) == 3
    assert rows[1][0] == "北京万象信息技术有限公司" and rows[1][-1]
    fixed = [r[: len(HEADER)] for r in rows[1:]]
    fixed[0][4], fixed[1][0] = "13600136000", "深圳前海物流有限公司"
    again = run(manager, checked(manager, csv_bytes(fixed)))
    assert again.created_count == 2 and again.invalid_count == 0


def test_a_killed_import_leaves_whole_batches_and_resumes(manager, monkeypatch):
    rows = [
        [f"批量客户{i}有限公司", "C", "杭州市", f"联系人{i}", f"1380000{i:04d}", "", "", ""]
        for i in range(10)
    ]
    job = checked(manager, csv_bytes(rows))
    monkeypatch.setattr(importing, "BATCH", 4)
    real_write = importing.CustomerImport.write
    calls = {"n": 0}

    def dies_in_the_second_batch(self, batch, ctx, *, job):
        calls["n"] += 1
        created = real_write(self, batch, ctx, job=job)
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the worker is killed before the batch commits
        return created

    monkeypatch.setattr(importing.CustomerImport, "write", dies_in_the_second_batch)
    services.prepare_run(actor=manager, job=job)
    with pytest.raises(KeyboardInterrupt):
        services.run_import(job.pk)
    job.refresh_from_db()
    assert Customer.objects.count() == 4 == job.rows_done  # the first batch only, whole
    assert Contact.objects.count() == 4
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timezone.timedelta(minutes=10)
    )
    job.refresh_from_db()
    assert services.interrupted(job)
    monkeypatch.setattr(importing.CustomerImport, "write", real_write)
    job = run(manager, job)
    assert job.status == "done" and job.created_count == 10
    assert Customer.objects.count() == 10 and Contact.objects.count() == 10


def test_cancel_stops_between_batches(manager):
    job = checked(manager, csv_bytes(ROWS[:2]))
    services.prepare_run(actor=manager, job=job)
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job = services.run_import(job.pk)
    assert job.status == "cancelled" and Customer.objects.count() == 0


def test_undo_removes_what_the_import_created_but_not_what_others_use(manager):
    from kehu.customers import services as customer_services

    job = run(manager, checked(manager, csv_bytes(ROWS[:2])))
    kept = Customer.objects.get(name="上海星河贸易有限公司")
    product = customer_services.create_product(actor=manager, code="P1", name="网关", price="10")
    customer_services.create_order(
        actor=manager,
        customer=kept,
        ordered_on=timezone.localdate(),
        lines=[customer_services.LineInput(product=product, quantity=1, unit_price=None)],
    )
    outcome = services.undo_import(actor=manager, job=job)
    assert outcome["kept"] == 1
    assert list(Customer.objects.values_list("name", flat=True)) == ["上海星河贸易有限公司"]
    job.refresh_from_db()
    assert job.status == "undone"


def test_xlsx_with_numbers_for_phones_and_real_dates(manager, tmp_path: Path):
    book = Workbook()
    sheet = book.active
    sheet.append(["客户名称", "手机", "联系人", "满意度"])
    sheet.append(["宁波海天机械有限公司", 13800138000, "钱七", 5])
    sheet.append(["温州瓯江电器有限公司", 1.3900139e10, "孙八", 4])
    path = tmp_path / "客户.xlsx"
    book.save(path)
    job = services.start_import(
        actor=manager, upload=upload(path.read_bytes(), "客户.xlsx"), kind="customers"
    )
    assert job.file_kind == "xlsx"
    job = run(manager, services.check_import(actor=manager, job=job))
    assert sorted(Contact.objects.values_list("mobile", flat=True)) == [
        "+8613800138000",
        "+8613900139000",
    ]
    assert Customer.objects.get(name="宁波海天机械有限公司").satisfaction == 5


def test_bad_files_are_refused_with_a_clear_message(manager):
    from django.core.exceptions import ValidationError

    for data, name in ((b"", "empty.csv"), (b"\x89PNG\r\n\x1a\n" + bytes(300), "photo.csv")):
        with pytest.raises(ValidationError) as caught:
            services.start_import(actor=manager, upload=upload(data, name), kind="customers")
        assert caught.value.messages[0]
    assert ImportJob.objects.count() == 0


def test_people_who_may_not_create_customers_cannot_import_them(make_user):
    from django.core.exceptions import PermissionDenied

    support = make_user("support7", roles=("tech_support",))
    with pytest.raises(PermissionDenied):
        services.start_import(actor=support, upload=upload(csv_bytes(ROWS)), kind="customers")


def test_the_mapping_is_remembered_for_the_next_file_from_the_same_source(manager):
    job = services.start_import(actor=manager, upload=upload(csv_bytes(ROWS)), kind="customers")
    mapping = dict(job.mapping)
    mapping["2"] = "district"  # 城市 → district, on purpose
    services.set_options(actor=manager, job=job, mapping=mapping)
    later = services.start_import(
        actor=manager, upload=upload(csv_bytes(ROWS[:1])), kind="customers"
    )
    assert later.mapping["2"] == "district"


def test_a_mapping_without_the_required_column_is_refused(manager):
    from django.core.exceptions import ValidationError

    job = services.start_import(actor=manager, upload=upload(csv_bytes(ROWS)), kind="customers")
    with pytest.raises(ValidationError) as caught:
        services.set_options(actor=manager, job=job, mapping={"1": "level"})
    assert "客户名称" in caught.value.messages[0] or "Customer name" in caught.value.messages[0]


def _orders_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["订单号", "客户名称", "下单日期", "产品编码", "数量", "单价"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_orders_are_grouped_by_number_and_never_split_across_batches(manager, monkeypatch):
    from kehu.customers import services as customer_services
    from kehu.customers.models import Order

    customer_services.create_product(actor=manager, code="YF-1", name="网关", price="100")
    customer_services.create_product(actor=manager, code="YF-2", name="天线", price="10")
    run(manager, checked(manager, csv_bytes(ROWS[:2])))
    rows = [
        ["SO-1", "杭州云帆科技有限公司", "2024-03-15", "YF-1", "2", ""],
        ["SO-1", "杭州云帆科技有限公司", "2024-03-15", "YF-2", "5", "9.50"],
        ["SO-1", "杭州云帆科技有限公司", "2024-03-15", "YF-2", "1", ""],
        ["SO-2", "上海星河贸易有限公司", "2024/3/16", "网关", "1", ""],
        ["SO-3", "上海星河贸易有限公司", "2024-03-17", "不存在", "1", ""],
        ["SO-3", "上海星河贸易有限公司", "2024-03-17", "YF-1", "1", ""],
    ]
    monkeypatch.setattr(importing, "BATCH", 2)  # SO-1's three lines must stay together
    job = services.start_import(actor=manager, upload=upload(_orders_csv(rows)), kind="orders")
    job = services.check_import(actor=manager, job=job)
    assert job.check_summary["counts"] == {"create": 4, "update": 0, "skip": 0, "invalid": 2}
    job = run(manager, job)
    first = Order.objects.get(number="SO-1")
    assert first.lines.count() == 3 and str(first.total_amount) == "257.50"
    assert Order.objects.get(number="SO-2").customer.name == "上海星河贸易有限公司"
    assert not Order.objects.filter(number="SO-3").exists()  # one bad line: the order waits
    yunfan = Customer.objects.get(name="杭州云帆科技有限公司")
    assert yunfan.orders_count == 1 and str(yunfan.purchase_total) == "257.50"
    again = services.check_import(
        actor=manager,
        job=services.start_import(actor=manager, upload=upload(_orders_csv(rows)), kind="orders"),
    )
    assert again.check_summary["counts"]["create"] == 0  # recorded orders are never doubled
    services.undo_import(actor=manager, job=job)
    yunfan.refresh_from_db()
    assert Order.objects.count() == 0 and yunfan.orders_count == 0


def test_imported_duplicates_are_flagged_and_undo_clears_the_flag(manager):
    """Rows written in bulk bypass the services; the import keeps the duplicate flag exact."""
    from kehu.customers import services as customer_services

    mine = customer_services.create_customer(actor=manager, owner=manager, name="云帆科技有限公司")
    job = run(manager, checked(manager, csv_bytes(ROWS[:2]), duplicates="create"))
    assert job.created_count == 2
    flagged = set(Customer.objects.filter(possible_duplicate=True).values_list("name", flat=True))
    assert flagged == {"云帆科技有限公司", "杭州云帆科技有限公司"}  # the same distinctive name
    services.undo_import(actor=manager, job=job)
    mine.refresh_from_db()
    assert not mine.possible_duplicate


def test_new_rows_are_flagged_by_similar_names_and_matched_by_e_mail_in_any_case(manager):
    """Skipping duplicates, the rows created share no exact key with anyone: only a similar
    name flags them, and the flags equal the rules computed from scratch."""
    from kehu.customers import services as customer_services
    from kehu.customers.selectors import duplicate_condition

    customer_services.create_customer(actor=manager, owner=manager, name="云帆科技有限公司")
    haitian = customer_services.create_customer_with_contact(
        actor=manager,
        customer_fields={"name": "宁波海天机械有限公司"},
        contact_fields={"name": "李四", "email": "li@xinghe.cn"},
    )
    Contact.objects.filter(customer=haitian).update(email="LI@XingHe.CN")  # kept as typed
    rows = [ROWS[0], [*ROWS[1][:5], "li@xinghe.cn", "", ""]]
    job = run(manager, checked(manager, csv_bytes(rows), duplicates="skip"))
    assert (job.created_count, job.skipped_count) == (1, 1)  # 上海星河: the same e-mail
    flagged = set(Customer.objects.filter(possible_duplicate=True).values_list("name", flat=True))
    assert flagged == {"云帆科技有限公司", "杭州云帆科技有限公司"}
    from_scratch = Customer.objects.filter(duplicate_condition(Customer.objects.all()))
    assert flagged == set(from_scratch.values_list("name", flat=True))


def test_imported_records_and_later_ones_are_found_by_search(manager):
    """The import feeds the full-text index set-wise and leaves it as it found it."""
    from kehu.core.search import search
    from kehu.customers import services as customer_services

    run(manager, checked(manager, csv_bytes(ROWS[:2])))
    later = customer_services.create_customer(actor=manager, owner=manager, name="宁波新港物流公司")
    found = {s.key: objs for s, objs in search(manager, "0013 9000")}
    assert [c.name for c in found["contact"]] == ["李四"]  # a phone suffix of an imported contact
    assert search(manager, "新港")[0][1] == [later]


@pytest.mark.parametrize(
    "typed", ["13800138000", "13800138001", "12345678901", "17951380013", "10086100861"]
)
def test_mobile_numbers_read_as_the_phone_rules_read_them(typed):
    """Numbers after the first of their prefix skip the full parse, with the same answer."""
    from django.core.exceptions import ValidationError

    from kehu.customers.validators import normalize_phone

    try:
        expected: str | None = normalize_phone(typed)
    except ValidationError:
        expected = None
    for _ in range(2):
        try:
            got: str | None = importing.parse_phone(typed, None)
        except ValueError:
            got = None
        assert got == expected


def _invalid_file_rows(job: ImportJob) -> list[list[str]]:
    job.refresh_from_db()
    with job.invalid_file.open("rb") as handle:
        text = handle.read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))[1:]


def test_the_dry_run_offers_every_invalid_row_as_a_file(client, manager, monkeypatch):
    monkeypatch.setattr(services, "INVALID_SAMPLE", 2)
    rows = [
        [f"号码有误{i}有限公司", "C", "杭州市", f"联系人{i}", "12345", "", "", ""] for i in range(5)
    ]
    job = checked(manager, csv_bytes(rows))
    assert job.check_summary["counts"]["invalid"] == 5 and len(job.check_summary["invalid"]) == 2
    assert [r[0] for r in _invalid_file_rows(job)] == [r[0] for r in rows]
    client.force_login(manager)
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="dry-run-invalid-file"' in page
    download = client.get(f"/data/imports/{job.pk}/invalid-rows.csv")
    assert download.status_code == 200
    assert "号码有误4有限公司" in b"".join(download.streaming_content).decode("utf-8-sig")


def _twelve_rows_in_batches_of_four(stem: str, monkeypatch: Any) -> list[list[str]]:
    """Twelve rows, written four at a time; rows 1, 5 and 9 (one per batch) have a bad
    mobile."""
    monkeypatch.setattr(importing, "BATCH", 4)
    return [
        [f"{stem}{i}有限公司", "C", "杭州市", f"联系人{i}", "12345" if i % 4 == 1 else ""]
        + [""] * 3
        for i in range(12)
    ]


def _write_calling(monkeypatch: Any, on_batch: Any) -> Any:
    """The customer import's write, with ``on_batch(n, job, write)`` around the n-th batch;
    returns the real write."""
    real_write = importing.CustomerImport.write
    calls = {"n": 0}

    def write(self, batch, ctx, *, job):
        calls["n"] += 1
        return on_batch(calls["n"], job, lambda: real_write(self, batch, ctx, job=job))

    monkeypatch.setattr(importing.CustomerImport, "write", write)
    return real_write


def _bad_mobile_rows_in_file(job: ImportJob, stem: str) -> None:
    assert job.status == "done" and job.invalid_count == 3 and job.created_count == 9
    names = [r[0] for r in _invalid_file_rows(job)]
    assert names == [f"{stem}1有限公司", f"{stem}5有限公司", f"{stem}9有限公司"]


def test_a_resumed_import_keeps_the_invalid_rows_of_every_batch(manager, monkeypatch):
    rows = _twelve_rows_in_batches_of_four("续传客户", monkeypatch)
    job = checked(manager, csv_bytes(rows), mode="valid")

    def dies_in_the_second_batch(n, job, write):
        created = write()
        if n == 2:
            raise KeyboardInterrupt
        return created

    real_write = _write_calling(monkeypatch, dies_in_the_second_batch)
    services.prepare_run(actor=manager, job=job)
    with pytest.raises(KeyboardInterrupt):
        services.run_import(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timezone.timedelta(minutes=10)
    )
    monkeypatch.setattr(importing.CustomerImport, "write", real_write)
    _bad_mobile_rows_in_file(run(manager, ImportJob.objects.get(pk=job.pk)), "续传客户")


def test_a_new_customer_with_a_similar_name_is_imported_with_a_warning(manager, make_customer):
    make_customer(manager, name="深圳华为技术有限公司")
    job = checked(
        manager, csv_bytes([["华为技术（深圳）有限公司", "A", "深圳市", "", "", "", "", ""]])
    )
    assert job.check_summary["counts"]["create"] == 1
    sample = job.check_summary["samples"]["create"][0]
    assert any("深圳华为技术有限公司" in w and "王经理" in w for w in sample["warnings"])


def test_a_cancelled_then_resumed_import_lists_every_invalid_row(manager, monkeypatch):
    rows = _twelve_rows_in_batches_of_four("取消续传", monkeypatch)
    job = checked(manager, csv_bytes(rows), mode="valid")

    def cancels_in_the_first_batch(n, job, write):
        if n == 1:
            ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        return write()

    _write_calling(monkeypatch, cancels_in_the_first_batch)
    services.prepare_run(actor=manager, job=job)
    job = services.run_import(job.pk)
    assert job.status == "cancelled" and job.invalid_count == 1
    assert [r[0] for r in _invalid_file_rows(job)] == ["取消续传1有限公司"]
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=False)
    _bad_mobile_rows_in_file(run(manager, ImportJob.objects.get(pk=job.pk)), "取消续传")
