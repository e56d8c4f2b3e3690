from django.urls import path

from reporting import views_public

app_name = "published"

# Public, without sign-in: published committee reports (reporting.publishing).
urlpatterns: list = [
    path("", views_public.published_index, name="index"),
    path("<slug:plan_slug>/<slug:period>/", views_public.published_report, name="report"),
    path("<slug:plan_slug>/<slug:period>/report.pdf", views_public.published_pdf, name="pdf"),
]
