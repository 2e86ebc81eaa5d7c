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


def test_a_team_leader_sees_every_team_below_in_one_question(
    make_user, make_customer, django_assert_num_queries
):
    """Members of the teams a person belongs to or leads, down every level of the tree."""
    from kehu.accounts.models import Team

    head = make_user("head", roles=("customer_manager",))
    peer = make_user("peer", roles=("sales_rep",))
    deep = make_user("deep", roles=("sales_rep",))
    outsider = make_user("outsider", roles=("sales_rep",))
    company = Team.objects.create(name="公司", kind="company")
    sales = Team.objects.create(name="销售部", kind="department", parent=company, leader=head)
    east = Team.objects.create(name="华东", parent=sales)
    hangzhou = Team.objects.create(name="杭州组", parent=east)
    Team.objects.create(name="售后部", kind="department", parent=company).members.add(outsider)
    east.members.add(peer)
    hangzhou.members.add(deep)
    with django_assert_num_queries(1):
        assert scoping.team_member_ids(head) == {head.pk, peer.pk, deep.pk}
    # a plain member sees their own team and the ones below it, not the parent's
    assert scoping.team_member_ids(peer) == {peer.pk, deep.pk}
    from kehu.accounts.selectors import team_subtree_ids

    assert team_subtree_ids({sales.pk}) == {sales.pk, east.pk, hangzhou.pk}
    assert team_subtree_ids(set()) == set()


def _collaboration(make_user, make_customer):
    """An owner, a helper, a customer the helper collaborates on and one they do not."""
    owner = make_user("owner", roles=("sales_rep",))
    helper = make_user("helper", roles=("sales_rep",))
    shared, other = make_customer(owner), make_customer(owner)
    shared.collaborators.add(helper)
    return owner, helper, shared, other


def test_a_collaborator_sees_the_customers_records_through_the_customers_own_list(
    make_user, make_customer, django_assert_num_queries
):
    from django.utils import timezone

    from kehu.customers import services
    from kehu.customers.models import Contact, Interaction

    owner, helper, shared, other = _collaboration(make_user, make_customer)
    for c in (shared, other):
        services.add_contact(actor=owner, customer=c, name="张三", mobile="13800138000")
        Interaction.objects.create(
            customer=c, user=owner, kind="call", summary="回访", occurred_at=timezone.now()
        )
    # the roles, the customers collaborated on and the shares, once each; the two lists
    with scoping.reads_remembered(), django_assert_num_queries(5):
        contacts = list(scoping.restrict(Contact.objects.all(), helper))
        interactions = list(scoping.restrict(Interaction.objects.all(), helper))
    assert {c.customer_id for c in contacts} == {shared.pk}
    assert {i.customer_id for i in interactions} == {shared.pk}


def test_collaborations_of_every_type_are_read_once_while_reads_are_remembered(
    make_user, make_customer, django_assert_num_queries
):
    from kehu.work import services as work
    from kehu.work.models import Task

    owner, helper, customer, hidden = _collaboration(make_user, make_customer)
    task = work.create_task(actor=owner, title="报价单", responsible=owner)
    work.create_task(actor=owner, title="合同", responsible=owner)
    task.collaborators.add(helper)
    from django.contrib.contenttypes.models import ContentType

    scoping.rights_for(helper)  # the roles and the types' ids, read before counting
    ContentType.objects.get_for_models(Customer, Task)
    with scoping.reads_remembered(), django_assert_num_queries(4):  # links, shares, two lists
        customers = list(scoping.restrict(Customer.objects.all(), helper))
        tasks = list(scoping.restrict(Task.objects.all(), helper))
    assert customers == [customer] and tasks == [task]
    assert hidden not in customers
    # outside a remembered read each type asks for its own
    assert list(scoping.restrict(Task.objects.all(), helper)) == [task]
