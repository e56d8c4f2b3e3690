"""python manage.py load_examples: the 2024 ILACS and 2015 Ofsted example plans."""

from django.core.management.base import BaseCommand

from plans.examples import load_examples


class Command(BaseCommand):
    help = (
        "Load the two example plans (slugs ilacs-2024 and ofsted-2015). Idempotent. "
        "The 2024 plan's ratings are illustrative."
    )

    def handle(self, *args, **options):
        for line in load_examples():
            self.stdout.write(line)
