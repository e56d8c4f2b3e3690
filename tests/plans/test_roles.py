"""Who may do what: the role groups and the per-object rule for actions."""

import pytest
from django.contrib.auth.models import Group

from plans import roles
from tests import factories


def test_the_five_role_groups_exist_with_permissions(db):
    groups = {g.name: g for g in Group.objects.prefetch_related("permissions")}
    assert set(roles.ALL_ROLES) <= set(groups)
    board = {p.codename for p in groups[roles.BOARD_MEMBER].permissions.all()}
    assert "view_action" in board
    assert not any(code.startswith(("add_", "change_", "delete_")) for code in board)
    director = {p.codename for p in groups[roles.SERVICE_DIRECTOR].permissions.all()}
    assert {"add_rating", "add_evidence", "add_duedaterevision"} <= director
    assert "change_action" not in director


def test_a_director_may_edit_an_action_they_are_accountable_for(action, director):
    assert roles.can_edit_action(director, action)


def test_a_director_may_not_edit_an_action_they_do_not_own(action, other_director):
    assert not roles.can_edit_action(other_director, action)


def test_a_plan_administrator_may_edit_any_action(action, plan_admin):
    assert roles.can_edit_action(plan_admin, action)


@pytest.mark.parametrize("fixture", ["board_member", "qa_lead", "clerk"])
def test_other_roles_read_but_do_not_edit_actions(request, action, fixture):
    user = request.getfixturevalue(fixture)
    assert roles.can_view_plan(user, action.plan)
    assert not roles.can_edit_action(user, action)


def test_nobody_edits_the_actions_of_a_closed_plan(action, director, plan_admin):
    action.plan.status = "closed"
    action.plan.save()
    assert not roles.can_edit_action(director, action)
    assert not roles.can_edit_action(plan_admin, action)


def test_a_user_without_a_role_cannot_read_plans(plan):
    stranger = factories.UserFactory(username="stranger")
    assert not roles.can_view_plan(stranger, plan)
