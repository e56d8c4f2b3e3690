"""The dashboard pages: who can read them, that nobody can write through them, that
their query counts do not grow with the data, and what the exports contain."""

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from plans import roles, services
from tests import factories
from tests.board.test_dashboard import build_board_plan

ROLES = roles.ALL_ROLES


@pytest.fixture
def built(plan_admin):
    return build_board_plan(plan_admin)


def _urls(built) -> list[str]:
    plan, rec, owner = built["plan"], built["recs"][0], built["owner"]
    query = f"?plan={plan.slug}"
    return [
        reverse("board:dashboard"),
        reverse("board:dashboard") + query,
        reverse("board:recommendation", args=[rec.pk]),
        reverse("board:owner", args=[owner.pk]) + query,
        reverse("board:export") + query + "&table=overdue&format=csv",
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, built):
    for url in _urls(built):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_read_every_dashboard_page(client, built, role):
    client.force_login(factories.UserFactory(username=f"reader-{role}", role=role))
    for url in _urls(built):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ROLES)
def test_nobody_can_post_to_the_dashboard(client, built, role):
    client.force_login(factories.UserFactory(username=f"writer-{role}", role=role))
    for url in _urls(built):
        assert client.post(url, {"plan": "x"}).status_code == 405, url


def test_a_signed_in_user_without_a_role_is_refused(client, built):
    client.force_login(factories.UserFactory(username="no-role"))
    for url in _urls(built):
        assert client.get(url).status_code == 403, url


def test_the_pages_offer_no_edit_controls(client, built, board_member):
    client.force_login(board_member)
    for url in _urls(built)[:4]:
        html = client.get(url).content.decode()
        # The only form that posts is signing out.
        assert html.count('method="post"') == 1, url


def test_board_members_land_on_the_dashboard(client, board_member):
    client.force_login(board_member)
    response = client.get(reverse("home"))
    assert response.url == reverse("board:dashboard")


def test_the_overview_shows_the_figures_and_accessible_charts(client, built, board_member):
    client.force_login(board_member)
    # One plan: its overview straight away, as of its latest closed period (Q2).
    html = client.get(reverse("board:dashboard")).content.decode()
    assert "Position as of <strong>Q2 2024/25</strong>" in html
    assert "Movement compared with Q1 2024/25" in html
    # The open period, Q3, when asked for.
    html = client.get(reverse("board:dashboard"), {"period": _q3(built)}).content.decode()
    assert "Position as of <strong>Q3 2024/25</strong>" in html
    assert (
        '<span class="figure">2</span> overdue actions</a> <span class="small">as of 31 Dec 2024'
        in html
    )
    assert '<span class="figure">1</span> slipped actions' in html
    assert '<span class="figure">2</span> measures below target' in html
    assert '<span class="figure">3</span> items not updated this period' in html
    assert '<span class="figure">1</span> audits overdue' in html
    assert '<span class="figure">1</span> ratings awaiting confirmation' in html
    assert "Actions: " in html and "Improved 1" in html and "Worsened 1" in html
    # Every chart carries its title, description and numbers.
    assert html.count('role="img"') == 4
    assert "<title id=" in html and "<desc id=" in html
    assert "Q2 2024/25: 1 Blue, 0 Green, 2 Amber, 0 Red, 1 Not rated (4 in total)." in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")


# Each list the overview counts, the figure it shows, and how a row of its drill-down
# starts (a row per item listed).
LISTS = {
    "worsened": ("movement_worsened_total", '<td class="ref">'),
    "overdue": ("overdue", '<td class="ref">'),
    "slipped": ("slipped", '<td class="ref">'),
    "below-target": ("below_target", '<td class="ref">'),
    "not-updated": ("not_updated", '<td class="ref">'),
    "audits-overdue": ("audits_overdue", '<span class="tag tag-overdue">'),
    "awaiting": ("awaiting_confirmation", '<td class="ref">'),
}


@pytest.mark.parametrize("period", ["Q2 2024/25", "Q3 2024/25"])
def test_each_figure_of_the_overview_links_to_a_drill_down_listing_as_many(
    client, built, board_member, period
):
    client.force_login(board_member)
    chosen = next(p for p in built["periods"] if p.label == period)
    query = {"plan": built["plan"].slug, "period": chosen.pk}
    response = client.get(reverse("board:dashboard"), query)
    context = response.context
    html = response.content.decode()
    for name, (figure, row) in LISTS.items():
        url = reverse("board:list", args=[name])
        assert f'href="{url}?plan={built["plan"].slug}&amp;period={chosen.pk}"' in html, name
        if figure == "movement_worsened_total":
            count = context[figure]
        else:
            count = getattr(context["flags"], figure)
        listed = client.get(url, query).content.decode()
        assert listed.count(row) == count, (name, count)
    assert sum(1 for name in LISTS if f"lists/{name}/" in html) == len(LISTS)


def test_a_drill_down_shows_badges_with_their_words_and_follows_the_filters(
    client, built, board_member
):
    client.force_login(board_member)
    plan, q3 = built["plan"], _q3(built)
    url = reverse("board:list", args=["worsened"])
    html = client.get(url, {"plan": plan.slug, "period": q3}).content.decode()
    assert "<h1>Items that worsened</h1>" in html
    assert '<span class="rag rag-red">Red</span>' in html
    assert "table=moved&amp;format=csv" in html and f"period={q3}" in html
    html = client.get(
        url, {"plan": plan.slug, "period": q3, "recommendation": built["recs"][1].pk}
    ).content.decode()
    # 1.1, the one item that worsened, is under the first recommendation.
    assert "Nothing worsened." in html and f"Recommendation {built['recs'][1].ref} only" in html


def test_a_drill_down_needs_a_plan_and_a_list_it_knows(client, built, board_member):
    client.force_login(board_member)
    assert client.get(reverse("board:list", args=["overdue"])).status_code == 404
    unknown = reverse("board:list", args=["nothing"])
    assert client.get(unknown, {"plan": built["plan"].slug}).status_code == 404


def test_filters_are_kept_in_the_links(client, built, board_member):
    client.force_login(board_member)
    q2 = built["periods"][1]
    rec = built["recs"][0]
    url = reverse("board:dashboard") + f"?plan={built['plan'].slug}&period={q2.pk}"
    html = client.get(url).content.decode()
    assert "Position as of <strong>Q2 2024/25</strong>" in html
    drill = reverse("board:recommendation", args=[rec.pk])
    assert f"{drill}?plan={built['plan'].slug}&amp;period={q2.pk}" in html
    assert "table=overdue&amp;format=csv" in html


def test_the_owner_drill_down_keeps_the_plan_and_period_it_was_opened_with(
    client, built, board_member
):
    client.force_login(board_member)
    plan, q2, owner = built["plan"], built["periods"][1], built["owner"]
    rec = built["recs"][0]
    query = f"?plan={plan.slug}&period={q2.pk}"
    drill = reverse("board:recommendation", args=[rec.pk]) + query
    html = client.get(drill).content.decode()
    assert "Position as of <strong>Q2 2024/25</strong>" in html
    owner_url = reverse("board:owner", args=[owner.pk])
    assert f"{owner_url}?plan={plan.slug}&amp;period={q2.pk}" in html
    html = client.get(owner_url + query).content.decode()
    assert "as of Q2 2024/25" in html and "Q3 2024/25</h2>" not in html
    dashboard = reverse("board:dashboard")
    assert f"{dashboard}?plan={plan.slug}&amp;period={q2.pk}" in html
    assert "table=actions&amp;format=csv" in html and f"period={q2.pk}&amp;owner" in html


def _q3(built) -> int:
    return built["periods"][2].pk


def _drill_down(client, built) -> str:
    rec = built["recs"][0]
    url = reverse("board:recommendation", args=[rec.pk])
    return client.get(url, {"period": _q3(built)}).content.decode()


def test_the_recommendation_drill_down_lists_outcomes_actions_and_measures(
    client, built, board_member
):
    client.force_login(board_member)
    html = _drill_down(client, built)
    assert "red in Q3 2024/25" in html  # 1.1's commentary
    assert "M2 dip sample" in html and "below target" in html
    assert html.count('class="chart chart-measure"') == 2  # each measure's results over time
    assert reverse("board:owner", args=[built["owner"].pk]) in html


def test_an_overridden_measure_rag_shows_its_reason_in_the_drill_down(
    client, built, board_member, qa_lead
):
    from audits.services import measure_rag_override

    m2 = built["plan"].measures.get(text="M2 dip sample")  # 70% against 90 +/- 10: Red
    measure_rag_override(measure=m2, user=qa_lead, rag="amber", reason="Three were transfers in")
    client.force_login(board_member)
    html = _drill_down(client, built)
    row = html[html.index('href="#measure-' + str(m2.pk)) :]
    row = row[: row.index("</tr>")]
    assert '<span class="rag rag-amber">Amber</span>' in row
    assert "<strong>Overridden</strong> (evidence gave Red)" in row
    assert "Three were transfers in" in row


def test_an_override_travels_with_the_rag_to_the_drill_down_lists_and_downloads(
    client, built, board_member, qa_lead
):
    from audits.services import measure_rag_override

    m2 = built["plan"].measures.get(text="M2 dip sample")  # 70% against 90 +/- 10: Red
    measure_rag_override(measure=m2, user=qa_lead, rag="amber", reason="Three were transfers in")
    client.force_login(board_member)
    html = client.get(
        reverse("board:list", args=["below-target"]),
        {"plan": built["plan"].slug, "period": _q3(built)},
    )
    html = html.content.decode()
    row = html[html.index("M2 dip sample") :]
    row = row[: row.index("</tr>")]
    assert '<span class="rag rag-amber">Amber</span>' in row
    assert "<strong>Overridden</strong> (evidence gave Red)" in row
    assert "Three were transfers in" in row
    for table in ("measures", "below_target"):
        rows = _csv_rows(_export(client, built, table, "csv"))
        found = [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if "M2 dip sample" in r]
        assert [(r["RAG"], r["Suggested RAG"], r["Override reason"]) for r in found] == [
            ("Amber", "Red", "Three were transfers in")
        ], table


def test_the_owner_drill_down_lists_only_their_actions(client, built, board_member):
    client.force_login(board_member)
    owner = built["owner"]
    url = reverse("board:owner", args=[owner.pk])
    html = client.get(url).content.decode()
    assert ">1.1</a>" in html and ">2.1</a>" in html
    assert ">1.2</a>" not in html and ">2.2</a>" not in html


def test_several_plans_are_shown_side_by_side(client, built, board_member, plan_admin):
    other = factories.PlanFactory(slug="adults", title="Adult social care plan")
    period = factories.PeriodFactory(
        plan=other, label="Q3 2024/25", start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 31)
    )
    action = factories.ActionFactory(recommendation=factories.RecommendationFactory(plan=other))
    services.rating_record(item=action, rag="amber", user=plan_admin, period=period)
    client.force_login(board_member)
    html = client.get(reverse("board:dashboard")).content.decode()
    assert "All plans side by side" in html
    assert "Adult social care plan" in html and "Children&#x27;s services plan" in html
    assert "Action RAG by plan" in html


# Query counts ------------------------------------------------------------------------


def _grow(built, plan_admin, extra: int) -> None:
    """Add `extra` actions, each with a measure, a sample and ratings in every period."""
    plan = built["plan"]
    rec = built["recs"][1]
    q3 = built["periods"][2]
    q3.refresh_from_db()
    first = rec.actions.filter(ref__startswith="9.").count()
    for number in range(first, first + extra):
        action = factories.ActionFactory(
            recommendation=rec,
            ref=f"9.{number}",
            due_date=dt.date(2024, 10, 1),
            owners=[built["owner"]],
        )
        measure = factories.MeasureFactory(action=action, plan=plan, text=f"Extra {number}")
        factories.DipSampleFactory(measure=measure, sampled_on=dt.date(2024, 11, 1), compliant=5)
        services.rating_record(item=action, rag="amber", user=plan_admin, period=q3)
        services.rating_record(item=measure, rag="red", user=plan_admin, period=q3)


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_query_counts_do_not_grow_with_the_data(client, built, board_member, plan_admin):
    client.force_login(board_member)
    plan, rec, owner = built["plan"], built["recs"][1], built["owner"]
    urls = [
        reverse("board:dashboard") + f"?plan={plan.slug}",
        reverse("board:dashboard") + f"?plan={plan.slug}&period={built['periods'][1].pk}",
        reverse("board:recommendation", args=[rec.pk]),
        reverse("board:owner", args=[owner.pk]) + f"?plan={plan.slug}",
        reverse("board:export") + f"?plan={plan.slug}&table=actions&format=csv",
        *(
            reverse("board:list", args=[name]) + f"?plan={plan.slug}"
            for name in ("worsened", "overdue", "below-target", "not-updated", "audits-overdue")
        ),
    ]
    _grow(built, plan_admin, 1)  # so the small data has a sample to look up in each scope
    small = [_count(client, url) for url in urls]
    _grow(built, plan_admin, 12)
    large = [_count(client, url) for url in urls]
    assert small == large
    assert max(large) <= 45


def test_the_plans_side_by_side_make_the_same_queries_for_more_plans(
    client, built, board_member, plan_admin
):
    client.force_login(board_member)

    def add_plan(number, actions=1):
        plan = factories.PlanFactory(slug=f"extra-{number}")
        period = factories.PeriodFactory(
            plan=plan, label="Q3", start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 31)
        )
        rec = factories.RecommendationFactory(plan=plan)
        for _ in range(actions):
            action = factories.ActionFactory(recommendation=rec)
            services.rating_record(item=action, rag="green", user=plan_admin, period=period)

    add_plan(1)
    two = _count(client, reverse("board:dashboard"))
    for number in range(2, 6):
        add_plan(number)
    assert _count(client, reverse("board:dashboard")) == two
    # and more actions in the plans, not only more plans
    add_plan(6, actions=12)
    _grow(built, plan_admin, 6)
    assert _count(client, reverse("board:dashboard")) == two


# Exports -----------------------------------------------------------------------------


def _export(client, built, table: str, fmt: str, **params):
    query = {"plan": built["plan"].slug, "period": _q3(built), "table": table, "format": fmt}
    query |= params
    response = client.get(reverse("board:export"), query)
    assert response.status_code == 200
    return response


def _csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_overdue_table_downloads_as_csv(client, built, board_member):
    client.force_login(board_member)
    response = _export(client, built, "overdue", "csv")
    assert response["Content-Type"].startswith("text/csv")
    assert (
        'filename="dashboard-board-plan-q3-202425-overdue.csv"' in response["Content-Disposition"]
    )
    rows = _csv_rows(response)
    assert rows[0] == [
        "Ref",
        "Action",
        "Recommendation",
        "Accountable",
        "Due",
        "Days overdue as of 31 Dec 2024",
    ]
    assert [(row[0], row[4], row[5]) for row in rows[1:]] == [
        ("2.2", "2024-06-30", "184"),
        ("1.1", "2024-11-30", "31"),
    ]


def test_the_rag_table_downloads_as_xlsx_with_the_same_numbers(client, built, board_member):
    client.force_login(board_member)
    response = _export(client, built, "recommendations", "xlsx")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["Ref", "Recommendation", "Actions: Blue", "Actions: Green"]
    assert rows[1] == ["1", "Care leavers", 0, 1, 0, 1, 0, 2, 0, 1, 0, 1, 0, 2]
    assert rows[2] == ["2", "Front door", 1, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 1]


# Rows of each table for the small plan as of Q3 2024/25, from the figures worked out by
# hand in test_dashboard.py: e.g. 1.1 worsened, 1.2 and M1 improved (3 moved, 1 worsened);
# 2.2 and 1.1 overdue; 1.2 slipped; M1 and M2 below target; 2.1, M2 and M3 not updated.
TABLE_ROWS = {
    "plans": 1,
    "recommendations": 2,
    "movement": 2,
    "moved": 3,
    "worsened": 1,
    "overdue": 2,
    "slipped": 1,
    "below_target": 2,
    "not_updated": 3,
    "audits_overdue": 1,
    "awaiting": 1,
    "trend": 6,
    "actions": 4,
    "measures": 3,
    "facets": 1,
}


def _xlsx_rows(response) -> list[list[str]]:
    """The sheet's rows as the CSV spells them, to compare the two formats."""

    def text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime) and value.time() == dt.time.min:
            return value.date().isoformat()  # a date cell comes back as midnight
        return str(value)

    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[text(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def test_every_table_is_listed_with_its_row_count():
    from board.exports import TABLES

    assert set(TABLE_ROWS) == set(TABLES)


@pytest.mark.parametrize("table", sorted(TABLE_ROWS))
def test_each_table_downloads_the_same_rows_as_csv_and_xlsx(
    client, built, board_member, plan_admin, table
):
    rec = built["recs"][0]
    services.rating_record(
        item=rec, facet="impact", rag="amber", user=plan_admin, period=built["periods"][2]
    )
    params = {"recommendation": rec.pk} if table == "facets" else {}
    client.force_login(board_member)
    csv_rows = _csv_rows(_export(client, built, table, "csv", **params))
    xlsx_response = _export(client, built, table, "xlsx", **params)
    assert xlsx_response["Content-Disposition"].endswith(f'{table.replace("_", "-")}.xlsx"')
    xlsx_rows = _xlsx_rows(xlsx_response)
    assert len(csv_rows) == TABLE_ROWS[table] + 1  # the header, then the rows
    assert xlsx_rows[0] == csv_rows[0] and all(csv_rows[0])
    # Same rows in both formats (numbers compared as numbers: "95.0" and "95").
    assert len(xlsx_rows) == len(csv_rows)
    for xlsx_row, csv_row in zip(xlsx_rows[1:], csv_rows[1:], strict=True):
        assert [_number(v) for v in xlsx_row] == [_number(v) for v in csv_row]


def _number(value: str):
    try:
        return float(value)
    except ValueError:
        return value


def test_every_table_on_the_pages_offers_both_downloads(client, built, board_member, plan_admin):
    from board.exports import TABLES

    services.rating_record(item=built["recs"][0], facet="impact", rag="amber", user=plan_admin)
    factories.PeriodFactory(  # a second plan, so that the plans side by side are shown
        plan=factories.PlanFactory(slug="adults"),
        start=dt.date(2024, 10, 1),
        end=dt.date(2024, 12, 31),
    )
    client.force_login(board_member)
    plan, rec, owner = built["plan"], built["recs"][0], built["owner"]
    pages = [
        reverse("board:dashboard"),
        reverse("board:dashboard") + f"?plan={plan.slug}",
        reverse("board:recommendation", args=[rec.pk]) + f"?period={_q3(built)}",
        reverse("board:owner", args=[owner.pk]) + f"?plan={plan.slug}",
    ]
    offered: dict[str, set[str]] = {}
    for url in pages:
        html = client.get(url).content.decode()
        for name, fmt in re.findall(r"table=(\w+)&amp;format=(\w+)", html):
            offered.setdefault(name, set()).add(fmt)
    # "worsened" is the "moved" download narrowed; the page offers the whole "moved".
    assert set(offered) == set(TABLES) - {"worsened"}
    assert all(formats == {"csv", "xlsx"} for formats in offered.values()), offered


def test_exports_follow_the_filters(client, built, board_member):
    client.force_login(board_member)
    q2 = built["periods"][1]
    rows = _csv_rows(_export(client, built, "overdue", "csv", period=q2.pk))
    assert [row[0] for row in rows[1:]] == ["2.2"]
    rows = _csv_rows(_export(client, built, "actions", "csv", owner=built["owner"].pk))
    assert [row[1] for row in rows[1:]] == ["1.1", "2.1"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["RAG"], first["Commentary"]) == ("Red", "red in Q3 2024/25")
    assert (first["Suggested RAG"], first["Override reason"]) == ("", "")


def test_text_that_a_spreadsheet_would_run_is_quoted(client, built, board_member, plan_admin):
    action = built["actions"][0]
    action.text = '=HYPERLINK("http://example.org")'
    action.save()
    client.force_login(board_member)
    rows = _csv_rows(_export(client, built, "overdue", "csv"))
    assert rows[2][1].startswith("'=")
    sheet = load_workbook(io.BytesIO(_export(client, built, "overdue", "xlsx").content)).active
    cell = sheet.cell(row=3, column=2)
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_an_unknown_table_is_not_found(client, built, board_member):
    client.force_login(board_member)
    url = reverse("board:export")
    assert client.get(url, {"plan": built["plan"].slug, "table": "secrets"}).status_code == 404
    assert client.get(url, {"table": "overdue", "format": "csv"}).status_code == 404


# Choice of periods, owners and bad values ---------------------------------------------


def test_compare_with_offers_each_earlier_period_and_follows_the_choice(
    client, built, board_member
):
    client.force_login(board_member)
    q1, q2, q3 = built["periods"]
    url = reverse("board:dashboard")
    html = client.get(url, {"period": q3.pk}).content.decode()
    select = html[
        html.index('id="f-compare"') : html.index("</select>", html.index('id="f-compare"'))
    ]
    assert '<option value="">The period before</option>' in select
    assert f'<option value="{q1.pk}" >Q1 2024/25</option>' in select
    assert f'value="{q3.pk}"' not in select  # only earlier periods
    assert "Movement compared with Q2 2024/25" in html
    html = client.get(url, {"period": q3.pk, "compare": q1.pk}).content.decode()
    assert "Movement compared with Q1 2024/25" in html
    assert "Movement since Q1 2024/25" in html
    assert f'<option value="{q1.pk}" selected>Q1 2024/25</option>' in html
    # Links from the page keep the choice.
    assert f"compare={q1.pk}" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "abc"}, "The period in the link is not one of this plan"),
        ({"period": "999999"}, "The period in the link is not one of this plan"),
        ({"compare": "x"}, "“Compare with” must be a period before the one shown"),
        ({"compare": "LATER"}, "“Compare with” must be a period before the one shown"),
        ({"recommendation": "0"}, "The recommendation in the link is not in this plan"),
        ({"owner": "999999"}, "The owner in the link was not found"),
        ({"owner": "1e9"}, "The owner in the link was not found"),
        ({"plan": "no-such-plan"}, "The plan in the link was not found"),
    ],
)
def test_a_bad_value_in_the_link_is_said_on_the_page_not_an_error(
    client, built, board_member, params, message
):
    client.force_login(board_member)
    if params.get("compare") == "LATER":
        params = {"period": built["periods"][1].pk, "compare": _q3(built)}
    response = client.get(reverse("board:dashboard"), {"plan": built["plan"].slug} | params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_owner_filter_lists_each_owner_once_following_merges(
    client, built, board_member, plan_admin
):
    from plans import people

    a12 = built["actions"][1]
    kept = factories.OwnerFactory(post="Corporate Leadership Team (CLT)", person_name="")
    duplicate = factories.OwnerFactory(post="CLT")
    a12.owners.add(duplicate)
    built["actions"][3].owners.add(kept)
    people.owners_merge(duplicate=duplicate, kept=kept, by=plan_admin)
    built["owner"].person_name = "Alex Example"
    built["owner"].save()
    client.force_login(board_member)
    url = reverse("board:dashboard")
    html = client.get(url, {"period": _q3(built)}).content.decode()
    select = html[html.index('id="f-owner"') : html.index("</select>", html.index('id="f-owner"'))]
    assert select.count("Corporate Leadership Team (CLT)") == 1
    assert ">CLT<" not in select
    # The owner's display name: the post and who holds it.
    assert "Head of Service – Care Leavers (Alex Example)" in select
    # An old link naming the duplicate shows the kept owner's actions.
    html = client.get(url, {"period": _q3(built), "owner": duplicate.pk}).content.decode()
    assert f'<option value="{kept.pk}" selected>' in html
    assert "Actions of Corporate Leadership Team (CLT) only" in html
    # And the duplicate's own page is the kept owner's.
    page = client.get(reverse("board:owner", args=[duplicate.pk]))
    assert page.status_code == 200
    assert "<title>Corporate Leadership Team (CLT): dashboard" in page.content.decode()


def test_measures_with_nothing_to_show_are_listed_in_one_line_not_a_row_or_chart_each(
    client, built, board_member, plan_admin
):
    a12 = built["actions"][1]
    factories.MeasureFactory(action=a12, text="M4 nothing recorded yet")
    factories.MeasureFactory(action=a12, text="M5 nothing recorded yet")
    rated = factories.MeasureFactory(action=built["actions"][0], text="M6 rated, no results")
    services.rating_record(
        item=rated, rag="green", user=plan_admin, commentary="On track", period=built["periods"][2]
    )
    client.force_login(board_member)
    html = _drill_down(client, built)
    assert html.count('class="chart chart-measure"') == 2  # M1 and M2 have results

    def line(start: str) -> str:
        text = html[html.index(f'<p class="no-results">{start}') :]
        return text[: text.index("</p>")]

    untouched = line("Not rated yet, with no results or commentary: ")
    assert f">{a12.ref}</a> (2 measures)." in untouched
    assert "M4 nothing" not in html  # neither a row nor a chart
    no_results = line("No results yet for: ")
    assert f">{rated.action.ref}</a>." in no_results
    assert "M6 rated, no results" in html  # its row stays: it has a rating
