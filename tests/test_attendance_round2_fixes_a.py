"""Second round of QA fixes to QR attendance: a certificate whose holder stopped meeting the rule stays on
the organizer's list, marked, and can be revoked there; and the checkpoint overview, the arrivals page and
the reports count check-ins the same way after a cancellation."""
import csv
import io
import re

from sqlalchemy import select

from eventsys.attendance import arrivals, certificates, checkpoint_admin, reports, scanning
from eventsys.attendance.models import Certificate, CertificateRule, CheckIn
from eventsys.extensions import db
from eventsys.registration import services as registration_services
from eventsys.registration.models import Registration
from tests.conftest import utc
from tests.helpers import fresh, text, tr
from tests.test_attendance_report_fixes import ballroom, scan  # noqa: F401 (the fixture)
from tests.test_certificates import fgd, url  # noqa: F401 (the fixture)

# 1. Certificates of people who no longer meet the rule


def _issue(web, event):
    assert web.post(url(event, "/issue")).status_code == 302
    return {c.registration_id: c for c in fresh().scalars(select(Certificate).where(Certificate.event_id == event.id))}


def _rows(page) -> dict[str, str]:
    """registration id -> the row's HTML."""
    return dict(re.findall(r'<tr data-registration="(\d+)"(.*?)</tr>', text(page), re.S))


def test_a_holder_whose_check_in_was_undone_stays_listed_marked_and_can_be_revoked(app, fgd):  # noqa: F811
    web, event, checkpoints, people = fgd
    azis = people["azis"][0]
    issued = _issue(web, event)
    certificate = issued[azis.id]
    second_day = fresh().scalars(select(CheckIn).where(CheckIn.registration_id == azis.id, CheckIn.checkpoint_id == checkpoints["day2"].id)).one()
    scanning.undo_checkin(db.session, second_day, reason="salah orang")
    db.session.commit()

    [row] = certificates.eligible_rows(fresh(), fresh().get(CertificateRule, event.id))
    assert (row.name, row.meets_rule, row.cancelled, row.attended, row.certificate.id) == ("Nashrudin Azis", False, False, 1, certificate.id)
    page = web.get(url(event))
    rows = _rows(page)
    assert list(rows) == [str(azis.id)]  # 1 valid certificate, 1 row
    assert 'data-testid="no-longer-meets-rule"' in rows[str(azis.id)]
    assert tr(app, "no longer meets the rule") in rows[str(azis.id)]
    assert tr(app, "checked in at %(num)d of the %(required)d required checkpoints", num=1, required=2) in rows[str(azis.id)]
    assert 'data-testid="eligible-count">0<' in text(page)
    assert tr(app, "Certificates issued: %(valid)d valid, %(revoked)d revoked.", valid=1, revoked=0) in text(page)
    assert 'data-testid="lapsed-count"' in text(page)
    assert f"/{certificate.id}/revoke" in rows[str(azis.id)]
    # Nothing is revoked on its own: the code is still valid until the organizer says otherwise.
    assert fresh().get(Certificate, certificate.id).revoked_at is None
    assert web.get(f"/c/{certificate.code}").status_code == 200

    assert web.post(url(event, f"/{certificate.id}/revoke"), data={"confirm": "y"}).status_code == 302
    assert fresh().get(Certificate, certificate.id).revoked_at is not None
    assert web.get(f"/c/{certificate.code}").status_code == 404
    still = _rows(web.get(url(event)))
    assert list(still) == [str(azis.id)] and "/restore" in still[str(azis.id)]  # revoked, still listed


def test_a_holder_whose_registration_was_cancelled_is_listed_with_why(app, fgd):  # noqa: F811
    web, event, _checkpoints, people = fgd
    azis = people["azis"][0]
    session = fresh()
    session.get(CertificateRule, event.id).minimum = 1
    session.commit()
    issued = _issue(web, event)
    assert len(issued) == 2
    session = fresh()
    registration_services.cancel(session, session.get(Registration, azis.id), "berhalangan")
    session.commit()

    rows = {r.name: r for r in certificates.eligible_rows(fresh(), fresh().get(CertificateRule, event.id))}
    assert (rows["Nashrudin Azis"].meets_rule, rows["Nashrudin Azis"].cancelled) == (False, True)
    assert rows["Ridwan Kamil"].meets_rule
    assert certificates.listed_count(fresh(), fresh().get(CertificateRule, event.id)) == 2
    page = web.get(url(event))
    html = _rows(page)
    assert len(html) == 2 and tr(app, "registration cancelled") in html[str(azis.id)]
    assert 'data-testid="no-longer-meets-rule"' not in html[str(people["ridwan"][0].id)]
    assert 'data-testid="eligible-count">1<' in text(page)


def test_holders_stay_listed_when_the_rule_loses_its_checkpoints(app, fgd):  # noqa: F811
    web, event, _checkpoints, people = fgd
    issued = _issue(web, event)
    session = fresh()
    rule = session.get(CertificateRule, event.id)
    rule.enabled, rule.checkpoints = False, []
    session.commit()
    [row] = certificates.eligible_rows(fresh(), fresh().get(CertificateRule, event.id))
    assert not row.meets_rule and row.certificate.id == issued[people["azis"][0].id].id
    assert list(_rows(web.get(url(event)))) == [str(people["azis"][0].id)]


# 2. One count of check-ins per checkpoint


def test_overview_arrivals_and_reports_agree_after_a_cancellation(ballroom):  # noqa: F811
    web, event, door = ballroom  # two of three came; one of those two cancelled afterwards
    base = f"/manage/{event.slug}/checkin"
    assert checkpoint_admin.people_checked_in(fresh(), event) == {door.id: 1}
    snapshot = arrivals.snapshot(fresh(), event)
    assert [r["checked_in"] for r in snapshot["by_checkpoint"]] == [1]
    assert snapshot["totals"]["arrived"] == 1
    [row] = reports.session_rows(fresh(), event)
    assert row["checked_in"] == 1
    # And as the pages show it.
    overview = dict(re.findall(r'data-checkpoint-id="(\d+)">.*?data-testid="checked-in">(\d+)<', text(web.get(base)), re.S))
    assert overview == {str(door.id): "1"}
    arrivals_page = text(web.get(f"{base}/arrivals"))
    table = arrivals_page[arrivals_page.index('data-testid="arrivals-by-checkpoint"'):]
    assert re.search(rf'<tr data-id="{door.id}"><th scope="row">[^<]*</th><td>1</td>', table)
    csv_rows = list(csv.reader(io.StringIO(web.get(f"{base}/reports/sessions.csv").data.decode("utf-8-sig"))))
    assert csv_rows[1][3] == "1"


def test_a_late_scan_after_cancelling_is_not_counted_either(ballroom, make_registration):  # noqa: F811
    web, event, door = ballroom
    bima = fresh().scalar(select(Registration).where(Registration.event_id == event.id, Registration.name == "Bima Arya"))
    scan(event, door, bima, utc(2017, 11, 15, 2, 0))
    assert checkpoint_admin.people_checked_in(fresh(), event) == {door.id: 2}
    registration_services.cancel(db.session, fresh().get(Registration, bima.id), "")
    db.session.commit()
    assert checkpoint_admin.people_checked_in(fresh(), event) == arrivals.checked_in_counts(fresh(), event) == {door.id: 1}
