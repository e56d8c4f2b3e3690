"""The plan page: the "position as of" grid, its XLSX export, and closing, reopening and
creating periods from the browser."""

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from plans import grid as plan_grid
from plans import periods, services
from plans.models import Plan, Rating, ReportingPeriod
from tests import factories

OUTCOME, IMPACT, PROGRESS = Rating.Subject.OUTCOME, Rating.Subject.IMPACT, Rating.Subject.PROGRESS


class GridReader(HTMLParser):
    """Reads the grid into {(recommendation ref, row label): [cell text, ...]}, the column
    headings, and the movement column."""

    def __init__(self):
        super().__init__()
        self.headings, self.rows, self.movement = [], {}, {}
        self._in_grid = self._in_head = False
        self._rec = self._row = self._cell = None
        self._text: list[str] = []
        self._cells: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "table" and "position-grid" in classes:
            self._in_grid = True
        if not self._in_grid:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and any(c.startswith("grid-") for c in classes):
            self._row, self._cells = classes[0], []
        elif tag in ("td", "th"):
            self._cell, self._text = classes, []
        elif self._cell is not None:
            self._text.append(" ")

    def handle_endtag(self, tag):
        if not self._in_grid:
            return
        if tag == "table":
            self._in_grid = False
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._text).split())
            if self._in_head and "position-col" in self._cell:
                self.headings.append(text)
            elif self._row == "grid-rec":
                self._rec = text.split(".")[0]
            elif self._row:
                self._cells.append((self._cell, text))
            self._cell = None
        elif tag == "tr" and self._row and self._row != "grid-rec":
            label = next(text for classes, text in self._cells if "grid-item" in classes)
            key = (self._rec, label)
            self.rows[key] = [text for classes, text in self._cells if "position-cell" in classes]
            movement = [text for classes, text in self._cells if not classes]
            self.movement[key] = movement[0] if movement else None
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._text.append(data)


def read_grid(response) -> GridReader:
    assert response.status_code == 200
    reader = GridReader()
    reader.feed(response.content.decode())
    return reader


def _rate(period, items, user):
    for item, rag, facet in items:
        services.rating_record(item=item, rag=rag, user=user, facet=facet, period=period)


@pytest.fixture
def plan_2015(db, plan_admin):
    """The 2015 plan's first two recommendations, rated as the document gives them."""
    plan = factories.PlanFactory(slug="like-2015", title="Action plan 2015", amber_label="Yellow")
    rec1 = factories.RecommendationFactory(plan=plan, ref="1", position=1, title="Performance data")
    rec2 = factories.RecommendationFactory(plan=plan, ref="2", position=2, title="Service plans")
    nov15, mar16, jul16, nov16 = periods.periods_create(
        plan=plan,
        rule=[dt.date(2015, 11, 1), dt.date(2016, 3, 1), dt.date(2016, 7, 1), dt.date(2016, 11, 1)],
        start=dt.date(2015, 4, 1),
        user=plan_admin,
    )
    _rate(nov15, [(rec1, "red", OUTCOME), (rec2, "red", OUTCOME)], plan_admin)
    services.period_close(period=nov15, user=plan_admin)
    _rate(
        mar16,
        [(rec1, "amber", OUTCOME), (rec1, "green", PROGRESS), (rec2, "green", OUTCOME)],
        plan_admin,
    )
    services.period_close(period=mar16, user=plan_admin)
    _rate(jul16, [(rec1, "", OUTCOME), (rec2, "green", OUTCOME)], plan_admin)
    services.period_close(period=jul16, user=plan_admin)
    return plan


def test_the_2015_plan_shows_its_dated_positions_as_the_document_does(plan_2015, board_member):
    client = Client()
    client.force_login(board_member)
    grid = read_grid(client.get(plan_2015.get_absolute_url()))

    assert grid.headings == [
        "As of 1 November 2015",
        "As of 1 March 2016",
        "As of 1 July 2016",
        "As of 1 November 2016 open until 1 Nov 2016",
    ]
    assert grid.rows[("1", "Outcome required")][:3] == ["Red", "Yellow", "Not rated"]
    assert grid.rows[("1", "Actions completed")][1] == "Green"
    assert grid.rows[("2", "Outcome required")] == [
        "Red",
        "Green",
        "Green",
        "Green not updated yet",
    ]
    assert grid.movement[("2", "Outcome required")] == "Unchanged"
    assert ("1", "Impact for children") not in grid.rows  # the plan never rates it


# The 2015 document's RAG per recommendation facet as of 1 November 2015, 1 March 2016
# and 1 July 2016, copied by hand from shared/seeds/ofsted-2015-action-plan-update.txt
# ("" where its cell is empty). The 1 November 2016 column is empty throughout.
# Facets not listed are empty in all three.
DOCUMENT_2015 = {
    "1": {"Outcome required": ("Red", "Yellow", ""), "Actions completed": ("", "Green", "")},
    "2": {"Outcome required": ("Red", "Green", "Green")},
    "4": {
        "Outcome required": ("Yellow", "Yellow", ""),
        "Impact for children": ("Red", "Yellow", ""),
        "Actions completed": ("", "Green", ""),
    },
    "5": {"Outcome required": ("", "", "Yellow"), "Actions completed": ("", "", "Green")},
    "8": {"Outcome required": ("Red", "Yellow", ""), "Actions completed": ("", "Green", "")},
    "10": {
        "Outcome required": ("Yellow", "Yellow", ""),
        "Impact for children": ("Yellow", "Green", ""),
        "Actions completed": ("Green", "Green", ""),
    },
    "11": {
        "Outcome required": ("", "", "Yellow"),
        "Impact for children": ("", "", "Green"),
        "Actions completed": ("", "", "Green"),
    },
    "12": {
        "Outcome required": ("Yellow", "Yellow", "Yellow"),
        "Impact for children": ("Red", "Red", ""),
        "Actions completed": ("", "Green", "Green"),
    },
    "13": {"Outcome required": ("Red", "Red", ""), "Actions completed": ("Green", "Green", "")},
    "14": {"Outcome required": ("Red", "Yellow", "Yellow")},
    "16": {
        "Outcome required": ("Red", "Yellow", "Green"),
        "Actions completed": ("Green", "Green", ""),
    },
    "18": {
        "Outcome required": ("Red", "Yellow", ""),
        "Impact for children": ("", "Red", ""),
        "Actions completed": ("", "Green", ""),
    },
    "19": {"Outcome required": ("Red", "Yellow", ""), "Actions completed": ("Green", "Green", "")},
}
FACET_ROWS = ("Outcome required", "Impact for children", "Actions completed")


def test_the_example_2015_plan_shows_its_four_dated_positions_as_the_document_does(
    board_member,
):
    call_command("load_examples")
    plan = Plan.objects.get(slug="ofsted-2015")
    client = Client()
    client.force_login(board_member)

    grid = read_grid(client.get(plan.get_absolute_url()))

    assert grid.headings == [
        "As of 1 November 2015",
        "As of 1 March 2016",
        "As of 1 July 2016",
        "As of 1 November 2016 open until 1 Nov 2016",
    ]
    shown = {key: cells for key, cells in grid.rows.items() if key[1] in FACET_ROWS}
    assert {rec for rec, _ in shown} == {str(number) for number in range(1, 20)}
    for (rec, facet), cells in shown.items():
        document = DOCUMENT_2015.get(rec, {}).get(facet, ("", "", ""))
        assert cells[:3] == [rag or "Not rated" for rag in document], (rec, facet)
        # Nothing rated yet as of 1 November 2016: the July position, marked as such.
        july = cells[2]
        assert cells[3] == (f"{july} not updated yet" if document[2] else "Not rated"), (
            rec,
            facet,
        )


@pytest.fixture
def five_quarters(plan, plan_admin, director):
    """Q1 2024/25 to Q1 2025/26: four closed, the last open, one action rated in each."""
    made = periods.periods_create(
        plan=plan, rule="quarters", start=dt.date(2024, 4, 1), end=dt.date(2025, 6, 30)
    )
    rec = factories.RecommendationFactory(plan=plan, ref="1", title="Care leavers")
    action = factories.ActionFactory(recommendation=rec, ref="1.1", text="Allocate a PA")
    for period, rag in zip(made[:4], ["red", "amber", "green", None], strict=True):
        if rag:
            services.rating_record(item=action, rag=rag, user=director, period=period)
        services.period_close(period=period, user=plan_admin)
    return made, action


def test_the_last_four_periods_are_shown_by_default(five_quarters, director, client):
    client.force_login(director)
    grid = read_grid(client.get(reverse("plans:plan", args=["test-plan"])))
    assert [" ".join(h.split()[:2]) for h in grid.headings] == [
        "Q2 2024/25",
        "Q3 2024/25",
        "Q4 2024/25",
        "Q1 2025/26",
    ]
    assert grid.rows[("1", "Allocate a PA")] == [
        "Amber",
        "Green",
        "Green not updated",
        "Green not updated yet",
    ]


def test_the_periods_shown_can_be_chosen(five_quarters, director, client):
    made, _ = five_quarters
    client.force_login(director)
    url = reverse("plans:plan", args=["test-plan"])
    grid = read_grid(client.get(url, {"period": [made[2].pk, made[0].pk, "nonsense"]}))
    assert grid.headings == ["Q1 2024/25 as of 30 Jun 2024", "Q3 2024/25 as of 31 Dec 2024"]
    assert grid.rows[("1", "Allocate a PA")] == ["Red", "Green"]
    assert grid.movement[("1", "Allocate a PA")] == "Improved"


def test_a_period_of_another_plan_cannot_be_chosen(five_quarters, director, client):
    elsewhere = factories.PeriodFactory(plan=factories.PlanFactory())
    client.force_login(director)
    grid = read_grid(
        client.get(reverse("plans:plan", args=["test-plan"]), {"period": elsewhere.pk})
    )
    assert len(grid.headings) == 4


def test_the_grid_shows_what_the_dates_suggest_beside_the_position(action, director, client):
    action.due_date = dt.date(2020, 1, 31)
    action.save()
    services.rating_record(
        item=action, rag="green", user=director, suggested_rag="red", override_reason="Agreed"
    )
    client.force_login(director)
    page = client.get(reverse("plans:plan", args=["test-plan"])).content.decode()
    row = page[page.index('href="/plans/actions/') :]
    row = row[: row.index("</tr>")]
    assert '<span class="rag rag-green">Green</span>' in row
    assert row.rstrip().endswith('<td><span class="rag rag-red">Red</span></td>')


def test_the_page_says_how_many_ratings_await_confirmation(plan, action, director, qa_lead):
    plan.requires_signoff = True
    plan.save()
    services.rating_record(item=action, rag="green", user=director)
    client = Client()
    client.force_login(qa_lead)
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "1 rating awaits confirmation" in page
    assert f'href="{reverse("plans:to_confirm")}?plan=test-plan"' in page
    grid = read_grid(client.get(plan.get_absolute_url()))
    assert grid.rows[("1", "Allocate a PA to every care leaver")] == ["– no position"]


def test_the_page_is_for_signed_in_users(plan, client):
    response = client.get(plan.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _grow(plan, director, size: int) -> None:
    period = services.open_period(plan)
    for _ in range(size):
        rec = factories.RecommendationFactory(plan=plan)
        services.rating_record(item=rec, rag="amber", user=director, facet=OUTCOME)
        for _ in range(3):
            action = factories.ActionFactory(recommendation=rec)
            services.rating_record(item=action, rag="green", user=director, period=period)


@pytest.mark.parametrize("size", [2, 15])
def test_the_page_takes_the_same_number_of_queries_for_any_size_of_plan(
    five_quarters, director, client, size, django_assert_num_queries, plan
):
    _grow(plan, director, size)
    client.force_login(director)
    with django_assert_num_queries(13):
        response = client.get(plan.get_absolute_url())
    # Other recommendations rate their outcome, so every recommendation shows that row.
    assert len(read_grid(response).rows) == 2 + size * 4


# --- Export ------------------------------------------------------------------------------------


def test_the_grid_exports_to_xlsx_with_words_and_colours(five_quarters, director, client, plan):
    _, action = five_quarters
    factories.ActionFactory(
        recommendation=action.recommendation, ref="1.2", text='=HYPERLINK("http://x","y")'
    )
    client.force_login(director)
    response = client.get(reverse("plans:plan_positions_xlsx", args=[plan.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="test-plan-positions-' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0][:8] == (
        "Recommendation",
        "Ref",
        "Item",
        "Kind",
        "Q2 2024/25",
        "Q3 2024/25",
        "Q4 2024/25",
        "Q1 2025/26",
    )
    assert rows[0][8] == "Movement since Q4 2024/25"
    first = rows[1]
    assert first[1:8] == (
        "1.1",
        "Allocate a PA",
        "Action",
        "Amber",
        "Green",
        "Green (not updated)",
        "Green (not updated yet)",
    )
    assert sheet.cell(row=5, column=5).fill.fgColor.rgb.endswith("F47738")
    injected = next(row for row in rows if row[1] == "1.2")
    assert injected[2] == '=HYPERLINK("http://x","y")'
    assert sheet.cell(row=6, column=3).data_type == "s"


def test_the_export_follows_the_periods_chosen(five_quarters, director, client, plan):
    made, _ = five_quarters
    client.force_login(director)
    response = client.get(
        reverse("plans:plan_positions_xlsx", args=[plan.slug]), {"period": [made[0].pk]}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[4]]
    assert header == ["Recommendation", "Ref", "Item", "Kind", "Q1 2024/25", "Dates suggest"]


# --- Closing, reopening and creating periods -----------------------------------------------------


def _token(client, url) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_only_a_plan_administrator_sees_the_close_button(plan, period, director, plan_admin):
    close_url = reverse("plans:period_close", args=[period.pk])
    for user, shown in ((director, False), (plan_admin, True)):
        client = Client()
        client.force_login(user)
        assert (close_url in client.get(plan.get_absolute_url()).content.decode()) is shown


def test_closing_from_the_page_asks_first_then_closes_on_post(plan, period, action, plan_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(plan_admin)
    url = reverse("plans:period_close", args=[period.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "0 of 1 have a confirmed rating this period" in page.content.decode()
    period.refresh_from_db()
    assert period.state == ReportingPeriod.State.OPEN
    assert client.post(url).status_code == 403  # no CSRF token

    response = client.post(url, {"csrfmiddlewaretoken": _token(client, url)})

    assert response.status_code == 302
    period.refresh_from_db()
    assert period.is_closed and period.closed_by == plan_admin
    again = client.post(url, {"csrfmiddlewaretoken": _token(client, plan.get_absolute_url())})
    assert again.status_code == 302
    assert Rating.objects.filter(period=period).count() == 1


@pytest.mark.parametrize("who", ["director", "qa_lead", "board_member"])
def test_others_cannot_close_a_period(request, who, period, client):
    client.force_login(request.getfixturevalue(who))
    assert client.post(reverse("plans:period_close", args=[period.pk])).status_code == 403
    period.refresh_from_db()
    assert not period.is_closed


def test_reopening_from_the_page_needs_a_reason(plan, period, plan_admin, client):
    services.period_close(period=period, user=plan_admin)
    client.force_login(plan_admin)
    url = reverse("plans:period_reopen", args=[period.pk])

    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()

    response = client.post(url, {"reason": "Audit results came in late"})
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.state == ReportingPeriod.State.OPEN
    assert period.history.first().history_change_reason == "reopened: Audit results came in late"


def test_a_director_cannot_reopen_a_period(period, plan_admin, director, client):
    services.period_close(period=period, user=plan_admin)
    client.force_login(director)
    url = reverse("plans:period_reopen", args=[period.pk])
    assert client.post(url, {"reason": "Please"}).status_code == 403
    period.refresh_from_db()
    assert period.is_closed


def test_an_administrator_creates_quarters_from_the_periods_page(plan, plan_admin, client):
    client.force_login(plan_admin)
    url = reverse("plans:plan_periods", args=[plan.slug])
    response = client.post(url, {"rule": "quarters", "start": "2025-04-01", "end": "2026-03-31"})
    assert response.status_code == 302
    assert list(plan.periods.order_by("end").values_list("label", flat=True)) == [
        "Q1 2025/26",
        "Q2 2025/26",
        "Q3 2025/26",
        "Q4 2025/26",
    ]


def test_dated_positions_are_created_from_typed_dates(plan, plan_admin, client):
    client.force_login(plan_admin)
    url = reverse("plans:plan_periods", args=[plan.slug])
    response = client.post(url, {"rule": "dates", "dates": "1 November 2015\n2016-03-01\n"})
    assert response.status_code == 302
    assert list(plan.periods.order_by("end").values_list("label", flat=True)) == [
        "As of 1 November 2015",
        "As of 1 March 2016",
    ]
    response = client.post(url, {"rule": "dates", "dates": "next Tuesday"})
    assert response.status_code == 400
    assert "is not a date" in response.content.decode()


@pytest.mark.parametrize("who", ["director", "qa_lead", "clerk"])
def test_only_an_administrator_creates_periods(request, who, plan, client):
    client.force_login(request.getfixturevalue(who))
    url = reverse("plans:plan_periods", args=[plan.slug])
    assert client.get(url).status_code == 200
    assert (
        client.post(url, {"rule": "months", "start": "2025-04-01", "end": "2025-05-31"}).status_code
        == 403
    )
    assert not plan.periods.exists()


def test_the_admin_closes_the_periods_chosen(plan, period, plan_admin, client):
    client.force_login(plan_admin)
    url = reverse("admin:plans_reportingperiod_changelist")

    response = client.post(url, {"action": "close_periods", "_selected_action": [period.pk]})

    assert response.status_code == 302
    period.refresh_from_db()
    assert period.is_closed and period.closed_by == plan_admin


def test_staff_who_are_not_plan_administrators_cannot_close_in_the_admin(
    plan, period, director, client
):
    director.is_staff = True
    director.save()
    client.force_login(director)
    url = reverse("admin:plans_reportingperiod_changelist")
    assert client.get(url).status_code == 200

    for action in ("close_periods", "reopen_periods"):
        client.post(url, {"action": action, "_selected_action": [period.pk]})

    period.refresh_from_db()
    assert period.state == ReportingPeriod.State.OPEN


def test_the_admin_reopens_a_period_after_asking_for_a_reason(plan, period, plan_admin, client):
    services.period_close(period=period, user=plan_admin)
    client.force_login(plan_admin)
    url = reverse("admin:plans_reportingperiod_changelist")
    data = {"action": "reopen_periods", "_selected_action": [period.pk]}

    page = client.post(url, data)
    assert page.status_code == 200
    assert "Why does this period need to reopen?" in page.content.decode()
    period.refresh_from_db()
    assert period.is_closed

    response = client.post(url, {**data, "apply": "1", "reason": "Board asked for a recount"})
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.state == ReportingPeriod.State.OPEN
    latest = period.history.first()
    assert (latest.history_user, latest.history_change_reason) == (
        plan_admin,
        "reopened: Board asked for a recount",
    )


# --- Pages of the grid -------------------------------------------------------------------------


def _plan_of(sizes: list[int]) -> Plan:
    plan = factories.PlanFactory(slug="paged", title="Paged plan")
    for number, size in enumerate(sizes, start=1):
        rec = factories.RecommendationFactory(plan=plan, ref=str(number), position=number)
        for position in range(size):
            factories.ActionFactory(
                recommendation=rec, ref=f"{number}.{position + 1}", position=position
            )
    return plan


def test_the_grid_is_cut_into_pages_of_whole_recommendations_where_they_fit(db):
    plan = _plan_of([3, 0, 7, 2])
    pages = plan_grid.grid_pages(plan, rows=5)
    assert [
        [(s.recommendation.ref, s.start, s.stop, s.total) for s in page.slices] for page in pages
    ] == [
        [("1", 0, 3, 3), ("2", 0, 0, 0)],
        [("3", 0, 5, 7)],
        [("3", 5, 7, 7), ("4", 0, 2, 2)],
    ]
    assert [page.offset for page in pages] == [0, 3, 8]
    assert [page.label for page in pages] == [
        "Recommendations 1 to 2",
        "Recommendation 3, actions 1 to 5 of 7",
        "Recommendations 3 to 4",
    ]
    assert [p.number for p in pages] == [1, 2, 3]


def test_a_plan_without_recommendations_has_one_empty_page(db):
    (page,) = plan_grid.grid_pages(factories.PlanFactory(slug="empty"))
    assert page.slices == () and page.size == 0 and page.label == "No recommendations"


def test_every_action_is_on_exactly_one_page_with_its_position(db, director, client, monkeypatch):
    plan = _plan_of([3, 7, 2])
    period = factories.PeriodFactory(plan=plan, state=ReportingPeriod.State.OPEN)
    for action in plan.actions.all():
        services.rating_record(item=action, rag="green", user=director, period=period)
    rec2 = plan.recommendations.get(ref="2")
    services.rating_record(item=rec2, rag="amber", user=director, facet=OUTCOME, period=period)
    monkeypatch.setattr(plan_grid, "GRID_PAGE_ROWS", 5)
    client.force_login(director)
    seen, first_pages = [], {}
    for number in (1, 2, 3):
        response = client.get(plan.get_absolute_url(), {"page": number})
        grid = read_grid(response)
        for (rec, label), cells in grid.rows.items():
            if label == "Outcome required":
                first_pages.setdefault(rec, number)
                continue
            assert cells == ["Green"], (number, rec, label)
            seen.append((rec, label))
        page = response.content.decode()
        assert f"page {number} of 3" in page
    assert len(seen) == len(set(seen)) == 12
    # The facets head each recommendation's first page only.
    assert first_pages == {"1": 1, "2": 2, "3": 3}
    second = client.get(plan.get_absolute_url(), {"page": 3}).content.decode()
    assert "actions 6 to 7 of 7, continued from the page before" in second


def test_page_links_keep_the_periods_chosen_and_bad_page_numbers_fall_back(
    five_quarters, director, client, monkeypatch, plan
):
    made, _ = five_quarters
    _grow(plan, director, 2)
    monkeypatch.setattr(plan_grid, "GRID_PAGE_ROWS", 3)
    client.force_login(director)
    url = reverse("plans:plan", args=["test-plan"])
    page = client.get(url, {"period": made[0].pk, "page": 2}).content.decode()
    assert f'href="?period={made[0].pk}&amp;page=3"' in page
    assert 'aria-current="page"' in page
    # The download is the whole plan: it keeps the periods, not the page.
    assert f'positions.xlsx?period={made[0].pk}"' in page
    for nonsense in ("0", "999", "x"):
        assert client.get(url, {"page": nonsense}).status_code == 200
    last = read_grid(client.get(url, {"page": 999}))
    first = read_grid(client.get(url, {"page": "x"}))
    assert last.rows and first.rows and set(last.rows) != set(first.rows)


def test_a_plan_of_one_page_shows_no_page_links(five_quarters, director, client):
    client.force_login(director)
    page = client.get(reverse("plans:plan", args=["test-plan"])).content.decode()
    assert 'aria-label="Pages of the grid' not in page


@pytest.mark.parametrize("size", [8, 40])
def test_a_page_takes_the_same_number_of_queries_for_any_size_of_plan(
    five_quarters, director, client, size, django_assert_num_queries, plan, monkeypatch
):
    _grow(plan, director, size)
    monkeypatch.setattr(plan_grid, "GRID_PAGE_ROWS", 10)
    client.force_login(director)
    with django_assert_num_queries(13):
        response = client.get(plan.get_absolute_url(), {"page": 2})
    # Whole recommendations of three actions each: three of them fill a page of ten rows.
    assert len([key for key in read_grid(response).rows if key[1] != "Outcome required"]) == 9


def test_the_page_takes_the_same_number_of_queries_for_any_number_of_periods_shown(
    five_quarters, director, client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    made, _ = five_quarters
    client.force_login(director)
    url = reverse("plans:plan", args=["test-plan"])
    counts = []
    for chosen in (made[:1], made):
        with CaptureQueriesContext(connection) as queries:
            grid = read_grid(client.get(url, {"period": [p.pk for p in chosen]}))
        assert len(grid.headings) == len(chosen)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
