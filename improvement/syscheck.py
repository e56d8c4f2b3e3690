"""Check the system libraries the product needs, and say exactly what to install.

Run by `make install` (and so by `make demo` and `make test`): WeasyPrint needs Pango,
which pip cannot install.
"""

import sys

HINT = """WeasyPrint cannot load the Pango text-layout library, which PDF reports need.
Install it with your system's package manager, then run the command again:

  Debian/Ubuntu:  sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
  Fedora:         sudo dnf install pango
  macOS:          brew install pango

Details: {error}"""


def main() -> int:
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        print(HINT.format(error=error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
