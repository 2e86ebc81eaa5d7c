from django.db import migrations


def create(apps, schema_editor):
    from kehu.work.templating import ensure_builtin_templates

    ensure_builtin_templates(apps.get_model("work", "WorkTemplate"))


def remove(apps, schema_editor):
    apps.get_model("work", "WorkTemplate").objects.filter(is_builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("work", "0003_recurrence_link")]

    operations = [migrations.RunPython(create, remove)]
