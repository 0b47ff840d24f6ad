"""Settings shared by every environment; everything that differs comes from the environment.

Embedded default (nothing configured): SQLite in WAL mode and a Celery broker on kombu's
filesystem transport, so `make run` needs no server. Set DATABASE_URL / REDIS_URL for
PostgreSQL and Redis.
"""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("DJANGO_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
# Fernet key(s) for fields encrypted at rest (core/crypto.py): ID-card numbers. Comma-separated,
# the first encrypts. The default is for development and tests only; production sets its own.
FIELD_ENCRYPTION_KEY = env(
    "FIELD_ENCRYPTION_KEY", default="ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="
)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "portal.admin_apps.PortalAdminConfig",  # django.contrib.admin as "system administration"
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_celery_beat",
    "axes",
    # Content-Security-Policy header (below); the app adds django-csp's settings checks.
    "csp",
    "core",
    "portal",
    "workgroups",
    "applications",
    "coordination",
    "notifications",
    "indicators",
]

MIDDLEWARE = [
    # X-Request-ID in and out; latency, status and a log line per request; the probes
    # (/healthz, /readyz, /metrics) answered before the HTTPS redirect, Host check and session.
    "core.request_id.RequestIdMiddleware",
    "portal.observability.middleware.RequestObservationMiddleware",
    "portal.observability.middleware.ProbeMiddleware",
    # Writes the request's access-log rows (personal data read) in one statement once the
    # response is built; after the probes so they never reach it (workgroups/access_log.py).
    "workgroups.access_log.AccessLogMiddleware",
    # An API request with a token (/api/..., Authorization: Bearer) turns off here into a lean
    # chain: the entries below minus PAGE_ONLY_MIDDLEWARE (core/lean.py). Pages go on down.
    "core.lean.ApiLaneMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything below, so error pages (CSRF failure, 403, 404) carry the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A NUL character anywhere in the input: 400 naming the field, before any view (or query).
    "core.input_guard.NullCharacterGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a sign-in refused by the limiter into the "sign-in paused" page.
    "axes.middleware.AxesMiddleware",
]
# What an API token request does not need (core/lean.py says why): it passes only through the
# others (security headers, common, NUL guard, X-Frame-Options), and any entry added above.
PAGE_ONLY_MIDDLEWARE = [
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def postgres_options() -> dict:
    """psycopg's connection options for PostgreSQL (the tests' settings use them too)."""
    # Prepared statements. Django's queries bind on the client and are never prepared; only
    # the statement of a cached page's version asks for one (core/fingerprint.py), which
    # saves PostgreSQL parsing and planning it on each visit (4 ms of its 5). Turn off behind
    # PgBouncer in transaction mode older than 1.21, or without its max_prepared_statements
    # (docs/operations.md, Scaling).
    prepared = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
    return {
        # libpq waits for an unreachable server without limit unless told.
        "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=5),
        "prepare_threshold": 0 if prepared else None,
    }


def _database_from_env() -> dict:
    """PostgreSQL when DATABASE_URL is set; otherwise SQLite in WAL mode (embedded default)."""
    default_sqlite = f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
    db = env.db_url("DATABASE_URL", default=default_sqlite)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend, creating the database's folder on the first connection.
        db["ENGINE"] = "portal.embedded_sqlite"
        db["OPTIONS"] = {
            # WAL lets the web process read while the worker writes; IMMEDIATE avoids
            # "database is locked" upgrades from read to write inside a transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        db["CONN_HEALTH_CHECKS"] = True
        db["OPTIONS"] = {**postgres_options(), **db.get("OPTIONS", {})}
    db["ATOMIC_REQUESTS"] = False
    return db


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "workgroups.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses to try a password while a sign-in limit holds (workgroups/signin.py). The
    # standalone backend checks only that; ModelBackend below checks passwords and permissions.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
GUARDIAN_RAISE_403 = False
GUARDIAN_MONKEY_PATCH_USER = False
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))


def _file_storage_from_env() -> dict:
    """Where uploaded documents, decision packages and notice files live; every process (web,
    workers) on every host must see the same files. Default: the file system under MEDIA_ROOT,
    a shared volume when there are several hosts (NFS, a ReadWriteMany volume). With
    STORAGE_BACKEND=s3 (or AWS_STORAGE_BUCKET_NAME set): an S3-compatible bucket (MinIO, Aliyun
    OSS, Huawei OBS, AWS) through django-storages. Files are private either way: the bucket gets
    private objects and no public or signed URL is ever handed out; the app streams each file
    through its permission-checked view."""
    backend = env("STORAGE_BACKEND", default="").strip().lower()
    bucket = env("AWS_STORAGE_BUCKET_NAME", default="")
    if backend not in ("", "filesystem", "s3"):
        raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'filesystem' or 's3', not {backend!r}")
    if backend == "filesystem" or (backend == "" and not bucket):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if not bucket:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME")
    options = {
        "bucket_name": bucket,
        "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env("AWS_S3_REGION_NAME", default="") or None,
        # Unset: boto3's own chain (instance role, ~/.aws); set them for MinIO and the like.
        "access_key": env("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env("AWS_SECRET_ACCESS_KEY", default="") or None,
        "location": env("AWS_LOCATION", default=""),
        "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="") or None,
        "default_acl": "private",
        "querystring_auth": True,
        # An upload never replaces another file of the same name (Django picks a free name).
        "file_overwrite": False,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


# Documents are private: there is no MEDIA_URL route; they are served through a view that
# checks permission.
STORAGES = {
    "default": _file_storage_from_env(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# The portal's address as people reach it, for links in e-mails sent without a request (the
# private link to a demand, written by the notifications worker).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# The decision package (统一出件, applications/packages.py): the platform's PAdES signature
# (core/pdf_signing.py; PEM files of a real certificate in production, else a self-signed pair
# made once under PDF_SIGNING_DIR) and the Chinese font embedded in the PDF (a TrueType font:
# Debian's fonts-wqy-microhei).
PDF_SIGNING_KEY_FILE = env("PDF_SIGNING_KEY_FILE", default="")
PDF_SIGNING_CERT_FILE = env("PDF_SIGNING_CERT_FILE", default="")
PDF_SIGNING_SELF_SIGNED = env.bool("PDF_SIGNING_SELF_SIGNED", default=True)
PDF_SIGNING_DIR = env("PDF_SIGNING_DIR", default=str(VAR_DIR / "signing"))
PDF_SIGNING_EARLIER_CERT_FILES = env.list("PDF_SIGNING_EARLIER_CERT_FILES", default=[])
PDF_SIGNING_SELF_SIGNED_NAME = "中山市市政公用服务接入联动平台"
PDF_CJK_FONT_FILE = env(
    "PDF_CJK_FONT_FILE", default="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
)

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="portal@localhost")

# SMS (notifications/sms.py): like EMAIL_BACKEND, a dotted path; the console backend prints.
SMS_BACKEND = env("SMS_BACKEND", default="notifications.sms.ConsoleBackend")
# Mobile numbers are confirmed with a one-time code sent by SMS (workgroups/mobile.py).
MOBILE_CODE_TTL_SECONDS = env.int("MOBILE_CODE_TTL_SECONDS", default=600)
MOBILE_CODE_MAX_ATTEMPTS = env.int("MOBILE_CODE_MAX_ATTEMPTS", default=5)
MOBILE_CODE_RESEND_SECONDS = env.int("MOBILE_CODE_RESEND_SECONDS", default=60)
MOBILE_CODE_DAILY_LIMIT = env.int("MOBILE_CODE_DAILY_LIMIT", default=10)
# A claim code a department issues with a pushed project (免证办) is valid this long.
PROJECT_CLAIM_CODE_TTL_DAYS = env.int("PROJECT_CLAIM_CODE_TTL_DAYS", default=30)

# Joint works (docs/joint-works.md): two routes closer than this are the same trench; a road
# restored less than this many years ago is under a moratorium (warning to the workgroup lead);
# `?near=` looks this far by default; routes must lie in this lon/lat box (Zhongshan, generous).
JOINT_WORKS_OVERLAP_METRES = env.float("JOINT_WORKS_OVERLAP_METRES", default=30.0)
JOINT_WORKS_MORATORIUM_YEARS = env.int("JOINT_WORKS_MORATORIUM_YEARS", default=3)
JOINT_WORKS_NEAR_METRES = env.float("JOINT_WORKS_NEAR_METRES", default=1000.0)
JOINT_WORKS_BBOX = env.list(
    "JOINT_WORKS_BBOX", cast=float, default=[113.0, 22.0, 113.9, 22.9]
)  # min lon, min lat, max lon, max lat

LOGIN_URL = "login"
# How many reverse proxies stand in front of the application, each appending the address it saw
# to X-Forwarded-For (docs/operations.md, "Deploy"). 0: none, the header is ignored. Every
# per-client limit keys on the address this gives (core/client_address.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Sign-in limits, on every sign-in path (portal and admin), by django-axes with its failures in
# the database (workgroups/signin.py): a name + client address is locked after
# LOGIN_FAILURE_LIMIT failures, for LOGIN_FAILURE_WINDOW_SECONDS after the last one; a name
# failing LOGIN_NAME_SLOWDOWN_AFTER times within that window from any addresses is slowed (one
# attempt per LOGIN_NAME_SLOWDOWN_SECONDS), never locked.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
LOGIN_NAME_SLOWDOWN_AFTER = env.int("LOGIN_NAME_SLOWDOWN_AFTER", default=10)
LOGIN_NAME_SLOWDOWN_SECONDS = env.int("LOGIN_NAME_SLOWDOWN_SECONDS", default=10)
AXES_HANDLER = "workgroups.signin.SignInHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(seconds=LOGIN_FAILURE_WINDOW_SECONDS)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_USERNAME_CALLABLE = "workgroups.signin.signin_name"
AXES_LOCKOUT_CALLABLE = "workgroups.signin.lockout_response"
# A success clears the failures of its name + address; an attempt refused while locked does not
# count (the pause runs from the last password actually tried).
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures only: no table of every successful sign-in growing without end.
AXES_DISABLE_ACCESS_LOG = True
# No "AXES: BEGIN" line from every manage.py command.
AXES_VERBOSE = False
# Password-reset mails asked per client address and sent per e-mail address, per hour; beyond
# them the page answers the same and sends nothing.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=10)
PASSWORD_RESET_LIMIT_PER_EMAIL = env.int("PASSWORD_RESET_LIMIT_PER_EMAIL", default=3)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Celery: Redis when REDIS_URL is set, else the filesystem transport shared by web and worker.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
# The cache holds rate-limit counters: shared Redis when configured (every web process sees
# the same count), else per-process memory in the embedded mode. A request never waits long for
# it: short socket timeouts, and while Redis does not answer each process uses a stand-in of its
# own and tries Redis again every REDIS_CACHE_RETRY_SECONDS (core/cache_guard.py).
REDIS_CACHE_CONNECT_TIMEOUT = env.float("REDIS_CACHE_CONNECT_TIMEOUT", default=0.25)
REDIS_CACHE_SOCKET_TIMEOUT = env.float("REDIS_CACHE_SOCKET_TIMEOUT", default=0.25)
REDIS_CACHE_RETRY_SECONDS = env.float("REDIS_CACHE_RETRY_SECONDS", default=5.0)
CACHES = {
    "default": (
        {
            "BACKEND": "core.redis_cache.PooledClientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CACHE_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_CACHE_SOCKET_TIMEOUT,
            },
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Seconds a resolved API token stays in that cache (workgroups/api_tokens.py); revocation and
# deactivation clear it at once. Off without Redis: a per-process cache would not see a token
# revoked from another process (the admin, the `api_token` command).
API_TOKEN_CACHE_SECONDS = 60 if REDIS_URL else 0
# Seconds a rendered part of a signed-in page (the applicant's tracking page) stays in that
# cache (core/page_cache.py). Its key holds the digest of the rows shown, so a change shows at
# once; this bounds how long a change of reference data (SLA, holiday, a name) waits. 0: off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # portal/celery.py creates these folders when the Celery app is first configured.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Exchange table for broadcasts (remote control); kombu's default is ./control.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# django-celery-beat's DatabaseScheduler behind a Redis lock (portal/beat_lock.py): however
# many beats are started, one sends the schedule and the others stand by; a standby takes over
# within BEAT_LOCK_TTL_SECONDS (+ BEAT_LOCK_RETRY_SECONDS) of the active one's death.
CELERY_BEAT_SCHEDULER = "portal.beat_lock:LockedDatabaseScheduler"
BEAT_LOCK_TTL_SECONDS = env.float("BEAT_LOCK_TTL_SECONDS", default=30.0)
BEAT_LOCK_RETRY_SECONDS = env.float("BEAT_LOCK_RETRY_SECONDS", default=2.0)
# Webhook deliveries wait on other organisations' servers: they have their own queue, served by
# their own workers (docker-compose `worker-webhooks`), so the inbox and e-mail never wait
# behind them. A worker started without -Q serves only the default queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"notifications.deliver_webhooks": {"queue": "webhooks"}}
# Defaults written into django-celery-beat's tables at start; staff adjust them in the admin.
# Delivery of messages (notifications outbox).
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=30.0)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.float("NOTIFICATIONS_RETRY_MAX_SECONDS", default=3600.0)
# A webhook receiver gets this long to accept the connection, then to send each part of its
# answer; a slower one is a failed attempt.
NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT = env.float(
    "NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT", default=3.0
)
NOTIFICATIONS_WEBHOOK_READ_TIMEOUT = env.float("NOTIFICATIONS_WEBHOOK_READ_TIMEOUT", default=5.0)
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=20)
# A reserved row belongs to its task until then; the task renews it while it runs, so the rows
# of a task that died are handed out again within this many seconds (plus a dispatch period).
NOTIFICATIONS_ENQUEUE_LEASE_SECONDS = env.float("NOTIFICATIONS_ENQUEUE_LEASE_SECONDS", default=20.0)
# At most this many tasks send to one webhook endpoint at a time.
NOTIFICATIONS_WEBHOOK_ENDPOINT_CONCURRENCY = env.int(
    "NOTIFICATIONS_WEBHOOK_ENDPOINT_CONCURRENCY", default=2
)
# Seconds one webhook task keeps taking its endpoint's next batches before it hands over.
NOTIFICATIONS_WEBHOOK_LANE_SECONDS = env.float("NOTIFICATIONS_WEBHOOK_LANE_SECONDS", default=60.0)
# Circuit breaker: an endpoint is paused after this many consecutive failed attempts, and
# probed with one delivery after the cool-down.
NOTIFICATIONS_CIRCUIT_FAILURES = env.int("NOTIFICATIONS_CIRCUIT_FAILURES", default=5)
NOTIFICATIONS_CIRCUIT_COOLDOWN_SECONDS = env.float(
    "NOTIFICATIONS_CIRCUIT_COOLDOWN_SECONDS", default=120.0
)
# `manage.py seed_demo` creates accounts (a superuser included) with a published password: only
# where a settings module says so (local and test do; production never).
DEMO_DATA_ALLOWED = False
# Webhooks to this machine (loopback) are refused unless DEBUG or this; private addresses always.
WEBHOOKS_ALLOW_LOOPBACK = env.bool("WEBHOOKS_ALLOW_LOOPBACK", default=False)
# The access log (who read which personal data, workgroups/access_log.py) is kept this long.
# 网络安全法 (art. 21) requires network logs be kept at least six months: less is refused.
ACCESS_LOG_RETENTION_DAYS = env.int("ACCESS_LOG_RETENTION_DAYS", default=1095)
if ACCESS_LOG_RETENTION_DAYS < 180:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"ACCESS_LOG_RETENTION_DAYS={ACCESS_LOG_RETENTION_DAYS}: the access log must be kept "
        "at least 180 days (six months, 网络安全法 art. 21)."
    )
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {
        "task": "applications.sla_sweep",
        "schedule": env.int("SLA_SWEEP_SECONDS", default=300),
    },
    # The deadlines of demands (and the workgroups' other clocked work), on the same rhythm.
    "coordination-sweep": {
        "task": "coordination.sla_sweep",
        "schedule": env.int("SLA_SWEEP_SECONDS", default=300),
    },
    # Scheduled policy notices go out within a minute of their time.
    "publish-due-notices": {"task": "coordination.publish_due_notices", "schedule": 60.0},
    "process-facts": {"task": "notifications.process_facts", "schedule": 5.0},
    "dispatch-deliveries": {"task": "notifications.dispatch", "schedule": 15.0},
    "remind-demand-notices": {"task": "notifications.remind_demand_notices", "schedule": 900.0},
    "kpi-refresh": {
        "task": "indicators.kpi_refresh",
        "schedule": env.int("KPI_REFRESH_SECONDS", default=600),
    },
    "purge-idempotency-records": {
        "task": "workgroups.idempotency_records_purge",
        "schedule": 3600.0,
    },
    "purge-access-log": {"task": "workgroups.access_records_purge", "schedule": 86400.0},
    # Sign-ups never confirmed with their SMS code within a day free their numbers.
    "expire-pending-signups": {
        "task": "workgroups.pending_signups_expire",
        "schedule": 3600.0,
    },
}

# The REST API (/api/v1/, docs/api.md): organisation tokens first, the browser's session second;
# JSON only, one error shape (core/api/problems.py), per-token throttling. Throttle counters live
# in the default cache: give production a shared cache (Redis) so all workers count together.
# Anonymous callers are counted by core.client_address (TRUSTED_PROXY_COUNT), never by DRF's
# NUM_PROXIES, which stays unset.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workgroups.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "workgroups.api.auth.HasScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "workgroups.api.throttles.ApiClientRateThrottle",
        "workgroups.api.throttles.PublicRateThrottle",
    ],
    # `demand_submit`: demands and suggestions from the public form, per person signed in or
    # per address without an account (coordination/throttles.py): no CAPTCHA, this instead.
    "DEFAULT_THROTTLE_RATES": {
        "api_client": "600/minute",
        "anon": "60/minute",
        "demand_submit": env("DEMAND_SUBMIT_RATE", default="10/hour"),
    },
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.LimitedJSONParser"],
    # DRF's JSON, written by orjson (core/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.FastJSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiAutoSchema",
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "core.api.handler.exception_handler",
}
SPECTACULAR_SETTINGS = {
    # Lazy, like every text of the schema: /api/schema/ follows Accept-Language.
    "TITLE": _("Zhongshan utility-connection portal API"),
    "DESCRIPTION": _(
        "For utility operators, permit agencies and data-providing departments. "
        "Integration guide with curl examples: docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["core.api.schema.only_api_v1"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ServiceStatusEnum": "applications.constants.ServiceStatus",
        "PermitStatusEnum": "applications.constants.PermitStatus",
        "JointWorksStatusEnum": "applications.constants.JointWorksStatus",
        "PermitTypeEnum": "applications.constants.PermitType",
        "DocumentTypeEnum": "applications.constants.DocumentType",
        "DocumentSourceEnum": "applications.constants.DocumentSource",
        "ProjectSourceEnum": "applications.constants.ProjectSource",
        "KindEnum": "applications.constants.ProjectKind",
        "UtilityEnum": "applications.constants.Utility",
        "SignalKindEnum": "notifications.constants.SignalKind",
        "DemandNoticeStatusEnum": "notifications.constants.NoticeStatus",
        "WebhookDeliveryStateEnum": "notifications.constants.CircuitState",
    },
    # Swagger UI from the vendored sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    # No badge image from the public online validator (the policy allows images from this site).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Content-Security-Policy on every response (django-csp): scripts, styles, fonts, images and
# fetches from this site only; no inline script, no on*= handler, no style attribute or block
# anywhere (scripts live in portal/static/portal/*.js, styles in its .css files; the API docs
# load their start-up script as a file too). A browser that blocks something posts a report to
# /csp-report/, which logs it and counts it in /metrics (portal_csp_reports_total).
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
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "report-uri": ["/csp-report/"],
    }
}
# Largest violation report /csp-report/ reads; a larger body is refused with 413.
CSP_REPORT_MAX_BYTES = 16 * 1024

# Health, readiness and metrics (docs/operations.md, "Monitoring"). Each readiness check and
# each Redis call of a scrape gives up after HEALTH_CHECK_TIMEOUT_SECONDS.
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)
HEALTH_MAX_DELIVERY_DELAY_SECONDS = env.int("HEALTH_MAX_DELIVERY_DELAY_SECONDS", default=120)
HEALTH_MAX_FACT_LAG_SECONDS = env.int("HEALTH_MAX_FACT_LAG_SECONDS", default=120)
HEALTH_PERIODIC_GRACE_SECONDS = env.int("HEALTH_PERIODIC_GRACE_SECONDS", default=120)
# /metrics answers a bearer of METRICS_TOKEN or a peer in METRICS_ALLOWED_NETWORKS (CIDR list);
# with neither set it answers 404.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
METRICS_QUERY_TIMEOUT_SECONDS = env.float("METRICS_QUERY_TIMEOUT_SECONDS", default=5.0)

# One JSON object per line (python-json-logger), each with the request id of its request or
# task; LOG_FORMAT=plain for reading by eye. Celery's worker and beat use this too
# (portal/observability/celery_signals.py).
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_id.RequestIdLogFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
            "json_ensure_ascii": False,
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes says INFO on every sign-in and sign-out; its warnings (each failure, each
    # lock, with the name and address masked) are the ones worth keeping.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Error reports to Sentry or a compatible service (GlitchTip...), only when SENTRY_DSN is set.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
