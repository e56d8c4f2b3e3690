"""The production shape as docker-compose.yml and the Dockerfile define it.

The smoke test (test_smoke.py) runs the commands and environment read here, so it runs
what the containers run; test_shape.py checks that the files still say what it needs.
What necessarily differs on this machine is said in two functions, `on_loopback` and
`on_this_machine`: the address gunicorn binds, where beat keeps its schedule, and the
variables whose values name a container's host or a path in the image.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

_INTERPOLATION = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


@dataclass(frozen=True)
class Command:
    """A program with its arguments, and the variables the command line itself sets."""

    argv: list[str]
    environment: dict[str, str] = field(default_factory=dict)


def compose_services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def service_command(name: str) -> Command:
    return Command(list(compose_services()[name]["command"]))


def service_environment(name: str, variables: dict[str, str]) -> dict[str, str]:
    """A service's environment as compose would pass it, with `variables` standing for
    the shell and the .env file."""
    environment = compose_services()[name].get("environment", {})
    return {key: interpolate(str(value), variables) for key, value in environment.items()}


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}` and
    `$$`."""

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.groups()
        value = variables.get(name)
        missing = value is None or (operator in (":-", ":?") and value == "")
        if operator in (":?", "?") and missing:
            raise ValueError(f"{name} must be set: {argument}")
        if operator in (":-", "-") and missing:
            return argument
        return value or ""

    return _INTERPOLATION.sub(substitute, value)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) for each instruction, continuation lines joined."""
    instructions = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_environment() -> dict[str, str]:
    """The image's ENV, which every container and later RUN step has."""
    environment = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            environment.update(_assignments(shlex.split(arguments))[0])
    return environment


def dockerfile_cmd() -> Command:
    commands = [
        json.loads(arguments)
        for keyword, arguments in dockerfile_instructions()
        if keyword == "CMD"
    ]
    return Command(commands[-1])


def dockerfile_run(program_argument: str) -> Command:
    """The one RUN step (or `&&`-joined part of one) whose arguments include
    `program_argument`, e.g. "collectstatic"."""
    found = []
    for keyword, arguments in dockerfile_instructions():
        if keyword != "RUN":
            continue
        for part in arguments.split("&&"):
            environment, argv = _assignments(shlex.split(part))
            if program_argument in argv:
                found.append(Command(argv, environment))
    if len(found) != 1:
        raise LookupError(f"{len(found)} RUN steps in the Dockerfile run {program_argument!r}")
    return found[0]


def _assignments(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """Leading NAME=value words (as `VAR=x cmd` or `ENV A=1 B=2`), and the rest."""
    environment = {}
    while words and re.fullmatch(r"\w+=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        environment[name] = value
    return environment, words


def on_this_machine(*, database_url: str, redis_url: str, media_root: Path) -> dict[str, str]:
    """Values here for the variables whose compose values name the `db` or `redis`
    container or a path inside the image. Broker and throttle cache share one Redis database
    (compose gives them two), as the smoke test has one to itself."""
    return {
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CACHE_URL": redis_url,
        "MEDIA_ROOT": str(media_root),
    }


def on_loopback(argv: list[str], *, bind: str, schedule: Path) -> list[str]:
    """A compose command as it runs on this machine: gunicorn bound to a loopback port
    instead of every interface, beat's schedule file in the test's own directory."""
    adapted = list(argv)
    for index, argument in enumerate(adapted):
        if argument == "--bind":
            adapted[index + 1] = bind
        elif argument.startswith("--schedule="):
            adapted[index] = f"--schedule={schedule}"
    return adapted
