"""A database guard for the rule that ratings are append-only and frozen once closed.

The model and services refuse these changes already; the trigger also stops a raw
UPDATE or DELETE (a script, a bulk update) from rewriting history. PostgreSQL only:
SQLite's flush between tests deletes rows one by one and would trip it, and SQLite is
the single-user embedded default.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION plans_rating_guard() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM plans_reportingperiod p
               WHERE p.id = OLD.period_id AND p.state = 'closed') THEN
        RAISE EXCEPTION 'rating % is in a closed period and cannot change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.rag IS DISTINCT FROM OLD.rag
            OR NEW.commentary IS DISTINCT FROM OLD.commentary
            OR NEW.period_id IS DISTINCT FROM OLD.period_id) THEN
        RAISE EXCEPTION 'ratings are never overwritten: record a new rating'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS plans_rating_guard ON plans_rating;
CREATE TRIGGER plans_rating_guard BEFORE UPDATE OR DELETE ON plans_rating
    FOR EACH ROW EXECUTE FUNCTION plans_rating_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS plans_rating_guard ON plans_rating;
DROP FUNCTION IF EXISTS plans_rating_guard();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
