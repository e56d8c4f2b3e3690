"""`plans.access`: which plans a person sees, and what it costs a page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from plans import access, roles
from tests import factories

pytestmark = pytest.mark.django_db


def test_own_and_shared_plans_are_seen_and_no_others():
    council = factories.OrganisationFactory(name="Example Council")
    board = factories.OrganisationFactory(name="Example Integrated Care Board")
    neighbour = factories.OrganisationFactory(name="Neighbour Council")
    ours = factories.PlanFactory(organisation=council)
    joint = factories.PlanFactory(organisation=neighbour)
    joint.partners.add(board)
    theirs = factories.PlanFactory(organisation=neighbour)

    officer = factories.UserFactory(role=roles.BOARD_MEMBER, organisation=council)
    partner = factories.UserFactory(role=roles.BOARD_MEMBER, organisation=board)
    assert set(access.visible_plans(officer)) == {ours}
    assert set(access.visible_plans(partner)) == {joint}
    assert [access.sees_plan(partner, p) for p in (ours, joint, theirs)] == [False, True, False]
    assert roles.can_view_plan(partner, joint) and not roles.can_view_plan(partner, theirs)


def test_nobody_without_an_organisation_sees_a_plan_but_a_superuser_sees_all():
    plans = {factories.PlanFactory(), factories.PlanFactory()}
    alone = factories.UserFactory(role=roles.PLAN_ADMINISTRATOR, organisation=False)
    assert list(access.visible_plans(alone)) == []
    assert not roles.can_view_plan(alone, next(iter(plans)))
    superuser = factories.UserFactory(is_superuser=True, organisation=False)
    assert set(access.visible_plans(superuser)) == plans
    inactive = factories.UserFactory(role=roles.PLAN_ADMINISTRATOR, is_active=False)
    assert list(access.visible_plans(inactive)) == []


def test_the_organisation_comes_with_the_signed_in_user(django_assert_num_queries):
    """The session's backend loads the membership with the user: asking the rule on a
    page costs no query of its own."""
    user = factories.UserFactory(role=roles.BOARD_MEMBER)
    client = Client()
    client.force_login(user)
    request = client.get(reverse("plans:plan_list")).wsgi_request
    loaded = get_user_model().membership.is_cached(request.user)
    assert loaded
    fresh = get_user_model().objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        access.organisation_id(fresh)
        access.organisation_id(fresh)  # cached on the user
