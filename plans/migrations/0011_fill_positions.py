"""Fill the positions table from the ratings, plan by plan, with the rule of
`plans.positions.derive` (a pure function of the ratings), and guard closed periods'
positions on PostgreSQL as their ratings are guarded (0003): a raw INSERT, UPDATE or
DELETE of a closed period's position is refused unless the transaction says it is a
rebuild (`SET LOCAL plans.positions_rebuild = 'on'`, which `rebuild_positions` does).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION plans_position_guard() RETURNS trigger AS $$
DECLARE
    period integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        period := OLD.period_id;
    ELSE
        period := NEW.period_id;
    END IF;
    IF coalesce(current_setting('plans.positions_rebuild', true), '') <> 'on'
            AND (EXISTS (SELECT 1 FROM plans_reportingperiod p
                         WHERE p.id = period AND p.state = 'closed')
                 OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM plans_reportingperiod p
                         WHERE p.id = OLD.period_id AND p.state = 'closed'))) THEN
        RAISE EXCEPTION 'positions of a closed period cannot change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS plans_position_guard ON plans_position;
CREATE TRIGGER plans_position_guard BEFORE INSERT OR UPDATE OR DELETE ON plans_position
    FOR EACH ROW EXECUTE FUNCTION plans_position_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS plans_position_guard ON plans_position;
DROP FUNCTION IF EXISTS plans_position_guard();
"""


def fill(apps, schema_editor):
    from plans.positions import DERIVED_FIELDS, RATING_FIELDS, derive, facts_of

    Plan = apps.get_model("plans", "Plan")
    Rating = apps.get_model("plans", "Rating")
    Period = apps.get_model("plans", "ReportingPeriod")
    Position = apps.get_model("plans", "Position")
    columns = {"action": "action_id", "measure": "measure_id"}
    for plan_id in Plan.objects.order_by("pk").values_list("pk", flat=True):
        periods = list(Period.objects.filter(plan_id=plan_id).values_list("pk", "end"))
        ratings = Rating.objects.filter(plan_id=plan_id).order_by().values(*RATING_FIELDS)
        derived = derive(periods, (facts_of(row) for row in ratings.iterator(chunk_size=5000)))
        rows = [
            Position(
                plan_id=plan_id,
                period_id=period_id,
                subject=subject,
                **{columns.get(subject, "recommendation_id"): item_id},
                **{name: getattr(value, name) for name in DERIVED_FIELDS},
            )
            for ((subject, item_id), period_id), value in derived.items()
        ]
        Position.objects.bulk_create(rows, batch_size=2000)


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("plans", "0010_positions")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
