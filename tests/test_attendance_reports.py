"""Attendance reports: per person and per session, as CSV and Excel read back with openpyxl; times on the
event's clock; undone check-ins left out; cells a spreadsheet would run as formulas made harmless."""
import csv
import io
import uuid
from datetime import datetime

import pytest
from openpyxl import load_workbook

from eventsys.attendance import scanning
from eventsys.attendance.models import Direction, EntryPolicy
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import DelegateCategory, RegistrationState
from tests.conftest import utc
from tests.helpers import sign_in, text, tr


def url(event, path="") -> str:
    return f"/manage/{event.slug}/checkin/reports{path}"


def admit(event, checkpoint, registration, at, direction=Direction.IN):
    outcome = scanning.scan_code(
        db.session, event, checkpoint, tickets.token_for(registration.ticket), nonce=uuid.uuid4().hex, direction=direction, now=at
    )
    assert outcome.result == "ok", outcome.message
    db.session.commit()
    return outcome.checkin


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def read_xlsx(response) -> list[list]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def forum(organizer, make_app, make_checkpoint, make_registration, make_organization, make_session):
    """An FGD over two days in WIB: an entrance, FGD day 1 and day 2 (heads of region only), a hall in and out."""
    user, event = organizer
    heads = DelegateCategory(event_id=event.id, name="Kepala Daerah", color="#b91c1c")
    staff = DelegateCategory(event_id=event.id, name="OPD", color="#0f766e", position=1)
    db.session.add_all([heads, staff])
    db.session.commit()
    entrance = make_checkpoint(event, name="Pintu masuk", policy=EntryPolicy.ONCE_PER_DAY)
    day1 = make_checkpoint(event, name="FGD Hari 1", categories=[heads], session=make_session(event, title="FGD Masterplan Hari 1"))
    day2 = make_checkpoint(event, name="FGD Hari 2", categories=[heads])
    hall = make_checkpoint(event, name="Ruang ekspos", policy=EntryPolicy.IN_OUT)
    for position, checkpoint in enumerate((entrance, day1, day2, hall)):
        checkpoint.position = position
    db.session.commit()
    bandung = make_organization(name="Kota Bandung", province="Jawa Barat")
    azis, _ = make_registration(event, name="Nashrudin Azis", category=heads)
    ridwan, _ = make_registration(event, name="Ridwan Kamil", organization=bandung, category=heads)
    opd, _ = make_registration(event, name="Iing Daiman", position="Kadis Kominfo", category=staff)
    make_registration(event, name="Menunggu", state=RegistrationState.PENDING, category=staff)
    web = sign_in(make_app().test_client(), user)
    return web, event, {"entrance": entrance, "day1": day1, "day2": day2, "hall": hall}, {"azis": azis, "ridwan": ridwan, "opd": opd}


def attend(event, checkpoints, people):
    admit(event, checkpoints["entrance"], people["azis"], utc(2017, 11, 15, 1, 10))  # 08:10 WIB
    admit(event, checkpoints["day1"], people["azis"], utc(2017, 11, 15, 2, 0))
    admit(event, checkpoints["entrance"], people["azis"], utc(2017, 11, 16, 0, 55))  # the next day: a column of its own
    admit(event, checkpoints["day2"], people["azis"], utc(2017, 11, 16, 1, 5))
    admit(event, checkpoints["hall"], people["azis"], utc(2017, 11, 16, 6, 0))
    admit(event, checkpoints["entrance"], people["ridwan"], utc(2017, 11, 15, 1, 30))
    admit(event, checkpoints["hall"], people["ridwan"], utc(2017, 11, 15, 3, 0))
    admit(event, checkpoints["hall"], people["ridwan"], utc(2017, 11, 15, 4, 0), direction=Direction.OUT)
    mistaken = admit(event, checkpoints["day1"], people["ridwan"], utc(2017, 11, 15, 2, 0))
    scanning.undo_checkin(db.session, mistaken, reason="salah pindai")
    db.session.commit()


def people_headers(app) -> list[str]:
    return [
        tr(app, "Name"), tr(app, "Position"), tr(app, "Organization"), tr(app, "Province"), tr(app, "Category"), tr(app, "State"),
        tr(app, "First arrival (%(zone)s)", zone="WIB"),
        # Once per day: a column per day of the event and per other day with entries there.
        tr(app, "%(checkpoint)s (%(day)s)", checkpoint="Pintu masuk", day="2017-11-15"),
        tr(app, "%(checkpoint)s (%(day)s)", checkpoint="Pintu masuk", day="2017-11-16"),
        "FGD Hari 1", "FGD Hari 2", "Ruang ekspos",
    ]


def test_the_person_report_has_one_column_per_checkpoint_and_times_in_the_events_zone(app, forum):
    web, event, checkpoints, people = forum
    attend(event, checkpoints, people)
    rows = read_csv(web.get(url(event, "/people.csv")))
    confirmed = tr(app, "Confirmed")
    assert rows[0] == people_headers(app)
    assert rows[1:] == [
        ["Iing Daiman", "Kadis Kominfo", "Kota Cirebon", "Jawa Barat", "OPD", confirmed, "", "", "", "", "", ""],
        ["Nashrudin Azis", "Wali Kota Cirebon", "Kota Cirebon", "Jawa Barat", "Kepala Daerah", confirmed,
         "2017-11-15 08:10", "2017-11-15 08:10", "2017-11-16 07:55", "2017-11-15 09:00", "2017-11-16 08:05", "2017-11-16 13:00"],
        # The undone FGD check-in is not attendance.
        ["Ridwan Kamil", "Wali Kota Cirebon", "Kota Bandung", "Jawa Barat", "Kepala Daerah", confirmed,
         "2017-11-15 08:30", "2017-11-15 08:30", "", "", "", "2017-11-15 10:00"],
    ]


def test_the_person_report_in_excel_has_real_date_cells(app, forum):
    web, event, checkpoints, people = forum
    attend(event, checkpoints, people)
    rows = read_xlsx(web.get(url(event, "/people.xlsx")))
    assert rows[0] == people_headers(app)
    azis = next(r for r in rows if r[0] == "Nashrudin Azis")
    assert azis[6:] == [datetime(2017, 11, 15, 8, 10), datetime(2017, 11, 15, 8, 10), datetime(2017, 11, 16, 7, 55), datetime(2017, 11, 15, 9, 0),
                        datetime(2017, 11, 16, 8, 5), datetime(2017, 11, 16, 13, 0)]
    assert [r[0] for r in rows[1:]] == ["Iing Daiman", "Nashrudin Azis", "Ridwan Kamil"]


def test_someone_checked_in_and_later_cancelled_stays_on_the_record(app, forum):
    from eventsys.registration import services

    web, event, checkpoints, people = forum
    admit(event, checkpoints["entrance"], people["opd"], utc(2017, 11, 15, 1, 0))
    services.cancel(db.session, people["opd"], "pulang lebih awal")
    db.session.commit()
    rows = read_csv(web.get(url(event, "/people.csv")))
    iing = next(r for r in rows if r[0] == "Iing Daiman")
    assert iing[5] == tr(app, "Cancelled") and iing[6] == "2017-11-15 08:00"


def test_the_session_report_counts_expected_checked_in_share_and_inside(app, forum):
    web, event, checkpoints, people = forum
    attend(event, checkpoints, people)
    headers = [tr(app, "Checkpoint"), tr(app, "Session"), tr(app, "Expected"), tr(app, "Checked in"), tr(app, "Checked in (%)"),
               tr(app, "Inside now")]
    # Expected: the confirmed delegates of the categories that may pass (FGD: heads of region only).
    assert read_csv(web.get(url(event, "/sessions.csv"))) == [
        headers,
        ["Pintu masuk", "", "3", "2", "66.7", ""],
        ["FGD Hari 1", "FGD Masterplan Hari 1", "2", "1", "50.0", ""],
        ["FGD Hari 2", "", "2", "1", "50.0", ""],
        ["Ruang ekspos", "", "3", "2", "66.7", "1"],
    ]
    rows = read_xlsx(web.get(url(event, "/sessions.xlsx")))
    assert rows[0] == headers
    assert rows[2] == ["FGD Hari 1", "FGD Masterplan Hari 1", 2, 1, 50.0, None]
    assert rows[4] == ["Ruang ekspos", None, 3, 2, 66.7, 1]
    page = text(web.get(url(event)))
    assert "FGD Masterplan Hari 1" in page and "66,7" in page  # the page in Indonesian, the downloads plain


@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"http://evil.example\",\"klik\")", "+SUM(A1:A9)", "-2+3", "@cmd", "\t=1+1"])
def test_cells_that_would_run_as_formulas_are_quoted(app, forum, make_registration, make_organization, hostile):
    web, event, checkpoints, people = forum
    registration, _ = make_registration(event, name=hostile, position=hostile, organization=make_organization(name=f"Kab. {hostile}"),
                                        category=people["azis"].category)
    checkpoints["day2"].name = hostile
    db.session.commit()
    admit(event, checkpoints["entrance"], registration, utc(2017, 11, 15, 1, 0))

    rows = read_csv(web.get(url(event, "/people.csv")))
    row = next(r for r in rows if r[0].endswith(hostile))
    assert row[0] == "'" + hostile and row[1] == "'" + hostile
    assert "'" + hostile in rows[0]
    sessions = read_csv(web.get(url(event, "/sessions.csv")))
    assert sessions[3][0] == "'" + hostile

    workbook = load_workbook(io.BytesIO(web.get(url(event, "/people.xlsx")).data))
    sheet = workbook.worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and hostile in c.value]
    # String cells, which Excel never runs: the value as typed, without the CSV's guarding apostrophe.
    assert cells and all(c.data_type == "s" and c.value in (hostile, f"Kab. {hostile}") for c in cells)


def test_phone_numbers_and_plain_negative_numbers_are_left_alone(forum, make_registration):
    web, event, checkpoints, people = forum
    make_registration(event, name="+62 812 3456 7890", category=people["opd"].category)
    assert ["+62 812 3456 7890"] == [r[0] for r in read_csv(web.get(url(event, "/people.csv"))) if r[0].startswith(("+", "'"))]


def test_reports_of_an_event_without_checkpoints_or_check_ins_are_still_tables(app, organizer, make_app, make_registration):
    user, event = organizer
    make_registration(event)
    web = sign_in(make_app().test_client(), user)
    assert read_csv(web.get(url(event, "/sessions.csv")))[1:] == []
    rows = read_xlsx(web.get(url(event, "/people.xlsx")))
    assert rows[1][0] == "Nashrudin Azis" and rows[1][6] is None
    assert web.get(url(event)).status_code == 200


def test_only_organizers_open_reports(app, organizer, make_app, make_user, make_event):
    _user, event = organizer
    staff = sign_in(make_app().test_client(), make_user(email="petugas@kominfo.go.id", event=event, role="checkin"))
    for path in ("", "/people.csv", "/people.xlsx", "/sessions.csv", "/sessions.xlsx"):
        assert staff.get(url(event, path)).status_code == 403, path
    anonymous = make_app().test_client()
    for path in ("", "/people.csv"):
        response = anonymous.get(url(event, path))
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    other = sign_in(make_app().test_client(), make_user(email="lain@kominfo.go.id", event=make_event(slug="lain"), role="organizer"))
    assert other.get(url(event, "/people.csv")).status_code == 403
    assert sign_in(make_app().test_client(), _user).get(url(event, "/other.csv")).status_code == 404
