from django.db import migrations


def grant_roles(apps, schema_editor):
    from kehu.accounts.roles import grant

    grant(apps.get_model("accounts", "Role"), ("order", "return", "product"))


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_tags_purchases_merges"),
        ("accounts", "0003_default_roles"),
    ]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
