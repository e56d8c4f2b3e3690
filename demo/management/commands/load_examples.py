"""python manage.py load_examples: the 2024 ILACS and 2015 Ofsted example plans, and the
2024 plan's committee report for Q2 2024/25 (the November 2024 scrutiny report).

A command of the demo app: it writes plans, audits and reporting data, and only demo
may import all three.
"""

from django.core.management.base import BaseCommand

from demo.example_report import example_report_ensure
from demo.examples import load_examples


class Command(BaseCommand):
    help = (
        "Load the two example plans (slugs ilacs-2024 and ofsted-2015) and the 2024 "
        "plan's example committee report. Idempotent. The 2024 plan's ratings are "
        "illustrative."
    )

    def handle(self, *args, **options):
        for line in load_examples():
            self.stdout.write(line)
        self.stdout.write(example_report_ensure())
