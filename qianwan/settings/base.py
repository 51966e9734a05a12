"""Settings shared by every environment; everything machine-specific comes from the environment."""

import importlib.util
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from qianwan.env import env, env_bool, env_int, env_list
from qianwan.security.csp import url_origin

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env("QIANWAN_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-insecure-key-only-for-local-use-change-me-please-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "axes",
    "csp",
    # the shared framework
    "qianwan.org",
    "qianwan.audit",
    "qianwan.notify",
    "qianwan.exchange",
    "qianwan.api",
    "qianwan.attachments",
    # one app per mechanism
    "incidents",
    "risks",
    "enterprises",
    "traffic",
    "antifraud",
    "disputes",
    "places",
    # leader views composed from the apps' selectors
    "qianwan.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "qianwan.security.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qianwan.i18n.middleware.LocaleMiddleware",  # zh-hans unless the user picked English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qianwan.security.sessions.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "qianwan.audit.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qianwan.urls"
WSGI_APPLICATION = "qianwan.wsgi.application"

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
                "qianwan.context_processors.platform",
            ],
            # the one presenter of figures (qianwan is the project package, not an app)
            "libraries": {"figures": "qianwan.templatetags.figures"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'qianwan.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # SQLite is the zero-setup default: let concurrent web + worker + beat wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench"
LOGOUT_REDIRECT_URL = "login"

# Brute-force lockout: 5 failures per username+IP lock the pair for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "qianwan.security.auth.axes_username"

# Content-Security-Policy (django-csp 4): no inline scripts or styles anywhere; pages put their JS
# in static/<app>/*.js. The one exception (Swagger UI's inline <style>) is allowed by its hash on that
# view only (qianwan/security/csp.py). Map tiles come from the configured internal tile server.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *url_origin(env("QIANWAN_MAP_TILE_URL", ""))],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# shared station PCs: a session ends after 2 h without activity, and 12 h (one shift) after sign-in
# (qianwan/security/sessions.py; background polling is not activity)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_MINUTES", 120) * 60
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_MINUTES", 12 * 60) * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
# no script reads the CSRF cookie (forms and board.js carry the token): keep it from scripts too
# (wapiti cookieflags finding, make scan)
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# ISO date/time input formats in both languages (qianwan/formats): what <input type=date> accepts
FORMAT_MODULE_PATH = ["qianwan.formats"]
# filter selects offer "全部", not "---------" (django-filter's empty choice)
FILTERS_EMPTY_CHOICE_LABEL = _("全部")
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# django-leaflet's package bundles Leaflet; we serve its static files without installing the app,
# whose admin module imports django.contrib.gis and so needs the GDAL system library.
_LEAFLET_STATIC = Path(importlib.util.find_spec("leaflet").submodule_search_locations[0]) / "static"
# plotly's wheel bundles plotly.js: the dashboard's charts work offline from it (/static/plotly/plotly.min.js).
_PLOTLY_STATIC = Path(importlib.util.find_spec("plotly").submodule_search_locations[0]) / "package_data"
# npm packages (package-lock.json, `make assets`): the battle map's clustering plugin
_MARKERCLUSTER_STATIC = BASE_DIR / "node_modules" / "leaflet.markercluster" / "dist"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    _LEAFLET_STATIC,
    ("plotly", _PLOTLY_STATIC),
]
if _MARKERCLUSTER_STATIC.is_dir():  # before `make assets` the map works, unclustered
    STATICFILES_DIRS.append(("markercluster", _MARKERCLUSTER_STATIC))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded evidence is police data: kept outside the web root, served only through views that check scope.
MEDIA_ROOT = Path(env("QIANWAN_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "qianwan.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["qianwan.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "qianwan.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "qianwan.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["qianwan.api.parsers.JSONObjectParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    # ASCII: client generators derive the package name from it (openapi-python-client made
    # ``前湾分局警务运行平台_api_client`` of the Chinese title); the Chinese name is in the description.
    "TITLE": "Qianwan Platform API",
    "DESCRIPTION": (
        "前湾分局警务运行平台 API — Qianwan New District sub-bureau operations platform, "
        "REST API for partner systems."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # no anonymous access to anything but /healthz and the login page (the contract)
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "qianwan.api.schema.add_error_responses",  # the Error body on every operation's 4xx
        "qianwan.api.schema.client_friendly_names",  # tags by area, no enum named after a title
    ],
    # operationIds without the version (``exchange_inbound_list``, not ``v1_exchange_inbound_list``)
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Stable ASCII enum names where the same field name carries different choice sets in different
    # apps (otherwise drf-spectacular appends a hash of the choices: ``Status952Enum``). A generated
    # client imports these names, so they must not change when a choice is added.
    "ENUM_NAME_OVERRIDES": {
        "IncidentCategoryEnum": "incidents.choices.Category",
        "IncidentStatusEnum": "incidents.choices.Status",
        "IncidentEventKindEnum": "incidents.choices.EventKind",
        "DisputeCategoryEnum": "disputes.choices.Category",
        "DisputeChannelEnum": "disputes.choices.Channel",
        "DisputeStatusEnum": "disputes.choices.Status",
        "FollowupOutcomeEnum": "disputes.choices.FollowupOutcome",
        "HazardCategoryEnum": "risks.choices.HazardCategory",
        "HazardStatusEnum": "risks.choices.HazardStatus",
        "WorkPlanStatusEnum": "risks.choices.WorkPlanStatus",
        "TrafficMemberKindEnum": "traffic.choices.MemberKind",
        "TrafficAssetStatusEnum": "traffic.choices.AssetStatus",
        "AccidentTypeEnum": "traffic.choices.AccidentType",
        "EnterpriseVisitKindEnum": "enterprises.choices.VisitKind",
        "BlockVisitKindEnum": "disputes.models.VisitKind",
        "AttachmentPhaseEnum": "qianwan.attachments.models.Phase",
    },
    # Enum-name collisions between apps are cosmetic (the schema stays valid); the suite validates
    # the schema itself instead of failing `check --deploy` on them.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}

# Celery: Redis when REDIS_URL/CELERY_BROKER_URL is set, else the zero-setup filesystem broker.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "celery-broker"
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # ETA tasks are only used for short (minute) clocks, far below this visibility timeout.
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
# Django's cache holds one value: the version of the reference data that each process keeps
# (qianwan/refcache.py), shared by the web and worker processes — Redis when configured, else a folder.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "qianwan.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "qianwan",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "qianwan.notify.tasks.*": {"queue": "default"},
    "qianwan.exchange.tasks.*": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The incident clocks' sweep (and so the reminders' heartbeat) runs every this many seconds.
CLOCKS_SWEEP_SECONDS = env_int("CLOCKS_SWEEP_SECONDS", 15)
# /healthz "worker" and the duty board's banner: stale when the sweep has not run for this long.
WORKER_STALE_SECONDS = env_int("WORKER_STALE_SECONDS", 60)
# A worker or beat process whose heartbeat is older than this while the database and the broker
# answer (and that has itself been up this long) exits, so that its supervisor (Docker's restart
# policy) starts it again; 0 turns the watchdog off. Checked every WATCHDOG_INTERVAL_SECONDS.
WATCHDOG_STALE_SECONDS = env_int("QIANWAN_WATCHDOG_STALE_SECONDS", 180)
WATCHDOG_INTERVAL_SECONDS = env_int("QIANWAN_WATCHDOG_INTERVAL_SECONDS", 15)
# Each app adds its periodic jobs here; a job must be safe when two workers run it at once.
# An inbound grid/12345 event should be signed for (accepted, handled or sent back) within this many
# minutes of its arrival; the beat sweep reminds the station's duty leaders once when it is not.
EXCHANGE_SIGN_FOR_MINUTES = env_int("EXCHANGE_SIGN_FOR_MINUTES", 30)
# a list export of more rows than this runs as a background job with a download link (qianwan/exports.py)
EXPORT_ASYNC_ROWS = env_int("EXPORT_ASYNC_ROWS", 100_000)
CELERY_BEAT_SCHEDULE = {
    "notify-deliveries-sweep": {
        "task": "qianwan.notify.tasks.deliveries_sweep",
        "schedule": float(env_int("DELIVERIES_SWEEP_SECONDS", 15)),
    },
    "exchange-push-sweep": {"task": "qianwan.exchange.tasks.outbound_push_sweep", "schedule": 30.0},
    # inbound grid/12345 events not signed for (accepted or sent back) by their deadline: one reminder
    "exchange-sign-for-sweep": {"task": "qianwan.exchange.tasks.inbound_sign_for_sweep", "schedule": 60.0},
    # hazard rectification deadlines are days away: a due_at sweep, never ETA tasks
    "risks-hazard-reminders-sweep": {"task": "risks.tasks.hazard_reminders_sweep", "schedule": 300.0},
    # weekly early warning; idempotent per (category, period), so a restart or a second beat is harmless
    "risks-hotspots-weekly": {"task": "risks.tasks.hotspots_weekly", "schedule": timedelta(days=7)},
    # hourly, idempotent per day by notification key; reminders only from DISPUTES_SWEEP_HOUR (08:00)
    "disputes-followup-sweep": {"task": "disputes.tasks.followup_sweep", "schedule": 3600.0},
    # daily (08:30 local): one notice per (hot block, overdue period, recipient), by notification key
    "disputes-block-overdue-sweep": {
        "task": "disputes.tasks.block_overdue_sweep",
        "schedule": crontab(hour=8, minute=30),
    },
    # its run is the reminders' heartbeat (qianwan/notify/heartbeat.py)
    "incidents-clocks-sweep": {
        "task": "incidents.tasks.clocks_sweep",
        "schedule": float(CLOCKS_SWEEP_SECONDS),
    },
    # seals settled days/months of the dispatch rollup; version-checked, so two runs at once are harmless
    "incidents-stats-refresh": {"task": "incidents.tasks.stats_refresh", "schedule": 600.0},
    # nightly (03:30 local): a random sample of sealed units against their raw rows; admins hear of a
    # mismatch (one notification key per night); read-only otherwise, so two runs are harmless
    "incidents-stats-verify": {
        "task": "incidents.tasks.stats_verify_sample",
        "schedule": crontab(hour=3, minute=30),
    },
    # new traffic incidents → the team on duty in their zone; exactly once per incident (unique alert row + key)
    "traffic-incident-alert-sweep": {"task": "traffic.tasks.incident_alert_sweep", "schedule": 15.0},
    # last month's sub-bureau report from the 1st on (idempotent: one row per month and scope), and
    # re-sending builds a lost message or a killed worker left behind
    "dashboard-reports-sweep": {"task": "qianwan.dashboard.tasks.reports_sweep", "schedule": 600.0},
    # opens the month's cross-evaluation round (unique month) and reminds evaluators from the
    # round's remind_on day (ANTIFRAUD_SCORING_REMIND_DAY, default 20), once per pairing
    "antifraud-rounds-sweep": {"task": "antifraud.tasks.rounds_sweep", "schedule": 3600.0},
    # monthly reminder (one key per station and month) about above-size enterprises without a letter
    "antifraud-letters-missing-sweep": {"task": "antifraud.tasks.letters_missing_sweep", "schedule": 86400.0},
    # Excel imports whose task was never published (broker down); a job runs once (pending → running claim)
    "enterprises-import-sweep": {"task": "enterprises.tasks.import_sweep", "schedule": 60.0},
    # large list exports whose task was never published (broker down); a job runs once (its claim)
    "exports-sweep": {"task": "qianwan.api.tasks.export_sweep", "schedule": 60.0},
    "places-import-sweep": {"task": "places.tasks.import_sweep", "schedule": 60.0},
}

# Notifications: delivery retries with exponential back-off (seconds: base * 2**attempt, capped).
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6)
NOTIFY_BACKOFF_BASE_SECONDS = env_int("NOTIFY_BACKOFF_BASE_SECONDS", 10)
NOTIFY_BACKOFF_MAX_SECONDS = env_int("NOTIFY_BACKOFF_MAX_SECONDS", 3600)
NOTIFY_HTTP_TIMEOUT_SECONDS = env_int("NOTIFY_HTTP_TIMEOUT_SECONDS", 5)
NOTIFY_CLAIM_SECONDS = env_int("NOTIFY_CLAIM_SECONDS", 120)
# Outbound HTTP (qianwan/egress.py): hosts, wildcards (*.example.com) or networks (10.20.0.0/16) the
# server may POST to, in addition to the admin's "出站白名单" entries. Private networks (government
# partner systems) only when named here or by the admin as an address or network.
QIANWAN_EGRESS_ALLOWED = env_list("QIANWAN_EGRESS_ALLOWED", "oapi.dingtalk.com,qyapi.weixin.qq.com")
# plain http:// (never in production) and loopback receivers (tests only)
QIANWAN_EGRESS_ALLOW_HTTP = env_bool("QIANWAN_EGRESS_ALLOW_HTTP", False)
QIANWAN_EGRESS_ALLOW_LOOPBACK = False
# PEM bundle to verify https receivers with (a private network's own CA); empty = certifi's roots
QIANWAN_EGRESS_CA_BUNDLE = env("QIANWAN_EGRESS_CA_BUNDLE", "")
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@qianwan.police.local")

# Where the platform is reached from a phone: every message on a channel carries SITE_URL + its path.
SITE_URL = (env("QIANWAN_SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")
# A personal message's one-time acknowledge link (signed, single use) expires after this long.
NOTIFY_ACK_LINK_MAX_AGE_SECONDS = env_int("NOTIFY_ACK_LINK_MAX_AGE_SECONDS", 6 * 3600)
# The corporate applications' and the SMS gateway's APIs (work notices to one person); base URLs are
# settings so that an internal relay (or a test's loopback stand-in) can take their place.
DINGTALK_API_URL = (env("DINGTALK_API_URL", "https://oapi.dingtalk.com") or "").rstrip("/")
DINGTALK_OAUTH_URL = env("DINGTALK_OAUTH_URL", "https://api.dingtalk.com/v1.0/oauth2/accessToken")
DINGTALK_APP_KEY = env("DINGTALK_APP_KEY", "")
DINGTALK_APP_SECRET = env("DINGTALK_APP_SECRET", "")
DINGTALK_AGENT_ID = env("DINGTALK_AGENT_ID", "")
WECOM_API_URL = (env("WECOM_API_URL", "https://qyapi.weixin.qq.com") or "").rstrip("/")
WECOM_CORP_ID = env("WECOM_CORP_ID", "")
WECOM_CORP_SECRET = env("WECOM_CORP_SECRET", "")
WECOM_AGENT_ID = env("WECOM_AGENT_ID", "")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", "")

# Requests behind a reverse proxy: trust X-Forwarded-For only from these addresses.
TRUSTED_PROXIES = env_list("QIANWAN_TRUSTED_PROXIES", "")

# Map tiles: an internal tile server URL when there is one; empty = plain background + outlines.
MAP_TILE_URL = env("QIANWAN_MAP_TILE_URL", "")
MAP_CENTER = (30.29, 121.23)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}
