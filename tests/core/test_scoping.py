import pytest
from django.http import Http404

from kehu.core import scoping
from kehu.core.models import Notification
from kehu.customers.models import Customer


def test_unregistered_models_are_hidden_from_ordinary_users(user, admin_user):
    from kehu.accounts.models import Team

    Team.objects.create(name="x")
    assert scoping.policy_for(Team) is None
    assert not scoping.restrict(Team.objects.all(), user).exists()
    assert scoping.restrict(Team.objects.all(), admin_user).count() == 1


def test_notifications_are_their_recipients_alone(user, admin_user):
    Notification.objects.create(recipient=user, title="x")
    assert scoping.restrict(Notification.objects.all(), user).count() == 1
    assert not scoping.restrict(Notification.objects.all(), admin_user).filter(recipient=user)


def test_inactive_and_anonymous_users_see_nothing(user, make_customer):
    from django.contrib.auth.models import AnonymousUser

    make_customer(user)
    assert not scoping.restrict(Customer.objects.all(), AnonymousUser()).exists()
    user.is_active = False
    assert not scoping.restrict(Customer.objects.all(), user).exists()


def test_get_visible_or_404(user, other_user, make_customer):
    mine, theirs = make_customer(user), make_customer(other_user)
    assert scoping.get_visible_or_404(Customer.objects.all(), user, pk=mine.pk) == mine
    with pytest.raises(Http404):
        scoping.get_visible_or_404(Customer.objects.all(), user, pk=theirs.pk)


def test_leader_scope_includes_sub_teams(make_user, make_customer):
    from kehu.accounts.models import Team

    director = make_user("director", roles=("customer_manager",))
    rep = make_user("rep", roles=("sales_rep",))
    sales = Team.objects.create(name="销售部", kind="department", leader=director)
    east = Team.objects.create(name="华东组", parent=sales)
    east.members.add(rep)
    c = make_customer(rep)
    assert scoping.restrict(Customer.objects.all(), director).filter(pk=c.pk).exists()
    assert not scoping.restrict(Customer.objects.all(), rep).exclude(owner=rep).exists()
