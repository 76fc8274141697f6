"""Fixtures: every test that touches the database runs on SQLite and on PostgreSQL.

PostgreSQL comes from EVENTSYS_TEST_POSTGRES_URL, else the server on 127.0.0.1:5432 when it
answers; each test process gets a database of its own, dropped at the end. Under CI=true a
missing PostgreSQL fails the run instead of skipping half of it.
"""
import contextvars
import os
import uuid
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from eventsys import create_app
from eventsys.accounts import services as accounts
from eventsys.accounts.models import EventRoleName
from eventsys.config import database_uri
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import (
    AgendaSession,
    Event,
    EventKind,
    EventStatus,
    Organization,
    OrganizationKind,
    Room,
    SessionType,
    Venue,
)
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import DelegateCategory, Registration, RegistrationState
from tests.helpers import PASSWORD, sign_in

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _compile_url_builders_once() -> None:
    """Each test builds its own app (or two), and Werkzeug generates and compiles Python code for the
    URL builders of every one of its ~250 routes: 0.13–0.17 s an app, a fifth of the whole suite. A
    builder depends only on the rule's parsed parts, defaults and converter kinds (it reaches the
    rule's converters through its `self` argument), so one compiled builder serves every app of the
    process; routing and url_for behave exactly as without it (0.02 s an app)."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders = {}

    def cached(self, append_unknown=True):
        key = (
            tuple(self._trace),
            tuple(sorted((name, repr(value)) for name, value in (self.defaults or {}).items())),
            tuple(sorted((name, type(converter).__name__) for name, converter in self._converters.items())),
            append_unknown,
        )
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = cached


_compile_url_builders_once()
BACKENDS = ["sqlite", "postgresql"]


def postgres_admin_url() -> str:
    return database_uri(os.environ.get("EVENTSYS_TEST_POSTGRES_URL") or DEFAULT_POSTGRES)


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(postgres_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # any failure to connect means: no PostgreSQL here
        return str(error).splitlines()[0]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    problem = postgres_reachable()
    config._postgres_problem = problem
    if problem and os.environ.get("CI") == "true":
        raise pytest.UsageError(
            f"PostgreSQL is required under CI=true but did not answer at {make_url(postgres_admin_url()).render_as_string(hide_password=True)}: {problem}"
        )


def pytest_terminal_summary(terminalreporter):
    counts = {}
    for report in terminalreporter.stats.get("passed", []):
        if report.when != "call":
            continue
        for backend in BACKENDS:
            if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid or f"-{backend}-" in report.nodeid:
                counts[backend] = counts.get(backend, 0) + 1
        if "tests/browser/" in report.nodeid:
            counts["chromium"] = counts.get("chromium", 0) + 1
    skipped = len(terminalreporter.stats.get("skipped", []))
    terminalreporter.write_line(
        f"eventsys: passed on SQLite {counts.get('sqlite', 0)}, on PostgreSQL {counts.get('postgresql', 0)}, "
        f"in Chromium {counts.get('chromium', 0)} (skipped {skipped})"
    )


def _create_postgres_database(prefix: str) -> tuple[str, callable]:
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory):
    """Makes empty databases on demand: fresh_database_url('sqlite'|'postgresql') -> URL."""
    drops = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "eventsys.sqlite")
        problem = postgres_reachable()
        if problem:
            pytest.skip(f"PostgreSQL not reachable: {problem}")
        url, drop = _create_postgres_database("eventsys_test")
        drops.append(drop)
        return url

    yield make
    for drop in drops:
        drop()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, fresh_database_url):
    """One schema per backend and test process, built from the models; tests empty it after them."""
    url = fresh_database_url(request.param)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "schema"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


def base_config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SERVER_NAME": None,
    }


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on this test's backend with some settings changed (CSRF on, rate limits on …)."""
    apps = []

    def build(**overrides):
        application = create_app(base_config(database_url, tmp_path) | overrides)
        apps.append(application)
        return application

    yield build
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
    if apps:
        _empty_tables(database_url)


def _empty_tables(url: str) -> None:
    engine = create_engine(database_uri(url))
    with engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def app(make_app):
    application = make_app()
    with application.app_context():
        yield application


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    The test keeps an app context of its own for builders and assertions; without this, Flask
    would reuse it for requests and share `g` (the signed-in user, the page language) and the
    database session between requests. The test's transaction is closed around each request so
    it neither holds SQLite's write lock nor reads an old snapshot afterwards.
    """

    _inside = contextvars.ContextVar("isolated_client_inside", default=False)

    def open(self, *args, **kwargs):
        if self._inside.get():  # a redirect being followed: already isolated
            return super().open(*args, **kwargs)
        db.session.commit()
        try:
            return contextvars.Context().run(self._isolated_open, *args, **kwargs)
        finally:
            db.session.commit()  # ends the read transaction; loaded rows are re-read on access

    def _isolated_open(self, *args, **kwargs):
        self._inside.set(True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# Builders: short calls that make realistic rows, so tests read as the situation they set up.


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def build(email=None, name="Iing Daiman", password=PASSWORD, is_admin=False, event=None, role=None, organization=None):
        user = accounts.create_user(db.session, email or f"user{next(counter)}@kominfo.go.id", name, password, is_admin=is_admin)
        db.session.flush()
        if event is not None and role is not None:
            accounts.grant_role(db.session, user, event, EventRoleName(role), organization.id if organization else None)
        db.session.commit()
        return user

    return build


@pytest.fixture
def make_venue(app):
    def build(name="Hotel Santika Premiere Jakarta", rooms=(("Ballroom", 500), ("Ruang B", 80))):
        venue = Venue(name=name, city="Jakarta")
        venue.rooms = [Room(name=n, capacity=c) for n, c in rooms]
        db.session.add(venue)
        db.session.commit()
        return venue

    return build


@pytest.fixture
def make_event(app):
    counter = iter(range(1, 10_000))

    def build(
        name="Ekspos Masterplan Smart City 2017",
        slug=None,
        kind=EventKind.EXPOSE,
        status=EventStatus.PUBLISHED,
        starts_at=utc(2017, 11, 15, 1, 0),
        ends_at=utc(2017, 11, 15, 15, 0),
        timezone="Asia/Jakarta",
        venue=None,
        parent=None,
    ):
        event = Event(
            name=name,
            slug=slug or f"ekspos-{next(counter)}",
            kind=kind,
            status=status,
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=timezone,
            venue=venue,
            parent=parent,
            description="",
        )
        db.session.add(event)
        db.session.commit()
        return event

    return build


@pytest.fixture
def make_session(app):
    def build(event, title="Pembukaan", starts_at=None, ends_at=None, room=None, session_type=SessionType.OPENING, speakers=()):
        from eventsys.events.models import Speaker

        item = AgendaSession(
            event=event,
            title=title,
            session_type=session_type,
            starts_at=starts_at or event.starts_at,
            ends_at=ends_at or event.ends_at,
            room=room,
            description="",
        )
        item.speakers = [Speaker(name=n, position=p, organization=o, position_in_list=i) for i, (n, p, o) in enumerate(speakers)]
        db.session.add(item)
        db.session.commit()
        return item

    return build


@pytest.fixture
def make_organization(app):
    def build(name="Kota Cirebon", kind=OrganizationKind.KOTA, province="Jawa Barat", timezone="Asia/Jakarta"):
        org = Organization(name=name, name_key=Organization.key_for(name), kind=kind, province=province, timezone=timezone)
        db.session.add(org)
        db.session.commit()
        return org

    return build


@pytest.fixture
def login(client):
    """login(user) signs the test client in through the real sign-in form."""

    def do(user, password=PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do


@pytest.fixture
def web(make_app):
    """A client of an app instance of its own: nothing of the test's app context reaches it."""
    return make_app().test_client()


@pytest.fixture
def staff_web(organizer, make_app, make_user):
    """(client signed in as the event's check-in staff, the event)."""
    _user, event = organizer
    staff = make_user(email="petugas@kominfo.go.id", name="Petugas Meja", event=event, role="checkin")
    return sign_in(make_app().test_client(), staff), event


@pytest.fixture
def organizer_web(web, organizer):
    """(client signed in as the organizer, the organizer's event)."""
    user, event = organizer
    sign_in(web, user)
    return web, event


@pytest.fixture
def organizer(make_user, make_event, make_venue):
    """An organizer (not yet signed in) of a published exposé event at a venue with two rooms."""
    venue = make_venue()
    event = make_event(venue=venue)
    user = make_user(email="panitia@kominfo.go.id", name="Panitia Kominfo", event=event, role="organizer")
    return user, event


@pytest.fixture
def make_registration(app, make_organization):
    """make_registration(event, ...) -> (registration, secret): built from the models, ticket issued when confirmed."""
    categories, organizations = {}, {}
    emails = iter(range(1, 10_000))

    def build(event, *, name="Nashrudin Azis", position="Wali Kota Cirebon", organization=None, locale="id",
              state=RegistrationState.CONFIRMED, reason="", category=None):
        if category is None:
            if event.id not in categories:
                categories[event.id] = DelegateCategory(event_id=event.id, name="Kepala Daerah", color="#b91c1c")
                db.session.add(categories[event.id])
                db.session.flush()
            category = categories[event.id]
        if organization is None:
            if "default" not in organizations:
                organizations["default"] = make_organization(name="Kota Cirebon")
            organization = organizations["default"]
        secret = new_secret()
        registration = Registration(
            event_id=event.id,
            category_id=category.id,
            organization_id=organization.id,
            name=name,
            position=position,
            email=f"delegate{next(emails)}@cirebonkota.go.id",
            locale=locale,
            state=state,
            state_reason=reason,
            manage_token_hash=hash_secret(secret),
        )
        db.session.add(registration)
        db.session.flush()
        if state == RegistrationState.CONFIRMED:
            tickets.issue_ticket(db.session, registration)
        db.session.commit()
        return registration, secret

    return build


@pytest.fixture
def make_checkpoint(app):
    """make_checkpoint(event, name=..., policy=..., categories=(), opens_at=None, closes_at=None, session=None)."""
    from eventsys.attendance.models import Checkpoint, EntryPolicy

    def build(event, name="Pintu masuk", policy=EntryPolicy.ONCE, categories=(), opens_at=None, closes_at=None, session=None):
        checkpoint = Checkpoint(
            event_id=event.id, name=name, policy=policy, categories=list(categories), opens_at=opens_at, closes_at=closes_at,
            session_id=session.id if session is not None else None,
        )
        db.session.add(checkpoint)
        db.session.commit()
        return checkpoint

    return build


@pytest.fixture
def make_scanner(app):
    """make_scanner(event, name=..., kiosk=False) -> (device, bearer token secret): a device paired through its pairing secret."""
    from eventsys.attendance import devices

    def build(event, name="Pintu utama 1", kiosk=False, staff_name="Rina (LO)"):
        device, pairing_secret = devices.create_device(db.session, event, name=name, kiosk=kiosk)
        device, secret = devices.pair_device(db.session, pairing_secret, staff_name=staff_name)
        db.session.commit()
        return device, secret

    return build


@pytest.fixture
def gate(organizer, make_checkpoint, make_scanner, make_registration):
    """(event, entrance checkpoint, paired device token, a confirmed registration, its ticket token): a door ready to scan."""
    from eventsys.registration.tickets import token_for

    _user, event = organizer
    checkpoint = make_checkpoint(event)
    _device, secret = make_scanner(event)
    registration, _ = make_registration(event)
    return event, checkpoint, secret, registration, token_for(registration.ticket)
