"""Settings for the improvement-plan tracker.

Everything comes from environment variables (see docs/configuration.md). With no
variables at all you get the embedded default: a SQLite file, Celery tasks run
in-process, email printed to the console and files on local disk, so that a new user
needs no servers. DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and Redis.
"""

import datetime as dt
import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from improvement.env import envbool, envdate, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value, or DEBUG=true "
            "for local development (make demo does this for you)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-true"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")
# The accessibility statement (/accessibility/): who runs this service and whom to tell
# about a problem, and when the statement was last reviewed (docs/configuration.md).
ACCESSIBILITY_ORGANISATION = envstr("ACCESSIBILITY_ORGANISATION")
ACCESSIBILITY_CONTACT_EMAIL = envstr("ACCESSIBILITY_CONTACT_EMAIL")
ACCESSIBILITY_CONTACT_PHONE = envstr("ACCESSIBILITY_CONTACT_PHONE")
ACCESSIBILITY_STATEMENT_REVIEWED = envdate("ACCESSIBILITY_STATEMENT_REVIEWED", "2026-12-07")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "import_export",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "plans",
    "audits",
    "reporting",
    "board",
    "sso",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "improvement.mfa.SecondFactorMiddleware",
    "sso.middleware.SessionRefresh",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "plans.middleware.DailyJobsMiddleware",
]

ROOT_URLCONF = "improvement.urls"
WSGI_APPLICATION = "improvement.wsgi.application"
ASGI_APPLICATION = "improvement.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "improvement.context_processors.product",
            ],
            # `|short_day` and `|clip`: dates and cut texts (core/templatetags/core_tags.py).
            "builtins": ["core.templatetags.core_tags"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Many readers and one writer without "database is locked" under the dev server.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the planner prices the dashboard's per-item lookups (a few
    # index probes each) high enough to compile them, which costs 100-300 ms per query
    # against a few milliseconds of work. Nothing here scans enough rows to gain by it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "improvement.accounts.ModelBackend",
    "sso.backends.SignInBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "improvement.accounts.MaximumLengthValidator"},
]
# Single sign-on with OpenID Connect (sso/, docs/sso.md): on when OIDC_ISSUER and
# OIDC_CLIENT_ID are set. The issuer's discovery document gives the endpoints; the
# authorization code flow uses PKCE; roles follow the provider's groups at every sign-in
# and the session is checked with the provider every OIDC_SESSION_REFRESH_SECONDS.
OIDC_ISSUER = envstr("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = envstr("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = envstr("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = envstr("OIDC_SCOPES", "openid profile email")
OIDC_USE_PKCE = True
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = envint("OIDC_SESSION_REFRESH_SECONDS", 15 * 60)
OIDC_TIMEOUT = envint("OIDC_TIMEOUT_SECONDS", 10)
# The role everyone signing in through the provider has, besides their groups' (a role
# name, e.g. "Board member"); none when empty.
OIDC_DEFAULT_ROLE = envstr("OIDC_DEFAULT_ROLE")
# The organisation (its name) of whoever's groups map to none.
OIDC_DEFAULT_ORGANISATION = envstr("OIDC_DEFAULT_ORGANISATION")
if bool(OIDC_ISSUER) != bool(OIDC_RP_CLIENT_ID) or (OIDC_ISSUER and not OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "Single sign-on needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together."
    )
# Local passwords refused except for these emergency administrator accounts (user
# names), which must then use two-step verification.
SSO_ONLY = envbool("SSO_ONLY", False)
SSO_EMERGENCY_ACCOUNTS = envlist("SSO_EMERGENCY_ACCOUNTS")
if SSO_ONLY and not OIDC_ISSUER:
    raise ImproperlyConfigured("SSO_ONLY=true needs single sign-on set up (OIDC_ISSUER).")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: lock an account/IP pair after repeated failures. The lock ends when
# AXES_COOLOFF_TIME passes without another attempt, or when the account's password is
# reset (improvement.accounts), whose page says so.
# Two-step verification (improvement/mfa.py): required of plan administrators and staff
# while on; off by default in development so that the demo users sign in with passwords.
MFA_REQUIRED = envbool("MFA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = envstr("MFA_ISSUER", "Improvement plans")
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "improvement.accounts.locked_out"
# The person's address, not the proxy's (BEHIND_TLS_PROXY). django-axes's own
# AXES_IPWARE_* settings need django-ipware, which is not installed: without it axes
# reads REMOTE_ADDR whatever they say.
AXES_CLIENT_IP_CALLABLE = "improvement.accounts.client_address"
# Password-reset emails: at most this many requests for one email address, and from one
# client address, in any PASSWORD_RESET_WINDOW_MINUTES (improvement.accounts). Counted
# in the "throttle" cache, which CACHE_URL makes shared by the web processes.
PASSWORD_RESETS_PER_ACCOUNT = envint("PASSWORD_RESETS_PER_ACCOUNT", 3)
PASSWORD_RESETS_PER_ADDRESS = envint("PASSWORD_RESETS_PER_ADDRESS", 20)
PASSWORD_RESET_WINDOW_MINUTES = envint("PASSWORD_RESET_WINDOW_MINUTES", 60)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j F Y, H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded evidence and rendered reports are private: they live outside the static root
# and are only served through views that check permissions.
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_MB", 10) * 1024 * 1024
# A committee report's uploaded appendix (a PDF merged into the pack).
REPORT_APPENDIX_MAX_BYTES = envint("REPORT_APPENDIX_MAX_MB", 20) * 1024 * 1024
# A plan import (plans.io.importing): the most one reads, a file's size and a workbook's
# once unpacked; its rows with content; and the time it may take, under gunicorn's 60 s
# timeout so that the admin's import stops with a message rather than the worker killed.
IMPORT_MAX_BYTES = envint("IMPORT_MAX_MB", 20) * 1024 * 1024
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 5000)
IMPORT_TIME_LIMIT_SECONDS = envint("IMPORT_TIME_LIMIT_SECONDS", 40)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Email: printed to the console unless an SMTP host is configured.
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "improvement-plans@localhost")

# Caches. Pages are built from the data at every request; what is cached is counts
# that must hold across the web processes: the password-reset throttles
# (improvement.accounts) and the daily jobs' once-a-day marker (plans.middleware), in
# the "throttle" cache. In memory per process unless CACHE_URL names a Redis server,
# which the web processes then share. "default" is Django's required one, unused here.
CACHE_URL = envstr("CACHE_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "default",
    },
    "throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "throttle",
            # Redis gone: requests are not kept waiting on it.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    ),
}

# Celery. Without a broker URL, tasks run in-process (eagerly), so the embedded default
# needs no Redis; the UI says so.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", envstr("REDIS_URL"))
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# With no beat to run them, the first request of each day closes due periods and sends
# due reminders (plans.middleware).
SCHEDULE_IN_WEB = envbool("SCHEDULE_IN_WEB", CELERY_TASK_ALWAYS_EAGER)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 300)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint("CELERY_WORKER_MAX_MEMORY_KB", 768_000)
# Longer than the longest job, or Redis hands a slow job to a second worker. Only the
# worker tests set CELERY_VISIBILITY_TIMEOUT (seconds), to see a killed worker's job
# come back in seconds rather than twenty minutes.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT * 4)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}
# Run by exactly one beat process; the times are London time (CELERY_TIMEZONE).
CELERY_BEAT_SCHEDULE["plans-close-due-periods"] = {
    "task": "plans.tasks.close_due_periods",
    "schedule": crontab(hour=0, minute=5),
}
CELERY_BEAT_SCHEDULE["plans-send-period-reminders"] = {
    "task": "plans.tasks.send_period_reminders",
    "schedule": crontab(hour=7, minute=30),
}
# Draft committee reports for the periods closed at 00:05 (see REPORT_DRAFTS_ON_CLOSE).
CELERY_BEAT_SCHEDULE["reporting-render-draft-reports"] = {
    "task": "reporting.tasks.render_draft_reports",
    "schedule": crontab(hour=0, minute=30),
}
REPORT_DRAFTS_ON_CLOSE = envbool("REPORT_DRAFTS_ON_CLOSE", True)
# A committee report's PDF is laid out by this many processes at once: with 2, the
# cover and sections in one forked process and the appendices in another, then joined
# (reporting.services.report_pdf). 1 renders it whole in the render's own process.
REPORT_PDF_PROCESSES = envint("REPORT_PDF_PROCESSES", 2)
# Renders requested while Redis was down (or whose job Redis lost) are sent again.
CELERY_BEAT_SCHEDULE["reporting-requeue-renders"] = {
    "task": "reporting.tasks.requeue_renders",
    "schedule": crontab(minute="*/2"),
}
# Days before a period closes on which owners are emailed what they have not yet rated.
try:
    REMINDER_DAYS = sorted({int(day) for day in envlist("REMINDER_DAYS", "10,3")}, reverse=True)
except ValueError:
    raise ImproperlyConfigured("REMINDER_DAYS must be whole numbers of days, e.g. 10,3.") from None
if any(day < 0 for day in REMINDER_DAYS):
    raise ImproperlyConfigured("REMINDER_DAYS cannot be negative.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Security headers. Production (DEBUG off) gets secure cookies and HSTS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
# Behind a TLS-terminating proxy, trust what it adds: X-Forwarded-Proto, and the last
# entry of X-Forwarded-For as the client's address (improvement.accounts.client_address).
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No inline scripts anywhere; styles from our own files only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The read-only API (api/, docs/api.md): an API key or a session; read-only; throttled
# per key in the "throttle" cache (API_RATE requests, e.g. "600/minute").
API_RATE = envstr("API_RATE", "600/minute")
if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", API_RATE):
    raise ImproperlyConfigured(
        f"API_RATE must be a number of requests per second, minute, hour or day, e.g. "
        f"600/minute (got {API_RATE!r})."
    )
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.ReadsPlans"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.PerKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_RATE},
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "api.renderers.CSVRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Improvement plans API",
    "DESCRIPTION": "Read-only: plans, actions, measures, positions by period, results and "
    "committee reports. Send `Authorization: Api-Key <key>`. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["api.auth.ReadsPlans"],
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# Only for restoring a backup with loaddata: the dump already holds the history, and
# the restore must not add entries of its own (docs/operations.md, "Backup and restore").
SIMPLE_HISTORY_ENABLED = not envbool("RESTORING_BACKUP", False)
SIMPLE_HISTORY_REVERT_DISABLED = True
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
