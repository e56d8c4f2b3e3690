"""The production shape, run: docker-compose.yml's own commands as processes on loopback.

The image's collectstatic, compose's migrate, then web (gunicorn, DEBUG off, production
settings), one Celery worker and exactly one beat against this machine's PostgreSQL and
Redis. Over HTTP, as a browser behind the TLS proxy: a director signs in and saves a
rating; a clerk sets up a committee report, the worker renders it, and the PDF comes back
through gunicorn with the page count the app states. Then every process is stopped and
none may be left.

Run by .ci/run and `make smoke` (PRODUCTION_SMOKE=1); skipped in `make test`. It drops
and recreates its own database (SMOKE_DATABASE_URL) and empties its own Redis database
(SMOKE_REDIS_URL), which no other test may use.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from html import unescape
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from pypdf import PdfReader

from tests.production import shape
from tests.production.browser import Browser, Response

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("PRODUCTION_SMOKE"),
        reason="the production smoke test runs in .ci/run and `make smoke` (PRODUCTION_SMOKE=1)",
    ),
    # About 5 minutes on a two-core machine shared with other test runs; room for more.
    pytest.mark.timeout(1800),
]

DATABASE_URL = os.environ.get(
    "SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/improvement_smoke"
)
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/9")
HOST = "127.0.0.1"
COMMITTEE = "Children and Young People Scrutiny Committee"
# Long enough for a report of the example plan on a busy two-core machine; the worker's
# own hard limit (CELERY_TASK_TIME_LIMIT) is 300 s.
RENDER_WAIT = 300


class Stack:
    """The processes of the stack, each the leader of its own process group so that
    stopping it can be checked to have left nothing behind (gunicorn's workers, the
    Celery pool, a render's forked processes)."""

    def __init__(self, directory: Path, environment: dict[str, str]):
        self.directory = directory
        self.environment = environment
        self.processes: dict[str, subprocess.Popen] = {}
        self.timings: list[tuple[str, float]] = []

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        return {**self.environment, **extra}

    def run(self, name: str, argv: list[str], environment: dict[str, str]) -> None:
        """Run a one-off command (collectstatic, migrate) to completion."""
        log = self.directory / f"{name}.log"
        with log.open("wb") as output:
            result = subprocess.run(
                argv,
                cwd=shape.ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=600,
                check=False,
            )
        assert result.returncode == 0, f"{name} exited {result.returncode}:\n{self.tail(name)}"

    def start(self, name: str, argv: list[str], environment: dict[str, str]) -> None:
        output = (self.directory / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            argv,
            cwd=shape.ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        output.close()

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def tail(self, name: str, lines: int = 40) -> str:
        return "\n".join(self.log(name).splitlines()[-lines:])

    def wait_for(self, what: str, condition, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited early:\n{self.tail(name)}"
            if condition():
                return
            time.sleep(0.5)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")

    def stop(self, name: str, timeout: float = 60) -> int:
        """SIGTERM, as `docker compose stop` sends; the exit status."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGTERM)
        return process.wait(timeout=timeout)

    def left_in_group(self, name: str) -> bool:
        try:
            os.killpg(self.processes[name].pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill_everything(self) -> None:
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            process.wait(timeout=30)

    def step(self, name: str):
        return _Step(self, name)


class _Step:
    def __init__(self, stack: Stack, name: str):
        self.stack, self.name = stack, name

    def __enter__(self):
        self.started = time.monotonic()

    def __exit__(self, *exc):
        self.stack.timings.append((self.name, time.monotonic() - self.started))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _fresh_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    assert re.fullmatch(r"\w+", name), f"unexpected database name {name!r}"
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _fresh_redis() -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def stack(tmp_path, capsys):
    _fresh_database()
    _fresh_redis()
    base = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        **shape.dockerfile_environment(),
        # Where the image keeps its files, here in the test's own directory.
        "STATIC_ROOT": str(tmp_path / "static"),
        "VAR_DIR": str(tmp_path / "var"),
    }
    running = Stack(tmp_path, base)
    yield running
    running.kill_everything()
    _fresh_redis()
    for name in sorted(path.stem for path in tmp_path.glob("*.log")):
        print(f"---- {name}.log (last lines) ----\n{running.tail(name)}")
    with capsys.disabled():
        total = sum(seconds for _, seconds in running.timings)
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in running.timings)
        print(f"\nProduction smoke test: {total:.0f} s ({steps})")


def test_the_compose_stack_serves_a_rating_and_a_worker_rendered_report(stack, tmp_path):
    port = _free_port()
    secret = secrets.token_urlsafe(50)
    password = secrets.token_urlsafe(16)

    def service_env(service: str) -> dict[str, str]:
        return stack.env(
            {
                **shape.service_environment(service, {"SECRET_KEY": secret}),
                **shape.on_this_machine(
                    database_url=DATABASE_URL, redis_url=REDIS_URL, media_root=tmp_path / "media"
                ),
            }
        )

    with stack.step("collectstatic"):
        # At image build time: only the image's ENV and the step's own variables.
        collectstatic = shape.dockerfile_run("collectstatic")
        stack.run("collectstatic", collectstatic.argv, stack.env(collectstatic.environment))
    with stack.step("migrate"):
        stack.run("migrate", shape.service_command("migrate").argv, service_env("migrate"))
    with stack.step("example data"):
        # As `docker compose run --rm web python manage.py …` would.
        manage = ["python", "manage.py"]
        stack.run("load_examples", [*manage, "load_examples"], service_env("web"))
        stack.run(
            "create_demo_users",
            [*manage, "create_demo_users"],
            {**service_env("web"), "DEMO_PASSWORD": password},
        )

    with stack.step("start"):
        for service in ("web", "worker", "beat"):
            argv = shape.on_loopback(
                shape.service_command(service).argv,
                bind=f"{HOST}:{port}",
                schedule=tmp_path / "celerybeat-schedule",
            )
            stack.start(service, argv, service_env(service))
        probe = Browser(HOST, port)
        stack.wait_for("gunicorn", lambda: _answers(probe, "/healthz"), timeout=90)
        stack.wait_for("the worker", lambda: " ready." in stack.log("worker"), timeout=90)
        stack.wait_for("beat", lambda: "beat: Starting" in stack.log("beat"), timeout=90)

    with stack.step("sign-in and rating"):
        plain = Browser(HOST, port, secure=False).get("/accounts/login/")
        assert plain.status == 301, "SECURE_SSL_REDIRECT sends plain HTTP to HTTPS"
        assert plain.headers["Location"].startswith("https://")

        director = Browser(HOST, port)
        mine = _sign_in(director, "director", password)
        assert "/plans/mine/" in mine.url, mine.url
        _check_static_files(director, mine)
        link = re.search(r'href="(/plans/actions/(\d+)/update/[^"]*)"', mine.text)
        assert link, "My actions offers no action to update"
        action_url = f"/plans/actions/{link.group(2)}/"
        page = director.get(unescape(link.group(1)))
        assert page.status == 200, page.status
        commentary = f"Smoke test {secrets.token_hex(4)}: two posts are out to advert."
        saved = director.submit(
            page,
            page.form(action="/update/", field_name="commentary"),
            rag="red",
            commentary=commentary,
            recovery="Agency advisers cover the open cases until the new posts start.",
        )
        assert saved.status == 302, _errors(saved)
        action = director.get(action_url)
        assert action.status == 200
        assert commentary in action.text

    with stack.step("report rendered by the worker"):
        clerk = Browser(HOST, port)
        _sign_in(clerk, "clerk", password)
        new = clerk.get("/reports/new/ilacs-2024/")
        assert new.status == 200, new.status
        created = clerk.submit(
            new,
            new.form(field_name="committee"),
            committee=COMMITTEE,
            # The date as a person types it: day, month and year boxes.
            meeting_date_day="11",
            meeting_date_month="11",
            meeting_date_year="2024",
            agenda_item="6",
            report_of="Executive Director for Children and Young People",
            recommendations="The committee notes the progress made in Q2 2024/25.",
            purpose="To update the committee on progress against the ILACS 2024 plan.",
        )
        assert created.status == 302, _errors(created)
        report = clerk.follow(created)
        requested = clerk.submit(report, report.form(action="/render/"))
        assert requested.status == 302, _errors(requested)
        status_url = report.url.rstrip("/") + "/status/"
        ready = {}

        def rendered() -> bool:
            status = clerk.get(status_url).text
            assert "render-failed" not in status, status
            ready["html"] = status
            return "render-ready" in status

        stack.wait_for("the report to render", rendered, timeout=RENDER_WAIT)
        stated = int(re.search(r"Render \d+: (\d+) pages?", ready["html"]).group(1))
        download = re.search(r'href="(/reports/renders/\d+/download/)"', ready["html"]).group(1)
        pdf = clerk.get(download)
        assert pdf.status == 200
        assert pdf.headers["Content-Type"] == "application/pdf"
        assert pdf.body.startswith(b"%PDF-")
        reader = PdfReader(BytesIO(pdf.body))
        first_page = " ".join(reader.pages[0].extract_text().split())
        # The count the page states, the count in the PDF and the footer's "of N" agree.
        assert len(reader.pages) == stated > 1
        assert f"Page 1 of {stated}" in first_page
        assert COMMITTEE.upper() in first_page.upper()
        # Rendered by the worker, not in the web process.
        assert re.search(
            r"Task reporting\.tasks\.render_report\[[^]]+\] succeeded", stack.log("worker")
        )
        assert "reporting.tasks.render_report" not in stack.log("web")

    with stack.step("stop"):
        for service in ("web", "worker", "beat"):
            status = stack.stop(service)
            assert status == 0, f"{service} exited {status} on SIGTERM:\n{stack.tail(service)}"
        deadline = time.monotonic() + 10
        left = ["-"]
        while left and time.monotonic() < deadline:
            left = [name for name in stack.processes if stack.left_in_group(name)]
            time.sleep(0.2)
        assert not left, f"processes left behind by {left}"


def _answers(browser: Browser, path: str) -> bool:
    try:
        return browser.get(path).status == 200
    except OSError:
        return False


def _sign_in(browser: Browser, username: str, password: str) -> Response:
    page = browser.get("/accounts/login/")
    assert page.status == 200, page.status
    answer = browser.submit(
        page, page.form(field_name="username"), username=username, password=password
    )
    assert answer.status == 302, f"sign-in as {username} failed: {_errors(answer)}"
    landing = browser.follow(answer)
    while landing.status == 302:
        landing = browser.follow(landing)
    assert landing.status == 200, landing.status
    return landing


def _check_static_files(browser: Browser, page: Response) -> None:
    """The page links the stylesheet by its hashed name from collectstatic's manifest,
    and whitenoise serves it."""
    href = re.search(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', page.text)
    assert href, "the page links no stylesheet"
    assert re.search(r"\.[0-9a-f]{12}\.css$", href.group(1)), href.group(1)
    assert browser.get(href.group(1)).status == 200


def _errors(response: Response) -> str:
    """The errors a form page shows: its summary's links, and each field's message."""
    found = re.findall(
        r'<a href="#id_[^"]*">(.*?)</a>|class="(?:field-error|errorlist)[^"]*"[^>]*>(.*?)</',
        response.text,
        re.S,
    )
    found = [link or message for link, message in found]
    return f"{response.status} {response.url}: " + (
        "; ".join(" ".join(unescape(re.sub("<[^>]+>", "", e)).split()) for e in found)
        or response.text[:500]
    )
