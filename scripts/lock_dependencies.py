"""Write the hashed locks from pyproject.toml (`make lock`; arguments go to uv).

    requirements/dev.txt         what `make install` (and so CI) installs: the app and the
                                 dev extra
    requirements/production.txt  what the Dockerfile installs: the app alone
    requirements/pip.txt         pip alone, as dev.txt pins it: `make install` puts it in first

uv resolves both for Python 3.11 on every platform (Linux, macOS, Windows, any CPU) and
records the sha256 of every file of each pinned release, so pip installs them in
hash-checking mode and refuses anything else. The production lock is resolved with the
development lock's pins as constraints, so the two never pin a package differently.

The locks include pip and the build backend (`[build-system] requires`): the project itself
is installed with `--no-build-isolation`, because pip does not check the hashes of build
dependencies it fetches on its own.

    make lock                                    after changing pyproject.toml
    make lock LOCK_ARGS=--upgrade                every package to its newest allowed release
    make lock LOCK_ARGS="--upgrade-package django"
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = Path("requirements/dev.txt")
PRODUCTION = Path("requirements/production.txt")
PIP = Path("requirements/pip.txt")
PIP_HEADER = (
    "# pip itself, pinned as in requirements/dev.txt (make lock writes both): `make install`\n"
    "# installs it before the lock, because older pips (Python 3.11's own 23.2) refuse a locked\n"
    "# package that another asks for with an extra, e.g. pip-audit's CacheControl[filecache].\n"
)
UV = Path(sys.executable).with_name("uv")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def installers() -> str:
    """pip and the build backend, as requirement lines for uv's standard input."""
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    return "\n".join(["pip", *build]) + "\n"


def compile_lock(output: Path, *options: str) -> None:
    subprocess.run(
        [
            str(UV),
            "pip",
            "compile",
            "pyproject.toml",
            "-",
            *options,
            "--universal",
            "--python-version",
            "3.11",
            "--generate-hashes",
            "--quiet",
            "--custom-compile-command",
            "make lock",
            "--output-file",
            str(output),
        ],
        input=installers(),
        text=True,
        cwd=ROOT,
        check=True,
    )


def pins(lock: Path) -> dict[str, str]:
    return dict(PIN.findall((ROOT / lock).read_text()))


def write_pip_lock() -> None:
    """pip's own lines of the development lock, hashes included, without its comments."""
    block = re.search(r"^pip==.*?(?=\n\S|\Z)", (ROOT / DEV).read_text(), re.S | re.M)
    lines = [line for line in block.group(0).splitlines() if not line.strip().startswith("#")]
    (ROOT / PIP).write_text(PIP_HEADER + "\n".join(lines).rstrip(" \\") + "\n")


def main(arguments: list[str]) -> int:
    compile_lock(DEV, "--extra", "dev", *arguments)
    compile_lock(PRODUCTION, "--constraints", str(DEV))
    write_pip_lock()
    dev, production = pins(DEV), pins(PRODUCTION)
    differ = sorted(name for name, version in production.items() if dev.get(name) != version)
    if differ:
        print(f"{PRODUCTION} pins these differently from {DEV}: {', '.join(differ)}")
        return 1
    print(f"{DEV}: {len(dev)} packages; {PRODUCTION}: {len(production)} of them.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
