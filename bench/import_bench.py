"""Benchmark: import a generated 2,000-row plan workbook into a fresh plan.

    DEBUG=true .venv/bin/python bench/import_bench.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/improvement_dev \
        .venv/bin/python bench/import_bench.py

Runs on a throwaway database: a temporary SQLite file, or for PostgreSQL a database
called improvement_bench on the same server (created, migrated, dropped afterwards).
The workbook is generated deterministically (a fixed seed) in the councils' layout, with
ragged rows, HTML cells, RAG cells and several posts per accountability cell, so the
import writes history, owners, measures, ratings and due-date revisions as a real one
does. Prints JSON lines: rows per second and the process's peak memory. Target: 2,000
rows in under 10 s on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import random
import resource
import time

from scratch import scratch_database

ROWS = 2000
BENCH_DB = "improvement_bench"

POSTS = [
    "Service Director – Practice",
    "Service Director QA",
    "Head of Service",
    "Head of Service CiC",
    "Head of Children's Commissioning",
    "Head of Housing",
    "ICB Chief Nurse",
    "Head of Virtual School",
    "Transformation Lead",
    "CSLT",
    "CLT",
    "IROs",
]
TIMESCALES = [
    "May 24",
    "June 24 – Dec 24",
    "Sep 24 - 25",
    "Nov -Dec 24",
    "Oct24",
    "July 24.",
    "01 Mar 24",
    "31.03.12",
    "March 2016",
    "End May 2016",
    "August 2016 [slipped from June 2016]",
    "Mar 24 Apr 24 Sep 24 Mar – Dec 25",
    "Monthly review",
]
RAGS = ["", "", "", "Green", "Amber", "Red", "Blue", "Yellow", "G", "a"]
MEASURES = [
    "3 x monthly dip sample then review. Target 90%.",
    "Audit of all new cases. Target 100% - tolerance 10%.",
    "<p>Training delivered.</p> <p>Slide decks distributed.</p>",
    "Management information each month.",
]


def generate_rows(count: int = ROWS, seed: int = 2024) -> list[list[str]]:
    """A plan table of `count` rows below the header, the same every time."""
    rng = random.Random(seed)
    header = [
        "Ref",
        "Outcome",
        "Actions",
        "Outcome measure",
        "Timescale",
        "Action RAG",
        "Accountability",
        "Outcome Measure RAG",
        "Target",
        "Tolerance",
    ]
    rows = [header]
    area = action = 0
    while len(rows) - 1 < count:
        if area == 0 or (action and rng.random() < 0.01):
            area, action = area + 1, 0
            rows.append([f"What needs to improve? {area} Area for improvement {area}"] + [""] * 9)
            continue
        if action and rng.random() < 0.2:
            # A further measure for the action above (a ragged row).
            measure, timescale, rag = rng.choice(MEASURES), rng.choice(TIMESCALES), rng.choice(RAGS)
            rows.append(["", "", "", measure, timescale, "", "", rag, "", ""])
            continue
        action += 1
        owners = "; ".join(rng.sample(POSTS, rng.randint(1, 3)))
        outcome = f"Outcome {area}.{action}: children are safer." if rng.random() < 0.5 else ""
        rows.append(
            [
                f"{area}.{action}",
                outcome,
                f"<p>Deliver improvement {area}.{action}.</p><ul><li>Step one</li></ul>",
                rng.choice(MEASURES),
                rng.choice(TIMESCALES),
                rng.choice(RAGS),
                owners,
                rng.choice(RAGS),
                "",
                "",
            ]
        )
    return rows


def as_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main() -> None:
    with scratch_database(BENCH_DB, prefix="import-bench-") as database:
        from plans.io.importing import import_file
        from plans.models import Action, Rating

        rows = generate_rows()
        data = as_xlsx(rows)
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = import_file(data, "bench.xlsx", plan_name="Benchmark plan")
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        history = sum(
            model.history.filter(history_change_reason="import").count()
            for model in (Action, Rating)
        )
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        facts = {
            "database": database,
            "rows": ROWS,
            "seconds": round(elapsed, 2),
            # Wall time includes waiting for the CPU on a busy machine; this does not.
            "cpu_seconds": round(cpu, 2),
            "actions": summary.created.get("actions", 0),
            "measures": summary.created.get("measures", 0),
            "ratings": summary.created.get("ratings", 0),
            "history_rows_actions_and_ratings": history,
        }
        print(
            json.dumps(
                {
                    "name": "import_rows_per_s",
                    "value": round(ROWS / elapsed, 1),
                    "unit": "rows/s",
                    **facts,
                }
            )
        )
        print(
            json.dumps(
                {
                    "name": "import_peak_mb",
                    "value": round(peak_kb / 1024, 1),
                    "unit": "MB",
                    "note": "peak resident memory of the whole process",
                }
            )
        )


if __name__ == "__main__":
    main()
