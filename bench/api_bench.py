"""Benchmark: the positions list of a 2,000-action plan over 12 periods as CSV, through
the API with a key, as Power BI downloads it.

    DEBUG=true .venv/bin/python bench/api_bench.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/improvement_dev \
        .venv/bin/python bench/api_bench.py

Runs on a throwaway database: a temporary SQLite file, or for PostgreSQL a database
called improvement_api_bench on the same server (created, migrated, dropped afterwards),
filled by `make_synthetic` (1 plan x API_BENCH_ACTIONS (2,000) actions x API_BENCH_PERIODS
(12) periods). Prints JSON lines:

    api_positions_csv_seconds_24000_rows  the actions' positions (actions x periods rows)
                                          as CSV: the whole request, streamed to the end,
                                          median of 5
    api_positions_csv_seconds_all_rows    every position of the plan (measures and
                                          recommendations' facets too)
    api_positions_peak_mb                 the most Python memory allocated at once while
                                          the whole table streams (tracemalloc), beside the
                                          same for a tenth of it: flat means constant memory
    api_positions_page_queries            queries for a JSON page of 100 and of 2,000 rows
Target: under 2 s for 24,000 rows.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import tracemalloc

from scratch import scratch_database

BENCH_DB = "improvement_api_bench"
ACTIONS = int(os.environ.get("API_BENCH_ACTIONS", "2000"))
PERIODS = int(os.environ.get("API_BENCH_PERIODS", "12"))
RUNS = 5


def emit(name: str, value, unit: str, **extra) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, **extra}), flush=True)


def _download(client, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code  # noqa: S101
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    return time.perf_counter() - started, lines - 1


def _peak_mb(client, url: str) -> float:
    tracemalloc.start()
    try:
        response = client.get(url)
        for _chunk in response.streaming_content:
            pass
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main() -> None:
    environ = {
        "API_RATE": "100000/minute",
        # Timed on the data as generated: without a broker the first request of the day
        # would otherwise close the periods that have ended (plans/middleware.py).
        "SCHEDULE_IN_WEB": "false",
    }
    with scratch_database(BENCH_DB, prefix="api-bench-", environ=environ) as database:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from api import keys
        from plans import roles
        from plans.models import Membership, Organisation, Plan

        settings.ALLOWED_HOSTS = ["testserver"]
        call_command(
            "make_synthetic",
            "--plans=1",
            f"--actions={ACTIONS}",
            f"--periods={PERIODS}",
            "--seed=21",
            verbosity=0,
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if database == "postgresql" else "ANALYZE")
        plan = Plan.objects.get()
        admin = get_user_model().objects.create_user("bench-admin", password="x")  # noqa: S106
        admin.groups.add(*roles_groups(roles.PLAN_ADMINISTRATOR))
        Membership.objects.create(user=admin, organisation=Organisation.objects.get())
        _api_key, key = keys.api_key_create(name="Power BI", plans=[plan], created_by=admin)
        client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
        common = {"database": database, "data": f"1x{ACTIONS}x{PERIODS}"}

        actions_url = f"/api/v1/positions/?plan={plan.slug}&subject=action&format=csv"
        all_url = f"/api/v1/positions/?plan={plan.slug}&format=csv"
        for name, url in (
            ("api_positions_csv_seconds_24000_rows", actions_url),
            ("api_positions_csv_seconds_all_rows", all_url),
        ):
            _download(client, url)  # warm-up
            runs = [_download(client, url) for _ in range(RUNS)]
            emit(
                name,
                round(statistics.median(seconds for seconds, _rows in runs), 3),
                "s",
                rows=runs[0][1],
                **common,
            )

        periods = list(plan.periods.order_by("end").values_list("pk", flat=True))
        one_period = f"{actions_url}&period={periods[-1]}"
        emit(
            "api_positions_peak_mb",
            round(_peak_mb(client, all_url), 2),
            "MB",
            one_period_mb=round(_peak_mb(client, one_period), 2),
            **common,
        )

        queries = {}
        for size in (100, 2000):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(f"/api/v1/positions/?plan={plan.slug}&page_size={size}")
                assert response.status_code == 200  # noqa: S101
            queries[size] = len(captured)
        emit(
            "api_positions_page_queries", queries[2000], "queries", page_100=queries[100], **common
        )


def roles_groups(*names: str):
    from django.contrib.auth.models import Group

    return Group.objects.filter(name__in=names)


if __name__ == "__main__":
    main()
