"""A throwaway PostgreSQL database for a benchmark run, dropped afterwards (shared by the benchmarks)."""
from __future__ import annotations

import uuid


def postgres_database(admin_url: str):
    """(URL of a new empty database on the server of `admin_url`, a function that drops it)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from eventsys.config import database_uri

    admin = create_engine(database_uri(admin_url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"eventsys_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop
