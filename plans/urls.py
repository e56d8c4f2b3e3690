from django.urls import path

from plans.views import actions, common, exports, people, periods, plan

app_name = "plans"

urlpatterns = [
    path("", common.plan_list, name="plan_list"),
    path("to-confirm/", periods.confirm_queue, name="to_confirm"),
    path("ratings/<int:pk>/confirm/", periods.rating_confirm, name="rating_confirm"),
    path("ratings/<int:pk>/return/", periods.rating_return, name="rating_return"),
    path("periods/<int:pk>/close/", periods.period_close, name="period_close"),
    path("periods/<int:pk>/reopen/", periods.period_reopen, name="period_reopen"),
    path("mine/", actions.my_actions, name="my_actions"),
    path("people/", people.people_list, name="people"),
    path("people/invite/", people.person_invite, name="person_invite"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("people/<int:pk>/roles/", people.person_roles, name="person_roles"),
    path("people/<int:pk>/invite-again/", people.person_invite_again, name="person_invite_again"),
    path(
        "people/<int:pk>/two-step-reset/",
        people.person_two_step_reset,
        name="person_two_step_reset",
    ),
    path("people/owners/", people.owner_list, name="owner_list"),
    path("people/owners/<int:pk>/link/", people.owner_link, name="owner_link"),
    path("people/owners/<int:pk>/unlink/", people.owner_unlink, name="owner_unlink"),
    path("people/owners/<int:pk>/merge/", people.owner_merge, name="owner_merge"),
    path("actions/<int:pk>/update/", actions.action_update, name="action_update"),
    path("evidence/<int:pk>/download/", actions.evidence_download, name="evidence_download"),
    path("<slug:slug>/periods/", periods.plan_periods, name="plan_periods"),
    path("<slug:slug>/positions.xlsx", periods.plan_positions_xlsx, name="plan_positions_xlsx"),
    path("<slug:slug>/", periods.plan_detail, name="plan"),
    path("actions/<int:pk>/", actions.action_detail, name="action"),
    path("recommendations/<int:pk>/", plan.recommendation_detail, name="recommendation"),
    path("<slug:slug>/export/", exports.plan_export, name="plan_export"),
]
