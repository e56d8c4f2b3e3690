"""`make install` names exactly the system packages WeasyPrint is missing."""

import pytest

from improvement import syscheck


def loader_without(*absent: str):
    return lambda filename: not any(filename.startswith(prefix) for prefix in absent)


@pytest.mark.parametrize(
    ("absent", "names", "lines", "not_named"),
    [
        (
            "libharfbuzz-subset",
            ["HarfBuzz-Subset"],
            [
                "Missing: HarfBuzz-Subset (libharfbuzz-subset.so.0).",
                "sudo apt-get install libharfbuzz-subset0\n",
                "sudo dnf install harfbuzz\n",
                "brew install harfbuzz\n",
            ],
            "pango",
        ),
        (
            "libpango",
            ["Pango", "PangoFT2"],
            [
                "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0\n",
                # One system package holds both libraries: named once.
                "sudo dnf install pango\n",
                "brew install pango\n",
            ],
            "harfbuzz",
        ),
    ],
    ids=["harfbuzz-subset", "pango"],
)
def test_it_names_exactly_the_missing_packages(absent, names, lines, not_named):
    missing = syscheck.missing(loader_without(absent))
    assert [library.name for library in missing] == names
    advice = syscheck.advice(missing)
    for line in lines:
        assert line in advice
    assert not_named not in advice.lower()


def test_a_library_counts_as_present_under_any_of_its_names():
    assert syscheck.missing(loader_without("libharfbuzz-subset.so")) == []


def test_this_machine_has_every_library():
    assert syscheck.missing() == []
    assert syscheck.main() == 0
