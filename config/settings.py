"""Settings for every environment, read from the environment with safe laptop defaults.

Each variable is documented in the README's "Settings" table; keep the two in step.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.media_storage import default_storage_setting

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def secret_key_from_file(path: Path) -> str:
    """The key kept in `path`, made the first time (random, readable by its owner only).

    Two processes starting at once (the site and the worker) both end up with the first one's key:
    each writes its own beside the target and links it into place, which fails if one is there.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        mine = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(mine, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(mine, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(mine)
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"SECRET_KEY_FILE {path} holds no key of 50 characters or more.")
    return key


DEBUG = env_bool("DEBUG", True)
# The development key only works with DEBUG on; production sets SECRET_KEY, or SECRET_KEY_FILE
# (`make run`: a key made once and kept in DATA_DIR).
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and os.environ.get("SECRET_KEY_FILE"):
    SECRET_KEY = secret_key_from_file(Path(os.environ["SECRET_KEY_FILE"]))
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Where the SQLite database, the embedded broker's folders and media live by default.
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "data")).resolve()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "courses",
    "quizzes",
    "modellab",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # Before anything that reads the body (the CSRF check reads the form).
    "config.middleware.RequestBodyLimitMiddleware",
    # Django's, with a database failure while the session is saved answered by the 503 page.
    "config.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it turns a view's database or storage error into a 503 page first (see config/middleware.py).
    "config.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"

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
            ]
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes epoch rows.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "learn@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise as static files.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# MEDIA_STORAGE=local (MEDIA_ROOT) or s3 (S3_BUCKET, S3_ENDPOINT_URL, ...): see config/media_storage.py.
STORAGES = {
    "default": default_storage_setting(os.environ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security: on whenever DEBUG is off (what `check --deploy` asks for). HTTPS: the site is reached
# over HTTPS (the default with DEBUG off), so it redirects to it, sends HSTS and marks cookies
# Secure; `make run` serves plain HTTP on the loopback with HTTPS=0.
HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancers check health over plain HTTP inside the network
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every HTML page (config/middleware.py): scripts, styles and images from this site only,
# nothing inline, no plugins, forms post here, no framing. Templates hold no inline script,
# style or on* handler (tests/e2e/test_csp.py watches the browser for violations).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Celery: the embedded filesystem broker on a laptop, Redis or RabbitMQ in production.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_FOLDER = DATA_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder in and out: producers and the worker share it on one machine.
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
    # The filesystem transport does not create its folders; web and worker both need them.
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Above the hard time limit, so Redis never redelivers a run still in progress.
        "visibility_timeout": env_int("LAB_RUN_HARD_LIMIT_S", 3600) + 600
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A fresh child per task frees CUDA memory between runs.
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("LAB_RUN_SOFT_LIMIT_S", 3300)
CELERY_TASK_TIME_LIMIT = env_int("LAB_RUN_HARD_LIMIT_S", 3600)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"modellab.tasks.*": {"queue": "gpu"}}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Cache: per process by default; set CACHE_URL=redis://host:6379/1 to share it (rate limits).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"]}
    if os.environ.get("CACHE_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}


def _rate(name: str, default: str) -> tuple[int, int]:
    """'COUNT/SECONDS' from the environment, e.g. RATE_LIMIT_LOGIN=10/300."""
    raw = os.environ.get(f"RATE_LIMIT_{name.upper()}", default)
    try:
        count, seconds = (int(part) for part in raw.split("/"))
    except ValueError:
        raise ImproperlyConfigured(f"RATE_LIMIT_{name.upper()}={raw!r} must look like 10/300 (count/seconds).") from None
    return count, seconds


# POSTs allowed per window: log-in, sign-up and password reset per client address, log-in also
# per account named; the lab per signed-in user. See common/ratelimit.py.
RATE_LIMITS = {
    "login": _rate("login", "10/300"),
    "login_account": _rate("login_account", "10/300"),
    "signup": _rate("signup", "5/3600"),
    "password_reset": _rate("password_reset", "5/3600"),
    "lab_submit": _rate("lab_submit", "30/3600"),
    # Predictions run the model in the web process.
    "lab_predict": _rate("lab_predict", "120/3600"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Timed exams (quizzes/exam.py): an answer arriving this long after the deadline is still
# accepted (it was on its way); then the exam closes.
EXAM_GRACE_SECONDS = max(0, env_int("EXAM_GRACE_SECONDS", 30))

# Lab (modellab): limits and worker behaviour a deployment sets. See docs/lab.md.
# Run time is bounded by LAB_RUN_SOFT_LIMIT_S / LAB_RUN_HARD_LIMIT_S above (Celery limits).
LAB_MAX_CONCURRENT_RUNS_PER_USER = env_int(
    "LAB_MAX_CONCURRENT_RUNS_PER_USER", 3
)  # queued + running; the lesson's comparison is 3
LAB_MAX_IMAGES_PER_DATASET = env_int("LAB_MAX_IMAGES_PER_DATASET", 5000)
LAB_MAX_UPLOAD_MB = env_int("LAB_MAX_UPLOAD_MB", 50)  # size of an uploaded zip (also cap it at the proxy)
# Form fields of one request, files excluded (Django's default, stated): over it Django answers 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The largest request body: an uploaded zip plus the form's other fields. Over it the site
# answers 413 before reading the body (config/middleware.py).
MAX_REQUEST_BODY_BYTES = LAB_MAX_UPLOAD_MB * 2**20 + DATA_UPLOAD_MAX_MEMORY_SIZE
LAB_MAX_EPOCHS = env_int("LAB_MAX_EPOCHS", 30)
LAB_MAX_BATCH_SIZE = env_int("LAB_MAX_BATCH_SIZE", 256)
LAB_MAX_ATTEMPTS = env_int("LAB_MAX_ATTEMPTS", 2)  # a run whose worker died is requeued until this many starts
LAB_HEARTBEAT_STALE_S = env_int("LAB_HEARTBEAT_STALE_S", 300)  # a RUNNING run silent this long has lost its worker
LAB_STORAGE_QUOTA_MB = env_int("LAB_STORAGE_QUOTA_MB", 500)  # a learner's uploads + run files; 0 = no quota
LAB_KEEP_MODELS_PER_LEARNER = env_int("LAB_KEEP_MODELS_PER_LEARNER", 5)  # each learner's newest models always stay
LAB_KEEP_MODELS_DAYS = env_int("LAB_KEEP_MODELS_DAYS", 7)  # and any model younger than this; older ones are removed
LAB_SWEEP_INTERVAL_S = env_int("LAB_SWEEP_INTERVAL_S", 60)  # each worker sweeps for orphaned runs this often; 0 = only at start
LAB_BUILTIN_PER_CLASS = env_int("LAB_BUILTIN_PER_CLASS", 0)  # images per class of built-in datasets; 0 = digits: all, CIFAR: 100
LAB_CIFAR_ROOT = Path(os.environ.get("LAB_CIFAR_ROOT", DATA_DIR / "cifar"))  # holds cifar-10-batches-py/
LAB_DEVICE = os.environ.get("LAB_DEVICE", "auto")  # auto | cpu | cuda
LAB_WORKER_THREADS = max(0, env_int("LAB_WORKER_THREADS", 0))  # torch CPU threads per worker process; 0 = OMP_NUM_THREADS
LAB_EXTRACT_RUNTIME = os.environ.get("LAB_EXTRACT_RUNTIME", "auto")  # CPU feature extraction: auto (ONNX Runtime) | torch
LAB_CPU_PRECISION = os.environ.get("LAB_CPU_PRECISION", "auto")  # CPU training: auto (bfloat16 where native) | float32 | bfloat16
LAB_LOCAL_CACHE_DIR = Path(os.environ.get("LAB_LOCAL_CACHE_DIR", DATA_DIR / "lab-local"))  # worker copy when storage is remote
# torchvision backbones are offered when their weights are in $TORCH_HOME/hub/checkpoints (set TORCH_HOME on workers).
