from django.db import migrations


def grant(apps, schema_editor):
    from kehu.service.roles import grant_tickets

    grant_tickets(apps.get_model("accounts", "Role"))


def revoke(apps, schema_editor):
    from kehu.service.roles import revoke_tickets

    revoke_tickets(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0001_initial"),
        ("accounts", "0003_default_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
