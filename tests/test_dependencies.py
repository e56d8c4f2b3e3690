"""The hashed locks (requirements/, written by `make lock`) match pyproject.toml, and every
install reads them."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.production import shape

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "requirements" / "dev.txt"
PRODUCTION = ROOT / "requirements" / "production.txt"
PIP = ROOT / "requirements" / "pip.txt"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
STALE = "the lock is older than pyproject.toml: run `make lock`"


def locked(lock: Path) -> dict[str, tuple[str, list[str]]]:
    """Each pinned package's version and hashes."""
    packages = {}
    for block in re.split(r"\n(?=\S)", lock.read_text()):
        match = re.match(r"([A-Za-z0-9][\w.-]*)==(\S+?)(?:\s*;.*?)?\s*(?:\\|$)", block)
        if match:
            name, version = match.groups()
            packages[canonicalize_name(name)] = (version, re.findall(r"--hash=(\S+)", block))
    return packages


def requirements(*groups: list[str]) -> list[Requirement]:
    return [Requirement(line) for group in groups for line in group]


RUNTIME = requirements(PYPROJECT["project"]["dependencies"])
DEV_EXTRA = requirements(PYPROJECT["project"]["optional-dependencies"]["dev"])
BUILD = requirements(PYPROJECT["build-system"]["requires"])


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [(DEV, RUNTIME + DEV_EXTRA + BUILD), (PRODUCTION, RUNTIME + BUILD)],
    ids=["dev", "production"],
)
def test_the_lock_pins_every_requirement_within_its_range(lock, wanted):
    packages = locked(lock)
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in packages, f"{requirement.name} is not in {lock.name}: {STALE}"
        version = packages[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock.name} pins {requirement.name}=={version}, outside {requirement.specifier}: "
            f"{STALE}"
        )


@pytest.mark.parametrize("lock", [DEV, PRODUCTION], ids=["dev", "production"])
def test_every_locked_package_has_its_hashes_and_pip_too(lock):
    packages = locked(lock)
    assert "pip" in packages
    for name, (version, hashes) in packages.items():
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{name}=={version}"
    assert not re.search(r"^\s*(-e|--editable)\b|^[^#\s]\S*\s@\s", lock.read_text(), re.M)


def test_production_pins_the_same_versions_as_dev_and_no_dev_tools():
    dev, production = locked(DEV), locked(PRODUCTION)
    assert {name: dev.get(name) for name in production} == production
    runtime = {canonicalize_name(r.name) for r in RUNTIME}
    tools = {canonicalize_name(r.name) for r in DEV_EXTRA} - runtime
    assert not tools & set(production), "development tools in the production lock"


def _pip_installs() -> list[tuple[str, str]]:
    commands = [
        ("Dockerfile", arguments)
        for keyword, arguments in shape.dockerfile_instructions()
        if keyword == "RUN"
    ]
    for name in ("Makefile", ".ci/run"):
        commands += [(name, line) for line in (ROOT / name).read_text().splitlines()]
    return [
        (where, part.strip())
        for where, command in commands
        for part in command.split("&&")
        if re.search(r"\bpip install\b", part) and not part.lstrip().startswith("#")
    ]


def test_every_pip_install_reads_a_lock_or_installs_only_the_project():
    """pip in hash-checking mode refuses anything not in the lock; the project itself is
    installed without dependencies, by the locked setuptools."""
    installs = _pip_installs()
    assert {where for where, _ in installs} == {"Dockerfile", "Makefile"}
    for where, command in installs:
        arguments = command.split()
        from_lock = "--require-hashes" in arguments and "-r" in arguments
        project_only = {"--no-deps", "--no-build-isolation"} <= set(arguments)
        assert from_lock or project_only, f"{where}: {command}"
    locks = {
        (where, command.split()[command.split().index("-r") + 1])
        for where, command in installs
        if "-r" in command.split()
    }
    assert locks == {
        ("Dockerfile", "requirements/production.txt"),
        ("Makefile", "$(PIP_LOCK)"),
        ("Makefile", "$(LOCK)"),
    }
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCK := requirements/dev.txt" in makefile
    assert "PIP_LOCK := requirements/pip.txt" in makefile
    # pip first: the lock is installed by the pip it pins, not by the venv's own.
    assert makefile.index("-r $(PIP_LOCK)") < makefile.index("-r $(LOCK)")


def test_the_pip_lock_is_the_dev_locks_pip():
    assert locked(PIP) == {"pip": locked(DEV)["pip"]}


def test_a_changed_lock_reinstalls():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\):.*\$\(LOCK\) \$\(PIP_LOCK\)", makefile, re.M)
