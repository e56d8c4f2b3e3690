"""The layers (pyproject.toml [tool.importlinter], docs/architecture.md "Layers"):
the code keeps them, and the contract breaks when someone adds an upward import, an
import of the database into `plans.rules`, or a cycle between two modules of an app."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is in the dev lock (make install)")

ROOT = Path(__file__).resolve().parent.parent
# Every package the contracts name, as pyproject.toml lists them.
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "root_packages"
]
# `lint-imports`, run by the Python running the tests.
LINT_IMPORTS = [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LINT_IMPORTS, "--no-cache"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def copy(tmp_path):
    """The packages and pyproject.toml, copied to add an import to."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "migrations"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_its_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def add_line(path: Path, line: str) -> None:
    path.write_text(f"{line}\n" + path.read_text())


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # plans below audits: an action page reading audits directly.
        (
            "plans/selectors.py",
            "from audits import selectors",
            "plans is not allowed to import audits",
        ),
        # audits below reporting.
        (
            "audits/charts.py",
            "from reporting import content",
            "audits is not allowed to import reporting",
        ),
        # The dashboard and the committee reports side by side, each on its own.
        (
            "board/selectors.py",
            "from reporting import content",
            "board is not allowed to import reporting",
        ),
        (
            "reporting/content.py",
            "from board import selectors",
            "reporting is not allowed to import board",
        ),
        # board above audits.
        (
            "audits/selectors.py",
            "from board import selectors",
            "audits is not allowed to import board",
        ),
        # No app imports the project package (settings, URLs, Celery app).
        (
            "plans/services.py",
            "from improvement import env",
            "plans is not allowed to import improvement",
        ),
        # Only demo writes every app's data.
        (
            "reporting/services.py",
            "from demo import examples",
            "reporting is not allowed to import demo",
        ),
        # The pure rules read no database.
        (
            "plans/rules.py",
            "from plans import models",
            "plans.rules is not allowed to import plans.models",
        ),
        # A cycle inside an app: the models back to the positions that import them.
        ("plans/models.py", "from plans import positions", "No cycles are allowed in plans"),
    ],
)
def test_the_contract_breaks_on_an_import_against_the_layers(copy, module, line, broken):
    assert lint_imports(copy).returncode == 0  # the copy as it is keeps them

    add_line(copy / module, line)

    result = lint_imports(copy)
    assert result.returncode == 1
    assert broken in result.stdout
