"""python manage.py import_positions PATH --plan SLUG [--dry-run] [--user NAME]"""

from django.core.management.base import BaseCommand, CommandError

from plans.io.importing import ImportFailed, check_file_size, find_plan
from plans.management.importing import importer_named, source_file
from plans.positions_table import import_positions


class Command(BaseCommand):
    help = (
        "Import a positions-by-period table (export_plan --layout positions) back into "
        "its plan: cells that differ are recorded in their (open) period."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .csv or .xlsx file")
        parser.add_argument("--plan", required=True, help="the plan's slug or exact title")
        parser.add_argument("--dry-run", action="store_true", help="write nothing")
        parser.add_argument("--user", help="username recorded as the one who rated")

    def handle(self, *args, path, plan, dry_run, user, **options):
        source = source_file(path)
        found = find_plan(plan)
        if found is None:
            raise CommandError(f"No plan with the slug or title {plan!r}.")
        importer = importer_named(user)
        try:
            check_file_size(source.stat().st_size)
            summary = import_positions(
                source.read_bytes(), source.name, plan=found, user=importer, dry_run=dry_run
            )
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError(f"Nothing imported: {len(failure.errors)} problem(s).") from None
        if dry_run:
            self.stdout.write("Dry run: nothing written.")
        for line in summary.lines():
            self.stdout.write(line)
