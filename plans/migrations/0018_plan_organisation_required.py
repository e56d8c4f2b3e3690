import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("plans", "0017_one_organisation_for_existing")]

    operations = [
        migrations.RemoveField(model_name="plan", name="organisation_name"),
        migrations.RemoveField(model_name="historicalplan", name="organisation_name"),
        migrations.AlterField(
            model_name="plan",
            name="organisation",
            field=models.ForeignKey(
                help_text="The organisation that owns the plan; its people see it.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="plans",
                to="plans.organisation",
            ),
        ),
    ]
