"""Create the five role groups with the model permissions each needs.

Object-level rules (a director edits only the actions they are accountable for) are in
plans.roles; these permissions are the coarse layer the admin also uses.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ("plans", "audits", "reporting")

ROLES = {
    "Service director": {
        "view": "*",
        "add": ["plans.rating", "plans.evidence", "plans.duedaterevision", "plans.remedialaction"],
        "change": ["plans.remedialaction"],
    },
    "QA lead": {
        "view": "*",
        "add": [
            "plans.rating",
            "audits.dipsample",
            "audits.auditschedule",
            "audits.measurevalue",
            "plans.evidence",
        ],
        "change": [
            "plans.rating",
            "audits.dipsample",
            "audits.auditschedule",
            "audits.measurevalue",
        ],
    },
    "Committee clerk": {
        "view": "*",
        "add": ["reporting.committeereport", "reporting.reportrender"],
        "change": ["reporting.committeereport"],
    },
    "Board member": {"view": "*", "add": [], "change": []},
    "Plan administrator": {"view": "*", "add": "*", "change": "*", "delete": "*"},
}


def create_roles(apps, schema_editor):
    for app_label in APPS + ("auth",):
        app_config = apps.get_app_config(app_label)
        # Permissions are normally created after all migrations (post_migrate); create
        # them now so that the groups can be given them. The migration state's app
        # config has no models module, which create_permissions checks for.
        previous = getattr(app_config, "models_module", None)
        app_config.models_module = previous or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = previous
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label__in=APPS)
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        chosen = []
        for verb in ("view", "add", "change", "delete"):
            wanted = grants.get(verb, [])
            if wanted == "*":
                chosen += list(ours.filter(codename__startswith=f"{verb}_"))
                continue
            for label in wanted:
                app_label, model = label.split(".")
                chosen.append(
                    ours.get(content_type__app_label=app_label, codename=f"{verb}_{model}")
                )
        group.permissions.set(chosen)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_initial"),
        ("audits", "0001_initial"),
        ("reporting", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
