"""Tests for the SVG charts: accessible, escaped, proportional, deterministic."""

import base64
import html
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from core.charts import (
    RAG_ORDER,
    RAG_STYLES,
    as_image,
    measure_trend,
    rag_stacked_bars,
    rag_trend,
    sparkline,
)

SVG = "{http://www.w3.org/2000/svg}"
AREA_1 = ("Area 1", {"blue": 2, "green": 5, "amber": 1, "red": 0, "": 3})
POINTS = [
    (date(2025, 1, 31), 82.5),
    (date(2025, 2, 28), 85),
    (date(2025, 3, 31), 91),
    (date(2025, 4, 30), 88),
]
XSS = "<script>alert(1)</script>"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is XML


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def desc(root: ET.Element) -> str:
    return root.find(f"{SVG}desc").text


def segments(root: ET.Element, *, in_row: int = 0) -> dict[str, ET.Element]:
    row = root.findall(f"{SVG}g[@class='row']")[in_row]
    return {
        rect.get("class").split()[1].removeprefix("segment-"): rect
        for rect in row.iter(f"{SVG}rect")
        if "segment" in (rect.get("class") or "")
    }


def plain_lines(root: ET.Element) -> list[ET.Element]:
    """The grid lines of a chart (not the target line), from the lowest tick up."""
    return [line for line in root.iter(f"{SVG}line") if line.get("class") is None]


EVERY_CHART = {
    "stacked bars": lambda: rag_stacked_bars([AREA_1], title="Ratings by area"),
    "stacked bars, empty": lambda: rag_stacked_bars([], title="Ratings by area"),
    "trend": lambda: rag_trend([("Q1 2025", AREA_1[1])], title="Ratings by quarter"),
    "trend, empty": lambda: rag_trend([], title="Ratings by quarter"),
    "measure": lambda: measure_trend(POINTS, title="Visits", target=90, tolerance=5),
    "measure, empty": lambda: measure_trend([], title="Visits", target=90, tolerance=5),
    "sparkline": lambda: sparkline([80, 85, 92], title="Visits", target=90),
    "sparkline, empty": lambda: sparkline([], title="Visits"),
}


@pytest.mark.parametrize("make", EVERY_CHART.values(), ids=EVERY_CHART.keys())
def test_every_chart_is_an_image_labelled_by_its_title_and_description(make):
    root = parse(make())

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}title").text in {"Ratings by area", "Ratings by quarter", "Visits"}
    assert desc(root)


@pytest.mark.parametrize("make", EVERY_CHART.values(), ids=EVERY_CHART.keys())
def test_every_chart_has_a_fixed_size_and_the_report_font(make):
    root = parse(make())

    width, height = root.get("width"), root.get("height")
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert int(width) > 0 and int(height) > 0
    assert root.get("font-family") == "DejaVu Sans"


@pytest.mark.parametrize("make", EVERY_CHART.values(), ids=EVERY_CHART.keys())
def test_every_chart_is_the_same_for_the_same_input(make):
    assert make() == make()


@pytest.mark.parametrize("make", EVERY_CHART.values(), ids=EVERY_CHART.keys())
def test_numbers_in_markup_are_integers_or_have_one_decimal(make):
    numbers = re.findall(r"-?\d+\.\d+", make())

    assert all(len(number.split(".")[1]) == 1 for number in numbers)


def test_charts_of_different_data_have_different_ids():
    one = parse(rag_stacked_bars([AREA_1], title="Ratings"))
    other = parse(rag_stacked_bars([("Area 2", {"red": 1})], title="Ratings"))

    assert one.get("aria-labelledby") != other.get("aria-labelledby")


def test_a_chart_id_can_be_given():
    root = parse(sparkline([1, 2], title="Visits", chart_id="visits-spark"))

    assert root.get("aria-labelledby") == "visits-spark-title visits-spark-desc"


def test_a_chart_id_that_is_not_a_simple_identifier_is_refused():
    with pytest.raises(ValueError, match="chart_id"):
        sparkline([1, 2], title="Visits", chart_id='x" onload="alert(1)')


# Stacked bars -----------------------------------------------------------------------


def test_stacked_bars_describe_the_counts_in_words():
    root = parse(rag_stacked_bars([AREA_1], title="Ratings"))

    assert desc(root) == "Area 1: 2 Blue, 5 Green, 1 Amber, 0 Red, 3 Not rated (11 in total)."


def test_stacked_bars_write_each_count_and_the_total_as_text():
    root = parse(rag_stacked_bars([AREA_1], title="Ratings"))

    assert {"Area 1", "2", "5", "1", "3", "11"} <= set(texts(root))


def test_stacked_bar_segments_are_in_rag_order_and_proportional_to_counts():
    root = parse(rag_stacked_bars([AREA_1], title="Ratings", width=640))
    rects = segments(root)

    assert list(rects) == ["blue", "green", "amber", "not-rated"]  # no rect for 0 red
    widths = {key: float(rect.get("width")) for key, rect in rects.items()}
    bar_width = sum(widths.values())
    for key, count in [("blue", 2), ("green", 5), ("amber", 1), ("not-rated", 3)]:
        assert widths[key] / bar_width == pytest.approx(count / 11, abs=0.001)
    xs = [float(rect.get("x")) for rect in rects.values()]
    ends = [x + widths[key] for x, key in zip(xs, rects, strict=True)]
    assert xs[1:] == pytest.approx(ends[:-1], abs=0.05)  # segments tile without gaps


def test_every_bar_has_the_same_full_width_whatever_its_total():
    root = parse(rag_stacked_bars([AREA_1, ("Area 2", {"green": 40, "red": 7})], title="R"))

    first, second = segments(root, in_row=0), segments(root, in_row=1)
    assert sum(float(r.get("width")) for r in first.values()) == pytest.approx(
        sum(float(r.get("width")) for r in second.values()), abs=0.1
    )


def test_segment_titles_give_count_and_percentage():
    root = parse(rag_stacked_bars([AREA_1], title="Ratings"))

    assert segments(root)["green"].find(f"{SVG}title").text == "Green: 5 of 11 (45%)"


def test_rating_labels_can_be_renamed():
    root = parse(rag_stacked_bars([AREA_1], title="Ratings", labels={"amber": "Yellow"}))

    assert "Yellow" in texts(root)
    assert "1 Yellow" in desc(root)
    assert "Amber" not in desc(root)


def test_legend_names_every_rating_in_words():
    root = parse(rag_stacked_bars([AREA_1], title="Ratings"))
    legend = root.find(f"{SVG}g[@class='legend']")

    assert [t.text for t in legend.iter(f"{SVG}text")] == [
        "Blue",
        "Green",
        "Amber",
        "Red",
        "Not rated",
    ]


def test_long_row_labels_wrap_onto_lines_of_whole_words_and_push_the_next_row_down():
    label = "2 Supervision is regular, reflective and recorded on the child's file"
    root = parse(rag_stacked_bars([(label, {"green": 1}), ("3 Next", {"red": 1})], title="R"))
    first, second = root.findall(f"{SVG}g[@class='row']")

    assert first.find(f"{SVG}title").text == label
    lines = [tspan.text for tspan in first.iter(f"{SVG}tspan")]
    assert len(lines) > 1
    assert " ".join(lines) == label  # every word, none cut
    label_bottom = float(first.find(f"{SVG}text").get("y")) + 14 * (len(lines) - 1)
    assert float(second.find(f"{SVG}rect").get("y")) > label_bottom


def test_a_label_too_long_for_eight_lines_ends_with_an_ellipsis():
    label = " ".join(["recommendation"] * 40)
    root = parse(rag_stacked_bars([(label, {"green": 1})], title="R"))
    lines = [tspan.text for tspan in root.iter(f"{SVG}tspan")]

    assert len(lines) == 8
    assert lines[-1].endswith("\u2026")


def test_counts_too_narrow_for_their_segment_are_written_in_words_under_the_bar():
    root = parse(rag_stacked_bars([("Area", {"green": 98, "red": 1})], title="Ratings"))

    assert "0 Blue, 98 Green, 0 Amber, 1 Red, 0 Not rated" in texts(root)


def test_a_row_with_no_ratings_says_so():
    root = parse(rag_stacked_bars([("Area 3", {})], title="Ratings"))

    assert "No ratings" in texts(root)
    assert desc(root) == "Area 3: no ratings."


def test_stacked_bars_with_no_rows_say_no_data():
    root = parse(rag_stacked_bars([], title="Ratings"))

    assert texts(root) == ["No data"]
    assert desc(root) == "No data."


def test_user_text_is_escaped_everywhere():
    svg = rag_stacked_bars(
        [(XSS, {"green": 1})], title=f"Plan {XSS}", labels={"green": f"Green {XSS}"}
    )

    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == f"Plan {XSS}"
    assert XSS in texts(root)


def test_quotes_in_user_text_cannot_break_out_of_attributes():
    svg = measure_trend(POINTS, title="Visits", target=90, tolerance=5, unit='" onload="x')

    assert 'onload="x' not in svg
    parse(svg)


def test_characters_xml_forbids_are_dropped_from_user_text():
    root = parse(rag_stacked_bars([("Area\x00 \x0b1", {"red": 1})], title="Rat\x1fings"))

    assert root.find(f"{SVG}title").text == "Ratings"
    assert "Area 1" in texts(root)


def test_unknown_rating_keys_are_refused():
    with pytest.raises(ValueError, match="Unknown RAG keys"):
        rag_stacked_bars([("Area", {"Green": 1})], title="Ratings")


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        rag_trend([("Q1", {"red": -1})], title="Ratings")


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@pytest.mark.parametrize("key", RAG_ORDER)
def test_text_on_each_rag_colour_meets_wcag_aa_contrast(key):
    style = RAG_STYLES[key]
    lighter, darker = sorted([_luminance(style.fill), _luminance(style.text)], reverse=True)

    assert (lighter + 0.05) / (darker + 0.05) >= 4.5


def test_rag_colours_are_the_gov_uk_palette():
    assert {key: style.fill for key, style in RAG_STYLES.items()} == {
        "blue": "#1d70b8",
        "green": "#00703c",
        "amber": "#f47738",
        "red": "#d4351c",
        "": "#b1b4b6",
    }


# RAG trend --------------------------------------------------------------------------


def test_trend_writes_totals_on_top_and_period_labels():
    root = parse(
        rag_trend([("Q1 2025", {"green": 3, "red": 1}), ("Q2 2025", {"green": 6})], title="Trend")
    )

    totals = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "total"]
    assert totals == ["4", "6"]
    assert {"Q1 2025", "Q2 2025"} <= set(texts(root))
    assert desc(root) == (
        "Q1 2025: 0 Blue, 3 Green, 0 Amber, 1 Red, 0 Not rated (4 in total). "
        "Q2 2025: 0 Blue, 6 Green, 0 Amber, 0 Red, 0 Not rated (6 in total)."
    )


def test_trend_bar_heights_are_counts_on_one_scale():
    root = parse(rag_trend([("Q1", {"green": 3, "red": 1}), ("Q2", {"green": 6})], title="T"))
    heights = [
        (rect.get("class"), float(rect.get("height")))
        for rect in root.iter(f"{SVG}rect")
        if "segment" in (rect.get("class") or "")
    ]

    (_, q1_green), (_, q1_red), (_, q2_green) = heights
    assert q1_green / q1_red == pytest.approx(3, rel=0.02)
    assert q2_green / q1_green == pytest.approx(2, rel=0.02)


def test_trend_stacks_blue_at_the_bottom():
    root = parse(rag_trend([("Q1", {"blue": 1, "red": 1})], title="T"))
    rects = {
        rect.get("class").split()[1]: float(rect.get("y"))
        for rect in root.iter(f"{SVG}rect")
        if "segment" in (rect.get("class") or "")
    }

    assert rects["segment-blue"] > rects["segment-red"]


def test_trend_with_no_periods_says_no_data():
    assert texts(parse(rag_trend([], title="Trend"))) == ["No data"]


# Measure trend ----------------------------------------------------------------------


def _y_scale(root: ET.Element, low: float, high: float):
    """Map a value to its y, from the grid lines at ``low`` (first) and ``high`` (last)."""
    lines = plain_lines(root)
    y_low, y_high = float(lines[0].get("y1")), float(lines[-1].get("y1"))
    return lambda value: y_low + (y_high - y_low) * (value - low) / (high - low)


def test_measure_trend_writes_each_value_the_target_and_uk_month_labels():
    root = parse(measure_trend(POINTS, title="Visits", target=90, tolerance=5))

    assert {"82.5%", "85%", "91%", "88%"} <= set(texts(root))
    assert "Target 90%" in texts(root)
    assert {"Jan 25", "Feb 25", "Mar 25", "Apr 25"} <= set(texts(root))
    assert desc(root) == (
        "Results: Jan 25 82.5%, Feb 25 85%, Mar 25 91%, Apr 25 88%. "
        "Target 90%, higher is better; tolerance 85% to 90%."
    )


def test_measure_trend_draws_a_dashed_target_line_at_the_target():
    root = parse(measure_trend(POINTS, title="Visits", target=90, tolerance=5))
    target = root.find(f"{SVG}line[@class='target']")

    assert target.get("stroke-dasharray")
    assert float(target.get("y1")) == pytest.approx(_y_scale(root, 0, 100)(90), abs=0.1)


def test_tolerance_band_lies_below_the_target_when_higher_is_better():
    root = parse(measure_trend(POINTS, title="Visits", target=90, tolerance=5))
    band = root.find(f"{SVG}rect[@class='tolerance-band']")
    y_of = _y_scale(root, 0, 100)

    assert float(band.get("y")) == pytest.approx(y_of(90), abs=0.1)
    assert float(band.get("y")) + float(band.get("height")) == pytest.approx(y_of(85), abs=0.1)
    assert {"Tolerance", "85\u201390%"} <= set(texts(root))


def test_tolerance_band_lies_above_the_target_when_lower_is_better():
    root = parse(
        measure_trend(
            [(date(2025, 1, 31), 12)],
            title="Re-referrals",
            target=20,
            tolerance=5,
            higher_is_better=False,
        )
    )
    band = root.find(f"{SVG}rect[@class='tolerance-band']")
    y_of = _y_scale(root, 0, 100)

    assert float(band.get("y")) == pytest.approx(y_of(25), abs=0.1)
    assert float(band.get("y")) + float(band.get("height")) == pytest.approx(y_of(20), abs=0.1)
    assert "lower is better; tolerance 20% to 25%" in desc(root)


def test_points_sit_at_their_values_and_in_date_order():
    root = parse(measure_trend(POINTS, title="Visits", target=None, tolerance=None))
    points = [
        (float(c.get("cx")), float(c.get("cy")))
        for c in root.iter(f"{SVG}circle")
        if c.get("class") == "point"
    ]
    y_of = _y_scale(root, 0, 100)

    assert [y for _, y in points] == pytest.approx([y_of(v) for _, v in POINTS], abs=0.1)
    assert [x for x, _ in points] == sorted(x for x, _ in points)
    assert root.find(f"{SVG}polyline") is not None
    assert root.find(f"{SVG}rect[@class='tolerance-band']") is None


def test_the_axis_extends_to_a_round_number_when_a_value_is_above_y_max():
    root = parse(measure_trend([(date(2025, 1, 31), 130)], title="V", target=90, tolerance=5))

    assert "150%" in texts(root)
    y_of = _y_scale(root, 0, 150)
    point = root.find(f"{SVG}circle[@class='point']")
    assert float(point.get("cy")) == pytest.approx(y_of(130), abs=0.1)


def test_one_result_is_a_marker_without_a_line():
    root = parse(measure_trend(POINTS[:1], title="Visits", target=90, tolerance=5))

    assert len(root.findall(f"{SVG}circle")) == 1
    assert root.find(f"{SVG}polyline") is None
    assert "82.5%" in texts(root)


def test_no_results_say_so():
    root = parse(measure_trend([], title="Visits", target=90, tolerance=5))

    assert "No results yet" in texts(root)
    assert root.find(f"{SVG}circle") is None
    assert desc(root).startswith("No results yet.")


def test_the_unit_is_written_after_values():
    root = parse(
        measure_trend(
            [(date(2025, 1, 31), 12)], title="Days", target=20, tolerance=None, unit=" days"
        )
    )

    assert {"12 days", "Target 20 days"} <= set(texts(root))


def test_month_labels_are_a_short_month_and_two_digit_year():
    root = parse(measure_trend([(date(2009, 12, 1), 50)], title="V", target=None, tolerance=None))

    assert "Dec 09" in texts(root)


def test_results_must_be_finite_numbers():
    with pytest.raises(ValueError, match="finite"):
        measure_trend([(date(2025, 1, 31), float("nan"))], title="V", target=90, tolerance=5)


def test_y_max_must_be_above_y_min():
    with pytest.raises(ValueError, match="y_max"):
        measure_trend(POINTS, title="V", target=None, tolerance=None, y_min=50, y_max=50)


# Sparkline --------------------------------------------------------------------------


def test_sparkline_draws_every_value_and_marks_the_latest():
    root = parse(sparkline([80, 85, 83, 92], title="Visits", target=90))
    line = root.find(f"{SVG}polyline")

    assert len(line.get("points").split()) == 4
    assert len(root.findall(f"{SVG}circle")) == 1
    assert root.find(f"{SVG}line[@class='target']") is not None
    assert desc(root) == "Results 80, 85, 83, 92; latest 92. Target 90."


def test_sparkline_keeps_within_its_box():
    root = parse(sparkline([-5, 1000, 3], title="Visits", width=120, height=28))
    for pair in root.find(f"{SVG}polyline").get("points").split():
        x, y = map(float, pair.split(","))
        assert 0 <= x <= 120 and 0 <= y <= 28


def test_sparkline_of_one_value_is_a_dot():
    root = parse(sparkline([7], title="Visits"))

    assert root.find(f"{SVG}polyline") is None
    assert len(root.findall(f"{SVG}circle")) == 1


def test_sparkline_without_values_says_no_results():
    root = parse(sparkline([], title="Visits"))

    assert texts(root) == ["No results"]


DENSE = [(date(2023 + m // 12, m % 12 + 1, 28), 60 + (m * 7.3) % 30) for m in range(24)]


def test_crowded_value_labels_are_thinned_keeping_the_latest():
    root = parse(measure_trend(DENSE, title="Visits", target=80, tolerance=10))
    values = [t for t in root.iter(f"{SVG}text") if t.get("class") == "value"]

    assert 1 < len(values) < len(DENSE)
    assert values[-1].text == f"{DENSE[-1][1]:.1f}%"
    xs = [float(t.get("x")) for t in values]
    assert all(right - left > 20 for left, right in zip(xs, xs[1:], strict=False))
    results = desc(root).split(". Target")[0]
    assert results.count("%") == len(DENSE)  # every value is in the description


def test_dense_charts_keep_numbers_short():
    svg = measure_trend(DENSE, title="Visits", target=80.25, tolerance=7.5, width=633)

    assert all(len(n.split(".")[1]) == 1 for n in re.findall(r"-?\d+\.\d+", svg))


@pytest.mark.parametrize("name", EVERY_CHART)
def test_a_chart_as_an_image_carries_its_markup_and_its_title_and_description(name):
    svg = EVERY_CHART[name]()
    root = parse(svg)

    image = as_image(svg)

    attributes = dict(re.findall(r'(\w+)="([^"]*)"', image))
    assert image.startswith("<img ") and image.endswith(">")
    assert attributes["src"].startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(attributes["src"].split(",", 1)[1]).decode() == svg
    assert html.unescape(attributes["alt"]) == f"{root.find(f'{SVG}title').text} {desc(root)}"
    assert (attributes["width"], attributes["height"]) == (root.get("width"), root.get("height"))


def test_an_image_of_a_chart_escapes_the_words_in_its_alternative_text():
    svg = measure_trend(POINTS, title=f'"Visits" & {XSS}', target=90, tolerance=None)

    image = as_image(svg)

    assert "<script>" not in image and '"Visits"' not in image
    alt = html.unescape(re.search(r'alt="([^"]*)"', image).group(1))
    assert alt.startswith(f'"Visits" & {XSS} Results: Jan 25 82.5%')
