"""Settings: defaults here, then instance/config.py, then EVENTSYS_* environment variables."""
import os
import secrets
from pathlib import Path

LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
TIME_ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


class Defaults:
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    LOGO_MAX_BYTES = 2 * 1024 * 1024
    IMPORT_MAX_ROWS = 20_000
    INVITATION_MAX_AGE_DAYS = 7
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a whole day at the registration desk
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Links in mail and on tickets: jobs and the CLI have no request to take the host from.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "eventsys <noreply@localhost>"
    MAIL_TIMEOUT = 10
    MAIL_MAX_ATTEMPTS = 8
    MAIL_RETRY_BASE_SECONDS = 60
    MAIL_RETRY_MAX_SECONDS = 3600
    MAIL_LOCK_SECONDS = 300
    MAIL_BATCH_SIZE = 50
    MAIL_QUEUE = "eventsys-mail"
    JOBS_IN_PROCESS = True  # a sender thread per worker; with REDIS_URL an RQ worker sends instead
    JOBS_POLL_SECONDS = 30
    REGISTRATION_FILE_MAX_BYTES = 5 * 1024 * 1024
    REGISTRATION_RESEND_RATE_LIMIT = "10 per hour"
    TICKET_PDF_RATE_LIMIT = "20 per minute"  # WeasyPrint takes about half a second a PDF
    # Behind nginx: exhibition files (local storage) are sent by nginx from this internal location
    # (X-Accel-Redirect) once the app has decided who may fetch them; docs/nginx.conf. Empty: the app sends them.
    ACCEL_REDIRECT_PREFIX = ""
    PROXY_COUNT = 0  # reverse proxies in front whose X-Forwarded-For/-Proto/-Host are trusted (1 behind nginx)


def database_uri(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_secret_key(instance_path: str) -> str:
    """A secret made once per installation and kept under instance/, never one in the code."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together keep whichever key was written first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def configure(app, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("EVENTSYS")
    else:
        app.config.update(test_config)

    url = app.config.get("DATABASE_URL") or "sqlite:///" + os.path.join(app.instance_path, "eventsys.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(url)
    if app.config.get("REDIS_URL"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    app.config.setdefault("UPLOAD_DIR", os.path.join(app.instance_path, "uploads"))
