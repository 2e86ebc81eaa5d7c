from django.db import migrations

AREAS = [
    ("市场调研", "Market research"),
    ("营销推广", "Marketing"),
    ("销售", "Sales"),
    ("客户服务", "Customer service"),
    ("售后", "After-sales"),
    ("技术支持", "Tech support"),
    ("投诉处理", "Complaint handling"),
]
LABELS = [
    ("P0", "紧急", "#d92d20"),
    ("P1", "高", "#f79009"),
    ("P2", "中", "#2e90fa"),
    ("P3", "低", "#98a2b3"),
]


def seed(apps, schema_editor):
    from kehu.work.roles import grant_work

    Area = apps.get_model("work", "Area")
    for position, (name, name_en) in enumerate(AREAS, start=1):
        Area.objects.get_or_create(name=name, defaults={"name_en": name_en, "position": position})
    Label = apps.get_model("work", "PriorityLabel")
    for position, (code, name, colour) in enumerate(LABELS, start=1):
        Label.objects.get_or_create(
            code=code, defaults={"name": name, "colour": colour, "position": position}
        )
    grant_work(apps.get_model("accounts", "Role"))


def unseed(apps, schema_editor):
    from kehu.work.roles import revoke_work

    revoke_work(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("work", "0001_initial"),
        ("accounts", "0003_default_roles"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
