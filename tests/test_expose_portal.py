"""The presenter portal: magic links, confirming the published slot, deck uploads checked by content, the organizer's overview."""
import io
import re
import zipfile
from datetime import timedelta
from html import unescape
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from eventsys.core.db import utcnow
from eventsys.events.models import SessionType
from eventsys.exposes import portal, publishing, services
from eventsys.exposes.models import BlockPanel, ExposeProgramme, Presenter, ScheduleVersion, VersionSlot
from eventsys.extensions import db
from tests.conftest import utc
from tests.helpers import fresh, sign_in, text, tr

PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
PPTM_MAIN = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"


# Builders shared with tests/test_expose_live.py


def expose_block(make_session, event, room, title, start, end):
    return make_session(event, title=title, starts_at=start, ends_at=end, room=room, session_type=SessionType.EXPOSE_BLOCK)


def add_presenter(event, organization, person_name="", person_title="", **values) -> Presenter:
    presenter = Presenter(event_id=event.id, organization_id=organization.id, person_name=person_name, person_title=person_title,
                          **values)
    db.session.add(presenter)
    db.session.commit()
    return presenter


def publish_version(event, placements, published_at=None) -> ScheduleVersion:
    """A published version as publishing.publish stores it: snapshots of (presenter, block, start, minutes)."""
    number = (db.session.scalar(select(func.max(ScheduleVersion.number)).where(ScheduleVersion.event_id == event.id)) or 0) + 1
    version = ScheduleVersion(event_id=event.id, number=number, published_at=published_at or utcnow())
    version.slots = [
        VersionSlot(presenter_id=p.id, organization_name=p.organization.name, person_name=p.person_name, person_title=p.person_title,
                    block_id=block.id, block_title=block.title, room_name=block.room.name if block.room else "",
                    starts_at=start, ends_at=start + timedelta(minutes=minutes))
        for p, block, start, minutes in placements
    ]
    db.session.add(version)
    db.session.commit()
    return version


def pdf_bytes() -> bytes:
    document = pdfium.PdfDocument.new()
    document.new_page(842, 595)
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


def pptx_bytes(main=PPTX_MAIN, vba=False) -> bytes:
    """The smallest OOXML package PowerPoint calls a presentation: content types, relationships, ppt/presentation.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/ppt/presentation.xml" ContentType="{main}"/></Types>'))
        package.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
            ' Target="ppt/presentation.xml"/></Relationships>'))
        package.writestr("ppt/presentation.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'))
        if vba:
            package.writestr("ppt/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 60)
    return out.getvalue()


@pytest.fixture
def night(organizer, make_session, make_organization):
    """(organizer, event, Kota Cirebon's presenter, block I in the Ballroom, block II in Ruang B); version 1 published."""
    user, event = organizer
    ballroom, ruang_b = sorted(event.venue.rooms, key=lambda r: r.name)
    block_1 = expose_block(make_session, event, ballroom, "Ekspos Masterplan Blok I", utc(2017, 11, 15, 7, 0), utc(2017, 11, 15, 8, 30))
    block_2 = expose_block(make_session, event, ruang_b, "Ekspos Masterplan Blok II", utc(2017, 11, 15, 7, 0), utc(2017, 11, 15, 8, 30))
    db.session.add(BlockPanel(session_id=block_1.id, moderator="Perwakilan Direktorat LAIP", members="Tim Pakar Smart City\nPerwakilan Bappenas"))
    db.session.commit()
    cirebon = add_presenter(event, make_organization(name="Kota Cirebon"), "Drs. Nasrudin Azis, SH", "Wali Kota Cirebon",
                            email="walikota@cirebonkota.go.id")
    publish_version(event, [(cirebon, block_1, utc(2017, 11, 15, 7, 15), 15)])
    return user, event, cirebon, block_1, block_2


def make_link(presenter) -> str:
    url = portal.new_portal_link(db.session, presenter)
    db.session.commit()
    return url[url.index("/presenter/"):]


def uploads(app) -> list[str]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) if root.exists() else []


def send_deck(client, link, data, name):
    return client.post(link + "/deck", data={"deck": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def deck_error(response) -> str:
    found = re.findall(r'<small class="field-error" id="deck-help">(.*?)</small>', text(response), re.S)
    assert found, text(response)[:3000]
    return unescape(found[0])


# Links


def test_the_organizer_makes_a_link_that_opens_the_portal_with_the_slot_in_the_events_zone(client, night):
    user, event, cirebon, *_ = night
    sign_in(client, user)
    response = client.post(f"/manage/{event.slug}/expose/presenters/{cirebon.id}/portal-link")
    assert response.status_code == 200
    link = unescape(re.search(r'data-testid="new-link">.*?value="([^"]+)"', text(response), re.S).group(1))
    assert link.startswith("http://127.0.0.1:5000/presenter/")
    secret = link.rsplit("/", 1)[1]
    assert fresh().get(Presenter, cirebon.id).portal_token_hash == portal.hash_secret(secret)
    assert secret not in (fresh().get(Presenter, cirebon.id).portal_token_hash or "")
    client.post("/logout")
    page = client.get(f"/presenter/{secret}")
    assert page.status_code == 200
    body = unescape(text(page))
    assert "Kota Cirebon" in body and "Drs. Nasrudin Azis, SH" in body and "Wali Kota Cirebon" in body
    assert "14:15–14:30 WIB" in body  # 07:15 UTC in Asia/Jakarta
    assert "Ballroom" in body and "Ekspos Masterplan Blok I" in body
    assert "Perwakilan Direktorat LAIP" in body and "Tim Pakar Smart City" in body
    assert page.headers["Cache-Control"] == "no-store"


def test_a_replaced_link_stops_working_and_an_unknown_one_is_a_404_that_says_why(app, client, night):
    _user, _event, cirebon, *_ = night
    old = make_link(cirebon)
    assert client.get(old).status_code == 200
    new = make_link(cirebon)
    assert client.get(new).status_code == 200
    refused = client.get(old)
    assert refused.status_code == 404
    assert tr(app, "This presenter link is not valid. It may have been replaced by a newer one: ask the organizer for the current link.") \
        in unescape(text(refused))
    assert client.get("/presenter/not-a-real-secret-at-all-000000").status_code == 404
    assert client.post(old + "/confirm", data={"version": "1"}).status_code == 404
    assert send_deck(client, old, pdf_bytes(), "deck.pdf").status_code == 404
    assert uploads(app) == []


def test_a_presenter_without_a_published_slot_is_told_so_and_cannot_confirm(app, client, night, make_organization):
    _user, event, *_ = night
    bojonegoro = add_presenter(event, make_organization(name="Kab. Bojonegoro"), "Drs. H. Suyoto, M.Si", "Bupati Bojonegoro")
    link = make_link(bojonegoro)
    assert 'data-testid="no-slot"' in text(client.get(link))
    refused = client.post(link + "/confirm", data={"version": "1"})
    assert tr(app, "There is no published slot to confirm yet. You will get an email when the schedule is published.") in unescape(text(refused))
    assert fresh().get(Presenter, bojonegoro.id).confirmed_version is None


# Confirmation


def confirmation_status(response) -> str:
    return re.search(r'data-testid="confirmation" data-status="(\w+)"', text(response)).group(1)


def test_confirming_records_the_version_and_survives_a_version_that_leaves_the_slot(client, night, make_organization):
    _user, event, cirebon, block_1, _block_2 = night
    link = make_link(cirebon)
    assert confirmation_status(client.get(link)) == "open"
    response = client.post(link + "/confirm", data={"version": "1"})
    assert response.status_code == 302
    stored = fresh().get(Presenter, cirebon.id)
    assert stored.confirmed_version == 1 and stored.confirmed_at is not None
    assert confirmation_status(client.get(link)) == "confirmed"
    # Version 2 adds someone else and leaves Cirebon where it was: the confirmation still counts.
    other = add_presenter(event, make_organization(name="Kab. Bojonegoro"))
    publish_version(event, [(cirebon, block_1, utc(2017, 11, 15, 7, 15), 15), (other, block_1, utc(2017, 11, 15, 7, 30), 15)])
    assert confirmation_status(client.get(link)) == "confirmed"


def test_a_newer_version_that_moves_the_slot_voids_the_confirmation_and_the_page_says_so(app, client, night):
    user, event, cirebon, _block_1, block_2 = night
    link = make_link(cirebon)
    client.post(link + "/confirm", data={"version": "1"})
    publish_version(event, [(cirebon, block_2, utc(2017, 11, 15, 8, 0), 15)])
    page = client.get(link)
    assert confirmation_status(page) == "changed"
    body = unescape(text(page))
    assert "15:00–15:15 WIB" in body and "Ruang B" in body
    assert tr(app, "Your slot changed after you confirmed version %(old)d: your confirmation no longer counts. Check the new slot above and confirm it again.",
              old=1) in body
    # The organizer sees it too.
    sign_in(client, user)
    overview = client.get(f"/manage/{event.slug}/expose/portal")
    assert re.search(rf'data-presenter="{cirebon.id}">.*?data-status="changed"', text(overview), re.S)
    client.post("/logout")
    # A page left open on version 1 cannot confirm version 2 blindly.
    stale = client.post(link + "/confirm", data={"version": "1"})
    assert tr(app, "The schedule changed while this page was open (now version %(number)d). Check your slot below and confirm again.",
              number=2) in unescape(text(stale))
    assert fresh().get(Presenter, cirebon.id).confirmed_version == 1
    client.post(link + "/confirm", data={"version": "2"})
    assert confirmation_status(client.get(link)) == "confirmed"


# Decks


def test_a_good_pdf_is_stored_under_a_random_key_and_served_back_as_an_attachment(app, client, night):
    user, event, cirebon, *_ = night
    link = make_link(cirebon)
    data = pdf_bytes()
    response = send_deck(client, link, data, "Masterplan Kota Cirebon.pdf")
    assert response.status_code == 302
    stored = fresh().get(Presenter, cirebon.id)
    assert stored.deck_content_type == "application/pdf"
    assert stored.deck_size == len(data) and stored.deck_uploaded_at is not None
    assert stored.deck_name == "Masterplan Kota Cirebon.pdf"
    assert uploads(app) == [stored.deck_key] and "Cirebon" not in stored.deck_key
    for url, who in ((link + "/deck", None), (f"/manage/{event.slug}/expose/presenters/{cirebon.id}/deck", user)):
        if who:
            sign_in(client, who)
        download = client.get(url)
        assert download.status_code == 200
        assert download.data == data
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert "Masterplan Kota Cirebon.pdf" in download.headers["Content-Disposition"]
        assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_good_pptx_replaces_the_pdf_and_the_old_file_is_deleted(app, client, night):
    _user, _event, cirebon, *_ = night
    link = make_link(cirebon)
    send_deck(client, link, pdf_bytes(), "deck.pdf")
    old_key = fresh().get(Presenter, cirebon.id).deck_key
    data = pptx_bytes()
    assert send_deck(client, link, data, "paparan.pptx").status_code == 302
    stored = fresh().get(Presenter, cirebon.id)
    assert stored.deck_content_type == portal.PPTX and stored.deck_key != old_key
    assert stored.deck_name == "paparan.pptx" and stored.deck_key.endswith(".pptx")
    assert uploads(app) == [stored.deck_key]
    download = client.get(link + "/deck")
    assert download.headers["Content-Type"] == portal.PPTX and download.data == data


REFUSED = [
    ("an exe renamed deck.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 400, "deck.pdf",
     "This file is not a PDF or a PowerPoint presentation (PPTX). Save your deck in one of these formats and send it again."),
    ("an HTML page", b"<!doctype html><html><script>alert(1)</script></html>", "deck.pptx",
     "This file is not a PDF or a PowerPoint presentation (PPTX). Save your deck in one of these formats and send it again."),
    ("a macro presentation", pptx_bytes(main=PPTM_MAIN, vba=True), "deck.pptx",
     "Presentations with macros (.pptm) are not accepted. Save it as a PowerPoint presentation (.pptx) or as PDF and send it again."),
    ("a PDF header on junk", b"%PDF-1.7\n" + b"junk" * 100, "deck.pdf",
     "The PDF cannot be opened: it is damaged or protected by a password. Save it again without a password and send it."),
    ("a ZIP that is not a presentation", None, "deck.pptx",
     "This file is not a PDF or a PowerPoint presentation (PPTX). Save your deck in one of these formats and send it again."),
]


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_files_that_are_not_decks_are_refused_with_a_message_and_nothing_is_stored(app, client, night, case):
    _label, data, name, message = case
    _user, _event, cirebon, *_ = night
    link = make_link(cirebon)
    response = send_deck(client, link, data if data is not None else _plain_zip(), name)
    assert response.status_code == 400
    assert deck_error(response) == tr(app, message)
    assert uploads(app) == []
    assert fresh().get(Presenter, cirebon.id).deck_key is None


def test_an_oversize_deck_is_refused_with_the_limit(app, client, night):
    _user, event, cirebon, *_ = night
    db.session.add(ExposeProgramme(event_id=event.id, deck_max_mb=1))
    db.session.commit()
    link = make_link(cirebon)
    response = send_deck(client, link, pdf_bytes() + b"\n%" + b"x" * (1024 * 1024), "deck.pdf")
    assert response.status_code == 400
    assert deck_error(response) == tr(
        app, "The deck is larger than %(size)s. Make it smaller (e.g. compress the pictures or save it as PDF) and send it again.", size="1 MB")
    assert uploads(app) == [] and fresh().get(Presenter, cirebon.id).deck_key is None


def test_after_the_deadline_no_deck_is_taken_and_the_page_says_so(app, client, night):
    _user, event, cirebon, *_ = night
    db.session.add(ExposeProgramme(event_id=event.id, deck_deadline=utc(2017, 11, 14, 10, 0)))
    db.session.commit()
    link = make_link(cirebon)
    message = tr(app, "The deadline for decks was %(when)s. Send later changes to the organizer directly.",
                 when="14 November 2017 17:00 WIB")
    page = client.get(link)
    assert message in unescape(text(page)) and 'data-testid="deck-form"' not in text(page)
    response = send_deck(client, link, pdf_bytes(), "deck.pdf")
    assert response.status_code == 400
    assert message in unescape(text(response))
    assert uploads(app) == [] and fresh().get(Presenter, cirebon.id).deck_key is None


def test_a_deck_upload_without_the_csrf_token_is_refused(make_app, night):
    _user, _event, cirebon, *_ = night
    link = make_link(cirebon)
    guarded = make_app(WTF_CSRF_ENABLED=True)
    web = guarded.test_client()
    response = web.post(link + "/deck", data={"deck": (io.BytesIO(pdf_bytes()), "deck.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert uploads(guarded) == [] and fresh().get(Presenter, cirebon.id).deck_key is None
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(web.get(link))).group(1)
    accepted = web.post(link + "/deck", data={"deck": (io.BytesIO(pdf_bytes()), "deck.pdf"), "csrf_token": token},
                        content_type="multipart/form-data")
    assert accepted.status_code == 302


# The organizer's overview and who may see what


def test_the_overview_lists_confirmations_and_decks_with_download_links(client, night, make_organization):
    user, event, cirebon, *_ = night
    other = add_presenter(event, make_organization(name="Kab. Bojonegoro"))
    link = make_link(cirebon)
    client.post(link + "/confirm", data={"version": "1"})
    send_deck(client, link, pdf_bytes(), "deck.pdf")
    sign_in(client, user)
    page = text(client.get(f"/manage/{event.slug}/expose/portal"))
    rows = dict(re.findall(r'data-presenter="(\d+)">(.*?)</tr>', page, re.S))
    assert 'data-status="confirmed"' in rows[str(cirebon.id)]
    assert tr(client.application, "version %(number)d", number=1) in rows[str(cirebon.id)]
    assert f"/manage/{event.slug}/expose/presenters/{cirebon.id}/deck" in rows[str(cirebon.id)]
    assert 'data-status="none"' in rows[str(other.id)] and "/deck" not in rows[str(other.id)]


def test_only_organizers_see_the_overview_make_links_or_download_decks(client, night, make_user, make_event, make_organization):
    _user, event, cirebon, *_ = night
    for path in (f"/manage/{event.slug}/expose/portal", f"/manage/{event.slug}/expose/presenters/{cirebon.id}/deck"):
        assert client.get(path).status_code == 302  # to sign-in
    staff = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    sign_in(client, staff)
    assert client.get(f"/manage/{event.slug}/expose/portal").status_code == 403
    assert client.post(f"/manage/{event.slug}/expose/presenters/{cirebon.id}/portal-link").status_code == 403
    assert fresh().get(Presenter, cirebon.id).portal_token_hash is None
    # An organizer of another event cannot reach this event's presenters through their own event.
    other_event = make_event(slug="ekspos-lain")
    stranger = make_user(email="lain@kominfo.go.id", event=other_event, role="organizer")
    client.post("/logout")
    sign_in(client, stranger)
    assert client.post(f"/manage/{other_event.slug}/expose/presenters/{cirebon.id}/portal-link").status_code == 404
    assert client.get(f"/manage/{other_event.slug}/expose/presenters/{cirebon.id}/deck").status_code == 404


def test_through_the_organizers_publishing_a_moved_slot_voids_the_confirmation(client, night, make_organization):
    """The same, with the draft edited and published by eventsys.exposes.publishing (as organizers do)."""
    user, event, cirebon, block_1, block_2 = night
    bojonegoro = add_presenter(event, make_organization(name="Kab. Bojonegoro"), email="bupati@bojonegorokab.go.id")
    services.move_slot(db.session, event, cirebon, block_1.id, utc(2017, 11, 15, 7, 15))
    services.move_slot(db.session, event, bojonegoro, block_1.id, utc(2017, 11, 15, 7, 45))
    version = publishing.publish(db.session, event, user)
    db.session.commit()
    link = make_link(cirebon)
    client.post(link + "/confirm", data={"version": str(version.number)})
    assert confirmation_status(client.get(link)) == "confirmed"
    # Only Kab. Bojonegoro moves: Cirebon's confirmation still counts.
    services.move_slot(db.session, event, bojonegoro, block_2.id, utc(2017, 11, 15, 7, 0))
    publishing.publish(db.session, event, user)
    db.session.commit()
    assert confirmation_status(client.get(link)) == "confirmed"
    services.move_slot(db.session, event, cirebon, block_2.id, utc(2017, 11, 15, 7, 30))
    newest = publishing.publish(db.session, event, user)
    db.session.commit()
    page = client.get(link)
    assert confirmation_status(page) == "changed"
    assert re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"', text(page)).group(1) == str(newest.number)
