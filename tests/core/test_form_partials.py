"""The form partials every app includes (core/templates/core/forms/): each field's hint
and error are linked to its input or fieldset, and the error summary links to the field."""

from django import forms
from django.template.loader import render_to_string

from plans.date_fields import DayMonthYearField


class Example(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(help_text="As it appears on the plan.")
    colour = forms.ChoiceField(choices=[("red", "Red"), ("blue", "Blue")], widget=forms.RadioSelect)
    due = DayMonthYearField(label="Due", noun="the due date", help_text="For example, 27 3 2026")


def invalid() -> Example:
    form = Example(data={"version": "x", "name": "", "due_0": "31", "due_1": "2", "due_2": "2026"})
    assert not form.is_valid()
    return form


def test_a_text_field_is_described_by_its_hint_and_error():
    html = render_to_string("core/forms/field.html", {"field": invalid()["name"]})
    assert '<label for="id_name">Name</label>' in html
    assert '<span class="hint" id="id_name_helptext">' in html
    assert '<p class="field-error" id="id_name_error">' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-invalid="true"' in html


def test_radios_are_a_fieldset_described_by_their_error():
    html = render_to_string("core/forms/field.html", {"field": invalid()["colour"]})
    assert '<fieldset class="field field-invalid" aria-describedby="id_colour_error">' in html
    assert "<legend>Colour" in html
    assert 'id="id_colour_error"' in html


def test_a_date_is_a_fieldset_described_by_its_hint_and_error():
    html = render_to_string("core/forms/field.html", {"field": invalid()["due"]})
    assert 'role="group" aria-describedby="id_due_helptext id_due_error"' in html
    assert 'id="id_due_helptext"' in html
    assert 'id="id_due_error"' in html


def test_a_field_without_errors_has_no_error_and_no_description_of_one():
    html = render_to_string("core/forms/field.html", {"field": Example()["colour"]})
    assert "aria-describedby" not in html
    assert "field-error" not in html


def test_the_summary_links_each_error_to_its_field_or_first_box():
    html = render_to_string("core/forms/error_summary.html", {"form": invalid()})
    assert 'role="alert" aria-labelledby="error-summary-title"' in html
    assert '<h2 id="error-summary-title">There is a problem</h2>' in html
    assert '<a href="#id_name">' in html
    assert '<a href="#id_colour_0">' in html
    assert '<a href="#id_due_0">' in html
    assert 'href="#id_version"' not in html  # a hidden field's error is text, not a link


def test_the_summary_can_say_nothing_was_saved_and_name_each_field():
    html = render_to_string(
        "core/forms/error_summary.html",
        {"form": invalid(), "nothing_saved": True, "name_fields": True},
    )
    assert "There is a problem: nothing was saved" in html
    assert '<a href="#id_name">Name: This field is required.</a>' in html
