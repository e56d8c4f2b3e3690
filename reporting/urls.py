from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns: list = [
    # Committee reports (clerks)
    path("", views.report_list, name="report_list"),
    path("new/<slug:slug>/", views.report_new, name="report_new"),
    path("<int:pk>/", views.report_detail, name="report"),
    path("<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("<int:pk>/approve/", views.report_approve, name="report_approve"),
    path("<int:pk>/to-draft/", views.report_to_draft, name="report_to_draft"),
    path("<int:pk>/publish/", views.report_publish, name="report_publish"),
    path("<int:pk>/unpublish/", views.report_unpublish, name="report_unpublish"),
    path("<int:pk>/render/", views.report_render, name="report_render"),
    path("<int:pk>/status/", views.report_status, name="report_status"),
    path("<int:pk>/preview/", views.report_preview, name="report_preview"),
    path("<int:pk>/appendices/", views.appendix_add, name="appendix_add"),
    path("appendices/<int:pk>/delete/", views.appendix_delete, name="appendix_delete"),
    path("renders/<int:pk>/download/", views.render_download, name="render_download"),
    path(
        "renders/<int:pk>/download.docx",
        views.render_download,
        {"kind": "docx"},
        name="render_download_docx",
    ),
]

# Improvement Board dashboard (read-only, every role)
from reporting import views_dashboard  # noqa: E402

urlpatterns += [
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path(
        "dashboard/recommendations/<int:pk>/",
        views_dashboard.dashboard_recommendation,
        name="dashboard_recommendation",
    ),
    path("dashboard/owners/<int:pk>/", views_dashboard.dashboard_owner, name="dashboard_owner"),
    path("dashboard/lists/<slug:name>/", views_dashboard.dashboard_list, name="dashboard_list"),
    path("dashboard/export/", views_dashboard.dashboard_export, name="dashboard_export"),
]
