import pytest
from django.core.exceptions import PermissionDenied

from kehu.accounts.models import Team
from kehu.core import scoping
from kehu.core.services import share_record
from kehu.customers import services
from kehu.customers.models import Contact, Customer


def test_sharing_with_a_person_grants_view_not_edit(user, other_user, make_customer):
    customer = make_customer(other_user)
    assert not scoping.can(user, "view", customer)
    share_record(actor=other_user, obj=customer, user=user)
    assert scoping.can(user, "view", customer)
    assert not scoping.can(user, "change", customer)
    assert not scoping.can(user, "delete", customer)


def test_sharing_with_a_team_and_for_editing(user, other_user, make_customer):
    customer = make_customer(other_user)
    team = Team.objects.create(name="共享组")
    team.members.add(user)
    share_record(actor=other_user, obj=customer, team=team, can_edit=True)
    assert scoping.can(user, "change", customer)


def test_a_shared_customers_contacts_follow_it(user, other_user, make_customer):
    customer = make_customer(other_user)
    contact = services.add_contact(actor=other_user, customer=customer, name="张三")
    assert not scoping.restrict(Contact.objects.all(), user).exists()
    share_record(actor=other_user, obj=customer, user=user)
    assert list(scoping.restrict(Contact.objects.all(), user)) == [contact]


def test_collaborators_see_and_edit(user, other_user, make_customer):
    customer = make_customer(other_user)
    customer.collaborators.add(user)
    assert scoping.can(user, "view", customer) and scoping.can(user, "change", customer)
    assert not scoping.can(user, "delete", customer)
    # Collaboration on a customer does not multiply rows in lists.
    assert scoping.restrict(Customer.objects.all(), user).count() == 1


def test_only_editors_may_share(user, other_user, make_customer):
    customer = make_customer(other_user)
    with pytest.raises(PermissionDenied):
        share_record(actor=user, obj=customer, user=user)


def test_while_reads_are_remembered_shares_of_every_type_are_read_once(
    user, other_user, make_customer, django_assert_num_queries
):
    """A page asking about several types (the customer page: customers, tasks, …) reads the
    person's shares in one query, and each type still gets only its own shares."""
    from kehu.core.models import Share
    from kehu.work import services as work_services
    from kehu.work.models import Task

    task = work_services.create_task(actor=other_user, title="共享任务", responsible=other_user)
    shared, twin = make_customer(other_user), make_customer(other_user, name="未共享公司")
    # the twin, not shared, has the task's id: a task's share must not open a customer
    if shared.pk == task.pk:
        shared, twin = twin, shared
    elif twin.pk != task.pk:
        Customer.objects.filter(pk=twin.pk).update(id=task.pk)
    share_record(actor=other_user, obj=shared, user=user)
    team = Team.objects.create(name="任务共享组")
    team.members.add(user)
    share_record(actor=other_user, obj=task, team=team, can_edit=True)
    with scoping.reads_remembered():
        assert list(scoping.restrict(Customer.objects.all(), user)) == [shared]
        # the tasks and the editable ones: no share, no collaboration read again
        with django_assert_num_queries(2):
            assert list(scoping.restrict(Task.objects.all(), user)) == [task]
            assert list(scoping.restrict(Task.objects.all(), user, "change")) == [task]
    assert Share.objects.count() == 2
    # outside a remembered read, each type's shares are read on their own, to the same effect
    assert list(scoping.restrict(Task.objects.all(), user, "change")) == [task]
    assert not scoping.can(user, "change", shared)
