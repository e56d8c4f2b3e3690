from django.urls import path

from plans.views import actions, common, plan

app_name = "plans"

urlpatterns = [
    path("", common.plan_list, name="plan_list"),
    path("<slug:slug>/", plan.plan_detail, name="plan"),
    path("actions/<int:pk>/", actions.action_detail, name="action"),
    path("recommendations/<int:pk>/", plan.recommendation_detail, name="recommendation"),
]
