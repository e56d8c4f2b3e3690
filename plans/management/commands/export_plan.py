"""python manage.py export_plan --plan SLUG --format xlsx|csv [--layout positions] -o PATH|-"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from plans.io.exporting import export_plan
from plans.io.importing import find_plan
from plans.positions_table import export_positions_csv


class Command(BaseCommand):
    help = "Export a plan in the councils' table layout (the layout import_plan reads)."

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="the plan's slug or exact title")
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument("-o", "--output", required=True, help="file path, or - for stdout")
        parser.add_argument(
            "--layout",
            choices=["table", "positions"],
            default="table",
            help="table: the action table; positions: the recommendations' positions by "
            "period, as CSV (import_positions reads it back)",
        )

    def handle(self, *args, plan, format, output, layout, **options):
        found = find_plan(plan)
        if found is None:
            raise CommandError(f"No plan with the slug or title {plan!r}.")
        if layout == "positions":
            format = "csv"
            data = export_positions_csv(found)
        else:
            data = export_plan(found, format)
        if output == "-":
            if format == "csv":
                self.stdout.write(data.decode("utf-8-sig"), ending="")
            else:
                sys.stdout.buffer.write(data)
            return
        Path(output).write_bytes(data)
        self.stderr.write(f"Wrote {found.slug} as {format} to {output}")
