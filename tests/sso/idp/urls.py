"""Where Entra ID puts its endpoints: under /<tenant>/v2.0/, which is then the issuer."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from idp import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="idp/login.html"), name="login"),
    # The token endpoint, through the wrapper that can forge a token for a test.
    re_path(rf"^{settings.IDP_TENANT}/v2.0/token/?$", views.token, name="token"),
    path(f"{settings.IDP_TENANT}/v2.0/", include("oidc_provider.urls", namespace="oidc_provider")),
]
