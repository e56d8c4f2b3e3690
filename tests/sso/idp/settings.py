"""Settings of the test identity provider (see idp/__init__.py). Read from the
environment that the test fixture sets: IDP_DATABASE, IDP_SITE_URL, IDP_TENANT."""

import os

SECRET_KEY = "test-identity-provider-only"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "idp.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oidc_provider",
    "idp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["IDP_DATABASE"]}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
# The product and the provider both run on 127.0.0.1: distinct cookie names keep their
# sessions apart in one browser.
SESSION_COOKIE_NAME = "idp_session"
CSRF_COOKIE_NAME = "idp_csrf"
LOGIN_URL = "/login/"
SITE_URL = os.environ["IDP_SITE_URL"]
IDP_TENANT = os.environ["IDP_TENANT"]
OIDC_LOGIN_URL = LOGIN_URL
OIDC_IDTOKEN_PROCESSING_HOOK = "idp.claims.entra_claims"
OIDC_IDTOKEN_INCLUDE_CLAIMS = True
OIDC_IDTOKEN_EXPIRE = 600
LOGGING = {"version": 1, "root": {"level": "WARNING"}}
