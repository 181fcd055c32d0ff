"""One environment-driven settings module.

Every knob has a safe default for local use; docs/deployment.md lists the production values.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The fallback key is only good for a laptop; `check --deploy` flags it and production sets SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-only-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "crossector.core.admin_site.PortalAdminConfig",  # django.contrib.admin behind the 2FA gate
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the built-in widget templates, for FORM_RENDERER below
    "crispy_forms",
    "crispy_bootstrap5",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_celery_beat",
    "crossector.core",
    "hubs",
    "events",
    "awards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "crossector.urls"
WSGI_APPLICATION = "crossector.wsgi.application"
ASGI_APPLICATION = "crossector.asgi.application"

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
                "crossector.core.context_processors.site",
            ],
        },
    },
]

# Widgets render through TEMPLATES, so templates/ can override a widget's template (templates/admin/widgets/:
# labels on the admin's split date and time boxes).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -------------------------------------------------------------------------------
# SQLite by default so `make run` works anywhere; PostgreSQL whenever DATABASE_URL says so.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Persistent connections, checked before reuse so a PostgreSQL restart costs one failed
    # request at most instead of a broken worker.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (allauth rate limits, sessions stay in the database) --------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://crossector")}
# Public pages are cached for anonymous visitors (crossector/core/caching.py): any change to public data
# drops them at once; this bounds how late a time-based change (a call closing) can show.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=30)
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis down must not mean 500s: reads miss, writes are dropped (crossector/core/cache.py), and
    # short timeouts keep a request from hanging on an unreachable host.
    CACHES["default"]["BACKEND"] = "crossector.core.cache.FailSoftRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
        socket_timeout=env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
    )

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "crossector.core.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Cross-Sector Programme] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PRESERVE_USERNAME_CASING = False
# Sign-up answers an address that has an account as it answers a new one, in the same time
# (crossector/core/signup.py; allauth's ACCOUNT_PREVENT_ENUMERATION stays on, its default).
ACCOUNT_PREVENT_ENUMERATION = True
# Every account form with fields to fill is the portal's subclass: "(optional)" labels and specific messages
# (crossector/core/account_forms.py, docs/forms.md).
ACCOUNT_FORMS = {
    "signup": "crossector.core.signup.PortalSignupForm",
    "login": "crossector.core.account_forms.PortalLoginForm",
    "add_email": "crossector.core.account_forms.PortalAddEmailForm",
    "change_password": "crossector.core.account_forms.PortalChangePasswordForm",
    "set_password": "crossector.core.account_forms.PortalSetPasswordForm",
    "reset_password": "crossector.core.account_forms.PortalResetPasswordForm",
    "reset_password_from_key": "crossector.core.account_forms.PortalResetPasswordKeyForm",
    "reauthenticate": "crossector.core.account_forms.PortalReauthenticateForm",
}
# Each added address gets a verification email: one extra address at most (see ACCOUNT_RATE_LIMITS too).
ACCOUNT_MAX_EMAIL_ADDRESSES = 2

# --- Two-factor authentication (allauth MFA) and the admin gate --------------------------------
# Staff and reviewers must pass an authenticator-app code (or a recovery code) before the admin opens:
# see crossector/core/mfa.py and docs/security.md.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Cross-Sector Programme")
MFA_TOTP_PERIOD = 30
MFA_TOTP_DIGITS = 6
# Accept the code from one 30-second step either side: phones' clocks drift and people type slowly.
MFA_TOTP_TOLERANCE = env.int("MFA_TOTP_TOLERANCE", default=1)
MFA_RECOVERY_CODE_COUNT = 10
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_FORMS = {
    "authenticate": "crossector.core.mfa_forms.PortalAuthenticateForm",
    "reauthenticate": "crossector.core.mfa_forms.PortalReauthenticateForm",
    "activate_totp": "crossector.core.mfa_forms.PortalActivateTOTPForm",
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
# The admin's dates and times written the portal's one way, "17 November 2022, 5:00pm" (crossector/core/dates.py).
FORMAT_MODULE_PATH = ["crossector.formats"]
# ... and "am"/"pm" for Django's "a.m."/"p.m." in those formats (crossector/locale/en_GB).
LOCALE_PATHS = [BASE_DIR / "crossector" / "locale"]

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads are private: they live outside the static paths and are only ever served by views
# that check permission. MEDIA_URL is deliberately not routed.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private-media")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env.bool("MANIFEST_STATIC", default=True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A request's form fields (files not counted) may carry at most 2 MB, ample for the longest application
# page; more gets the "too large" page (crossector.core.views.bad_request). docs/security.md, "Bounds".
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Email ------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cross-Sector Programme <crosssector@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=6)
# Backoff between attempts: base, 2×base, 4×base ... capped (the drills shorten these to seconds).
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=60)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
# A row left queued this long (its Celery message lost, e.g. Redis was down) is sent again by the sweep.
OUTBOX_STALE_AFTER_SECONDS = env.int("OUTBOX_STALE_AFTER_SECONDS", default=300)
# A row left "sending" this long belongs to a worker that died mid-send.
OUTBOX_SENDING_TIMEOUT_SECONDS = env.int("OUTBOX_SENDING_TIMEOUT_SECONDS", default=900)

# --- People directory and connections (hubs/network) ------------------------------------------
# Connection requests one person may send in any 24 hours; keeps the directory free of spam.
NETWORK_DAILY_REQUEST_CAP = env.int("NETWORK_DAILY_REQUEST_CAP", default=10)
# Who is emailed when someone reports abuse in the network; empty means every active superuser.
NETWORK_ABUSE_REPORT_EMAILS = env.list("NETWORK_ABUSE_REPORT_EMAILS", default=[])
# The "people to meet" digest goes to consenting attendees this many days before their event.
NETWORK_DIGEST_DAYS_BEFORE = env.int("NETWORK_DIGEST_DAYS_BEFORE", default=3)
# Abuse reports one person may send in any 24 hours (each one emails staff).
NETWORK_DAILY_REPORT_CAP = env.int("NETWORK_DAILY_REPORT_CAP", default=5)

# --- Bounds on what a person can make the portal keep or send (docs/security.md, "Bounds") ---------
# A form posted after the session expired is kept for that browser (awards/stash.py): at most this much
# text, and this many stashes per session; allauth's "awards_stash" rate below limits them per IP address.
AWARDS_STASH_MAX_BYTES = env.int("AWARDS_STASH_MAX_BYTES", default=200 * 1024)
AWARDS_STASH_PER_SESSION = env.int("AWARDS_STASH_PER_SESSION", default=3)
# Signatory requests email an address the applicant typed: per application per 24 hours, per application
# ever, and per applicant per 24 hours (across their applications).
AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION_DAY = env.int("AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION_DAY", default=6)
AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION = env.int("AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION", default=20)
AWARDS_SIGNATORY_REQUESTS_PER_USER_DAY = env.int("AWARDS_SIGNATORY_REQUESTS_PER_USER_DAY", default=10)

# --- Retention of personal information (docs/privacy.md; the privacy notice states these periods) --------
# Each name's suffix is its unit, in calendar terms (crossector.core.retention.PERIODS): the notice renders
# the same numbers, so "2 years" there is two calendar years here.
# Unsubmitted drafts are deleted this many months after their call closes.
RETENTION_DRAFT_MONTHS = env.int("RETENTION_DRAFT_MONTHS", default=6)
# Email text, HTML and attachments are deleted after this many days; the record (to, subject, status, dates)
# stays until RETENTION_OUTBOX_RECORD_MONTHS (calendar months, as the notice's "2 years").
RETENTION_OUTBOX_DAYS = env.int("RETENTION_OUTBOX_DAYS", default=90)
RETENTION_OUTBOX_RECORD_MONTHS = env.int("RETENTION_OUTBOX_RECORD_MONTHS", default=24)
# Ineligible, unsuccessful and withdrawn applications: months after the decision; awarded ones: years.
RETENTION_UNSUCCESSFUL_MONTHS = env.int("RETENTION_UNSUCCESSFUL_MONTHS", default=24)
RETENTION_AWARDED_YEARS = env.int("RETENTION_AWARDED_YEARS", default=7)
# Bookings are anonymised this many months after the event.
RETENTION_BOOKING_MONTHS = env.int("RETENTION_BOOKING_MONTHS", default=24)
# Handled reports of abuse in the network are deleted this many months after staff handled them.
RETENTION_ABUSE_REPORT_MONTHS = env.int("RETENTION_ABUSE_REPORT_MONTHS", default=24)

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker configured: run tasks in process so the embedded default works with nothing else running.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when Redis is down: fail fast, the outbox sweep catches up.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Short idempotent sweeps rather than one delayed task per reminder (see docs/architecture.md).
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "crossector.core.tasks.outbox_sweep", "schedule": 60.0},
    "event-reminders": {"task": "events.tasks.event_reminders_sweep", "schedule": 300.0},
    "award-deadline-reminders": {"task": "awards.tasks.deadline_reminders_sweep", "schedule": 900.0},
    "award-call-open-notices": {"task": "awards.tasks.call_open_notices_sweep", "schedule": 900.0},
    "network-matchmaking-digest": {"task": "hubs.network.tasks.matchmaking_digest_sweep", "schedule": 3600.0},
    "privacy-retention": {"task": "crossector.core.tasks.privacy_retention_sweep", "schedule": 3600.0},
}

# --- Security -------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and SITE_URL.startswith("https"))
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SITE_URL.startswith("https"))
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Security headers, CSP, upload limits and rate limits (issue 8; docs/security.md) ------------
# Kept in this one block: the headers on every response, the Content Security Policy, how big an
# upload may be, and allauth's rate limits. tests/security checks each of them.
from csp.constants import NONE, SELF  # noqa: E402

INSTALLED_APPS += ["csp"]  # its system checks catch settings left in the old 3.x format
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1, "crossector.core.headers.PermissionsPolicyMiddleware"
)
# After sessions, auth and messages so the 413 page has the usual layout; before any view reads the body.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "crossector.core.uploads.RequestSizeLimitMiddleware",
)
# Everything from our own origin, nothing inline: templates carry no <script> blocks, style="" or on*=
# attributes (tests/security/test_headers.py scans them). data: images only for Bootstrap's inline SVG
# icons in its CSS and the QR code on allauth's authenticator-app page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "interest-cohort",
    )
}
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
# Uploads: one PDF is at most 10 MB (awards/pdf.py says the same to the applicant); one request carries
# at most the three documents of an application plus the form. Bigger requests are refused unread.
UPLOAD_MAX_FILE_BYTES = 10 * 1024 * 1024
UPLOAD_MAX_REQUEST_BYTES = 3 * UPLOAD_MAX_FILE_BYTES + 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "crossector.core.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The client address every per-IP limit counts against (crossector/core/client_ip.py): the number of proxies
# (load balancers) in front of the web processes, each appending to X-Forwarded-For. 0 = answer the internet
# directly and ignore the header; production behind the one load balancer of docs/deployment.md: 1.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# allauth's rate limits (counters in the shared Redis cache), per IP as client_ip() sees it. Failed sign-ins
# (crossector/core/adapters.py; docs/security.md): 5 per 5 minutes for one address from one IP, 20 an hour
# for one address from anywhere, and a ceiling of 100 per 10 minutes per IP, so failures for other
# addresses never lock out a person's correct password. Sign-ups and reset emails per IP and per address,
# so no one's inbox is flooded.
ACCOUNT_RATE_LIMITS = {
    # Every sign-in attempt, right or wrong: a ceiling per IP against floods of password hashing, above the
    # failure ceiling below (30 a minute, as before, let one person lock a whole office out for a minute).
    "login": "200/10m/ip",
    # Passwords, key: (IP, address); and a ceiling per IP.
    "login_failed_password": "100/10m/ip,5/300s/key",
    # Passwords, key: the address, whichever IP the attempts come from.
    "login_failed_account": "20/h/key",
    # Passwords from a browser the address signed in from before (its known-device cookie), key: that browser
    # and address; the two limits above do not apply to it, so attacks from elsewhere never lock it out.
    "login_failed_device": "10/15m/key",
    # Second-factor codes (allauth.mfa), key: the user who passed the password step.
    "login_failed": "5/300s/key",
    "signup": "10/m/ip,30/h/ip",
    "reset_password": "10/m/ip,3/15m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    # Adding an address sends a verification email to it (docs/security.md, "Bounds").
    "manage_email": "10/m/user,20/d/user",
    # Emailed links to set up two-factor authentication (crossector/core/mfa_enrolment.py), per account.
    "mfa_enrolment_email": "3/h/user",
    # Forms kept for a signed-out browser (awards/stash.py), per IP address.
    "awards_stash": "10/h/ip,30/d/ip",
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # pypdf warns about every quirk of every uploaded PDF it parses (awards/pdf.py logs refusals itself).
    "loggers": {"django.db.backends": {"level": "WARNING"}, "pypdf": {"level": "ERROR"}},
}

# Publishing to a broker that is down must fail fast; the outbox keeps the email.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="crosssector@acmedsci.ac.uk")
# Benchmarks only (`make bench`): mounts the minimal /bench/baseline/ view. Never set in production.
BENCH_BASELINE = env.bool("BENCH_BASELINE", default=False)

# --- Beyond one machine: uploads in a private bucket, structured logs, metrics, errors (issue 19) ----------------
# Every knob and its production value: docs/deployment.md ("Uploads", "What operators watch").
from crossector.core.logs import logging_config  # noqa: E402
from crossector.core.storage import s3_storage_config  # noqa: E402

# Uploads stay on the file system under PRIVATE_MEDIA_ROOT (the default, `make run`) unless UPLOADS_S3_BUCKET
# names a private S3-compatible bucket, which several web nodes can share. Objects are never public; a download
# is a signed link made after the access check, valid UPLOADS_S3_URL_SECONDS (awards/views/documents.py).
UPLOADS_S3_BUCKET = env.str("UPLOADS_S3_BUCKET", default="")
UPLOADS_S3_URL_SECONDS = env.int("UPLOADS_S3_URL_SECONDS", default=60)
if UPLOADS_S3_BUCKET:
    STORAGES["default"] = s3_storage_config(
        bucket=UPLOADS_S3_BUCKET,
        endpoint_url=env.str("UPLOADS_S3_ENDPOINT_URL", default=""),  # empty: AWS itself
        region=env.str("UPLOADS_S3_REGION", default="eu-west-2"),
        # Empty: boto3's own chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an instance or task role).
        access_key=env.str("UPLOADS_S3_ACCESS_KEY_ID", default=""),
        secret_key=env.str("UPLOADS_S3_SECRET_ACCESS_KEY", default=""),
        url_seconds=UPLOADS_S3_URL_SECONDS,
    )

# Logs: one line per record, JSON in production (LOG_FORMAT=json), readable columns under DEBUG; one line per
# request with a request id that the tasks it queues log too (crossector/core/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
LOGGING = logging_config(level=LOGGING["root"]["level"], json=LOG_FORMAT == "json", loggers=LOGGING["loggers"])
# Gzip only what holds no secret (BREACH): anonymous, cookie-free, token-free pages (crossector/core/compression.py).
# First in the list, so it compresses the response after every other middleware has finished with it.
MIDDLEWARE.insert(0, "crossector.core.compression.PublicGZipMiddleware")
MIDDLEWARE.insert(0, "crossector.core.logs.RequestLogMiddleware")
# The worker keeps this configuration instead of replacing the root logger's handlers with its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# /metrics/ for Prometheus: `Authorization: Bearer <METRICS_TOKEN>`, or staff signed in with two factors.
# Empty: only staff, in a browser.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Errors to Sentry when SENTRY_DSN is set; nothing personal is sent (crossector/core/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from crossector.core.sentry import sentry_init  # noqa: E402

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
