from django.db import migrations


def grant(apps, schema_editor):
    from kehu.accounts.roles import CALENDAR, grant_permissions

    grant_permissions(apps.get_model("accounts", "Role"), (CALENDAR,))


def revoke(apps, schema_editor):
    from kehu.accounts.roles import CALENDAR, revoke_permissions

    revoke_permissions(apps.get_model("accounts", "Role"), (CALENDAR,))


class Migration(migrations.Migration):
    """Administrators and sales directors keep the working calendar."""

    dependencies = [
        ("core", "0008_working_calendar"),
        ("accounts", "0003_default_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
