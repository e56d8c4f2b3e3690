from django.urls import path

from plans.views import actions, common, plan

app_name = "plans"

urlpatterns = [
    path("", common.plan_list, name="plan_list"),
    path("mine/", actions.my_actions, name="my_actions"),
    path("actions/<int:pk>/update/", actions.action_update, name="action_update"),
    path("evidence/<int:pk>/download/", actions.evidence_download, name="evidence_download"),
    path("<slug:slug>/", plan.plan_detail, name="plan"),
    path("actions/<int:pk>/", actions.action_detail, name="action"),
    path("recommendations/<int:pk>/", plan.recommendation_detail, name="recommendation"),
]
