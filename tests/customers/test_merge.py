"""查重与合并: similar names, the duplicates report, and merges that lose nothing."""

import datetime as dt
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from kehu.core.models import Share
from kehu.customers import merging, selectors, services
from kehu.customers.models import Customer, CustomerMerge, Interaction, Order, Return


@pytest.fixture
def director(make_user):
    return make_user("zhouhang", roles=("sales_director",))


def _children(customer_id):
    """Every record pointing at a customer, counted per relation (generic, like the merge)."""
    counts = {}
    for rel in merging.customer_relations():
        if hasattr(rel, "m2m_field_name"):  # the customer's own many-to-many fields
            through = rel.remote_field.through
            counts[rel.name] = through.objects.filter(
                **{f"{rel.m2m_field_name()}_id": customer_id}
            ).count()
        elif rel.many_to_many:
            counts[rel.name] = rel.through.objects.filter(
                **{f"{rel.field.m2m_reverse_field_name()}_id": customer_id}
            ).count()
        else:
            counts[rel.name] = rel.related_model._base_manager.filter(
                **{rel.field.name: customer_id}
            ).count()
    ct = ContentType.objects.get_for_model(Customer)
    counts["shares"] = Share.objects.filter(content_type=ct, object_id=customer_id).count()
    return counts


def _rich_customer(actor, name, product, *, mobile, tag, collaborator, team):
    customer = services.create_customer(actor=actor, owner=actor, name=name, city="杭州市")
    contact = services.add_contact(
        actor=actor, customer=customer, name=f"{name}联系人", mobile=mobile
    )
    services.log_interaction(
        actor=actor,
        customer=customer,
        kind="visit",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        summary=f"拜访{name}",
        contacts=[contact],
    )
    order = services.create_order(
        actor=actor,
        customer=customer,
        ordered_on=timezone.localdate() - dt.timedelta(days=5),
        lines=[services.LineInput(product, 2)],
    )
    services.record_return(
        actor=actor,
        line=order.lines.get(),
        quantity=1,
        reason="质量问题",
        returned_on=timezone.localdate(),
    )
    services.set_tags(actor=actor, customer=customer, names=[tag, "共同标签"])
    customer.collaborators.add(collaborator)
    Share.objects.create(
        content_type=ContentType.objects.get_for_model(Customer), object_id=customer.pk, team=team
    )
    customer.refresh_from_db()
    return customer


def test_merge_moves_every_child_and_keeps_both_histories(director, make_user):
    from kehu.accounts.models import Team

    product = services.create_product(actor=director, code="M-1", name="合并测试产品", price=100)
    helper = make_user("helper", roles=("sales_rep",))
    team_a, team_b = Team.objects.create(name="甲组"), Team.objects.create(name="乙组")
    keep = _rich_customer(
        director,
        "杭州云帆科技有限公司",
        product,
        mobile="13800000001",
        tag="展会",
        collaborator=helper,
        team=team_a,
    )
    drop = _rich_customer(
        director,
        "云帆科技",
        product,
        mobile="13800000002",
        tag="老客户",
        collaborator=helper,
        team=team_b,
    )
    services.update_customer(actor=director, customer=drop, expected_version=None, level="A")
    before_keep, before_drop = _children(keep.pk), _children(drop.pk)
    history_of_drop = Customer.history.filter(id=drop.pk).count()

    record = merging.merge_customers(
        actor=director, survivor=keep, merged=drop, choices={"level": "merged"}
    )

    after = _children(keep.pk)
    assert not Customer.objects.filter(pk=drop.pk).exists()
    assert sum(_children(drop.pk).values()) == 0, "something still points at the merged id"
    for relation, n in before_drop.items():
        shared = {"tags": 1, "collaborators": 1}.get(relation, 0)  # links both already had
        if relation == "merges":
            continue
        assert after[relation] == before_keep[relation] + n - shared, relation
    assert after["merges"] == before_keep["merges"] + 1
    keep.refresh_from_db()
    assert keep.level == "A" and keep.name == "杭州云帆科技有限公司"
    assert keep.orders_count == 2 and keep.returns_total == 200
    assert Interaction.objects.filter(customer=keep).count() == 2
    assert Return.objects.filter(customer=keep).count() == 2
    # both histories: the merged customer's rows are still there (plus its deletion)
    assert Customer.history.filter(id=drop.pk).count() == history_of_drop + 1
    assert keep.history.first().history_user == director
    assert record.snapshot["name"] == "云帆科技" and record.snapshot["level"] == "A"
    assert record.moved["customers.contact.customer"] == 1
    from kehu.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="merge", object_id=str(keep.pk)).exists()
    kinds = [e.kind for e in selectors.customer_timeline(director, keep)]
    assert "merge" in kinds


def test_the_merge_walks_every_relation_of_customer():
    """A relation added by a later app is moved without the merge being told about it."""
    names = {
        f"{rel.related_model._meta.label_lower}.{rel.field.name}"
        for rel in merging.customer_relations()
        if not hasattr(rel, "m2m_field_name")
    }
    assert {
        "customers.contact.customer",
        "customers.interaction.customer",
        "customers.order.customer",
        "customers.return.customer",
        "customers.customermerge.survivor",
    } <= names
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                getattr(field, "related_model", None) is Customer
                and field.concrete
                and not model._meta.auto_created
                and not model.__name__.startswith("Historical")
            ):
                label = f"{model._meta.label_lower}.{field.name}"
                assert label in names or field.many_to_many, f"{label} is not moved by a merge"


def test_merge_refuses_stale_versions_and_foreign_customers(
    client, director, user, other_user, make_customer
):
    mine = make_customer(user, name="甲方客户")
    theirs = make_customer(other_user, name="乙方客户")
    client.force_login(user)
    # a sales rep may not merge (no delete permission), whatever they see
    response = client.get(f"/customers/merge/?keep={mine.pk}&drop={theirs.pk}")
    assert response.status_code == 403
    from tests.conftest import force_login_verified

    force_login_verified(client, director)
    response = client.post(
        f"/api/v1/customers/{mine.pk}/merge",
        json.dumps({"merged_id": theirs.pk, "survivor_version": mine.version + 5}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert Customer.objects.filter(pk=theirs.pk).exists()
    response = client.post(
        f"/api/v1/customers/{mine.pk}/merge",
        json.dumps({"merged_id": mine.pk}),
        content_type="application/json",
    )
    assert response.status_code == 422


def test_merging_through_the_page(client, director, user, make_customer):
    from tests.conftest import force_login_verified

    keep = make_customer(user, name="宁波海曙贸易有限公司", level="B")
    drop = make_customer(user, name="海曙贸易", level="A", source="展会")
    services.add_contact(actor=user, customer=drop, name="王经理", mobile="13900000000")
    force_login_verified(client, director)
    page = client.get(f"/customers/merge/?keep={keep.pk}&drop={drop.pk}").content.decode()
    assert 'name="choice_level"' in page and 'name="choice_source"' in page
    response = client.post(
        "/customers/merge/",
        {
            "keep": keep.pk,
            "drop": drop.pk,
            "keep_version": keep.version,
            "drop_version": drop.version,
            "choice_level": "merged",
            "choice_source": "merged",
            "choice_name": "survivor",
        },
    )
    assert response.status_code == 302
    keep.refresh_from_db()
    assert (keep.level, keep.source) == ("A", "展会")
    assert keep.contacts.filter(name="王经理").exists()
    assert CustomerMerge.objects.get(survivor=keep).merged_name == "海曙贸易"
    assert "海曙贸易" in client.get(keep.get_absolute_url()).content.decode()


def test_similar_names_warn_without_blocking(user, other_user, make_customer):
    make_customer(other_user, name="杭州云帆科技有限公司")
    similar = services.create_customer(actor=user, name="云帆科技（杭州）有限公司")
    assert any("杭州云帆科技有限公司" in w for w in similar.warnings)
    assert any("chenhao" in w or "陈浩" in w for w in similar.warnings)  # who owns it
    close = services.create_customer(actor=user, name="云帆科创有限公司")
    assert close.pk  # only similar: created, with or without a warning
    unrelated = services.create_customer(actor=user, name="宁波海天塑机集团")
    assert not unrelated.warnings
    assert [c.name for c in services.similar_customers("上海云帆科技股份有限公司")][:2] == [
        "杭州云帆科技有限公司",
        "云帆科技（杭州）有限公司",
    ] or len(services.similar_customers("上海云帆科技股份有限公司")) >= 2


def test_the_live_similar_check_and_the_report(client, director, user, other_user, make_customer):
    from tests.conftest import force_login_verified

    a = make_customer(user, name="温州瑞安机械有限公司")
    b = make_customer(user, name="瑞安机械")
    c = make_customer(user, name="完全不同的客户")
    services.add_contact(actor=user, customer=c, name="甲", mobile="13700000000")
    d = make_customer(other_user, name="另一个客户")
    services.add_contact(actor=other_user, customer=d, name="乙", mobile="13700000000")
    client.force_login(user)
    hint = client.get("/customers/similar/?name=瑞安机械厂").content.decode()
    assert "温州瑞安机械有限公司" in hint
    report = client.get("/customers/duplicates/").content.decode()
    assert "温州瑞安机械有限公司" in report and "瑞安机械" in report
    assert "另一个客户" not in report  # not visible to this rep
    force_login_verified(client, director)
    groups = selectors.duplicate_groups(director)
    sets = [{x.pk for x in g.customers} for g in groups]
    assert {a.pk, b.pk} in sets and {c.pk, d.pk} in sets
    page = client.get(a.get_absolute_url()).content.decode()
    assert 'data-testid="duplicate-warning"' in page and "瑞安机械" in page
    assert Order.objects.count() == 0
