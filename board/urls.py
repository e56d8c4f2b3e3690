"""The Improvement Board dashboard (read-only, every role), under /reports/dashboard/."""

from django.urls import path

from board import views

app_name = "board"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path(
        "dashboard/recommendations/<int:pk>/",
        views.dashboard_recommendation,
        name="recommendation",
    ),
    path("dashboard/owners/<int:pk>/", views.dashboard_owner, name="owner"),
    path("dashboard/lists/<slug:name>/", views.dashboard_list, name="list"),
    path("dashboard/export/", views.dashboard_export, name="export"),
]
