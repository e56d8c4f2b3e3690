"""`|short_day` writes what `|date:"j M Y"` wrote, `|clip` what `|truncatechars` cut."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.template.defaultfilters import date as django_date


def render(value) -> str:
    return Template("{{ value|short_day }}").render(Context({"value": value}))


@pytest.mark.parametrize("day", [dt.date(2024, 3, 7), dt.date(2025, 9, 30), dt.date(2026, 12, 1)])
def test_a_date_is_written_as_the_date_filter_wrote_it(day):
    assert render(day) == django_date(day, "j M Y") == f"{day.day} {day:%b %Y}"


def test_an_aware_datetime_is_written_as_its_local_day(settings):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    moment = dt.datetime(2025, 6, 30, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert settings.TIME_ZONE == "Europe/London"
    assert render(moment) == "1 Jul 2025"


@pytest.mark.parametrize("value", [None, "", "not a date"])
def test_nothing_to_write_gives_an_empty_string_so_default_can_follow(value):
    assert render(value) == ""
    assert (
        Template('{{ value|short_day|default:"Not set" }}').render(Context({"value": value}))
        == "Not set"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Short",
        "x" * 20,
        "x" * 21,
        "A sentence that is a little too long to fit",
        # Combining accents count for nothing; NFC composes them first.
        "Cafe\u0301 " * 6,
        "e\u0301" * 25,
    ],
)
@pytest.mark.parametrize("length", [0, 1, 5, 20, "not a number"])
def test_clip_cuts_exactly_as_truncatechars(text, length):
    clipped = Template("{{ text|clip:length }}").render(Context({"text": text, "length": length}))
    django = Template("{{ text|truncatechars:length }}").render(
        Context({"text": text, "length": length})
    )
    assert clipped == django


def test_clip_escapes_what_it_is_given_unless_it_is_safe():
    assert Template("{{ text|clip:5 }}").render(Context({"text": "<b>bold</b>"})) == "&lt;b&gt;b…"
    assert Template("{{ text|clip:50 }}").render(Context({"text": "<b>bold</b>"})) == (
        "&lt;b&gt;bold&lt;/b&gt;"
    )
