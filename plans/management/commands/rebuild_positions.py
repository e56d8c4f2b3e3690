"""python manage.py rebuild_positions [--plan SLUG] [--check]"""

from django.core.management.base import BaseCommand, CommandError

from plans import positions
from plans.models import Plan


class Command(BaseCommand):
    help = (
        "Recompute the positions table from the ratings (after a restore, or a bug). "
        "With --check, change nothing: list every difference and exit non-zero if any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="only this plan (its slug)")
        parser.add_argument(
            "--check", action="store_true", help="change nothing; list the differences"
        )

    def handle(self, *args, plan=None, check=False, **options):
        plans = Plan.objects.order_by("slug")
        if plan is not None:
            plans = plans.filter(slug=plan)
            if not plans.exists():
                raise CommandError(f"No plan with the slug {plan!r}.")
        found = 0
        for each in plans:
            if check:
                differences = positions.differences(each.pk)
                for difference in differences:
                    self.stdout.write(f"{each.slug}: {difference.describe()}")
                found += len(differences)
                continue
            written = positions.rebuild(each.pk)
            self.stdout.write(f"{each.slug}: {written} positions written")
        if check:
            if found:
                raise CommandError(f"{found} positions differ from what the ratings give.")
            self.stdout.write("Every position matches the ratings.")
