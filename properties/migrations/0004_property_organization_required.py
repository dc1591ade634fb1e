import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("properties", "0003_owners_to_organizations"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="property",
            name="owner",
        ),
        migrations.AlterField(
            model_name="property",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="properties",
                to="properties.organization",
            ),
        ),
    ]
