from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from api import views
from api.resources import RESOURCES

app_name = "api"

urlpatterns = [
    path("", views.root, name="root"),
    *(path(f"{name}/", views.list_view(name), name=name) for name in RESOURCES),
    path("reports/<int:pk>/pdf/", views.report_pdf, name="report_pdf"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
]
