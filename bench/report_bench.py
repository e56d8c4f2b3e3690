"""Benchmark: render committee reports to PDF, and the floor WeasyPrint sets.

    DEBUG=true .venv/bin/python bench/report_bench.py [--sizes 100 300 1000]

Runs on a throwaway SQLite database in a temporary folder: loads the example plans,
sets up the example report for the 2024 plan (Q2 2024/25), and builds synthetic plans of
100, 300 and 1,000 actions through the factories and the rating services (two closed
quarters of ratings, revised due dates, remedial actions, dip samples, performance
figures). The synthetic Q2 is a plan "mostly on track", as the November 2024 report
describes: of the actions 15% Blue, 62% Green, 10% Amber, 6% Red, 7% not updated; of the
measures 80% Green, 14% Amber, 6% Red; 8% of due dates revised. The exceptions section
grows with the share of Red and Amber items, and with it the report's time against the
bare table. Each render then runs in a fresh child process, so that its memory is its
own:

- the full report, exactly as the Celery job renders it (content, HTML, PDF): with
  REPORT_PDF_PROCESSES at its default of 2, the sections and the appendices are laid
  out at once in two forked processes and joined (reporting.pdf.render_pdf_in_two);
- the bare appendix table alone: the same rows in the same table layout and stylesheet,
  with no other section and no chart, through WeasyPrint only: the floor set by the
  layout engine.

Prints JSON lines {"name", "value", "unit"}: wall-clock and CPU seconds (CPU time is
less disturbed by other work on the machine, and counts the forked parts too; the load
average is printed first and after each size). Peak memory (`peak_mb`) is the most the
render's whole process tree held at once, sampled every 0.1 s from outside as the sum
of each process's PSS (shared pages counted once); `largest_process_mb` is the peak
RSS of its largest process. Targets: the example plan under 5 s; at 1,000 actions the
report within 1.5x the bare table, under 60 s, under 512 MB.

On a shared machine one pair of renders is not enough: the same render has varied by a
third from one minute to the next here, more than the margin of the 1.5x target. With
`--repeat N` each size renders the bare table and the full report N times, alternating
(bare, full, full, bare, bare, full, ...: neither always runs first), and prints the
median of each, the ratio of the medians, each run's figures as `..._runs` lines, and
the median of the ratios within each pair of neighbouring runs (`..._pair_ratio_...`),
which shared the machine's state of the moment. Peak memory is the largest of the runs.
The medians make a run less sensitive to a burst of other work; they do not make a
loaded machine as fast as an idle one, and in runs beside other work here the ratio of
one run of three still moved by 0.2.

With `--together N` each size also renders the full report and the bare table N times
at the same moment, one on each core: both then meet the same state of the machine.
On 2 December 2026, when the report was laid out in one process, this did not settle
the ratio either (1.36x to 1.65x over four rounds). Now that the full report uses both
cores itself, this mode puts three busy processes on two cores: it measures contention
more than the renders, and the runs one after the other are the figures to quote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = (  # noqa: SIM905 - a sentence of words reads better than a list of them
    "allocate personal adviser care leavers timely review pathway plan supervision "
    "quality audit dip sample managers practice guidance training workshops partners "
    "housing accommodation sufficiency placements fostering recruitment social workers "
    "assessment thresholds missing children return interviews health education "
    "employment local offer corporate parenting board performance data dashboard "
    "caseloads capacity academy induction oversight multi-agency safeguarding"
).split()
POSTS = (
    "Service Director – Practice",
    "Service Director QA",
    "Head of Service",
    "Head of Service CiC",
    "Head of Children's Commissioning",
    "Head of Housing",
    "Transformation Lead",
    "CSLT",
)


def emit(name: str, value: float, unit: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def setup_django(folder: Path) -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(folder / "media")
    os.environ["DJANGO_SETTINGS_MODULE"] = "improvement.settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def build_synthetic(actions: int, seed: int = 7) -> int:
    """A plan of `actions` actions in 8 areas, rated over two closed quarters; returns
    the id of its committee report on Q2."""
    from zoneinfo import ZoneInfo

    from audits.models import DipSample, MeasureValue
    from demo.example_report import EXAMPLE_REPORT
    from plans import services
    from plans.io.parsing import owner_key
    from plans.models import Owner, RagCriterion, RemedialAction, ReportingPeriod
    from tests import factories

    london = ZoneInfo("Europe/London")
    rng = random.Random(seed + actions)
    plan = factories.PlanFactory(
        slug=f"synthetic-{actions}", title=f"Synthetic plan of {actions} actions"
    )
    q1 = factories.PeriodFactory(
        plan=plan, label="Q1 2024/25", start=dt.date(2024, 4, 1), end=dt.date(2024, 6, 30)
    )
    q2 = factories.PeriodFactory(
        plan=plan,
        label="Q2 2024/25",
        start=dt.date(2024, 7, 1),
        end=dt.date(2024, 9, 30),
        state=ReportingPeriod.State.UPCOMING,
    )
    factories.PeriodFactory(
        plan=plan,
        label="Q3 2024/25",
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
        state=ReportingPeriod.State.UPCOMING,
    )
    for rag in ("blue", "green", "amber", "red"):
        RagCriterion.objects.create(
            plan=plan, kind="action", rag=rag, criteria=sentence(rng, 8, 14)
        )
    # The example plans may hold the same posts, spelt a little differently.
    owners = [
        Owner.objects.filter(key=owner_key(post)).first() or factories.OwnerFactory(post=post)
        for post in POSTS
    ]
    areas = 8
    items = []
    for area in range(areas):
        rec = factories.RecommendationFactory(
            plan=plan, ref=str(area + 1), position=area, title=sentence(rng, 10, 22)
        )
        per_area = actions // areas + (1 if area < actions % areas else 0)
        outcome = None
        for index in range(per_area):
            if index % 3 == 0:
                outcome = factories.OutcomeFactory(
                    recommendation=rec,
                    ref=f"{area + 1}.{index // 3 + 1}",
                    text=sentence(rng, 8, 18),
                )
            action = factories.ActionFactory(
                recommendation=rec,
                outcome=outcome,
                ref=f"{area + 1}.{index + 1}",
                position=index,
                text=sentence(rng, 12, 40),
                timescale_text=rng.choice(["Sep 24", "Dec 24", "Mar 25", "Oct 24 – Jan 25"]),
                due_date=rng.choice([dt.date(2024, 12, 31), dt.date(2025, 3, 31)]),
                owners=rng.sample(owners, rng.randint(1, 2)),
            )
            measures = [
                factories.MeasureFactory(action=action, text=sentence(rng, 8, 24))
                for _ in range(1 if rng.random() < 0.8 else 2)
            ]
            items.append((action, measures))

    def noon(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(12), tzinfo=london)

    for action, measures in items:
        for item in [action, *measures]:
            services.rating_record(
                item=item,
                rag="green",
                user=None,
                commentary=sentence(rng, 6, 16),
                period=q1,
                created=noon(q1.end),
            )
    services.period_close(period=q1, now=noon(q1.end))
    for action, measures in items:
        roll = rng.random()
        if roll < 0.07:
            continue  # not updated this period: carried forward when Q2 closes
        rag = (
            "blue" if roll < 0.22 else "green" if roll < 0.84 else "amber" if roll < 0.94 else "red"
        )
        services.rating_record(
            item=action,
            rag=rag,
            user=None,
            commentary=sentence(rng, 10, 30),
            period=q2,
            created=noon(q2.end),
        )
        for measure in measures:
            services.rating_record(
                item=measure,
                rag=rng.choices(["green", "amber", "red"], weights=[80, 14, 6])[0],
                user=None,
                commentary=sentence(rng, 6, 20),
                period=q2,
                created=noon(q2.end),
            )
        if rag == "red":
            RemedialAction.objects.create(
                plan=plan,
                action=action,
                text=sentence(rng, 10, 20),
                responsible=rng.choice(POSTS),
                due_date=dt.date(2025, 1, 31),
            )
        if rng.random() < 0.08:
            action.refresh_from_db()
            services.action_revise_due_date(
                action=action,
                new_date=dt.date(2025, 6, 30),
                reason=sentence(rng, 5, 10),
                user=None,
                expected_version=action.version,
            )
        if rng.random() < 0.1:
            for month in (7, 8, 9):
                DipSample.objects.create(
                    measure=measures[0],
                    sampled_on=dt.date(2024, month, 15),
                    sample_size=10,
                    compliant=rng.randint(5, 10),
                )
        elif rng.random() < 0.03:
            MeasureValue.objects.create(
                measure=measures[0],
                period=q2,
                as_of=dt.date(2024, 9, 30),
                value=rng.randint(40, 95),
                national_average=rng.randint(50, 90),
                statistical_neighbours=rng.randint(50, 90),
            )
    services.period_close(period=q2, now=noon(q2.end))
    report = factories.CommitteeReportFactory(plan=plan, period=q2, **EXAMPLE_REPORT)
    return report.pk


def child(kind: str, report_id: int) -> None:
    """Runs in a fresh process: render once, print seconds, pages and peak memory."""
    from django.utils import timezone

    from reporting import services
    from reporting.content import report_content
    from reporting.models import CommitteeReport
    from reporting.pdf import render_pdf

    if os.environ.get("BENCH_CORE"):
        os.sched_setaffinity(0, {int(os.environ["BENCH_CORE"])})
    report = CommitteeReport.objects.select_related("plan", "period").get(pk=report_id)
    if kind == "full":
        started, cpu = time.perf_counter(), time.process_time()
        rendered = services.report_pdf(report, generated_at=timezone.now())
    else:
        content = report_content(report, generated_at=timezone.now())
        html = _bare_table_html(report, content)
        started, cpu = time.perf_counter(), time.process_time()
        rendered = render_pdf(
            html,
            base_url=services.STATIC_ROOT,
            allowed_roots=services.ALLOWED_ROOTS,
            stylesheets=services.REPORT_STYLESHEETS,
            title="Appendix",
        )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    # CPU seconds of this process and its forked parts, once they have ended.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds += children.ru_utime + children.ru_stime
    largest_mb = max(
        resource.getrusage(who).ru_maxrss / 1024
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "pages": rendered.page_count,
                "largest_process_mb": largest_mb,
            }
        )
    )


def _bare_table_html(report, content) -> str:
    from django.template.loader import render_to_string

    table = render_to_string(
        "reporting/_appendix_plan.html",
        {"plan": report.plan, "period": report.period, "content": content},
    )
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Appendix'
        f'</title></head><body><section class="appendix-plan">{table}</section></body></html>'
    )


def start_child(kind: str, report_id: int, folder: Path, core: int | None = None):
    """A child process rendering `kind` once (pinned to `core` if given)."""
    env = {**os.environ, "BENCH_FOLDER": str(folder)}
    if core is not None:
        env["BENCH_CORE"] = str(core)
    return subprocess.Popen(
        [sys.executable, __file__, "--child", kind, "--report", str(report_id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def child_result(kind: str, report_id: int, process) -> dict:
    """What a child process printed (its seconds, pages and the peak memory of its
    largest process), with `peak_mb`: the largest memory of its whole process tree at
    once, sampled from outside every 0.1 s as the sum of each process's proportional
    set size (PSS: pages shared between processes, as a forked render's are, counted
    once in all). The full report lays out its parts in forked processes of its own."""
    peak_kb = 0
    while True:
        try:
            out, err = process.communicate(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            peak_kb = max(peak_kb, tree_pss_kb(process.pid))
    if process.returncode:
        sys.exit(f"The {kind} render of report {report_id} failed:\n{err}")
    result = json.loads(out.strip().splitlines()[-1])
    return {**result, "peak_mb": peak_kb / 1024}


def tree_pss_kb(pid: int) -> int:
    """The PSS of a process and all its descendants, in kB (0 for any gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                total += sum(tree_pss_kb(int(child)) for child in children.read().split())
    except (OSError, StopIteration):
        pass
    return total


def measure(kind: str, report_id: int, folder: Path) -> dict:
    return child_result(kind, report_id, start_child(kind, report_id, folder))


def measure_together(report_id: int, folder: Path, repeat: int) -> None:
    """The full report and the bare table started at the same moment, each on a core of
    its own (swapped each round), `repeat` times: both meet the same machine, so the
    ratio of their times moves far less than that of runs one after the other. The bare
    table finishes first; the full report's last third then runs alone."""
    ratios: dict[str, list[float]] = {"seconds": [], "cpu_seconds": []}
    for index in range(repeat):
        cores = (0, 1) if index % 2 == 0 else (1, 0)
        children = {
            kind: start_child(kind, report_id, folder, core)
            for kind, core in zip(("full", "bare"), cores, strict=True)
        }
        results = {kind: child_result(kind, report_id, child) for kind, child in children.items()}
        for key, values in ratios.items():
            values.append(results["full"][key] / results["bare"][key])
        print(
            json.dumps(
                {
                    "name": "together_runs",
                    "value": {kind: round(r["seconds"], 2) for kind, r in results.items()},
                    "unit": "s",
                }
            ),
            flush=True,
        )
    emit("report_vs_bare_table_together_ratio_median", statistics.median(ratios["seconds"]), "x")
    emit(
        "report_vs_bare_table_together_cpu_ratio_median",
        statistics.median(ratios["cpu_seconds"]),
        "x",
    )


def measure_alternately(report_id: int, folder: Path, repeat: int) -> tuple[dict, dict]:
    """The full report and the bare table rendered `repeat` times each, in alternating
    order; the median of each figure (the largest peak memory), and every run printed."""
    runs: dict[str, list[dict]] = {"full": [], "bare": []}
    for index in range(repeat):
        order = ("bare", "full") if index % 2 == 0 else ("full", "bare")
        for kind in order:
            runs[kind].append(measure(kind, report_id, folder))
    if repeat > 1:
        for kind, results in runs.items():
            for key in ("seconds", "cpu_seconds"):
                values = [round(result[key], 2) for result in results]
                print(json.dumps({"name": f"{kind}_{key}_runs", "value": values, "unit": "s"}))
        for key in ("seconds", "cpu_seconds"):
            ratios = [
                full[key] / bare[key] for full, bare in zip(runs["full"], runs["bare"], strict=True)
            ]
            name = "pair_ratio" if key == "seconds" else "pair_cpu_ratio"
            emit(f"report_vs_bare_table_{name}_median", statistics.median(ratios), "x")
    return tuple(
        {
            "seconds": statistics.median(r["seconds"] for r in runs[kind]),
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs[kind]),
            "pages": runs[kind][0]["pages"],
            "peak_mb": max(r["peak_mb"] for r in runs[kind]),
            "largest_process_mb": max(r["largest_process_mb"] for r in runs[kind]),
        }
        for kind in ("full", "bare")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 300, 1000])
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="render the bare table and the full report this many times each, "
        "alternating, and report medians",
    )
    parser.add_argument(
        "--together",
        type=int,
        default=0,
        metavar="N",
        help="also render the full report and the bare table N times at the same moment, "
        "one on each core, and report the median ratio",
    )
    parser.add_argument("--child", choices=["full", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--report", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        setup_django(Path(os.environ["BENCH_FOLDER"]))
        child(args.child, args.report)
        return

    with tempfile.TemporaryDirectory(prefix="report-bench-") as name:
        folder = Path(name)
        setup_django(folder)
        from django.core.management import call_command

        from demo.example_report import example_report_create
        from demo.examples import load_examples

        call_command("migrate", verbosity=0)
        load_examples()
        example = example_report_create()
        # Other work on the machine slows the wall clock; CPU seconds are less affected.
        emit("load_average_1min", os.getloadavg()[0], "processes")
        full = measure("full", example.pk, folder)
        emit("report_seconds_example_plan", full["seconds"], "s")
        emit("report_cpu_seconds_example_plan", full["cpu_seconds"], "s")
        emit("report_pages_example_plan", full["pages"], "pages")
        emit("report_peak_mb_example_plan", full["peak_mb"], "MB")

        for size in args.sizes:
            started = time.perf_counter()
            report_id = build_synthetic(size)
            print(
                f"# built a plan of {size} actions in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
            full, bare = measure_alternately(report_id, folder, args.repeat)
            emit(f"load_average_1min_after_{size}_actions", os.getloadavg()[0], "processes")
            emit(f"report_seconds_{size}_actions", full["seconds"], "s")
            emit(f"report_cpu_seconds_{size}_actions", full["cpu_seconds"], "s")
            emit(f"report_pages_{size}_actions", full["pages"], "pages")
            emit(f"report_peak_mb_{size}_actions", full["peak_mb"], "MB")
            emit(f"report_largest_process_mb_{size}_actions", full["largest_process_mb"], "MB")
            emit(f"bare_table_seconds_{size}_actions", bare["seconds"], "s")
            emit(f"bare_table_cpu_seconds_{size}_actions", bare["cpu_seconds"], "s")
            emit(f"bare_table_pages_{size}_actions", bare["pages"], "pages")
            emit(f"bare_table_peak_mb_{size}_actions", bare["peak_mb"], "MB")
            emit(f"report_vs_bare_table_ratio_{size}", full["seconds"] / bare["seconds"], "x")
            emit(
                f"report_vs_bare_table_cpu_ratio_{size}",
                full["cpu_seconds"] / bare["cpu_seconds"],
                "x",
            )
            if args.together:
                measure_together(report_id, folder, args.together)


if __name__ == "__main__":
    main()
