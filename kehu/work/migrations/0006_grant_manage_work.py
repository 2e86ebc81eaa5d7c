from django.db import migrations


def grant(apps, schema_editor):
    from kehu.accounts.roles import grant_permissions

    grant_permissions(apps.get_model("accounts", "Role"), ("manage_work",))


def revoke(apps, schema_editor):
    from kehu.accounts.roles import revoke_permissions

    revoke_permissions(apps.get_model("accounts", "Role"), ("manage_work",))


class Migration(migrations.Migration):
    """Administrators, sales directors, customer managers and project managers set up the
    division of labour (areas, priority labels, WIP limits, capacity and skills)."""

    dependencies = [
        ("work", "0005_share_links"),
        ("accounts", "0003_default_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
