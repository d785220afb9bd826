"""Settings shared by every environment; everything that differs comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # platform
    "partnerhub.accounts",
    "partnerhub.tenancy",
    "partnerhub.api",
    "partnerhub.webhooks",
    "partnerhub.audit",
    # domain
    "programs",
    "partners",
    "journey",
    "payouts",
    "attribution",
    # composition: pages and routers that combine the domain apps
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "partnerhub.limits.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "partnerhub.tenancy.middleware.VendorScopeMiddleware",
    "partnerhub.tenancy.timezone.VendorTimezoneMiddleware",
]

ROOT_URLCONF = "web.urls"
WSGI_APPLICATION = "partnerhub.wsgi.application"
ASGI_APPLICATION = "partnerhub.asgi.application"

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
                "partnerhub.tenancy.context_processors.vendor",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
# DATABASE_URL is exported by devtools.embedded when it starts the embedded server.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/partnerhub"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Server-side cursors do not survive transaction pooling (PgBouncer) and cannot carry the
# row-level-security settings prefix (partnerhub/tenancy/rls.py).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# No JIT compilation for the web's and workers' statements (docs/performance.md): their
# per-vendor aggregates are estimated above `jit_above_cost` and PostgreSQL then spent more
# time compiling (62-95 ms per 12-month trend query of the dashboard home) than executing.
# A connection startup option, so it holds from the first statement; where a pooler does not
# forward startup options, set it on the role instead (`ALTER ROLE ... SET jit = off`).
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Row-level security on tenant tables (docs/security.md): the role web and worker processes
# act as, and, when they log in as another role, the role to SET after connecting.
DATABASE_RLS = env_bool("DATABASE_RLS", True)
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "partnerhub_app")
DATABASE_SESSION_ROLE = os.environ.get("DATABASE_SESSION_ROLE", "")

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "partnerhub"),
    }
}

# --- auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard:vendor_picker"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_ADAPTER = "partnerhub.accounts.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[PartnerHub] "
# Counted in the Redis cache (CACHES["default"]), so every web process shares the counters.
# "key" is the e-mail address tried: the 6th failed log-in for one address within 5 minutes
# is refused even with the right password. See docs/security.md.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    # Not allauth's own: the public program form e-mails a confirmation link to any address
    # typed in (partners/views_public.py); per client IP and per address ("key").
    "program_application_email": "10/h/ip,3/h/key",
}
# Behind a reverse proxy, rate limits must count the client's address, not the proxy's: set
# this to the number of proxies that append to X-Forwarded-For (0 = use REMOTE_ADDR).
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Optional two-factor authentication (TOTP apps, with recovery codes); vendors can require it
# for their owners (Vendor.require_mfa_for_owners).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "PartnerHub"
# Wrong TOTP codes count against the same "login_failed" limit (5 per user per 5 minutes).
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "PartnerHub <no-reply@partnerhub.local>")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# --- i18n / time --------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / ".data" / "media"
MEDIA_URL = "media/"

# Bodies above these sizes are refused before they are read (413), see docs/security.md.
REQUEST_BODY_MAX_BYTES = 5 * 1024 * 1024  # JSON and form bodies
REQUEST_UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # multipart bodies (CSV imports and other files)
# Django's own checks, for bodies without a Content-Length and for field counts (400).
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # larger uploads are streamed to a temp file
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["partnerhub.api.authentication.APIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["partnerhub.api.permissions.HasVendorRole"],
    "DEFAULT_PAGINATION_CLASS": "partnerhub.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["partnerhub.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["partnerhub.api.filters.FilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["partnerhub.api.ratelimit.APIKeyRateThrottle"],
    "EXCEPTION_HANDLER": "partnerhub.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "partnerhub.api.schema.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
}
# Requests per API key per minute, unless the vendor has its own VendorAPISettings row.
API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_RATE_LIMIT_PER_MINUTE", "600"))
API_RATE_LIMIT_REDIS_PREFIX = os.environ.get("API_RATE_LIMIT_REDIS_PREFIX", "partnerhub:ratelimit")

# A POST whose Idempotency-Key is held by a request still running waits this long, then 409.
IDEMPOTENCY_WAIT_SECONDS = float(os.environ.get("IDEMPOTENCY_WAIT_SECONDS", "30"))

# --- webhooks -----------------------------------------------------------------------------
# Deliveries to loopback, private, link-local and other non-public addresses are refused
# (SSRF guard) unless this is on, which only local development should do.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
# Fernet keys (comma-separated, newest first) that encrypt webhook signing secrets at rest;
# unset, one key is derived from SECRET_KEY (docs/security.md, "Webhook signing secrets").
WEBHOOK_SECRET_KEYS = [
    k.strip() for k in os.environ.get("WEBHOOK_SECRET_KEYS", "").split(",") if k.strip()
]
# Referral destinations (``/r/<code>`` landings) must be https unless this is set (dev only).
REFERRAL_DESTINATIONS_ALLOW_HTTP = env_bool("REFERRAL_DESTINATIONS_ALLOW_HTTP", False)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# An endpoint whose deliveries failed this many times in a row is disabled (admins e-mailed).
WEBHOOK_DISABLE_AFTER_FAILURES = int(os.environ.get("WEBHOOK_DISABLE_AFTER_FAILURES", "30"))

SPECTACULAR_SETTINGS = {
    "TITLE": "PartnerHub API",
    "DESCRIPTION": (
        "Integrator API of PartnerHub. Authenticate with `Authorization: Bearer <api key>`; "
        "keys are created by vendor admins in the dashboard. Ids are opaque prefixed strings, "
        "money is an integer amount of minor units plus an ISO-4217 currency, lists use "
        "cursor pagination, and every error has the shape "
        '`{"error": {"type", "code", "message", "field"}}`. Every POST accepts an '
        "`Idempotency-Key` header (replays return the first response for 24 hours). Each key "
        "is rate limited per minute (429 with `Retry-After`). Events are delivered to webhook "
        "endpoints signed per the Standard Webhooks spec; see the README's Webhooks section."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The ApiKeyAuth security scheme comes from APIKeyAuthenticationScheme
    # (partnerhub/api/authentication.py), per operation: public routes declare none.
    # Several models have a "kind" or "status": name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "ProgramKindEnum": "programs.models.Program.Kind",
        "ProgramStatusEnum": "programs.models.Program.Status",
        "JoinSourceKindEnum": "programs.models.JoinSource.Kind",
        "PartnerKindEnum": "partners.models.Partner.Kind",
        "PartnershipStatusEnum": "partners.models.Partnership.Status",
        "ApplicationStatusEnum": "partners.models.Application.Status",
        "JourneyStageEnum": "partners.stages.Stage",
        "RevenueEventKindEnum": "payouts.models.RevenueEvent.Kind",
        "CommissionKindEnum": "payouts.models.Commission.Kind",
        "CommissionPlanKindEnum": "payouts.models.CommissionPlan.Kind",
        "RevenueBatchStatusEnum": "payouts.models.RevenueBatch.Status",
    },
}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = "UTC"
# Tasks are idempotent, so a task whose worker died is redelivered rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "webhook-deliveries-due": {
        "task": "partnerhub.webhooks.tasks.webhook_deliveries_due_task",
        "schedule": 30.0,
    },
    "idempotency-records-purge": {
        "task": "partnerhub.api.tasks.idempotency_records_purge_task",
        "schedule": crontab(minute=40),
    },
    "commissions-release": {
        "task": "payouts.tasks.commissions_release_fanout_task",
        "schedule": crontab(minute=20),
    },
    "revenue-events-settle-sweep": {
        "task": "payouts.tasks.revenue_events_settle_sweep_task",
        "schedule": 60.0,
    },
    "payout-runs-due": {
        "task": "payouts.tasks.payout_runs_due_task",
        "schedule": crontab(hour=3, minute=5),
    },
    "vendor-health-summary-nightly": {
        "task": "partnerhub.tenancy.tasks.vendor_health_summary_fanout_task",
        "schedule": crontab(hour=2, minute=15),
    },
    "journey-evaluate-hourly": {
        "task": "journey.tasks.journey_evaluate_fanout_task",
        "schedule": crontab(minute=5),
    },
    "journey-risk-digest-weekdays": {
        "task": "journey.tasks.journey_risk_digest_fanout_task",
        "schedule": crontab(hour=7, minute=30, day_of_week="mon-fri"),
    },
}
# Dotted path of the payouts ledger's journey.metric_sources.LedgerMetricSource ("" = none).
JOURNEY_LEDGER_METRIC_SOURCE = os.environ.get(
    "JOURNEY_LEDGER_METRIC_SOURCE", "payouts.journey_source.PayoutsLedgerSource"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}

# Vendor slugs that would collide with dashboard routes.
RESERVED_VENDOR_SLUGS = {"new", "api", "admin", "static", "media", "accounts", "portal", "p", "r"}
