"""The stored "credit code not valid" flag follows the code however it is written: by the
form's service, an edit, an import (new and updated rows) and a merge; the table's "not valid"
list reads it."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.customers import services
from kehu.customers.merging import merge_customers
from kehu.customers.models import Customer
from kehu.dataops import services as imports

GOOD = "91350100M000100Y43"
BAD = "91440300708461136U"  # the check character does not match


def _flag(customer: Customer) -> bool:
    return Customer.objects.get(pk=customer.pk).uscc_invalid


def test_create_and_edit_keep_the_flag(user, make_customer):
    bad = make_customer(user, name="信用代码错误有限公司", uscc=BAD)
    good = make_customer(user, name="信用代码正确有限公司", uscc=GOOD)
    none = make_customer(user, name="没有信用代码有限公司")
    assert (_flag(bad), _flag(good), _flag(none)) == (True, False, False)
    services.update_customer(actor=user, customer=bad, expected_version=bad.version, uscc=GOOD)
    services.update_customer(actor=user, customer=good, expected_version=good.version, uscc=BAD)
    assert (_flag(bad), _flag(good)) == (False, True)


def test_the_table_lists_exactly_the_flagged_customers(client, user, make_customer):
    make_customer(user, name="甲有限公司", uscc=BAD)
    make_customer(user, name="乙有限公司", uscc=GOOD)
    client.force_login(user)
    response = client.get("/customers/?invalid=uscc")
    assert [c.name for c in response.context["page"].items] == ["甲有限公司"]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["客户名称", "统一社会信用代码"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _import(user, data: bytes, **options):
    job = imports.start_import(
        actor=user, upload=SimpleUploadedFile("客户.csv", data), kind="customers"
    )
    if options:
        imports.set_options(actor=user, job=job, mapping=job.mapping, **options)
    job = imports.check_import(actor=user, job=job)
    imports.prepare_run(actor=user, job=job)
    return imports.run_import(job.pk)


def test_imports_set_the_flag_on_new_and_updated_customers(user):
    job = _import(user, _csv([["导入错误代码有限公司", BAD], ["导入正确代码有限公司", GOOD]]))
    assert job.created_count == 2
    flags = dict(Customer.objects.values_list("name", "uscc_invalid"))
    assert flags == {"导入错误代码有限公司": True, "导入正确代码有限公司": False}
    # codes given later to customers that had none, updating them
    _import(user, _csv([["后补代码甲有限公司", ""], ["后补代码乙有限公司", ""]]))
    job = _import(
        user,
        _csv([["后补代码甲有限公司", BAD.replace("9144", "9145")], ["后补代码乙有限公司", ""]]),
        duplicates="update",
    )
    assert job.updated_count == 1
    flags = dict(Customer.objects.values_list("name", "uscc_invalid"))
    assert (flags["后补代码甲有限公司"], flags["后补代码乙有限公司"]) == (True, False)


def test_a_merge_that_takes_the_other_code_takes_its_flag(user, make_customer):
    survivor = make_customer(user, name="合并保留有限公司", uscc=GOOD)
    merged = make_customer(user, name="合并并入有限公司", uscc=BAD)
    merge_customers(actor=user, survivor=survivor, merged=merged, choices={"uscc": "merged"})
    assert _flag(survivor) is True
