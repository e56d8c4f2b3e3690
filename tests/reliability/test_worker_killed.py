"""A worker killed while it renders a committee report does not lose the job.

Real worker processes (`celery -A improvement worker`, prefork) take jobs from the Redis
on this machine (REDIS_TEST_URL, default db 15, a queue of their own per test) and write
to a database this test reads: on PostgreSQL the test database itself, on SQLite a copy
of it in a file. With `acks_late` and `reject_on_worker_lost` the job goes back to the
broker when its process dies, and `render_run` lets the redelivered job take over the
render the dead one left "rendering".
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.db import connection

from improvement.celery import app
from reporting import tasks
from reporting.models import ReportRender
from reporting.pdf import pdf_page_count
from tests.conftest import REDIS_TEST_URL
from tests.reporting.builders import build_reported_plan

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 2  # seconds: how long Redis waits before a dead worker's job returns

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def broker():
    """The test process publishes to the real Redis, as the web processes do."""
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"needs Redis at {REDIS_TEST_URL} for real Celery workers: {error}")
    changes = {"broker_url": REDIS_TEST_URL, "task_always_eager": False}
    saved = {key: app.conf[key] for key in changes}
    app.conf.update(changes)
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


class Database:
    """Where the workers read and write, and how this test reads what they wrote."""

    def __init__(self, tmp_path: Path):
        settings = connection.settings_dict
        if connection.vendor == "postgresql":
            credentials = settings["USER"] + (
                f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
            )
            host = f"{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}"
            self.url = f"postgres://{credentials}@{host}/{settings['NAME']}"
            self.path = None
        else:
            # The test database may live in memory: the workers get a file copy of it.
            self.path = tmp_path / "workers.sqlite3"
            connection.ensure_connection()
            copy = sqlite3.connect(self.path)
            connection.connection.backup(copy)
            copy.close()
            self.url = f"sqlite:///{self.path}"

    def render(self, pk: int) -> dict:
        fields = ("state", "attempts", "pdf", "checksum", "error")
        if self.path is None:
            return ReportRender.objects.values(*fields).get(pk=pk)
        with sqlite3.connect(self.path, timeout=20) as reader:
            values = reader.execute(
                f"SELECT {', '.join(fields)} FROM reporting_reportrender WHERE id = ?",  # noqa: S608
                (pk,),
            ).fetchone()
        return dict(zip(fields, values, strict=True))


class Worker:
    """`celery -A improvement worker` in a process group of its own, so that it and its
    pool process can be killed together."""

    def __init__(self, name: str, queue: str, database: Database, media: Path, log: Path):
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_BROKER_URL", "REDIS_URL"}
        }
        env |= {
            "DEBUG": "true",
            "DATABASE_URL": database.url,
            "CELERY_BROKER_URL": REDIS_TEST_URL,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "MEDIA_ROOT": str(media),
            "VAR_DIR": str(log.parent),
        }
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "improvement",
                "worker",
                "--queues",
                queue,
                "--hostname",
                f"{name}@%h",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while " ready." not in self.output():
            assert self.process.poll() is None, f"the worker exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"the worker did not start:\n{self.output()}"
            time.sleep(0.1)

    def pool_processes(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def workers(queue: str, database: Database, media: Path, logs: Path):
    started: list[Worker] = []

    def start(name: str) -> Worker:
        worker = Worker(name, queue, database, media, logs / f"{name}.log")
        started.append(worker)
        worker.wait_until_ready()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        redis.Redis.from_url(REDIS_TEST_URL).delete(queue)


def wait_for_state(database: Database, pk: int, states: set[str], timeout: float, worker_logs=""):
    deadline = time.monotonic() + timeout
    while (render := database.render(pk))["state"] not in states:
        assert time.monotonic() < deadline, f"still {render} after {timeout} s\n{worker_logs()}"
        time.sleep(0.05)
    return render


@pytest.fixture
def scenario(broker, tmp_path, settings):
    """A report big enough to take a few seconds to render, a queued render of it, and
    a start() for workers on a queue of this test's own."""
    built = build_reported_plan(areas=2, actions_per_area=6)
    render = ReportRender.objects.create(report=built.report, number=1)
    database = Database(tmp_path)
    queue = f"reliability-{uuid.uuid4().hex[:12]}"
    media = Path(settings.MEDIA_ROOT)
    with workers(queue, database, media, tmp_path) as start:
        yield render, database, queue, start, media


def assert_ready_pdf(render: dict, media: Path) -> None:
    assert render["state"] == "ready", render["error"]
    data = (media / render["pdf"]).read_bytes()
    assert data.startswith(b"%PDF-") and pdf_page_count(data) >= 2


def test_a_job_whose_worker_is_killed_mid_render_is_finished_by_the_next_worker(scenario):
    render, database, queue, start, media = scenario
    first = start("first")
    tasks.render_report.apply_async((render.pk,), queue=queue)
    assert wait_for_state(database, render.pk, {"rendering"}, 60, first.output)["attempts"] == 1

    first.kill()  # the worker and its pool process, mid-render: nothing is acknowledged

    time.sleep(VISIBILITY_TIMEOUT + 0.5)
    left = database.render(render.pk)
    assert (left["state"], left["attempts"], left["pdf"]) == ("rendering", 1, "")
    second = start("second")
    done = wait_for_state(database, render.pk, {"ready", "failed"}, 120, second.output)

    assert_ready_pdf(done, media)
    assert done["attempts"] == 2


def test_a_killed_pool_process_is_replaced_and_its_job_run_again(scenario):
    render, database, queue, start, media = scenario
    worker = start("only")
    tasks.render_report.apply_async((render.pk,), queue=queue)
    wait_for_state(database, render.pk, {"rendering"}, 60, worker.output)

    (pool_process,) = worker.pool_processes()
    os.kill(pool_process, signal.SIGKILL)  # as the kernel's out-of-memory killer would

    done = wait_for_state(database, render.pk, {"ready", "failed"}, 120, worker.output)
    assert_ready_pdf(done, media)
    assert done["attempts"] == 2
    assert "WorkerLostError" in worker.output()
    assert worker.process.poll() is None  # the worker itself carried on
