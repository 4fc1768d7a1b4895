"""Settings for the DPP compliance portal: one module, configured from the environment.

``DJANGO_ENV`` picks the mode: ``development`` (the default of ``make run``: SQLite, a file
broker and file email under ``var/``, no server needed), ``test`` (pytest) or ``production``
(refuses to start without its secrets; ``manage.py check --deploy`` is clean).
Secrets are never defaulted in production and never committed (DPP 2.5); any variable can
also be read from a file named by ``<NAME>_FILE``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from grc.envsecrets import dev_secret
from grc.pdf_signing import dev_signing_pair

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.FileAwareEnv()
# pytest is the test runner: under it the default is ``test`` (no second settings module needed).
DJANGO_ENV = env.str("DJANGO_ENV", default="test" if "pytest" in sys.modules else "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test"


def required_in_production(name: str, **kwargs):
    """Read a setting that must be given explicitly in production (no default there)."""
    value = env.str(name, default="")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} is not set. Production (DJANGO_ENV=production) refuses to start without it.")
    return dev_secret(VAR_DIR, name, persist=not TESTING, **kwargs)


SECRET_KEY = required_in_production("SECRET_KEY")
FIELD_ENCRYPTION_KEY = required_in_production("FIELD_ENCRYPTION_KEY", kind="fernet")
DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG is on. Production (DJANGO_ENV=production) refuses to start with DEBUG=true.")
if PRODUCTION and not env.list("ALLOWED_HOSTS", default=[]):
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set. Production (DJANGO_ENV=production) refuses to start without it.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ORGANISATION_NAME = env.str("ORGANISATION_NAME", default="Example Seller Tools Ltd")
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files (no CDN)
    "grc",
    "grc.accounts",
    "grc.audit",
    "grc.oversight",  # before the engine's own apps: its checks are listed first, as when accounts and audit registered them
    "grc.compliance",
    "grc.policies",
    "access_reviews",
    "assets",
    "incidents",
    "grc.risks",
    "grc.controls",
    "grc.kit",
    "grc.evidence",
    "grc.api",
]  # the portal's own apps in dependency order: seed_demo runs their seeders in this order

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "grc.accounts.middleware.ClientAddressMiddleware",
    "grc.accounts.middleware.AllowedNetworksMiddleware",
    "grc.accounts.middleware.IdleSessionMiddleware",  # Django's, but a progress poll does not renew the idle timeout
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "grc.http.NoStoreForSignedInMiddleware",  # Cache-Control: no-store, private for signed-in users and API tokens
    "grc.http.RefuseNulInQueryMiddleware",  # ?x=%00 is a 400, never a database error
    "django_otp.middleware.OTPMiddleware",
    "grc.accounts.middleware.AccountPolicyMiddleware",
    "grc.accounts.middleware.UserTimezoneMiddleware",
    "grc.evidence.middleware.AuditorActivityMiddleware",  # auditors' page views audited; they land on the auditor home
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "grc.urls"
WSGI_APPLICATION = "grc.wsgi.application"
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
                "grc.context_processors.portal",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # recover after a database restart
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so concurrent writers queue
    # instead of failing, and the audit chain's read-head-then-append is serialised.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identity (DPP 1.2-1.4) ----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
if TESTING:  # a fast hasher keeps the suite quick; tests check production uses Argon2
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PASSWORD_MIN_LENGTH = 12
PASSWORD_HISTORY_COUNT = 5
PASSWORD_MIN_AGE_HOURS = 24
PASSWORD_MAX_AGE_DAYS = 365
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "grc.accounts.passwords.CharacterClassValidator"},
    {"NAME": "grc.accounts.passwords.NoPartOfNameValidator"},
    {"NAME": "grc.accounts.passwords.MinimumAgeValidator"},
    {"NAME": "grc.accounts.passwords.PasswordHistoryValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "compliance:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
FORBIDDEN_USERNAMES = [
    "admin",
    "administrator",
    "root",
    "test",
    "shared",
    "generic",
    "guest",
    "user",
    "default",
    "system",
    "support",
    "service",
]
INVITATION_VALID_HOURS = 72
SETUP_LINK_VALID_HOURS = 24
STEP_UP_MAX_AGE_SECONDS = 10 * 60
OTP_TOTP_ISSUER = ORGANISATION_NAME
OTP_TOTP_TOLERANCE = 1

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = False  # reset only after the one-time code too (grc.accounts.lockout.attempts_clear_after_sign_in)
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_CLIENT_IP_CALLABLE = "grc.accounts.network.axes_client_ip"
AXES_VERBOSE = False  # axes logs usernames and addresses otherwise: no PII in logs

SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the 30 minutes are idle time, renewed by each request
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
ALLOWED_CIDRS = env.list("ALLOWED_CIDRS", default=[])
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Transport security (DPP 1.5) ----------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load-balancer probes speak plain HTTP to the app; /healthz holds no data
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    if TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Time ------------------------------------------------------------------------------
USE_TZ = True
TIME_ZONE = "UTC"  # stored in UTC; each user sees their own zone (grc.accounts.middleware)
LANGUAGE_CODE = "en-gb"
USE_I18N = True

# --- Static and uploaded files ---------------------------------------------------------
import xstatic.pkg.bootstrap as xstatic_bootstrap  # noqa: E402

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve from the apps in development and tests, no collectstatic
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic_bootstrap.BASE_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Evidence and reports live outside the web root and are served only by permission-checked views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "files")))
MEDIA_URL = "/files-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
# scanner reports imported on the scan page or POST /api/v1/vulnerability-scans/import/ (larger: 413 / field error)
SCAN_IMPORT_MAX_BYTES = env.int("SCAN_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)

# --- Cache, Celery, email --------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Short socket timeouts: an unreachable Redis costs a request at most a moment, after which
    # grc.degraded skips the cache for a while and pages compute instead (degrade, don't fail).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}}

CELERY_FOLDER = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # An unacknowledged task (its worker died: acks_late) is handed to another worker after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FOLDER / "queue"),
        "data_folder_out": str(CELERY_FOLDER / "queue"),
        "processed_folder": str(CELERY_FOLDER / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_FOLDER / "control"),
    }
    # Tests keep results in memory; the portal keeps them in files beside the queue.
    CELERY_RESULT_BACKEND = "cache+memory://" if TESTING else f"file://{CELERY_FOLDER / 'results'}"
    if not TESTING:
        for _folder in ("queue", "processed", "control", "results"):
            (CELERY_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task to be re-run
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
REMINDER_SWEEP_SECONDS = env.int("REMINDER_SWEEP_SECONDS", default=300)
REMINDER_DIGEST_HOUR = env.int("REMINDER_DIGEST_HOUR", default=7)  # UTC hour from which the daily overdue digest goes out
OUTBOX_RELAY_SECONDS = env.int("OUTBOX_RELAY_SECONDS", default=30)  # grc.queue: publish tasks the broker missed
CELERY_BEAT_SCHEDULE = {  # every periodic job; each task only loops over one-item services
    "reminder-sweep": {"task": "grc.compliance.tasks.sweep_reminders", "schedule": float(REMINDER_SWEEP_SECONDS)},
    "obligation-resync": {"task": "grc.compliance.tasks.resync_obligations", "schedule": 24 * 3600.0},
    "alarm-rules": {"task": "grc.audit.tasks.evaluate_alarms", "schedule": 60.0},
    "audit-retention": {"task": "grc.audit.tasks.purge_expired_events", "schedule": 24 * 3600.0},
    "access-review-campaigns": {"task": "access_reviews.tasks.start_due_campaign", "schedule": 3600.0},
    "outbox-relay": {"task": "grc.queue.relay_outbox", "schedule": float(OUTBOX_RELAY_SECONDS)},
}

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="dpp-portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "grc.api.schema.ApiAutoSchema",  # documents the JSON error of every 4xx
    # Token only: no session, no browsable API (grc.api.base sets these per view too).
    "DEFAULT_AUTHENTICATION_CLASSES": ["grc.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["grc.api.parsers.BoundedJSONParser"],  # depth and size limits: a JSON 400, never a 500
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "grc.api.pagination.ApiCursorPagination",
    "EXCEPTION_HANDLER": "grc.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DPP compliance portal API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "DESCRIPTION": (
        "Automation for the DPP compliance portal: identity-provider and HR syncs, scanners, CI pipelines. "
        "Authenticate with `Authorization: Bearer <token>` (tokens are made on the portal's API tokens page). "
        "Every call is in the audit trail with its token id. Errors are JSON with the field and the reason."
    ),
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {  # choice sets that share a field name get names of their own
        "SeverityEnum": "assets.models.vulns.Severity",
        "PersonKindEnum": "access_reviews.models.PersonKind",
        "PersonStatusEnum": "access_reviews.models.PersonStatus",
        "AssetKindEnum": "assets.models.AssetKind",
        "FindingStatusEnum": "assets.models.vulns.FindingStatus",
        "IncidentStatusEnum": "incidents.models.Status",
        "ScanResultEnum": "assets.models.vulns.ScanResult",
        "TokenKindEnum": "grc.api.models.TokenKind",
        "ResolutionEnum": ["fixed", "accepted"],
        "ScanOutcomeEnum": ["pass", "fail"],
        "RequirementStateEnum": ["met", "at_risk", "not_met", "not_tracked"],
        "LikelihoodEnum": "grc.risks.models.LIKELIHOOD_CHOICES",  # inherent and residual share one scale
        "ImpactEnum": "grc.risks.models.IMPACT_CHOICES",
    },
}
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=5 * 1024 * 1024)  # larger request bodies get 413
# A gzip body (Content-Encoding: gzip) may decompress to this much; past it: 413 (a gzip bomb).
SYNC_MAX_DECOMPRESSED_BYTES = env.int("SYNC_MAX_DECOMPRESSED_BYTES", default=10 * API_MAX_BODY_BYTES)
CELERY_BEAT_SCHEDULE["sync-sessions"] = {"task": "grc.api.tasks.sweep_sync_sessions", "schedule": 300.0}  # expired sync sessions' pages
CELERY_BEAT_SCHEDULE["aws-collect"] = {"task": "grc.controls.tasks.aws_collect_all", "schedule": 24 * 3600.0}  # issue 25
# AWS connector: where boto3 sends its calls; None = AWS itself (tests and demos point it at a local emulator).
AWS_CONNECTOR_ENDPOINT_URL = env.str("AWS_CONNECTOR_ENDPOINT_URL", default="") or None
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/minute")  # per token; over it: 429 with Retry-After
API_TOKEN_MAX_DAYS = 365  # no API token lives longer

# --- Logging: JSON lines on stdout, never PII (DPP 2.6) ------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "grc.logging.RedactPIIFilter"}},
    "formatters": {"json": {"()": "grc.logging.JSONFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json", "filters": ["redact"]},
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- DPP programme settings --------------------------------------------------------------
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
if AUDIT_RETENTION_DAYS < 90:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 90 (DPP 2.6 keeps logs 90 days).")
# The witness of the audit chain's head outside the database (grc.audit.witness): JSON lines in this
# directory, written hourly; empty under pytest (tests name their own directory).
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default="" if TESTING else str(VAR_DIR / "audit-checkpoints"))
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {"task": "grc.audit.tasks.write_checkpoint", "schedule": 3600.0}

# --- Incidents and the IR plan (DPP 1.6) -------------------------------------------------
# The mailbox named as the contact in notifications to Amazon (a role mailbox, never a person).
SECURITY_CONTACT_EMAIL = env.str("SECURITY_CONTACT_EMAIL", default="security@example.com")
# A major infrastructure or system change opens an IR plan review due within this many days.
POLICY_MAJOR_CHANGE_REVIEW_DAYS = env.int("POLICY_MAJOR_CHANGE_REVIEW_DAYS", default=30)
# Risk appetite (1-25): an open risk whose residual score (likelihood x impact) is above it needs a treatment plan.
RISK_APPETITE_SCORE = env.int("RISK_APPETITE_SCORE", default=12)

# --- Assets and vulnerability management (DPP 1.4, 2.3, 2.7) -----------------------------
# Days from discovery to the fix due date of a vulnerability finding, by severity.
ASSETS_FINDING_DUE_DAYS = {"critical": 15, "high": 30, "medium": 90, "low": 180}
ASSETS_CREDENTIAL_ROTATION_DAYS = env.int("ASSETS_CREDENTIAL_ROTATION_DAYS", default=365)  # older rotations are flagged
ASSETS_BASELINE_MAX_AGE_DAYS = env.int("ASSETS_BASELINE_MAX_AGE_DAYS", default=365)  # baseline verification older than this is flagged

# --- Data-subject requests (DPP 2.2) -----------------------------------------------------
DSAR_RESPONSE_DAYS = env.int("DSAR_RESPONSE_DAYS", default=30)  # the response is due this many days after receipt
DSAR_EXTENSION_DAYS = env.int("DSAR_EXTENSION_DAYS", default=60)  # one extension, with a reason, adds this to the original deadline
DSAR_RETENTION_DAYS = env.int("DSAR_RETENTION_DAYS", default=90)  # requester details are purged this long after the response
CELERY_BEAT_SCHEDULE["dsar-purge"] = {"task": "assets.tasks.purge_dsar_details", "schedule": 24 * 3600.0}

# --- Books and records, auditor access and evidence packs (DPP 3) ------------------------
# Books and records are kept for the agreement period and BOOKS_RETENTION_MONTHS after it ends
# (DPP 3: "during the period of this agreement and for 12 months thereafter"). While
# AGREEMENT_ENDED_ON is empty the agreement is in force and nothing in scope is purged.
BOOKS_RETENTION_MONTHS = env.int("BOOKS_RETENTION_MONTHS", default=12)
if BOOKS_RETENTION_MONTHS < 12:
    raise ImproperlyConfigured("BOOKS_RETENTION_MONTHS must be at least 12 (DPP 3 keeps books and records 12 months after the agreement).")
AGREEMENT_ENDED_ON = env.str("AGREEMENT_ENDED_ON", default="")  # YYYY-MM-DD once the Amazon agreement has ended
CELERY_BEAT_SCHEDULE["auditor-grants"] = {"task": "grc.evidence.tasks.end_expired_grants", "schedule": 3600.0}
# A pack build holds a lease its progress reports renew (grc.jobs); a pack whose worker died is built
# again by the sweep, and failed with the reason after EVIDENCE_PACK_MAX_ATTEMPTS (issue 21).
EVIDENCE_PACK_LEASE_SECONDS = env.int("EVIDENCE_PACK_LEASE_SECONDS", default=300)
EVIDENCE_PACK_MAX_ATTEMPTS = env.int("EVIDENCE_PACK_MAX_ATTEMPTS", default=3)
EVIDENCE_PACK_SWEEP_SECONDS = env.int("EVIDENCE_PACK_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["pack-leases"] = {"task": "grc.evidence.tasks.sweep_pack_leases", "schedule": float(EVIDENCE_PACK_SWEEP_SECONDS)}
# An import's check or apply holds a lease (no heartbeat: longer than the longest step); a job whose
# worker died is run again by the sweep, and failed with the reason after IMPORT_MAX_ATTEMPTS.
IMPORT_LEASE_SECONDS = env.int("IMPORT_LEASE_SECONDS", default=600)
IMPORT_MAX_ATTEMPTS = env.int("IMPORT_MAX_ATTEMPTS", default=3)
CELERY_BEAT_SCHEDULE["import-leases"] = {"task": "access_reviews.tasks.sweep_import_leases", "schedule": 60.0}
# The import page's scanner reports are read in Celery under a lease (assets.services.scan_import_jobs).
SCAN_IMPORT_LEASE_SECONDS = env.int("SCAN_IMPORT_LEASE_SECONDS", default=600)
SCAN_IMPORT_MAX_ATTEMPTS = env.int("SCAN_IMPORT_MAX_ATTEMPTS", default=3)
CELERY_BEAT_SCHEDULE["scan-import-leases"] = {"task": "assets.tasks.sweep_scan_import_leases", "schedule": 60.0}
# Evidence packs and certification letters are PAdES-signed PDFs (grc/pdf_signing.py, README "Signed
# PDFs"): the organisation's key and certificate (PEM, the chain may follow the certificate) come from
# the environment; production issues no pack or letter without them and `check --deploy` reports it.
# Development and tests sign with a self-signed certificate made on the machine, never in production.
PDF_SIGNING_KEY = env.str("PDF_SIGNING_KEY", default="")
PDF_SIGNING_CERT = env.str("PDF_SIGNING_CERT", default="")
if not PRODUCTION and not (PDF_SIGNING_KEY or PDF_SIGNING_CERT):
    PDF_SIGNING_KEY, PDF_SIGNING_CERT = dev_signing_pair(VAR_DIR, ORGANISATION_NAME, persist=not TESTING)
PDF_TIMESTAMP_URL = env.str("PDF_TIMESTAMP_URL", default="")  # an RFC 3161 timestamp authority; unset: no timestamp

# --- Performance (README "Performance") ------------------------------------------------------
# The dashboard's DPP posture (every app's live checks) is cached this long and dropped at once by
# any audited change (grc.compliance.selectors.requirement_statuses_cached); 0 computes it each time.
COMPLIANCE_POSTURE_CACHE_SECONDS = env.int("COMPLIANCE_POSTURE_CACHE_SECONDS", default=0 if TESTING else 120)
# The accounts list's total ("1–25 of 24,867") is cached on the same key (dropped by any audited
# change), per filter and reader (access_reviews.views.registry.CountedUntilChange); 0 counts each time.
ACCOUNT_LIST_COUNT_CACHE_SECONDS = env.int("ACCOUNT_LIST_COUNT_CACHE_SECONDS", default=0 if TESTING else 600)

# --- Benchmark (make bench; README "Performance") ------------------------------------------
# The bench's floor view (/bench/floor/) and per-response query counts exist only with
# BENCH_FLOOR_VIEW=1; production refuses to start with it, so they never exist there.
BENCH_FLOOR_VIEW = env.bool("BENCH_FLOOR_VIEW", default=False)
if BENCH_FLOOR_VIEW and PRODUCTION:
    raise ImproperlyConfigured("BENCH_FLOOR_VIEW is for the benchmark only. Production (DJANGO_ENV=production) refuses to start with it.")
if BENCH_FLOOR_VIEW:
    MIDDLEWARE.insert(0, "grc.scale.bench_views.QueryCountMiddleware")
