"""Publishing the exposé schedule: refusals by rule severity, immutable versions, changes, and who is emailed.

Mail goes through the real outbox and smtplib to an aiosmtpd server on loopback and is read back
from what arrived there.
"""
import re

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from eventsys.core import jobs, mail
from eventsys.core.rules import RuleViolation
from eventsys.exposes import publishing, services
from eventsys.exposes.models import PublishedVersionChanged, RuleSeverity, ScheduleVersion, VersionSlot
from eventsys.extensions import db
from tests.expose_helpers import block, organization, place, presenter, wib
from tests.helpers import fresh, sign_in, text, tr
from tests.test_mail import SmtpServer, parts

BASE_URL = "https://eventsys.example.id"


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app, smtp):
    """The suite's app, sending to this test's SMTP server."""
    application = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, PUBLIC_BASE_URL=BASE_URL)
    with application.app_context():
        yield application
    jobs.stop(application)


@pytest.fixture
def night(organizer):
    """The 2017 exposé night in two rooms, three regions placed in the Ballroom at 10:00, 10:20 and 10:40 WIB."""
    user, event = organizer
    ballroom = block(event, title="Ekspos Masterplan Sesi 1", room_name="Ballroom", start="10:00", end="12:00")
    ruang_b = block(event, title="Ekspos Masterplan Sesi 2", room_name="Ruang B", start="10:00", end="12:00")
    cirebon = presenter(event, "Kota Cirebon", email="walikota@cirebonkota.go.id", locale="id", person="Drs. Nasrudin Azis, SH")
    makassar = presenter(event, "Kota Makassar", "Sulawesi Selatan", email="walikota@makassarkota.go.id", locale="en")
    siak = presenter(event, "Kab. Siak", "Riau", email="bupati@siakkab.go.id", locale="id")
    place(event, cirebon, ballroom, "10:20")
    place(event, makassar, ballroom, "10:00")
    place(event, siak, ballroom, "10:40")
    return user, event, {"ballroom": ballroom, "ruang_b": ruang_b}, {"cirebon": cirebon, "makassar": makassar, "siak": siak}


def publish(event, user, note=""):
    version = publishing.publish(db.session, event, user, note)
    db.session.commit()
    return version


def version_rows(version_id) -> list[tuple]:
    rows = fresh().scalars(select(VersionSlot).where(VersionSlot.version_id == version_id).order_by(VersionSlot.id))
    return [(r.presenter_id, r.organization_name, r.person_name, r.block_title, r.room_name, r.starts_at, r.ends_at) for r in rows]


def delivered(smtp, count):
    mail.send_due()
    return smtp.inbox.wait_for(count)


def recipients(messages) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in messages)


# Refusals -----------------------------------------------------------------------------------------


def test_publishing_is_refused_while_a_blocking_rule_is_broken(app, night):
    user, event, blocks, regions = night
    place(event, regions["siak"], blocks["ballroom"], "10:25")  # overlaps Kota Cirebon (10:20–10:35)
    with pytest.raises(publishing.PublicationBlocked) as refused:
        publishing.publish(db.session, event, user)
    db.session.rollback()
    assert len(refused.value.problems) >= 1 and any("Kab. Siak" in p and "Kota Cirebon" in p for p in refused.value.problems)
    assert fresh().scalar(select(func.count()).select_from(ScheduleVersion)) == 0

    programme = services.programme_for(db.session, event)
    programme.overlap = RuleSeverity.WARN  # a warning does not block
    db.session.commit()
    version = publish(event, user)
    assert version.number == 1 and len(version.slots) == 3


def test_an_ignored_rule_does_not_block_and_the_page_lists_blocking_conflicts(app, night, web):
    user, event, blocks, regions = night
    place(event, regions["siak"], blocks["ballroom"], "10:25")
    sign_in(web, user)
    page = web.post(f"/manage/{event.slug}/expose/publish", data={"note": ""})
    assert page.status_code == 200
    body = text(page)
    assert 'data-testid="publish-error"' in body and "Kab. Siak" in body
    assert fresh().scalar(select(func.count()).select_from(ScheduleVersion)) == 0

    programme = services.programme_for(db.session, event)
    programme.overlap = RuleSeverity.IGNORE
    db.session.commit()
    response = web.post(f"/manage/{event.slug}/expose/publish", data={"note": "Versi awal"})
    assert response.status_code == 302
    assert fresh().scalar(select(ScheduleVersion.note)) == "Versi awal"


def test_nothing_to_publish(app, organizer):
    user, event = organizer
    block(event)
    with pytest.raises(RuleViolation) as refused:
        publishing.publish(db.session, event, user)
    assert refused.value.message == tr(app, "Nothing to publish yet: no presenter has a slot in the draft.")


def test_an_unchanged_draft_is_not_published_twice(app, night):
    user, event, _blocks, _regions = night
    publish(event, user)
    with pytest.raises(RuleViolation) as refused:
        publishing.publish(db.session, event, user)
    assert refused.value.message == tr(app, "The draft is the same as version %(number)d: nothing new to publish.", number=1)


# Immutability -------------------------------------------------------------------------------------


def test_a_published_version_never_changes(app, night, web):
    user, event, blocks, regions = night
    first = publish(event, user)
    rows_before = version_rows(first.id)
    page_before = re.findall(r'<tr data-testid="expose-slot">.*?</tr>', text(web.get(f"/e/{event.slug}/expose/v/1")), re.S)
    assert len(page_before) == 3

    # Edit everything a version could borrow from: names, the draft, the block, a presenter's title.
    cirebon_org = organization("Kota Cirebon")
    cirebon_org.name = "Pemerintah Kota Cirebon"
    blocks["ballroom"].title = "Sesi Pagi (diubah)"
    regions["siak"].person_name = "H. Alfedri"
    db.session.commit()
    place(event, regions["cirebon"], blocks["ruang_b"], "11:05")
    second = publish(event, user)

    assert second.number == 2
    assert version_rows(first.id) == rows_before
    page_after = re.findall(r'<tr data-testid="expose-slot">.*?</tr>', text(web.get(f"/e/{event.slug}/expose/v/1")), re.S)
    assert page_after == page_before
    assert "Pemerintah Kota Cirebon" in text(web.get(f"/e/{event.slug}/expose/v/2"))

    # The ORM refuses to change or delete a published row.
    row = fresh().scalars(select(VersionSlot).where(VersionSlot.version_id == first.id)).first()
    row.starts_at = wib("13:00")
    with pytest.raises(PublishedVersionChanged):
        db.session.flush()
    db.session.rollback()
    db.session.delete(fresh().get(ScheduleVersion, first.id))
    with pytest.raises(PublishedVersionChanged):
        db.session.flush()
    db.session.rollback()
    assert version_rows(first.id) == rows_before


def test_no_route_edits_a_published_version(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("exposes_manage_views.") and r.methods & {"POST", "PUT", "PATCH", "DELETE"}]
    assert rules  # the draft's editing routes exist …
    assert not [r.rule for r in rules if "number" in r.arguments or "version" in r.rule]  # … none takes a version


# Changes and mail --------------------------------------------------------------------------------


def test_versions_list_their_changes_in_the_event_zone(app, night, web):
    user, event, blocks, regions = night
    publish(event, user)
    place(event, regions["cirebon"], blocks["ruang_b"], "11:05")
    place(event, regions["makassar"], blocks["ballroom"], "11:30")
    services.unschedule(db.session, event, regions["siak"])
    db.session.commit()
    publish(event, user, "Kota Cirebon pindah ruang")
    sign_in(web, user)
    page = text(web.get(f"/manage/{event.slug}/expose/versions"))
    changes = [c.strip() for c in re.findall(r'data-testid="change">(.*?)</li>', page, re.S)]
    day = format_date(wib("10:00").date(), "long", locale="id")
    assert changes[:3] == [
        "Kota Cirebon 10:20, Ballroom → 11:05, Ruang B",
        "Kota Makassar 10:00 → 11:30, Ballroom",
        tr(app, "%(name)s removed (was %(when)s, %(room)s)", name="Kab. Siak", when=f"{day} 10:40", room="Ballroom"),
    ]
    assert "Kota Cirebon pindah ruang" in page


def test_only_presenters_whose_slot_changed_are_emailed(app, smtp, night):
    user, event, blocks, regions = night
    publish(event, user)
    first_round = delivered(smtp, 3)
    assert recipients(first_round) == ["bupati@siakkab.go.id", "walikota@cirebonkota.go.id", "walikota@makassarkota.go.id"]
    by_to = {m["To"].addresses[0].addr_spec: m for m in first_round}
    plain, html, _attachments = parts(by_to["walikota@cirebonkota.go.id"])
    assert by_to["walikota@cirebonkota.go.id"]["Subject"] == tr(app, "Your exposé slot at %(event)s", "id", event=event.name)
    assert "10:20–10:35 WIB" in plain and "Ballroom" in plain and "10:20–10:35 WIB" in html
    assert f"{BASE_URL}/e/{event.slug}/expose/" in plain
    english, _h, _a = parts(by_to["walikota@makassarkota.go.id"])
    assert by_to["walikota@makassarkota.go.id"]["Subject"] == tr(app, "Your exposé slot at %(event)s", "en", event=event.name)
    assert "November 15, 2017" in english and "10:00–10:15 WIB" in english

    # One presenter moves: version 2 mails exactly that one, with only the change.
    place(event, regions["cirebon"], blocks["ruang_b"], "11:05")
    publish(event, user)
    everything = delivered(smtp, 4)
    assert len(everything) == 4
    mail.send_due()
    assert len(smtp.inbox.messages) == 4  # nobody else, not even later
    [change] = everything[3:]
    assert recipients([change]) == ["walikota@cirebonkota.go.id"]
    assert change["Subject"] == tr(app, "Your exposé slot at %(event)s has changed", "id", event=event.name)
    plain, html, _attachments = parts(change)
    assert "10:20–10:35 WIB → 11:05–11:20 WIB" in plain
    assert "Ballroom → Ruang B" in plain
    assert format_date(wib("10:00").date(), "full", locale="id") not in plain  # the day did not change: not mentioned
    assert "Kota Makassar" not in plain and "Kab. Siak" not in plain

    # A rename alone is no slot change: nobody is mailed.
    regions["siak"].person_name = "H. Alfedri"
    db.session.commit()
    publish(event, user)
    mail.send_due()
    assert len(smtp.inbox.messages) == 4


def test_a_presenter_dropped_from_the_schedule_is_told_once(app, smtp, night):
    user, event, _blocks, regions = night
    publish(event, user)
    delivered(smtp, 3)
    services.unschedule(db.session, event, regions["siak"])
    db.session.commit()
    publish(event, user)
    messages = delivered(smtp, 4)
    assert len(messages) == 4 and recipients(messages[3:]) == ["bupati@siakkab.go.id"]
    assert messages[3]["Subject"] == tr(app, "Your exposé slot at %(event)s is cancelled", "id", event=event.name)
