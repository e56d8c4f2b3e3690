"""A file chosen on the update form is kept through the form's errors: the director is
shown its name and does not have to choose it again."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from plans import evidence
from plans.models import Evidence, Rating
from tests import factories

TODAY = timezone.localdate()


@pytest.fixture
def on_time(plan, period, owner):
    rec = factories.RecommendationFactory(plan=plan, ref="2", title="Supervision")
    return factories.ActionFactory(
        recommendation=rec,
        ref="2.1",
        text="Monthly supervision for every social worker",
        due_date=TODAY + dt.timedelta(days=60),
        owners=[owner],
    )


def post(client, action, **fields):
    data = {
        "version": action.version,
        "period": action.plan.periods.get(state="open").pk,
        "rag": "green",
        "commentary": "On track.",
    }
    data.update(fields)
    return client.post(
        reverse("plans:action_update", args=[action.pk]),
        {k: v for k, v in data.items() if v is not None},
    )


def pdf(name="Audit summary.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.7\n...", "application/pdf")


def kept_token(page: str) -> str:
    return re.search(r'name="evidence_kept" value="([^"]+)"', page)[1]


def kept_files(settings) -> list:
    folder = settings.MEDIA_ROOT / evidence.KEPT_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_file_chosen_with_an_error_elsewhere_is_kept_and_named(client, director, on_time):
    client.force_login(director)
    # Amber without "what will bring it back on track" is an error.
    response = post(client, on_time, rag="amber", recovery="", evidence_file=pdf())
    assert response.status_code == 400
    page = response.content.decode()
    assert "<strong>Audit_summary.pdf</strong> is attached and will be saved" in page
    assert "you do not need to choose it again" in page
    assert not Evidence.objects.exists()


def test_the_kept_file_is_saved_with_the_corrected_update(client, director, on_time, settings):
    client.force_login(director)
    page = post(client, on_time, rag="amber", recovery="", evidence_file=pdf()).content.decode()
    assert len(kept_files(settings)) == 1
    response = post(
        client, on_time, rag="amber", recovery="Agency cover.", evidence_kept=kept_token(page)
    )
    assert response.status_code == 302
    item = Evidence.objects.get(action=on_time)
    assert item.rating == Rating.objects.get(action=on_time)
    assert item.file.name.endswith("Audit_summary.pdf")
    assert item.content_type == "application/pdf"
    assert kept_files(settings) == []


def test_a_file_is_kept_through_two_rounds_of_errors(client, director, on_time):
    client.force_login(director)
    first = post(client, on_time, rag="amber", recovery="", evidence_file=pdf()).content.decode()
    second = post(
        client, on_time, rag="amber", recovery="", evidence_kept=kept_token(first)
    ).content.decode()
    assert "<strong>Audit_summary.pdf</strong> is attached" in second
    post(client, on_time, rag="amber", recovery="Cover.", evidence_kept=kept_token(second))
    assert Evidence.objects.get().file.name.endswith("Audit_summary.pdf")


def test_a_new_file_replaces_the_kept_one(client, director, on_time, settings):
    client.force_login(director)
    first = post(client, on_time, rag="amber", recovery="", evidence_file=pdf()).content.decode()
    second = post(
        client,
        on_time,
        rag="amber",
        recovery="",
        evidence_kept=kept_token(first),
        evidence_file=pdf("Minutes.pdf"),
    ).content.decode()
    assert "<strong>Minutes.pdf</strong> is attached" in second
    assert [name[33:] for name in kept_files(settings)] == ["Minutes.pdf"]


def test_do_not_attach_drops_the_kept_file(client, director, on_time, settings):
    client.force_login(director)
    page = post(client, on_time, rag="amber", recovery="", evidence_file=pdf()).content.decode()
    response = post(
        client,
        on_time,
        rag="amber",
        recovery="Cover.",
        evidence_kept=kept_token(page),
        evidence_kept_remove="1",
    )
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert kept_files(settings) == []


def test_a_file_chosen_when_someone_else_saved_first_is_kept_too(client, director, on_time):
    client.force_login(director)
    response = post(client, on_time, version=on_time.version + 3, evidence_file=pdf())
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else updated 2.1" in page
    assert "Your file Audit_summary.pdf is kept with it." in page
    on_time.refresh_from_db()
    post(client, on_time, evidence_kept=kept_token(page))
    assert Evidence.objects.get().file.name.endswith("Audit_summary.pdf")


def test_a_refused_file_is_not_kept(client, director, on_time, settings):
    client.force_login(director)
    fake = SimpleUploadedFile("report.pdf", b"MZ not a pdf", "application/pdf")
    page = post(client, on_time, rag="amber", recovery="", evidence_file=fake).content.decode()
    assert "is not a PDF" in page
    assert 'name="evidence_kept"' not in page
    assert kept_files(settings) == []


def test_another_persons_token_attaches_nothing(client, director, on_time, plan_admin):
    client.force_login(director)
    page = post(client, on_time, rag="amber", recovery="", evidence_file=pdf()).content.decode()
    client.force_login(plan_admin)
    response = post(client, on_time, commentary="Checked.", evidence_kept=kept_token(page))
    assert response.status_code == 302
    assert not Evidence.objects.exists()


def test_a_token_for_another_action_attaches_nothing(director, on_time):
    upload = pdf()
    kept = evidence.evidence_keep(upload, user_id=director.pk, action_id=on_time.pk)
    assert evidence.evidence_kept(kept.token, user_id=director.pk, action_id=on_time.pk)
    assert evidence.evidence_kept(kept.token, user_id=director.pk, action_id=on_time.pk + 1) is None
    assert evidence.evidence_kept("forged", user_id=director.pk, action_id=on_time.pk) is None


def test_files_kept_over_a_day_are_swept(director, on_time, settings):
    kept = evidence.evidence_keep(pdf("a.pdf"), user_id=director.pk, action_id=on_time.pk)
    evidence.evidence_keep(pdf("b.pdf"), user_id=director.pk, action_id=on_time.pk)
    assert evidence.evidence_kept_sweep() == 0  # younger than a day
    later = timezone.now() + dt.timedelta(seconds=evidence.KEPT_SECONDS + 60)
    assert evidence.evidence_kept_sweep(now=later) == 2
    assert evidence.evidence_kept(kept.token, user_id=director.pk, action_id=on_time.pk) is None
    assert kept_files(settings) == []
