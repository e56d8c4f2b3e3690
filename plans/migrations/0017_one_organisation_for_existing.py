"""Existing installations get one organisation: every plan is owned by it and every
user is a member of it, so everyone keeps reading what they read before.

Its name is the service's organisation from the settings (ACCESSIBILITY_ORGANISATION),
else the organisation most plans named, else "Council". A new, empty installation gets
none: its first organisation is made by `load_examples`, the demo or the admin.
"""

from collections import Counter

from django.conf import settings
from django.db import migrations
from django.utils.text import slugify


def one_organisation(apps, schema_editor):
    Plan = apps.get_model("plans", "Plan")
    HistoricalPlan = apps.get_model("plans", "HistoricalPlan")
    Organisation = apps.get_model("plans", "Organisation")
    Membership = apps.get_model("plans", "Membership")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    if not Plan.objects.exists() and not User.objects.exists():
        return
    named = Counter(n for n in Plan.objects.values_list("organisation_name", flat=True) if n)
    name = (
        getattr(settings, "ACCESSIBILITY_ORGANISATION", "")
        or (named.most_common(1)[0][0] if named else "")
        or "Council"
    )
    organisation, _ = Organisation.objects.get_or_create(
        name=name, defaults={"slug": slugify(name)[:80] or "council"}
    )
    Plan.objects.update(organisation=organisation)
    HistoricalPlan.objects.update(organisation=organisation)
    Membership.objects.bulk_create(
        Membership(user_id=pk, organisation=organisation)
        for pk in User.objects.filter(membership__isnull=True).values_list("pk", flat=True)
    )


def names_back(apps, schema_editor):
    Plan = apps.get_model("plans", "Plan")
    for plan in Plan.objects.select_related("organisation").exclude(organisation=None):
        Plan.objects.filter(pk=plan.pk).update(organisation_name=plan.organisation.name)


class Migration(migrations.Migration):
    dependencies = [("plans", "0016_organisations")]

    operations = [migrations.RunPython(one_organisation, names_back)]
