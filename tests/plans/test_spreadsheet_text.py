"""Issue 23, finding 3: text stored before the forms refused control characters (a
commentary pasted from Word with U+000B, an imported cell with U+0007) must not stop
any spreadsheet download. Every writer passes its text through
`plans.bounds.spreadsheet_text`; these tests write the characters straight to the
database, as the old data has them, and open what each download gives."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from plans import services
from plans.models import Action

# Not NUL: PostgreSQL never stored one.
DIRTY_COMMENTARY = "Recruitment is behind\x0bsee the panel minutes\x1f"
DIRTY_TEXT = "Allocate a PA\x07 to every care leaver"


@pytest.fixture
def dirty(plan, period, action, plan_admin):
    """A confirmed rating whose commentary, and an action whose text, hold control
    characters, written past every form."""
    # The service, as the forms before this change passed text to it (on PostgreSQL a
    # trigger refuses to update a rating afterwards).
    services.rating_record(
        item=action, rag="amber", user=plan_admin, period=period, commentary=DIRTY_COMMENTARY
    )
    Action.objects.filter(pk=action.pk).update(text=DIRTY_TEXT)
    return plan


def _cells(content: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(content))
    return [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def test_the_dashboards_actions_table_downloads_as_xlsx(client, dirty, board_member):
    client.force_login(board_member)
    response = client.get(
        reverse("board:export"),
        {"plan": dirty.slug, "table": "actions", "format": "xlsx"},
    )
    assert response.status_code == 200
    cells = _cells(response.content)
    assert "Recruitment is behind\nsee the panel minutes" in cells
    assert "Allocate a PA to every care leaver" in cells


def test_the_dashboards_actions_table_downloads_as_csv_without_control_characters(
    client, dirty, board_member
):
    client.force_login(board_member)
    response = client.get(
        reverse("board:export"),
        {"plan": dirty.slug, "table": "actions", "format": "csv"},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert any("Recruitment is behind\nsee the panel minutes" in row for row in rows)
    assert "\x0b" not in response.content.decode("utf-8-sig")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_plan_export_downloads(client, dirty, board_member, fmt):
    client.force_login(board_member)
    response = client.get(reverse("plans:plan_export", args=[dirty.slug]), {"format": fmt})
    assert response.status_code == 200
    if fmt == "xlsx":
        assert "Allocate a PA to every care leaver" in _cells(response.content)
    else:
        text = response.content.decode("utf-8-sig")
        assert "Allocate a PA to every care leaver" in text
        assert "\x07" not in text


def test_the_positions_workbook_downloads(client, dirty, board_member):
    client.force_login(board_member)
    response = client.get(reverse("plans:plan_positions_xlsx", args=[dirty.slug]))
    assert response.status_code == 200
    assert "Allocate a PA to every care leaver" in _cells(response.content)
