"""python manage.py import_plan PATH --plan "Plan title" [--dry-run] [--user NAME]
[--organisation NAME]"""

from django.core.management.base import BaseCommand, CommandError

from plans.io.importing import ImportFailed, check_file_size, import_file
from plans.management.importing import importer_named, source_file
from plans.models import Organisation


class Command(BaseCommand):
    help = "Import a plan table (.xlsx or .csv) in the councils' layout into a plan."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx or .csv file")
        parser.add_argument(
            "--plan", required=True, help="slug or exact title of a plan, or a new title"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change; write nothing"
        )
        parser.add_argument("--user", help="username recorded in history as the importer")
        parser.add_argument(
            "--organisation",
            help="name of the organisation that owns a new plan (made if there is none); "
            "default: the importer's, or the only one",
        )

    def handle(self, *args, path, plan, dry_run, user, organisation, **options):
        source = source_file(path)
        importer = importer_named(user)
        try:
            check_file_size(source.stat().st_size)
            summary = import_file(
                source.read_bytes(),
                source.name,
                plan_name=plan,
                user=importer,
                organisation=Organisation.named(organisation) if organisation else None,
                dry_run=dry_run,
            )
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{source.name}: {len(failure.errors)} problem(s); nothing was imported."
            ) from None
        heading = "Dry run: would import" if dry_run else "Imported"
        self.stdout.write(
            f"{heading} {source.name} into {summary.plan.title!r} ({summary.plan.slug})"
        )
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        for warning in summary.warnings:
            self.stdout.write(f"  note: {warning}")
