"""Rating updates under load: directors updating their actions at the same time.

Run by bench/run.py against its bench database (it writes ratings there). Starts
gunicorn with 2 workers on 127.0.0.1 and a free port from 8100 up, signs in LOAD_USERS
directors (default 20), and for LOAD_SECONDS (default 60) each of them, in its own
thread, opens the update form of one of its actions (/plans/actions/<pk>/update/),
reads the version and CSRF token from it and posts an Amber rating with commentary, a
recovery note and an override reason, then waits LOAD_THINK_S seconds (default 1.0,
varied by half either way) as a person would. Every request is bounded (30 s timeout)
and so is each user's loop (the deadline and LOAD_MAX_UPDATES); gunicorn is stopped at
the end, whatever happens.

Each user updates only actions of which it is the only owner, so no two users edit the
same action: every refusal is an error, not a fair conflict. Lost updates are the
successful posts (a redirect after saving) minus the new rating history rows written
in the meantime for those actions: it must be 0.

One more signed-in user requests the trivial page (as bench/run.py's) at the same pace
meanwhile, so that its p95 under the same load is printed beside the updates'.

Prints JSON lines: rating_update_p95_ms, rating_update_median_ms, rating_updates_ok,
rating_update_errors, rating_update_conflicts, lost_updates, rating_form_p95_ms,
rating_update_trivial_p95_ms.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "load-test-password-not-for-anything-else"  # noqa: S105 - bench database only
TIMEOUT = 30


def emit(name: str, value, unit: str, **extra) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, **extra}), flush=True)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port(start: int = 8100) -> int:
    for port in range(start, start + 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("No free port between 8100 and 8300.")


def _field(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if tag is None:
        raise ValueError(f"no {name} field")
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


@dataclass
class Results:
    updates: list[float] = field(default_factory=list)  # ms of each successful post
    forms: list[float] = field(default_factory=list)
    trivial: list[float] = field(default_factory=list)  # ms of the trivial page, alongside
    errors: int = 0
    conflicts: int = 0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(what)


def sign_in(base: str, username: str) -> requests.Session:
    """A signed-in session. Done before the timed phase: password hashing is slow by
    design and would otherwise be measured as part of the updates."""
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=120)
    response = session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": _field(page.text, "csrfmiddlewaretoken"),
        },
        allow_redirects=False,
        timeout=120,
    )
    if response.status_code != 302:
        raise RuntimeError(f"{username}: sign-in answered {response.status_code}")
    return session


def user_loop(
    base: str,
    session: requests.Session,
    username: str,
    action_ids: list[int],
    deadline: float,
    results: Results,
    think: float,
    max_updates: int,
    seed: int,
) -> None:
    rng = random.Random(seed)
    done = 0
    while time.monotonic() < deadline and done < max_updates:
        pk = action_ids[done % len(action_ids)]
        url = f"{base}/plans/actions/{pk}/update/"
        try:
            started = time.perf_counter()
            form = session.get(url, timeout=TIMEOUT)
            form_ms = (time.perf_counter() - started) * 1000
            if form.status_code != 200:
                results.error(f"GET {url}: {form.status_code}")
                done += 1
                continue
            data = {
                "csrfmiddlewaretoken": _field(form.text, "csrfmiddlewaretoken"),
                "version": _field(form.text, "version"),
                "period": _field(form.text, "period"),
                "rag": "amber",
                "commentary": f"Load test update {done + 1} by {username}.",
                "recovery": "Weekly checkpoint with the service manager until back on track.",
                "override_reason": "Recovery plan agreed; dates reviewed at the board.",
            }
            started = time.perf_counter()
            response = session.post(url, data=data, allow_redirects=False, timeout=TIMEOUT)
            post_ms = (time.perf_counter() - started) * 1000
        except (requests.RequestException, ValueError) as error:
            results.error(f"{url}: {error}")
            done += 1
            continue
        with results.lock:
            results.forms.append(form_ms)
        if response.status_code == 302:
            with results.lock:
                results.updates.append(post_ms)
        elif response.status_code == 409:
            with results.lock:
                results.conflicts += 1
        else:
            results.error(f"POST {url}: {response.status_code}")
        done += 1
        time.sleep(rng.uniform(think * 0.5, think * 1.5))


def trivial_loop(
    base: str, session: requests.Session, deadline: float, results: Results, think: float
) -> None:
    """The trivial signed-in page (the password-change form: the same middleware,
    session and base template, almost no queries) requested by one more user while the
    others update, so that its p95 under the same load is printed beside theirs."""
    rng = random.Random(0)
    while time.monotonic() < deadline:
        try:
            started = time.perf_counter()
            response = session.get(f"{base}/accounts/password_change/", timeout=TIMEOUT)
            elapsed = (time.perf_counter() - started) * 1000
        except requests.RequestException as error:
            results.error(f"trivial page: {error}")
            continue
        if response.status_code == 200:
            with results.lock:
                results.trivial.append(elapsed)
        else:
            results.error(f"trivial page: {response.status_code}")
        time.sleep(rng.uniform(think * 0.5, think * 1.5))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "improvement.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count, Q

    from plans.models import Action, Plan, Rating, ReportingPeriod

    users_wanted = int(os.environ.get("LOAD_USERS", 20))
    seconds = float(os.environ.get("LOAD_SECONDS", 60))
    think = float(os.environ.get("LOAD_THINK_S", 1.0))
    max_updates = int(os.environ.get("LOAD_MAX_UPDATES", 10_000))
    database = connection.vendor

    # Actions that one synthetic director alone owns, in active plans with an open period.
    actions = (
        Action.objects.filter(
            plan__slug__startswith="synthetic-",
            plan__status=Plan.Status.ACTIVE,
            plan__periods__state=ReportingPeriod.State.OPEN,
        )
        .annotate(owner_count=Count("owners", distinct=True))
        .filter(owner_count=1, owners__user__username__startswith="synthetic-owner-")
        .values_list("pk", "owners__user_id")
        .order_by("pk")
    )
    by_user: dict[int, list[int]] = {}
    for pk, user_id in actions:
        by_user.setdefault(user_id, []).append(pk)
    user_ids = sorted(by_user, key=lambda uid: (-len(by_user[uid]), uid))[:users_wanted]
    if len(user_ids) < users_wanted:
        log(f"load: only {len(user_ids)} directors own actions alone; run make_synthetic first")
        if not user_ids:
            return 1
    users = get_user_model().objects.in_bulk(user_ids)
    for user in users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    tested = [pk for uid in user_ids for pk in by_user[uid][:200]]
    history = Rating.history.model.objects.filter(Q(action_id__in=tested), history_type="+")
    before_history = history.count()
    before_ratings = Rating.objects.filter(action_id__in=tested).count()
    connection.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "improvement.wsgi:application",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "--timeout=60",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,
    )
    results = Results()
    try:
        ready_by = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > ready_by or server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.5)
        log(f"load: signing in {len(user_ids)} users")
        sessions = {uid: sign_in(base, users[uid].username) for uid in user_ids}
        # One of the directors again, in a session of its own, for the trivial page.
        trivial_session = sign_in(base, users[user_ids[0]].username)
        log(f"load: {len(user_ids)} users for {seconds:.0f} s against gunicorn on port {port}")
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(
                target=user_loop,
                args=(
                    base,
                    sessions[uid],
                    users[uid].username,
                    by_user[uid][:200],
                    deadline,
                    results,
                    think,
                    max_updates,
                    index,
                ),
                daemon=True,
            )
            for index, uid in enumerate(user_ids)
        ]
        threads.append(
            threading.Thread(
                target=trivial_loop,
                args=(base, trivial_session, deadline, results, think),
                daemon=True,
            )
        )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 2 * TIMEOUT + 10)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    new_history = history.count() - before_history
    new_ratings = Rating.objects.filter(action_id__in=tested).count() - before_ratings
    ok = len(results.updates)
    common = {
        "database": database,
        "users": len(user_ids),
        "seconds": seconds,
        "think_s": think,
        "workers": 2,
    }
    for sample in results.error_samples:
        log(f"load: error: {sample}")
    p95 = statistics.quantiles(results.updates, n=20)[-1] if len(results.updates) >= 2 else None
    emit("rating_update_p95_ms", round(p95, 1) if p95 is not None else None, "ms", **common)
    median = statistics.median(results.updates) if results.updates else None
    emit("rating_update_median_ms", round(median, 1) if median else None, "ms", **common)
    emit("rating_updates_ok", ok, "updates", **common)
    emit("rating_update_errors", results.errors, "errors", **common)
    emit("rating_update_conflicts", results.conflicts, "conflicts", **common)
    emit(
        "lost_updates",
        ok - new_history,
        "updates",
        new_history_rows=new_history,
        new_ratings=new_ratings,
        **common,
    )
    forms_p95 = statistics.quantiles(results.forms, n=20)[-1] if len(results.forms) >= 2 else None
    emit("rating_form_p95_ms", round(forms_p95, 1) if forms_p95 else None, "ms", **common)
    trivial = results.trivial
    trivial_p95 = statistics.quantiles(trivial, n=20)[-1] if len(trivial) >= 2 else None
    emit(
        "rating_update_trivial_p95_ms",
        round(trivial_p95, 1) if trivial_p95 else None,
        "ms",
        requests=len(trivial),
        **common,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
