"""The import wizard, its API and the command line, as people and programs meet them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from kehu.customers.models import Customer
from kehu.dataops.models import ImportJob
from tests.dataops.test_imports import ROWS, csv_bytes


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("manager8", display_name="王经理", roles=("customer_manager",))


def test_the_wizard_from_upload_to_result(client, manager, django_capture_on_commit_callbacks):
    client.force_login(manager)
    page = client.get("/data/imports/")
    assert page.status_code == 200 and 'data-template="customers"' in page.content.decode()
    response = client.post(
        "/data/imports/",
        {"kind": "customers", "file": io.BytesIO(csv_bytes(ROWS, encoding="gbk"))},
        format="multipart",
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/data/imports/{job.pk}/"
    mapping_page = client.get(job.get_absolute_url()).content.decode()
    assert 'name="col_0"' in mapping_page and "杭州云帆科技有限公司" in mapping_page
    form = {f"col_{i}": key for i, key in job.mapping.items()}
    form.update(duplicates="skip", mode="valid", encoding=job.encoding)
    with django_capture_on_commit_callbacks(execute=True):  # the dry run is a queued job
        assert client.post(job.get_absolute_url(), form).status_code == 302
    summary = client.get(job.get_absolute_url()).content.decode()
    assert 'data-count="create">2<' in summary and 'data-count="invalid">2<' in summary
    assert "12345" in summary  # the bad mobile is named with its reason
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/data/imports/{job.pk}/run/")
    job.refresh_from_db()
    assert job.status == "done" and Customer.objects.count() == 2
    result = client.get(job.get_absolute_url()).content.decode()
    assert 'data-result="created">2<' in result and 'data-testid="invalid-file"' in result
    progress = client.get(f"/data/imports/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert progress["HX-Refresh"] == "true" and "100%" in progress.content.decode()
    bad = client.get(f"/data/imports/{job.pk}/invalid-rows.csv")
    assert b"".join(bad.streaming_content).decode("utf-8-sig").count("\n") == 3
    client.post(f"/data/imports/{job.pk}/undo/")
    assert Customer.objects.count() == 0


def test_an_unreadable_upload_is_refused_on_the_page_in_the_users_language(client, manager):
    client.force_login(manager)
    response = client.post(
        "/data/imports/", {"kind": "customers", "file": io.BytesIO(b"")}, format="multipart"
    )
    assert response.status_code == 400
    assert 'data-testid="upload-error"' in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_mapping_missing_the_name_keeps_the_choices_and_explains(client, manager):
    client.force_login(manager)
    client.post("/data/imports/", {"kind": "customers", "file": io.BytesIO(csv_bytes(ROWS))})
    job = ImportJob.objects.get()
    response = client.post(job.get_absolute_url(), {"col_0": "", "col_1": "level"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="level" selected' in html and 'data-testid="import-error"' in html
    job.refresh_from_db()
    assert job.status == "uploaded"


def test_imports_are_private_and_need_the_permission(client, manager, make_user):
    client.force_login(manager)
    client.post("/data/imports/", {"kind": "customers", "file": io.BytesIO(csv_bytes(ROWS))})
    job = ImportJob.objects.get()
    colleague = make_user("manager7", roles=("customer_manager",))
    client.force_login(colleague)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.post(f"/data/imports/{job.pk}/undo/").status_code == 404
    assert client.get(f"/api/v1/imports/{job.pk}").status_code == 404
    support = make_user("support8", roles=("tech_support",))  # logs interactions only
    client.force_login(support)
    page = client.get("/data/imports/").content.decode()
    assert 'value="interactions"' in page and 'value="customers"' not in page
    refused = client.post("/data/imports/", {"kind": "customers", "file": io.BytesIO(b"a,b")})
    assert refused.status_code == 400 and ImportJob.objects.count() == 1
    assert client.get("/data/imports/template/customers.xlsx").status_code == 404
    marketing = make_user("market8", roles=("marketing_specialist",))
    marketing.roles.clear()
    client.force_login(marketing)
    assert client.get("/data/imports/").status_code == 403


def test_the_api_runs_an_import(client, manager, django_capture_on_commit_callbacks):
    client.force_login(manager)
    response = client.post(
        "/api/v1/imports", {"kind": "customers", "file": io.BytesIO(csv_bytes(ROWS[:2]))}
    )
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["mapping"]["0"] == "name" and job["headers"][0] == "客户名称"
    patched = client.patch(
        f"/api/v1/imports/{job['id']}", {"duplicates": "update"}, content_type="application/json"
    )
    assert patched.json()["duplicates"] == "update"
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(f"/api/v1/imports/{job['id']}/check")
    assert queued.status_code == 202 and queued.json()["status"] == "checking"
    checked = client.get(f"/api/v1/imports/{job['id']}").json()
    assert checked["check_summary"]["counts"]["create"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/api/v1/imports/{job['id']}/run")
    assert started.status_code == 202
    done = client.get(f"/api/v1/imports/{job['id']}").json()
    assert done["status"] == "done" and done["created_count"] == 2
    assert client.get("/api/v1/imports").json()["items"][0]["id"] == job["id"]
    bad = client.patch(
        f"/api/v1/imports/{job['id']}", {"mode": "x"}, content_type="application/json"
    )
    assert bad.status_code == 422


def test_the_template_has_headers_an_example_and_drop_down_lists(client, manager):
    client.force_login(manager)
    response = client.get("/data/imports/template/customers.xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "客户名称" and "手机" in headers
    assert sheet["A2"].value == "杭州云帆科技有限公司"
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert '"A,B,C,D"' in lists
    assert len(book.worksheets) == 2  # and a sheet explaining the columns


def test_the_command_line_imports_with_a_dry_run_first(manager, tmp_path, capsys):
    path = tmp_path / "客户.csv"
    path.write_bytes(csv_bytes(ROWS))
    call_command(
        "import", str(path), "--type", "customers", "--user", manager.username, "--dry-run"
    )
    out = capsys.readouterr().out
    assert "2 to create" in out and "row 4" in out and Customer.objects.count() == 0
    call_command("import", str(path), "--user", manager.username)
    out = capsys.readouterr()
    assert Customer.objects.count() == 2
    assert "rows/s" in out.err  # the progress bar
    job = ImportJob.objects.latest("pk")
    call_command("import", "--undo", str(job.pk), "--user", manager.username)
    assert Customer.objects.count() == 0
