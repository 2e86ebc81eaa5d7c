from django.db import migrations
from django.utils import translation


def forwards(apps, schema_editor):
    from kehu.accounts.roles import create_default_roles

    # Role names are stored in the team's language at install time; admins may rename them.
    from django.conf import settings

    with translation.override(settings.LANGUAGE_CODE):
        create_default_roles(apps.get_model("accounts", "Role"))


def backwards(apps, schema_editor):
    apps.get_model("accounts", "Role").objects.filter(is_system=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
