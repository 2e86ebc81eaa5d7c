from django.db import migrations

def create_default_pipeline(apps, schema_editor):
    from kehu.sales.defaults import install_default_pipeline

    install_default_pipeline(apps.get_model("sales", "Pipeline"), apps.get_model("sales", "Stage"))


def grant_roles(apps, schema_editor):
    from kehu.accounts.roles import grant, grant_permissions

    Role = apps.get_model("accounts", "Role")
    grant(Role, ("deal",))
    grant_permissions(Role, ("manage_pipelines",))


def revoke_roles(apps, schema_editor):
    from kehu.accounts.roles import revoke_permissions

    Role = apps.get_model("accounts", "Role")
    codes = tuple(f"deal.{a}" for a in ("view", "create", "change", "delete", "export", "assign"))
    revoke_permissions(Role, (*codes, "manage_pipelines"))


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0001_initial"),
        ("accounts", "0003_default_roles"),
    ]

    operations = [
        migrations.RunPython(create_default_pipeline, migrations.RunPython.noop),
        migrations.RunPython(grant_roles, revoke_roles),
    ]
