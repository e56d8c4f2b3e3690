"""The admin stores evidence only through the rules the pages use (plans/evidence.py):
size, type by content, the content type from the check, a safe name and a web link."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from plans.models import Evidence
from tests import factories
from tests.security.test_uploads import stored_files
from tests.security.world import minimal_pdf

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def admin_client(client, plan_admin):
    client.force_login(plan_admin)
    return client


def add_evidence(client, action, *, url: str = "", **fields):
    """The admin's evidence form as the browser posts it: adding, or changing at `url`."""
    data = {"action": action.pk, "rating": "", "title": "Panel minutes", "link": ""} | fields
    return client.post(url or reverse("admin:plans_evidence_add"), data)


def form_errors(response) -> list[str]:
    form = response.context["adminform"].form
    return [message for messages in form.errors.values() for message in messages]


def test_a_30_mb_program_is_refused_by_the_admin_and_nothing_is_stored(
    admin_client, action, settings
):
    program = b"MZ\x90\x00" + b"\x00" * (30 * 1024 * 1024)
    response = add_evidence(
        admin_client, action, file=SimpleUploadedFile("setup.exe", program, "application/pdf")
    )
    assert response.status_code == 200
    assert "The file is 30 MB: the limit is 10 MB." in form_errors(response)
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_a_web_page_is_refused_by_the_admin(admin_client, action, settings):
    response = add_evidence(
        admin_client, action, file=SimpleUploadedFile("minutes.html", HTML, "text/html")
    )
    assert response.status_code == 200
    assert any("Files of type .html cannot be attached" in e for e in form_errors(response))
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_a_web_page_named_pdf_is_refused_by_the_admin(admin_client, action, settings):
    response = add_evidence(
        admin_client, action, file=SimpleUploadedFile("minutes.pdf", HTML, "application/pdf")
    )
    assert "The file's content is not a PDF, although its name ends .pdf." in form_errors(response)
    assert not Evidence.objects.exists()


def test_a_pdf_added_in_the_admin_is_stored_as_the_pages_store_it(admin_client, plan_admin, action):
    data = minimal_pdf()
    response = add_evidence(
        admin_client,
        action,
        file=SimpleUploadedFile("../../Panel minutes (final).PDF", data, "text/html"),
    )
    assert response.status_code == 302
    item = Evidence.objects.get()
    assert item.content_type == "application/pdf"  # from the check, not the browser
    assert item.size == len(data)
    assert item.file.name.endswith("/Panel_minutes_final.pdf")
    assert item.file.name.startswith(f"evidence/plan-{action.plan_id}/action-{action.pk}/")
    assert item.created_by == plan_admin
    assert item.history.get().history_user == plan_admin


@pytest.mark.parametrize("link", ["ftp://files.example.org/minutes.pdf", "file:///etc/passwd"])
def test_a_link_that_is_not_a_web_address_is_refused_by_the_admin(admin_client, action, link):
    response = add_evidence(admin_client, action, link=link)
    assert response.status_code == 200
    assert "Enter a web address starting https://." in form_errors(response)
    assert not Evidence.objects.exists()


def test_evidence_with_neither_file_nor_link_is_refused_in_words(admin_client, action):
    response = add_evidence(admin_client, action)
    assert response.status_code == 200
    assert "Attach a file or give a link." in form_errors(response)


def test_evidence_for_a_rating_of_another_action_is_refused(admin_client, action, plan):
    other = factories.ActionFactory(recommendation=action.recommendation, ref="1.2")
    rating = factories.RatingFactory(action=other)
    response = add_evidence(
        admin_client, action, rating=rating.pk, link="https://intranet.example.org/minutes"
    )
    assert response.status_code == 200
    assert any("rating of action 1.2" in e for e in form_errors(response))
    assert not Evidence.objects.exists()


def test_replacing_the_file_in_the_admin_checks_the_new_one(admin_client, action, settings):
    add_evidence(admin_client, action, file=SimpleUploadedFile("minutes.pdf", minimal_pdf(), ""))
    item = Evidence.objects.get()
    response = add_evidence(
        admin_client,
        action,
        url=reverse("admin:plans_evidence_change", args=[item.pk]),
        file=SimpleUploadedFile("minutes.html", HTML, "text/html"),
    )
    assert response.status_code == 200
    assert any("Files of type .html cannot be attached" in e for e in form_errors(response))
    item.refresh_from_db()
    assert item.file.name.endswith("/minutes.pdf")
    assert item.content_type == "application/pdf"


def add_evidence_on_the_action_page(client, action, upload):
    """The action's admin page posted back unchanged but for one new evidence row: the
    main form's and every inline's values, with their management forms."""
    url = reverse("admin:plans_action_change", args=[action.pk])
    page = client.get(url)
    data = {field.html_name: field.value() for field in page.context["adminform"].form}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= {field.html_name: field.value() for field in formset.management_form}
        for form in formset.forms:
            data |= {field.html_name: field.value() for field in form}
    data |= {
        "evidence-TOTAL_FORMS": "1",
        "evidence-0-title": "Minutes",
        "evidence-0-link": "",
        "evidence-0-file": upload,
    }
    return client.post(url, {key: value for key, value in data.items() if value is not None})


def test_the_action_pages_evidence_inline_refuses_a_web_page(admin_client, action, settings):
    response = add_evidence_on_the_action_page(
        admin_client, action, SimpleUploadedFile("minutes.html", HTML, "text/html")
    )
    assert response.status_code == 200
    errors = [
        message
        for inline in response.context["inline_admin_formsets"]
        for form_errors in inline.formset.errors
        for messages in form_errors.values()
        for message in messages
    ]
    assert any("Files of type .html cannot be attached" in e for e in errors)
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_the_action_pages_evidence_inline_stores_a_pdf_as_the_pages_do(
    admin_client, plan_admin, action
):
    response = add_evidence_on_the_action_page(
        admin_client, action, SimpleUploadedFile("minutes.pdf", minimal_pdf(), "text/html")
    )
    assert response.status_code == 302
    item = Evidence.objects.get()
    assert item.content_type == "application/pdf"
    assert item.created_by == plan_admin
