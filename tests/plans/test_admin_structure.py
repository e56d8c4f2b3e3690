"""The plan administrator's edit pages for a plan's structure: short sections, each
recommendation and action on its own page (linked from a list), history kept."""

import pytest
from django.urls import reverse

from plans.models import Plan, Recommendation
from tests import factories


@pytest.fixture
def admin_client(client, plan_admin):
    client.force_login(plan_admin)
    return client


@pytest.fixture
def structure(plan, period):
    rec = factories.RecommendationFactory(plan=plan, ref="1", position=1, title="Care leavers")
    factories.RecommendationFactory(plan=plan, ref="2", position=2, title="Front door")
    outcome = factories.OutcomeFactory(recommendation=rec, ref="1.1", text="Every leaver has a PA")
    action = factories.ActionFactory(recommendation=rec, outcome=outcome, ref="1.1", text="PAs")
    return {"plan": plan, "rec": rec, "outcome": outcome, "action": action}


def _posted_back(client, url: str, **changes):
    """The change page posted back as it is but for `changes`: the main form's and every
    inline's values, with their management forms."""
    page = client.get(url)
    data = {field.html_name: field.value() for field in page.context["adminform"].form}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= {field.html_name: field.value() for field in formset.management_form}
        for form in formset.forms:
            data |= {field.html_name: field.value() for field in form}
    data |= changes
    return client.post(url, {key: value for key, value in data.items() if value is not None})


def test_a_plans_page_is_in_sections_and_lists_its_recommendations_as_links(
    admin_client, structure
):
    plan, rec = structure["plan"], structure["rec"]
    response = admin_client.get(reverse("admin:plans_plan_change", args=[plan.pk]))
    html = response.content.decode()
    headings = [name for name, _ in response.context["adminform"].model_admin.fieldsets]
    assert headings == [None, "Inspection", "Ratings", "Source", "Recommendations"]
    # No recommendation is edited inline: each has its own page, linked from the list.
    assert "recommendations-TOTAL_FORMS" not in html
    assert reverse("admin:plans_recommendation_change", args=[rec.pk]) in html
    assert f"{reverse('admin:plans_recommendation_add')}?plan={plan.pk}" in html
    assert 'href="/static/css/admin.css"' in html  # the product's look


def test_a_recommendations_page_edits_its_outcomes_and_links_its_actions(admin_client, structure):
    rec, action = structure["rec"], structure["action"]
    html = admin_client.get(
        reverse("admin:plans_recommendation_change", args=[rec.pk])
    ).content.decode()
    assert "outcomes-TOTAL_FORMS" in html
    assert "actions-TOTAL_FORMS" not in html
    assert reverse("admin:plans_action_change", args=[action.pk]) in html
    assert f"?plan={rec.plan_id}&amp;recommendation={rec.pk}" in html


def test_saving_a_plan_and_a_recommendation_keeps_history_and_reorders(
    admin_client, plan_admin, structure
):
    plan, rec = structure["plan"], structure["rec"]
    response = _posted_back(
        admin_client, reverse("admin:plans_plan_change", args=[plan.pk]), judgement="Good"
    )
    assert response.status_code == 302
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.judgement == "Good"
    assert plan.history.first().history_user == plan_admin
    response = _posted_back(
        admin_client, reverse("admin:plans_recommendation_change", args=[rec.pk]), position="3"
    )
    assert response.status_code == 302
    refs = list(plan.recommendations.order_by("position").values_list("ref", flat=True))
    assert refs == ["2", "1"]
    assert Recommendation.objects.get(pk=rec.pk).history.first().history_user == plan_admin
