"""Top-level URLs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from improvement import accounts, mfa_views, pages
from plans.views import common as plan_views
from plans.views import people as people_views

admin.site.login_form = accounts.AdminSignInForm
admin.site.site_header = "Improvement plans: administration"
admin.site.site_title = "Improvement plans"

urlpatterns = [
    path("", plan_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=accounts.SignInForm),
        name="login",
    ),
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/welcome/<uidb64>/<token>/",
        people_views.ChoosePasswordView.as_view(form_class=accounts.NewPasswordForm),
        name="invitation",
    ),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(form_class=accounts.ChangePasswordForm),
        name="password_change",
    ),
    path("accounts/two-step/", mfa_views.manage, name="mfa_manage"),
    path("accounts/two-step/set-up/", mfa_views.setup, name="mfa_setup"),
    path("accounts/two-step/code/", mfa_views.verify, name="mfa_verify"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("oidc/", include("sso.urls")),
    path("healthz", plan_views.healthz, name="healthz"),
    path("accessibility/", pages.accessibility, name="accessibility"),
    path("plans/", include("plans.urls")),
    path("audits/", include("audits.urls")),
    path("reports/", include("reporting.urls")),
    path("reports/", include("board.urls")),
    path("api/v1/", include("api.urls")),
    path("published/", include("reporting.urls_public")),
    path("admin/", admin.site.urls),
]
