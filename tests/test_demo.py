"""`flask seed-demo` loads the programme's demo through the services, once, and prints working sign-ins."""
import os
import re

import pytest
from sqlalchemy import func, select

from eventsys.accounts.models import EventRole, EventRoleName, User
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
from tests.conftest import utc

DEMO_EMAILS = [
    "admin@demo.eventsys.id",
    "panitia@demo.eventsys.id",
    "petugas@demo.eventsys.id",
    "pameran.kabcirebon@demo.eventsys.id",
    "juri@demo.eventsys.id",
]
EXPOSE_REGIONS = [
    "Kota Semarang", "Kab. Banyuwangi", "Kab. Badung", "Kota Makassar", "Kab. Gresik", "Kab. Sidoarjo",
    "Kota Tangerang Selatan", "Kota Sukabumi", "Kota Bekasi", "Kota Samarinda", "Kota Tangerang", "Kab. Banyuasin",
    "Kota Bandung", "Kab. Sleman", "Kota Bogor", "Kab. Siak", "Kota Jambi", "Kota Cirebon", "Kab. Kutai Kartanegara",
    "Kab. Lombok Timur", "Kota Tomohon", "Kab. Pelalawan", "Kab. Mimika", "Kab. Bojonegoro",
]  # the 24 the article names; the demo adds a 25th
DIMENSIONS = ["Smart Governance", "Smart Branding", "Smart Economy", "Smart Living", "Smart Society", "Smart Environment"]


@pytest.fixture
def logins_file(app, tmp_path):
    """Keep the test's sign-ins out of the real instance folder."""
    path = tmp_path / "demo-logins.txt"
    app.config["DEMO_LOGINS_FILE"] = str(path)
    return path


@pytest.fixture
def seed(runner, logins_file):
    def run(*args):
        return runner.invoke(args=["seed-demo", *args])

    return run


def event(slug: str) -> Event:
    return db.session.scalar(select(Event).where(Event.slug == slug))


def counts() -> dict[str, int]:
    models = (Event, AgendaSession, Organization, Venue, Room, User, EventRole)
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def password_for(output: str, email: str) -> str:
    line = next(line for line in output.splitlines() if email in line.split())
    return line.split()[-1]


def test_demo_loads_the_programme(seed):
    result = seed()
    assert result.exit_code == 0, result.output

    orgs = {o.name: o for o in db.session.scalars(select(Organization))}
    assert set(EXPOSE_REGIONS) <= set(orgs)
    assert orgs["Kab. Mimika"].timezone == "Asia/Jayapura"
    assert orgs["Kota Makassar"].timezone == orgs["Kab. Lombok Timur"].timezone == "Asia/Makassar"
    assert orgs["Kota Semarang"].timezone == "Asia/Jakarta" and orgs["Kota Semarang"].kind == OrganizationKind.KOTA
    assert orgs["Kab. Badung"].kind == OrganizationKind.KABUPATEN and orgs["Kab. Badung"].province == "Bali"

    expose = event("ekspos-malam-penghargaan-smart-city-2017")
    assert expose.kind == EventKind.EXPOSE and expose.parent.kind == EventKind.PROGRAMME
    assert expose.venue.name == "Hotel Santika Premiere Jakarta"
    assert expose.starts_at == utc(2017, 11, 15, 6, 0)  # 13:00 WIB
    award = next(s for s in expose.sessions if s.title == "Malam Penghargaan Menuju 100 Smart City")
    assert award.starts_at == utc(2017, 11, 15, 12, 0)  # 19:00 WIB
    assert "Kusnandaka Tjatur P" in [s.name for s in award.speakers]
    blocks = [s for s in expose.sessions if s.session_type == SessionType.EXPOSE_BLOCK]
    presented = " ".join(s.description for s in blocks)
    presenters = re.findall(r"\d+\. ((?:Kota|Kab\.) [^;.]+)", presented)
    assert len(presenters) == len(set(presenters)) == 25
    assert set(EXPOSE_REGIONS) <= set(presenters) <= set(orgs)
    assert {"Drs. Nasrudin Azis, SH", "Drs. H. Suyoto, M.Si"} <= {sp.name for s in blocks for sp in s.speakers}

    awards = event("malam-penganugerahan-smart-city-2021")
    assert awards.kind == EventKind.AWARD_NIGHT and awards.venue.name.startswith("Indonesia Convention Exhibition (ICE) BSD")
    segments = [s for s in awards.sessions if s.session_type == SessionType.AWARD_SEGMENT]
    assert [d for d in DIMENSIONS if any(d in s.title for s in segments)] == DIMENSIONS
    society = next(s for s in segments if "Smart Society" in s.title)
    assert "Sugeng Darsono" in [sp.name for sp in society.speakers] and "Kab. Cirebon" in society.description
    assert "Johnny G. Plate" in {sp.name for s in awards.sessions for sp in s.speakers}

    exhibition = event("pameran-virtual-smart-city-2021")
    assert exhibition.kind == EventKind.EXHIBITION and exhibition.parent == awards.parent
    assert exhibition.starts_at == utc(2021, 12, 13, 17, 0) and exhibition.ends_at.date().isoformat() == "2021-12-28"

    fgd = event("fgd-tahap-iv-smart-city-kabupaten-cirebon-2018")
    assert {s.starts_at.date().isoformat() for s in fgd.sessions} == {"2018-11-05", "2018-11-06"}

    seminar = event("seminar-pameran-smart-city-2022")
    themes = [s for s in seminar.sessions if s.title.startswith("Seminar ")]
    assert len(themes) == 3 and all(s.room is not None for s in themes)
    assert {SessionType.EXHIBITION_OPENING, SessionType.PERFORMANCE} <= {s.session_type for s in seminar.sessions}
    assert "Bambang Dwi Anggono" in {sp.name for s in seminar.sessions for sp in s.speakers}

    all_events = db.session.scalars(select(Event)).all()
    assert all(e.status == EventStatus.PUBLISHED for e in all_events)
    assert all(r.capacity for r in db.session.scalars(select(Room)))
    organizer = db.session.scalar(select(User).where(User.email == "panitia@demo.eventsys.id"))
    assert {r.event_id for r in organizer.roles if r.role == EventRoleName.ORGANIZER} == {e.id for e in all_events}
    exhibitor_role = db.session.scalar(select(EventRole).where(EventRole.role == EventRoleName.EXHIBITOR))
    assert exhibitor_role.event == exhibition and exhibitor_role.organization.name == "Kab. Cirebon"
    juror_role = db.session.scalar(select(EventRole).where(EventRole.role == EventRoleName.JUROR))
    assert juror_role.event == awards


def test_printed_sign_ins_work_and_are_saved_privately(seed, client, logins_file):
    result = seed()
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/login" in result.output
    for email in DEMO_EMAILS:
        assert email in result.output
    password = password_for(result.output, "panitia@demo.eventsys.id")
    assert password != password_for(result.output, "admin@demo.eventsys.id")

    assert client.post("/login", data={"email": "panitia@demo.eventsys.id", "password": password + "x"}).status_code == 200
    response = client.post("/login", data={"email": "panitia@demo.eventsys.id", "password": password})
    assert response.status_code == 302
    assert "Gerakan Menuju 100 Smart City 2017" in client.get("/dashboard").get_data(as_text=True)

    assert os.stat(logins_file).st_mode & 0o777 == 0o600
    saved = logins_file.read_text()
    assert password in saved and "http://127.0.0.1:5000/login" in saved


def test_passwords_are_new_on_each_fresh_database(seed):
    first = seed()
    assert first.exit_code == 0, first.output
    assert len({password_for(first.output, email) for email in DEMO_EMAILS}) == len(DEMO_EMAILS)
    # Emptying the database and seeding again must not repeat the passwords.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    second = seed()
    assert second.exit_code == 0, second.output
    assert password_for(first.output, "panitia@demo.eventsys.id") != password_for(second.output, "panitia@demo.eventsys.id")


def test_if_empty_loads_once_then_adds_nothing(seed):
    first = seed("--if-empty")
    assert first.exit_code == 0, first.output
    before = counts()
    assert before["Event"] == 7 and before["User"] == 7  # the 5 sign-ins and the award night's two other jurors

    second = seed("--if-empty")
    assert second.exit_code == 0, second.output
    assert counts() == before
    assert "nothing added" in second.output
    # The saved sign-ins are shown again, so `make run` keeps telling how to get in.
    assert password_for(first.output, "panitia@demo.eventsys.id") in second.output


def test_refuses_to_duplicate_without_the_flag(seed):
    assert seed().exit_code == 0
    before = counts()
    again = seed()
    assert again.exit_code != 0
    assert "already holds events" in again.output
    assert counts() == before


def test_refuses_on_a_database_with_other_events(seed, make_event):
    make_event()
    result = seed()
    assert result.exit_code != 0 and "not loaded" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert seed("--if-empty").exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1


def test_reuses_regions_already_on_file(seed, make_organization):
    make_organization("Kota Cirebon", province="Jawa Barat")
    result = seed()
    assert result.exit_code == 0, result.output
    names = db.session.scalars(select(Organization.name)).all()
    assert names.count("Kota Cirebon") == 1
    assert set(EXPOSE_REGIONS) <= set(names)


def test_demo_has_delegates_checkpoints_and_arrivals(seed):
    from eventsys.attendance.models import CertificateRule, CheckIn, Checkpoint
    from eventsys.registration import tickets
    from eventsys.registration.models import Registration

    assert seed().exit_code == 0
    expose = event("ekspos-malam-penghargaan-smart-city-2017")
    heads = db.session.scalars(
        select(Registration).where(
            Registration.event_id == expose.id, Registration.position.startswith("Bupati") | Registration.position.startswith("Wali Kota")
        )
    ).all()
    assert len(heads) == 25
    cirebon = next(r for r in heads if r.organization.name == "Kota Cirebon")
    assert cirebon.name == "Drs. Nasrudin Azis, SH" and cirebon.position == "Wali Kota Cirebon"
    key = tickets.public_key_for(db.session, expose)
    assert tickets.verify_token(tickets.token_for(cirebon.ticket), key).ticket_id == cirebon.ticket.id
    arrived = {c.registration_id for c in db.session.scalars(select(CheckIn).where(CheckIn.event_id == expose.id))}
    missing = sorted(r.organization.name for r in heads if r.id not in arrived)
    assert missing == sorted(["Kab. Mimika", "Kota Tomohon", "Kab. Lombok Timur", "Kab. Siak", "Kota Singkawang", "Kab. Pelalawan", "Kota Jambi"])
    names = db.session.scalars(select(Checkpoint.name).where(Checkpoint.event_id == expose.id).order_by(Checkpoint.position)).all()
    assert names == ["Pintu masuk Ballroom", "Malam Penghargaan"]
    fgd = event("fgd-tahap-iv-smart-city-kabupaten-cirebon-2018")
    rule = db.session.get(CertificateRule, fgd.id)
    assert rule.enabled and [c.name for c in rule.checkpoints] == ["FGD hari 1", "FGD hari 2"]
