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
