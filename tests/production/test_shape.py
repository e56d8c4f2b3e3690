"""docker-compose.yml and the Dockerfile still say what the production smoke test runs.

The smoke test (test_smoke.py, run by .ci/run) reads its commands from these files, so
it cannot run anything else; these checks run in `make test` and catch, in seconds, the
changes that would make it fail or test less than the containers do."""

import re
from pathlib import Path

import pytest

from tests.production import shape

ALL_SERVICES = ("migrate", "web", "worker", "beat")


def test_the_image_starts_the_web_command_compose_runs():
    assert shape.dockerfile_cmd().argv == shape.service_command("web").argv


def test_compose_runs_migrations_gunicorn_a_celery_worker_and_beat():
    web = shape.service_command("web").argv
    assert web[:2] == ["gunicorn", "improvement.wsgi"]
    assert "--bind" in web
    assert shape.service_command("worker").argv[:4] == ["celery", "-A", "improvement", "worker"]
    beat = shape.service_command("beat").argv
    assert beat[:4] == ["celery", "-A", "improvement", "beat"]
    assert any(argument.startswith("--schedule=") for argument in beat)
    assert shape.service_command("migrate").argv == ["python", "manage.py", "migrate", "--noinput"]


def test_exactly_one_process_runs_beat():
    services = shape.compose_services()
    running_beat = [
        name
        for name, service in services.items()
        if "beat" in service.get("command", [])
        or {"-B", "--beat"} & set(service.get("command", []))
    ]
    assert running_beat == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_the_image_collects_static_files_with_debug_off():
    """With DEBUG on, collectstatic uses the development storage, which writes no
    manifest, and every page of the running containers fails with "Missing staticfiles
    manifest entry" (the smoke test found this)."""
    collectstatic = shape.dockerfile_run("collectstatic")
    assert collectstatic.argv == ["python", "manage.py", "collectstatic", "--noinput"]
    assert collectstatic.environment.get("DEBUG", "").lower() in ("false", "0", "no", "off")


@pytest.mark.parametrize("service", ALL_SERVICES)
def test_the_smoke_test_has_a_value_for_every_container_address_and_path(service):
    environment = shape.service_environment(service, {"SECRET_KEY": "set in .env"})
    container_only = {
        name
        for name, value in environment.items()
        if re.search(r"@db[:/]|//redis[:/]|^/app/", value)
    }
    here = shape.on_this_machine(
        database_url="postgres://here", redis_url="redis://here", media_root=Path("/here")
    )
    assert container_only == set(here)


def test_on_loopback_changes_only_the_bind_address_and_the_schedule_file():
    for service in ALL_SERVICES:
        argv = shape.service_command(service).argv
        here = shape.on_loopback(argv, bind="127.0.0.1:1234", schedule=Path("/tmp/x/schedule"))
        changed = [index for index, (a, b) in enumerate(zip(argv, here, strict=True)) if a != b]
        if service == "web":
            assert changed == [argv.index("--bind") + 1]
        elif service == "beat":
            assert [argv[index] for index in changed] == ["--schedule=/tmp/celerybeat-schedule"]
        else:
            assert changed == []


def test_interpolation_follows_compose():
    variables = {"SET": "value", "EMPTY": ""}
    assert shape.interpolate("${SET:-default}", variables) == "value"
    assert shape.interpolate("${EMPTY:-default}", variables) == "default"
    assert shape.interpolate("${EMPTY-default}", variables) == ""
    assert shape.interpolate("${UNSET-default},127.0.0.1", variables) == "default,127.0.0.1"
    assert shape.interpolate("${UNSET}", variables) == ""
    assert shape.interpolate("celery@$$HOSTNAME", variables) == "celery@$HOSTNAME"
    with pytest.raises(ValueError, match="SECRET_KEY must be set: set it in .env"):
        shape.interpolate("${SECRET_KEY:?set it in .env}", variables)


def test_the_image_leaves_out_local_secrets_and_data():
    ignored = (shape.ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "var", "staticfiles"} <= set(ignored)
