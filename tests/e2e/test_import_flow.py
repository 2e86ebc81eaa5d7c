"""A customer manager moves a messy spreadsheet into Kehu: upload, columns, dry run, progress,
result, and the new customers in the table."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def _messy_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["2024年华东区客户名单"])
    writer.writerow(["公司名称", "手机号码", "联系人", "客户级别", "备注"])
    for i in range(300):
        writer.writerow([f"导入测试{i:03d}贸易有限公司", f"1380013{i:04d}", f"联系人{i}", "B", ""])
    writer.writerow(["坏数据贸易有限公司", "12345", "王五", "Z", ""])
    return out.getvalue().encode("gb18030")


def test_import_wizard_from_upload_to_result(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/")
    sign_in(page, "linxue")
    page.goto(f"{base}/data/imports/")
    form = page.locator("[data-testid=upload-form]")
    form.locator("select[name=kind]").select_option("customers")
    form.locator("input[name=file]").set_input_files(
        {"name": "华东客户.csv", "mimeType": "text/csv", "buffer": _messy_csv()}
    )
    form.locator("button[type=submit]").click()

    mapping = page.locator("[data-testid=mapping]")
    expect(mapping).to_be_visible()
    expect(mapping).to_contain_text("导入测试000贸易有限公司")  # GB18030 read correctly
    expect(page.locator("select[data-column=公司名称]")).to_have_value("name")
    expect(page.locator("select[data-column=手机号码]")).to_have_value("mobile")
    page.locator("[data-testid=check]").click()

    summary = page.locator("[data-testid=dry-run]")
    expect(summary.locator("[data-count=create]")).to_have_text("300", timeout=60_000)
    expect(summary.locator("[data-count=invalid]")).to_have_text("1")
    expect(page.locator("[data-testid=invalid-rows]")).to_contain_text("12345")
    page.locator("[data-testid=run]").click()

    expect(page.locator("[role=progressbar]")).to_be_visible()
    result = page.locator("[data-testid=result]")
    expect(result).to_be_visible(timeout=60_000)
    expect(result.locator("[data-result=created]")).to_have_text("300")
    expect(result.locator("[data-result=invalid]")).to_have_text("1")
    with page.expect_download() as download:
        page.locator("[data-testid=invalid-file]").click()
    assert "12345" in download.value.path().read_text(encoding="utf-8-sig")

    page.goto(f"{base}/customers/?q=导入测试001")
    expect(page.locator("[data-testid=object-table]")).to_contain_text("导入测试001贸易有限公司")
    assert not page.js_errors
