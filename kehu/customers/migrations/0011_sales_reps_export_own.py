from django.db import migrations

TYPES = ("customer", "contact", "interaction", "order", "return")


def let_reps_export(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code="sales_rep"):
        role.permissions = sorted(set(role.permissions or []) | {f"{t}.export" for t in TYPES})
        role.save(update_fields=["permissions"])


def undo(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code="sales_rep"):
        role.permissions = sorted(set(role.permissions or []) - {f"{t}.export" for t in TYPES})
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_owner_sort_indexes")]

    operations = [migrations.RunPython(let_reps_export, undo)]
