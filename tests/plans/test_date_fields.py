"""The day, month and year date input: three boxes in en-GB order, errors that name the
part that is wrong, the service's date window, and the old single ISO date still read."""

import datetime as dt

import pytest
from django import forms

from plans.bounds import WINDOW, BoundedForm
from plans.date_fields import DayMonthYearField


class _Form(BoundedForm):
    sampled_on = DayMonthYearField(label="Date sampled", noun="the date sampled")
    review = DayMonthYearField(
        label="Review date", noun="the review date", required=False, help_text="After the rounds."
    )


def parts(day="", month="", year="", name="sampled_on"):
    return {f"{name}_day": day, f"{name}_month": month, f"{name}_year": year}


def test_three_boxes_make_a_date():
    form = _Form(parts("27", "3", "2025"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["sampled_on"] == dt.date(2025, 3, 27)


def test_spaces_around_the_numbers_are_ignored():
    form = _Form(parts(" 7 ", "03 ", "2025"))
    assert form.is_valid()
    assert form.cleaned_data["sampled_on"] == dt.date(2025, 3, 7)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (parts(), "Enter the date sampled"),
        (parts("27", "", "2025"), "The date sampled must include a month"),
        (parts("27", "", ""), "The date sampled must include a month and year"),
        (parts("", "3", ""), "The date sampled must include a day and year"),
        (parts("31", "2", "2025"), "The date sampled must be a real date"),
        (parts("27", "March", "2025"), "The date sampled must be a real date"),
        (parts("9" * 20, "3", "2025"), "The date sampled must be a real date"),
        (parts("27", "9" * 20, "2025"), "The date sampled must be a real date"),
        (parts("２７", "3", "2025"), "The date sampled must be a real date"),
        (parts("27", "3", "25"), "The date sampled: the year must have 4 numbers, like 2025"),
        (parts("1", "1", "2200"), WINDOW),
        ({"sampled_on": "31/02/2024"}, "The date sampled must be a real date"),
    ],
)
def test_each_mistake_is_named(data, message):
    form = _Form(data)
    assert not form.is_valid()
    assert message in form.errors["sampled_on"][0]


def test_an_optional_date_left_empty_is_none():
    form = _Form(parts("27", "3", "2025") | parts(name="review"))
    assert form.is_valid()
    assert form.cleaned_data["review"] is None


def test_one_iso_date_in_the_fields_own_name_is_still_accepted():
    form = _Form({"sampled_on": "2025-03-27"})
    assert form.is_valid()
    assert form.cleaned_data["sampled_on"] == dt.date(2025, 3, 27)


def test_the_boxes_are_day_month_year_with_the_example_hint():
    form = _Form(initial={"sampled_on": dt.date(2025, 3, 27)})
    html = str(form["sampled_on"])
    assert html.index('name="sampled_on_day"') < html.index('name="sampled_on_month"')
    assert html.index('name="sampled_on_month"') < html.index('name="sampled_on_year"')
    assert 'value="27"' in html and 'value="3"' in html and 'value="2025"' in html
    assert 'inputmode="numeric"' in html
    assert 'type="date"' not in html
    assert ">Day</label>" in html and ">Month</label>" in html and ">Year</label>" in html
    assert form.fields["sampled_on"].help_text == "For example, 27 3 2025."
    assert form.fields["review"].help_text == "After the rounds. For example, 27 3 2025."


def test_what_was_typed_is_shown_again_with_the_error():
    form = _Form(parts("31", "2", "2025"))
    form.is_valid()
    html = str(form["sampled_on"])
    assert 'value="31"' in html and 'value="2"' in html and 'value="2025"' in html


def test_the_error_summary_links_to_the_day_box():
    assert _Form()["sampled_on"].id_for_label == "id_sampled_on_0"
    assert 'id="id_sampled_on_0"' in str(_Form()["sampled_on"])


def test_it_is_a_date_field_so_the_bounds_apply():
    assert isinstance(_Form().fields["sampled_on"], forms.DateField)
