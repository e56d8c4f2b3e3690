"""Check the system libraries the product needs, and say exactly which to install.

Run by `make install` (and so by `make demo` and `make test`). WeasyPrint, which lays out
the PDF reports, loads Pango, PangoFT2 and HarfBuzz-Subset from the system, and pip cannot
install them. Without HarfBuzz-Subset WeasyPrint 70 still works (it subsets fonts with
fontTools instead) but warns on every run that future versions will require it, so it is
required here too. .ci/run and the Dockerfile install all three.
"""

import ctypes
import sys
from collections.abc import Callable
from typing import NamedTuple


class Library(NamedTuple):
    name: str
    files: tuple[str, ...]  # as Linux, macOS (Homebrew) and Windows name them
    debian: str
    fedora: str
    homebrew: str


LIBRARIES = (
    Library(
        "Pango",
        ("libpango-1.0.so.0", "libpango-1.0.dylib", "libpango-1.0-0.dll"),
        "libpango-1.0-0",
        "pango",
        "pango",
    ),
    Library(
        "PangoFT2",
        ("libpangoft2-1.0.so.0", "libpangoft2-1.0.dylib", "libpangoft2-1.0-0.dll"),
        "libpangoft2-1.0-0",
        "pango",
        "pango",
    ),
    Library(
        "HarfBuzz-Subset",
        ("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll"),
        "libharfbuzz-subset0",
        "harfbuzz",
        "harfbuzz",
    ),
)


def loads(filename: str) -> bool:
    try:
        ctypes.CDLL(filename)
    except OSError:
        return False
    return True


def missing(load: Callable[[str], bool] = loads) -> list[Library]:
    """The libraries none of whose files the system's loader finds."""
    return [library for library in LIBRARIES if not any(map(load, library.files))]


def advice(libraries: list[Library]) -> str:
    def packages(attribute: str) -> str:
        return " ".join(dict.fromkeys(getattr(library, attribute) for library in libraries))

    names = ", ".join(f"{library.name} ({library.files[0]})" for library in libraries)
    return (
        f"WeasyPrint, which lays out the PDF reports, needs system libraries that pip cannot "
        f"install. Missing: {names}.\n"
        "Install them with your system's package manager, then run the command again:\n\n"
        f"  Debian/Ubuntu:  sudo apt-get install {packages('debian')}\n"
        f"  Fedora:         sudo dnf install {packages('fedora')}\n"
        f"  macOS:          brew install {packages('homebrew')}\n"
    )


def main() -> int:
    absent = missing()
    if absent:
        print(advice(absent), file=sys.stderr)
        return 1
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        # Another library WeasyPrint loads (GObject, Fontconfig…): its own message names it.
        print(f"WeasyPrint cannot load a system library it needs: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
