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


def _role(code, scopes, permissions=("customer.view", "interaction.view")):
    from kehu.accounts.models import Role

    return Role.objects.create(code=code, name=code, permissions=list(permissions), scopes=scopes)


def test_a_customers_own_records_pass_without_a_condition_only_when_the_scope_allows(
    make_user, make_customer
):
    """restrict_under adds nothing when a record type is seen through its customer with a
    scope at least as wide; a narrower scope, or no right at all, still filters."""
    from kehu.accounts.models import Team
    from kehu.customers import services
    from kehu.customers.models import Interaction

    lead = make_user("lead")
    rep = make_user("rep2", roles=("sales_rep",))
    Team.objects.create(name="组", leader=lead).members.add(lead, rep)
    customer = make_customer(rep)
    from django.utils import timezone

    services.log_interaction(
        actor=rep, customer=customer, kind="call", summary="电话", occurred_at=timezone.now()
    )
    children = Interaction.objects.filter(customer=customer)

    lead.roles.set([_role("wide", {"customer": "team", "interaction": "team"})])
    lead = type(lead).objects.get(pk=lead.pk)
    same = scoping.restrict_under(children, lead, Customer)
    assert same.query.where == children.query.where and same.count() == 1

    lead.roles.set([_role("narrow", {"customer": "team", "interaction": "own"})])
    lead = type(lead).objects.get(pk=lead.pk)
    narrow = scoping.restrict_under(children, lead, Customer)
    assert narrow.count() == 0  # the rep's interaction is outside the lead's own scope
    assert narrow.count() == scoping.restrict(children, lead).count()

    lead.roles.set([_role("blind", {"customer": "team"}, permissions=("customer.view",))])
    lead = type(lead).objects.get(pk=lead.pk)
    assert scoping.restrict_under(children, lead, Customer).count() == 0
