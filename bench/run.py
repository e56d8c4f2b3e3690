"""`make bench`: server timings on a generated data set, rating updates under load, and
the import and report benchmarks. Prints one JSON object per line, each with at least
`name`, `value` and `unit`, so that runs can be compared over time.

    .venv/bin/python bench/run.py                      # throwaway SQLite, modest size
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/improvement_dev .venv/bin/python bench/run.py

Database: with a PostgreSQL DATABASE_URL, a database named improvement_dashboard_bench (or
BENCH_DB) on the same server (created, migrated, filled and dropped afterwards; BENCH_KEEP_DB=1
keeps it and BENCH_REUSE_DB=1 reuses a kept one of the same size). Otherwise a SQLite
file in a temporary folder.

Size (environment or flags): BENCH_PLANS, BENCH_ACTIONS, BENCH_PERIODS, BENCH_SEED.
Defaults: 10 plans x 2,000 actions x 12 periods on PostgreSQL (the issue's size), 3 x
300 x 8 on SQLite. BENCH_REQUESTS (default 30) requests per page; LOAD_SECONDS and
LOAD_USERS are passed to bench/load_rating_updates.py; BENCH_SKIP_LOAD=1 and
BENCH_SKIP_OTHERS=1 leave out the load test and the other benchmarks.

Server time is measured in this process with Django's test client (the whole request:
middleware, session, views, templates), median of BENCH_REQUESTS requests after three
warm-up requests, and compared with a trivial authenticated page (the password-change
form: the same middleware, session and base template, almost no queries) in the same
run: the ratio is what matters on a machine shared with other work. Each page's
`*_vs_trivial_beside_ratio` is against the trivial page requested alternately with it,
so that both see the same load. Settings are
production ones (DEBUG off, collected static files), not development ones.

Every page is built from the data at every request (there is no page cache). The
dashboard's and the plan page's figures are also printed under their earlier
`*_uncached_*` names, from the same measurement, so that those names keep working.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# BENCH_DB names another database, for runs side by side on one server.
BENCH_DB = os.environ.get("BENCH_DB", "improvement_dashboard_bench")
# Pages that were once cached, whose figures are also printed as `*_uncached_*`.
ONCE_CACHED_PAGES = ("dashboard", "dashboard_across_plans", "plan_page")


def emit(name: str, value, unit: str, **extra) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, **extra}), flush=True)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def parse_args(postgres: bool) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=_env_int("BENCH_PLANS", 10 if postgres else 3))
    parser.add_argument(
        "--actions", type=int, default=_env_int("BENCH_ACTIONS", 2000 if postgres else 300)
    )
    parser.add_argument(
        "--periods", type=int, default=_env_int("BENCH_PERIODS", 12 if postgres else 8)
    )
    parser.add_argument("--seed", type=int, default=_env_int("BENCH_SEED", 1))
    parser.add_argument("--requests", type=int, default=_env_int("BENCH_REQUESTS", 30))
    return parser.parse_args()


def _postgres_url(url: str) -> tuple[str, str]:
    """The bench database's URL on the same server, and the server's maintenance URL."""
    parts = urlsplit(url)
    bench = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    admin = urlunsplit(parts._replace(path="/postgres"))
    return bench, admin


def _admin_sql(admin_url: str, *statements: str) -> list:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        results = []
        for statement in statements:
            cursor = conn.execute(statement)
            results.append(cursor.fetchall() if cursor.description else None)
        return results


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def main() -> int:
    original_env = dict(os.environ)
    database_url = os.environ.get("DATABASE_URL", "")
    postgres = database_url.startswith(("postgres://", "postgresql://"))
    args = parse_args(postgres)
    size = f"{args.plans}x{args.actions}x{args.periods}"
    work = Path(tempfile.mkdtemp(prefix="improvement-bench-"))
    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    reuse = os.environ.get("BENCH_REUSE_DB") == "1"

    if postgres:
        bench_url, admin_url = _postgres_url(database_url)
        exists = _admin_sql(
            admin_url,
            f"SELECT 1 FROM pg_database WHERE datname = '{BENCH_DB}'",  # noqa: S608
        )[0]
        if exists and not reuse:
            _admin_sql(admin_url, f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
            exists = []
        if not exists:
            _admin_sql(admin_url, f'CREATE DATABASE "{BENCH_DB}"')
        database = "postgresql"
    else:
        bench_url = f"sqlite:///{work / 'bench.sqlite3'}"
        database = "sqlite"
    common = {"database": database, "data": size}

    env = dict(original_env)
    env.update(
        {
            "DATABASE_URL": bench_url,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(work / "static"),
            "VAR_DIR": str(work / "var"),
            "MEDIA_ROOT": str(work / "media"),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            # The pages are timed on the data as generated and analysed: without a
            # broker the first request of the day would otherwise close the periods
            # that have ended (plans/middleware.py), writing thousands of positions the
            # planner's statistics have not seen.
            "SCHEDULE_IN_WEB": "false",
        }
    )
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    os.environ.update(env)

    emit("load_average_1m", round(os.getloadavg()[0], 2), "processes", **common)
    try:
        log(f"bench: migrating and collecting static files ({database})")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")

        os.environ["DJANGO_SETTINGS_MODULE"] = "improvement.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection

        slugs = [f"synthetic-{args.seed}-{index + 1}" for index in range(args.plans)]
        if not _have_data(slugs, args):
            log(f"bench: generating {size} with seed {args.seed} (this takes a while)")
            started = time.monotonic()
            manage(
                env,
                "make_synthetic",
                f"--plans={args.plans}",
                f"--actions={args.actions}",
                f"--periods={args.periods}",
                f"--seed={args.seed}",
            )
            emit("synthetic_generation_s", round(time.monotonic() - started, 1), "s", **common)
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        connection.close()

        server_timings(args, slugs, common)

        if os.environ.get("BENCH_SKIP_LOAD") != "1":
            log("bench: rating updates under load")
            passthrough([sys.executable, str(ROOT / "bench" / "load_rating_updates.py")], env)
    finally:
        if postgres and not keep:
            from django.db import connections

            connections.close_all()
            _admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')

    if os.environ.get("BENCH_SKIP_OTHERS") != "1":
        # They make their own databases and need no production settings; `make bench`
        # sets DEBUG, running this script by hand may not.
        others_env = {"DEBUG": "true", **original_env}
        for name in ("import_bench.py", "report_bench.py", "api_bench.py"):
            script = ROOT / "bench" / name
            if script.exists():
                log(f"bench: {name}")
                passthrough([sys.executable, str(script)], others_env)
    return 0


def _have_data(slugs: list[str], args) -> bool:
    """Whether a reused bench database already holds this seed's plans at this size."""
    from plans.models import Plan

    plans = Plan.objects.filter(slug__in=slugs)
    if plans.count() != len(slugs):
        return False
    first = plans.get(slug=slugs[0])
    # More periods than generated is the same data set: closing on schedule opens the
    # next quarter (plans.periods._continue_quarters).
    return first.actions.count() == args.actions and first.periods.count() >= args.periods


def passthrough(command: list[str], env: dict) -> None:
    """Run a benchmark and print its JSON lines as they come; anything else goes to
    stderr."""
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        line = line.strip()
        if line.startswith("{"):
            print(line, flush=True)
        elif line:
            log(line)
    if process.wait() != 0:
        log(f"bench: {Path(command[-1]).name} exited with {process.returncode}")


def _median_ms(client, url: str, count: int, beside=None) -> tuple[float, int, float | None]:
    """The median time of `count` requests of `url` after three warm-up requests, the
    size of the response, and, with `beside` (a client and URL: the trivial page), the
    median of as many requests of it made alternately with them: on a machine shared
    with other work both then see the same load, and their ratio is steadier than one
    against a trivial page timed at another moment."""
    for _ in range(3):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    times, alongside = [], []
    for _ in range(count):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if beside is not None:
            started = time.perf_counter()
            beside[0].get(beside[1])
            alongside.append((time.perf_counter() - started) * 1000)
    trivial = statistics.median(alongside) if alongside else None
    return statistics.median(times), len(response.content), trivial


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def server_timings(args, slugs: list[str], common: dict) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from plans import roles
    from plans.models import Membership, Owner, Plan

    board, created = get_user_model().objects.get_or_create(username="bench-board")
    if created:
        board.groups.add(Group.objects.get(name=roles.BOARD_MEMBER))
    # A person sees only their organisation's plans (`plans.access`): the board member
    # works for the organisation of the generated plans.
    organisation = Plan.objects.get(slug=slugs[0]).organisation
    Membership.objects.get_or_create(user=board, defaults={"organisation": organisation})
    # The director with the most actions, for My actions.
    owner = (
        Owner.objects.filter(user__isnull=False, actions__plan__slug__in=slugs)
        .annotate(n=Count("actions"))
        .order_by("-n", "pk")
        .first()
    )
    board_client = Client()
    board_client.force_login(board)
    director_client = Client()
    director_client.force_login(owner.user)

    trivial_url = reverse("password_change")
    pages = [
        ("dashboard", board_client, reverse("board:dashboard") + f"?plan={slugs[0]}"),
        ("dashboard_across_plans", board_client, reverse("board:dashboard")),
        ("plan_page", board_client, reverse("plans:plan", args=[slugs[0]])),
        ("my_actions", director_client, reverse("plans:my_actions")),
    ]
    trivial, _, _ = _median_ms(board_client, trivial_url, args.requests)
    emit("trivial_page_median_ms", round(trivial, 1), "ms", **common)
    for name, client, url in pages:
        log(f"bench: {args.requests} requests of {url}, each followed by the trivial page")
        median, size, beside = _median_ms(
            client, url, args.requests, beside=(board_client, trivial_url)
        )
        queries = _queries(client, url)
        extra = {**common, "queries": queries, "bytes": size, "requests": args.requests}
        if name == "my_actions":
            extra["actions"] = owner.actions.filter(plan__slug__in=slugs).count()
        emit(f"{name}_median_ms", round(median, 1), "ms", **extra)
        emit(f"{name}_vs_trivial_ratio", round(median / trivial, 1), "x", **common)
        # Against the trivial page timed alternately with this page (see `_median_ms`).
        emit(f"{name}_trivial_beside_median_ms", round(beside, 1), "ms", **common)
        emit(f"{name}_vs_trivial_beside_ratio", round(median / beside, 1), "x", **common)
        if name in ONCE_CACHED_PAGES:
            emit(f"{name}_uncached_median_ms", round(median, 1), "ms", **extra)
            emit(f"{name}_uncached_vs_trivial_ratio", round(median / trivial, 1), "x", **common)


if __name__ == "__main__":
    sys.exit(main())
