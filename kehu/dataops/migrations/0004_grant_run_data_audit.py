from django.db import migrations


def grant(apps, schema_editor):
    from kehu.accounts.roles import DATA_AUDIT, grant_permissions

    grant_permissions(apps.get_model("accounts", "Role"), (DATA_AUDIT,))


def revoke(apps, schema_editor):
    from kehu.accounts.roles import DATA_AUDIT, revoke_permissions

    revoke_permissions(apps.get_model("accounts", "Role"), (DATA_AUDIT,))


class Migration(migrations.Migration):
    """Administrators, sales directors and customer managers run the data audits."""

    dependencies = [
        ("dataops", "0003_data_audit"),
        ("accounts", "0003_default_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
