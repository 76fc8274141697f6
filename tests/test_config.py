"""Settings come from the environment (EVENTSYS_*); no usable secret is written in the code."""
from eventsys import create_app
from eventsys.config import database_uri, load_secret_key


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = load_secret_key(str(tmp_path))
    assert len(first) >= 40
    assert load_secret_key(str(tmp_path)) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


def test_environment_settings_with_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("EVENTSYS_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    monkeypatch.setenv("EVENTSYS_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("EVENTSYS_REDIS_URL", "redis://127.0.0.1:6379/3")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.sqlite"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_default_database_is_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("EVENTSYS_DATABASE_URL", raising=False)
    monkeypatch.setenv("EVENTSYS_SECRET_KEY", "x")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/eventsys.sqlite"


def test_postgres_urls_use_psycopg3():
    assert database_uri("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_uri("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_uri("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_sqlite_runs_in_wal_mode_with_busy_timeout(fresh_database_url):
    """Without WAL and a busy timeout, concurrent writers fail with "database is locked"."""
    from eventsys.extensions import db

    app = create_app({"TESTING": True, "DATABASE_URL": fresh_database_url("sqlite"), "SECRET_KEY": "x"})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
