"""No function in product code is over 80 lines without saying why.

The convention (docs/architecture.md, "Conventions"): a function longer than
`LIMIT` lines, counted from its `def` to its last line, says "Long because:" in its
docstring or in a comment before its first statement. Migrations are generated and
left out; so are the tests and the benchmark scripts (bench/, scripts/).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "audits", "board", "core", "demo", "improvement", "plans", "reporting", "sso")
LIMIT = 80
MARK = "Long because:"


def long_functions_unexplained(source: str, limit: int = LIMIT) -> list[tuple[str, int, int]]:
    """(name, first line, length) of each function over `limit` lines whose docstring or
    leading comments do not say why it is long."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = node.end_lineno - node.lineno + 1
        if length <= limit:
            continue
        body = node.body
        if (
            len(body) > 1
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body = body[1:]
        head = "\n".join(lines[node.lineno - 1 : body[0].lineno - 1])
        if MARK not in head:
            found.append((node.name, node.lineno, length))
    return found


def product_files() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_every_long_function_says_why():
    assert product_files(), "no product code found"
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name} ({length} lines)"
        for path in product_files()
        for name, line, length in long_functions_unexplained(path.read_text())
    ]
    assert offenders == [], (
        f"Functions over {LIMIT} lines: split them, or say why they stay whole with a "
        f'"{MARK}" comment or docstring sentence at their top:\n' + "\n".join(offenders)
    )


def _function(lines: int, head: str) -> str:
    return "def f():\n" + head + "    x = 1\n" * lines


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        (_function(LIMIT - 1, ""), False),
        (_function(LIMIT, ""), True),
        (_function(LIMIT, "    # Long because: a chart drawn step by step.\n"), False),
        (
            _function(LIMIT, '    """Draw it.\n\n    Long because: one table of columns."""\n'),
            False,
        ),
        (_function(LIMIT, '    """Draw it."""\n'), True),
        # The mark must be at the top, not buried in the body.
        (_function(LIMIT, "    y = 0\n    # Long because: too late.\n"), True),
    ],
)
def test_the_check_flags_long_functions_without_a_reason(source, flagged):
    assert bool(long_functions_unexplained(source)) is flagged
