"""The name index carries the owner, so a team's pages test the owner in the index."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0017_planner_statistics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="customer",
            name="cust_name_id",
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["name", "id", "owner"], name="cust_name_owner"),
        ),
    ]
