import pytest
from django.db import transaction

from kehu.core import events


@pytest.fixture
def received():
    got = []

    def handler(event):
        got.append(event.name)

    events.subscribe("test.*")(handler)
    yield got
    events.unsubscribe("test.*", handler)


@pytest.mark.django_db(transaction=True)
def test_events_are_delivered_only_after_commit(received):
    with transaction.atomic():
        events.publish(events.Event("test.happened"))
        assert received == []
    assert received == ["test.happened"]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_events_are_never_delivered(received):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(events.Event("test.rolled_back"))
        raise RuntimeError
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_does_not_stop_the_others(received):
    def broken(event):
        raise ValueError("boom")

    events.subscribe("test.*")(broken)
    try:
        events.publish(events.Event("test.one"))
    finally:
        events.unsubscribe("test.*", broken)
    assert received == ["test.one"]


def test_patterns_match_prefixes_and_exact_names():
    assert events._matches("customer.*", "customer.created")
    assert not events._matches("customer.*", "contact.created")
    assert events._matches("customer.created", "customer.created")
    assert not events._matches("customer.created", "customer.created.twice")


@pytest.mark.django_db(transaction=True)
def test_in_transaction_subscribers_run_at_once_and_roll_back_with_the_write(make_user):
    from kehu.core.models import Notification

    user = make_user("derived")
    seen = []

    def derive(event):
        seen.append(event.name)
        Notification.objects.create(recipient=user, title="derived row")

    events.subscribe("test.derived", in_transaction=True)(derive)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish(events.Event("test.derived"))
            assert seen == ["test.derived"]  # ran inside the transaction
            raise RuntimeError
    finally:
        events.unsubscribe("test.derived", derive)
    assert Notification.objects.count() == 0
