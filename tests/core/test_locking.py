import pytest

from kehu.core.locking import StaleWriteError, save_versioned
from kehu.customers.models import Customer


@pytest.fixture
def customer(make_customer, user):
    return make_customer(user, name="华为技术有限公司")


def test_write_bumps_version_and_records_history(customer, user):
    assert customer.version == 1
    customer.city = "深圳市"
    save_versioned(customer, expected_version=1, update_fields=["city"], user=user)
    fresh = Customer.objects.get(pk=customer.pk)
    assert (fresh.version, fresh.city, customer.version) == (2, "深圳市", 2)
    last = fresh.history.order_by("-history_id").first()
    assert (last.history_type, last.city, last.history_user) == ("~", "深圳市", user)


def test_stale_write_is_refused_with_current_values(customer, user, other_user):
    first = Customer.objects.get(pk=customer.pk)
    second = Customer.objects.get(pk=customer.pk)
    first.city = "杭州市"
    save_versioned(first, expected_version=1, update_fields=["city"], user=user)
    second.city = "上海市"
    with pytest.raises(StaleWriteError) as caught:
        save_versioned(second, expected_version=1, update_fields=["city"], user=other_user)
    assert caught.value.current_version == 2
    assert caught.value.instance.city == "杭州市"
    assert Customer.objects.get(pk=customer.pk).city == "杭州市"


def test_write_to_deleted_record_raises_does_not_exist(customer, user):
    Customer.objects.filter(pk=customer.pk).delete()
    customer.city = "北京市"
    with pytest.raises(Customer.DoesNotExist):
        save_versioned(customer, expected_version=1, update_fields=["city"], user=user)
