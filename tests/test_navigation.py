"""The header shows each role what it uses: My actions to those who own actions, the
review queue with its count to reviewers, the embedded-mode note to administrators."""

import re

import pytest
from django.urls import reverse

from plans import services

NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)


def _nav(client, user) -> list[str]:
    client.force_login(user)
    page = client.get(reverse("plans:plan_list")).content.decode()
    return [re.sub(r"\s+", " ", item) for item in re.findall(r">([^<>]+)</a>", NAV.search(page)[1])]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("director", ["My actions", "Plans", "Audits", "Dashboard", "Committee reports"]),
        (
            "qa_lead",
            ["Plans", "Ratings to confirm (0)", "Audits", "Dashboard", "Committee reports"],
        ),
        ("clerk", ["Plans", "Audits", "Dashboard", "Committee reports"]),
        ("board_member", ["Plans", "Audits", "Dashboard", "Committee reports"]),
        (
            "plan_admin",
            [
                "My actions",
                "Plans",
                "Ratings to confirm (0)",
                "Audits",
                "Dashboard",
                "Committee reports",
                "People",
                "Admin",
            ],
        ),
    ],
)
def test_each_role_sees_the_parts_it_uses(db, request, client, who, expected):
    assert _nav(client, request.getfixturevalue(who)) == expected


def test_the_queue_count_is_the_ratings_waiting_in_open_periods(
    client, plan, action, director, qa_lead
):
    plan.requires_signoff = True
    plan.save()
    services.rating_record(item=action, rag="amber", user=director, commentary="Behind")
    assert "Ratings to confirm (1)" in _nav(client, qa_lead)


@pytest.mark.parametrize(("who", "shown"), [("plan_admin", True), ("board_member", False)])
def test_the_embedded_mode_note_is_for_administrators(db, request, client, settings, who, shown):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("plans:plan_list")).content.decode()
    assert ("Embedded mode" in page) is shown
