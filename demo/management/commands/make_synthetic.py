"""Generate synthetic plans at council scale (see demo/synthetic.py)."""

import time

from django.core.management.base import BaseCommand, CommandError

from demo import synthetic


class Command(BaseCommand):
    help = (
        "Generate synthetic improvement plans with a rated history, through the app's "
        "services. The same seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plans", type=int, default=2, help="how many plans (default 2)")
        parser.add_argument(
            "--actions", type=int, default=200, help="actions per plan (default 200)"
        )
        parser.add_argument(
            "--periods",
            type=int,
            default=6,
            help="quarterly reporting periods per plan, the last one open (default 6)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, plans, actions, periods, seed, **options):
        started = time.monotonic()
        try:
            result = synthetic.generate(
                plans=plans,
                actions=actions,
                periods=periods,
                seed=seed,
                progress=lambda line: self.stdout.write(f"  {line}"),
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        made = ", ".join(f"{number} {name}" for name, number in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Generated {len(result.plans)} plans in {elapsed:.1f} s: {made}.")
        )
