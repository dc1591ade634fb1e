from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="RefEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("key", models.CharField(max_length=255, unique=True)),
                ("payload", models.JSONField()),
                ("response", models.JSONField(null=True)),
                ("received_at", models.DateTimeField()),
            ],
            options={"db_table": "bench_ref_events"},
        ),
    ]
