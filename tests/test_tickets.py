"""Tickets: signed tokens that a decoder no one here wrote reads back from the PNG and the PDF,
refusal of every altered token, revocation on re-issue and cancellation, desk codes, and the
ticket page with its downloads."""
import base64
import http.server
import io
import re
import threading

import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from icalendar import Calendar
from PIL import Image
from qrcode.util import MODE_ALPHA_NUM, QRData
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventsys.core.rules import RuleViolation
from eventsys.core.tokens import new_secret
from eventsys.events.models import Event
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import EventKey, RegistrationState, Ticket
from eventsys.registration.tickets import InvalidTicketToken, TicketClaims
from tests.helpers import text

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def decode_qr(image: Image.Image) -> list:
    return [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_pages(body: bytes, scale: float = 3) -> list[tuple[Image.Image, str]]:
    document = pdfium.PdfDocument(body)
    pages = []
    for page in document:
        textpage = page.get_textpage()
        pages.append((page.render(scale=scale).to_pil(), textpage.get_text_range()))
    return pages


# Tokens: signed, strict, offline.


def _key_pair() -> tuple[bytes, bytes]:
    private = Ed25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def test_every_single_character_change_of_a_token_is_refused():
    # No app, no database: verification works from the public key alone.
    private, public = _key_pair()
    token = tickets.encode_token(private, TicketClaims(event_id=7, ticket_id=123456, serial=3))
    assert len(token) == 120 and set(token) <= set(B32)
    assert tickets.verify_token(token, public) == TicketClaims(7, 123456, 3)
    others = "".join(dict.fromkeys(B32 + "018=-+ :" + B32.lower()))
    refused = 0
    for position, original in enumerate(token):
        for replacement in others:
            if replacement == original:
                continue
            altered = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(InvalidTicketToken):
                tickets.verify_token(altered, public)
            refused += 1
    assert refused == 120 * (len(others) - 1)
    for altered in (token[:-1], token + "A", " " + token, token.lower(), token + "====", ""):
        with pytest.raises(InvalidTicketToken):
            tickets.verify_token(altered, public)


def test_a_token_signed_by_another_key_or_for_another_event_is_refused():
    private, public = _key_pair()
    _other_private, other_public = _key_pair()
    token = tickets.encode_token(private, TicketClaims(7, 1, 1))
    with pytest.raises(InvalidTicketToken) as refused:
        tickets.verify_token(token, other_public)
    assert refused.value.reason == "signature"
    with pytest.raises(InvalidTicketToken) as refused:
        tickets.verify_token(token, public, event_id=8)
    assert refused.value.reason == "event"
    # A forger who knows the format but not the key: a well-formed token with a made-up signature.
    forged = base64.b32encode(bytes([1, 0, 0, 0, 7, 0, 0, 0, 1, 0, 1]) + bytes(64)).decode()
    with pytest.raises(InvalidTicketToken):
        tickets.verify_token(forged, public)


def test_the_qr_is_the_symbol_qrcode_itself_makes_at_version_5_level_m():
    for _ in range(20):
        private, _public = _key_pair()
        token = tickets.encode_token(private, TicketClaims(4_000_000_000, 4_000_000_000, 65535))
        reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        reference.add_data(QRData(token, mode=MODE_ALPHA_NUM))
        reference.make()
        assert reference.version <= 7
        assert tickets.qr_matrix(token) == reference.get_matrix()


def test_text_too_long_for_a_version_7_qr_is_refused():
    assert len(tickets.qr_matrix("A" * 178)) == 45 + 8  # version 7 at M holds 178 alphanumeric characters
    with pytest.raises(tickets.QRTooLarge):
        tickets.qr_matrix("A" * 179)


def test_the_png_qr_decodes_to_a_token_that_verifies(app, organizer, make_registration):
    _user, event = organizer
    registration, _secret = make_registration(event)
    ticket = registration.ticket
    token = tickets.token_for(ticket)
    found = decode_qr(Image.open(io.BytesIO(tickets.qr_png(token))))
    assert len(found) == 1
    assert found[0].text == token
    assert int(found[0].extra["Version"]) <= 7 and found[0].ec_level == "M"
    claims = tickets.verify_token(found[0].text, tickets.public_key_for(db.session, event), event_id=event.id)
    assert claims == TicketClaims(event.id, ticket.id, 1)


def test_the_pdf_ticket_shows_the_delegate_and_its_qr_verifies(app, organizer, make_registration):
    _user, event = organizer  # 15 November 2017, 01:00–15:00 UTC, Asia/Jakarta, Hotel Santika Premiere Jakarta
    registration, _secret = make_registration(event, name="Nashrudin Azis", position="Wali Kota Cirebon", locale="en")
    body = tickets.ticket_pdf(registration)
    assert body.startswith(b"%PDF-")
    (image, page_text), = pdf_pages(body)
    for expected in ("Nashrudin Azis", "Wali Kota Cirebon", registration.organization_name, "Kepala Daerah",
                     event.name, "November 15, 2017", "08:00–22:00 WIB", "Hotel Santika Premiere Jakarta",
                     registration.ticket.code, "Name"):
        assert expected in page_text, (expected, page_text)
    found = decode_qr(image)
    assert len(found) == 1
    claims = tickets.verify_token(found[0].text, tickets.public_key_for(db.session, event))
    assert claims == TicketClaims(event.id, registration.ticket.id, registration.ticket.serial)

    registration.locale = "id"
    (_image, page_text), = pdf_pages(tickets.ticket_pdf(registration), scale=1)
    assert "15 November 2017" in page_text


def test_a_long_name_position_and_event_still_fit_one_page_with_a_readable_qr(app, organizer, make_registration):
    _user, event = organizer  # QA: realistic titles pushed the last line onto a second page
    registration, _secret = make_registration(
        event, name="Prof. Dr. Ir. H. Muhammad Ridwan Kamil Adiwijaya Kusumawardhana, S.T., M.U.D., Ph.D.",
        position="Kepala Dinas Komunikasi, Informatika, Persandian dan Statistik Kabupaten Kepulauan Siau Tagulandang Biaro",
    )
    event.name = "Ekspos Masterplan dan Malam Penghargaan Gerakan Menuju 100 Smart City 2017"
    event.venue.address = "Jl. KS Tubun No. 7 / Jl. Hayam Wuruk, Petamburan, Tanah Abang"
    pages = pdf_pages(tickets.ticket_pdf(registration))
    assert len(pages) == 1, [text[-120:] for _image, text in pages]
    (image, page_text), = pages
    assert "Muhammad Ridwan" in page_text and len(decode_qr(image)) == 1


def test_pdf_rendering_fetches_nothing_but_data_urls():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        fetcher = tickets.data_only_fetcher()
        from weasyprint import HTML

        png = tickets.data_uri("image/png", tickets.qr_png("HELLO"))
        HTML(string=f'<img src="{url}/a.png"><link rel="stylesheet" href="{url}/b.css"><img src="file:///etc/hostname">'
                    f'<img src="{png}">', url_fetcher=fetcher).write_pdf()
        assert hits == []
        assert sorted(fetcher.refused) == sorted([f"{url}/a.png", f"{url}/b.css", "file:///etc/hostname"])
    finally:
        server.shutdown()


# Keys, issuing, revoking.


def test_the_event_key_is_made_once_and_kept(app, organizer, make_event):
    _user, event = organizer
    first = tickets.public_key_for(db.session, event)
    db.session.commit()
    assert len(first) == 32
    assert tickets.public_key_for(db.session, event) == first
    assert tickets.public_key_for(db.session, make_event()) != first
    assert db.session.scalar(select(func.count()).select_from(EventKey)) == 2


def test_concurrent_first_use_keeps_one_key(app, organizer):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs concurrent transactions")
    _user, event = organizer
    event_id, engine = event.id, db.engine
    barrier = threading.Barrier(6)
    keys, errors = [], []

    def worker():
        with Session(engine) as session:
            try:
                barrier.wait()
                keys.append(tickets.public_key_for(session, session.get(Event, event_id)))
                session.commit()
            except Exception as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(keys)) == 1
    assert tickets.public_key_for(db.session, event) == keys[0]


def test_issuing_is_idempotent_and_codes_are_unique_desk_codes(app, organizer, make_registration):
    _user, event = organizer
    registrations = [make_registration(event, name=f"Delegasi {i}")[0] for i in range(25)]
    codes = [r.ticket.code for r in registrations]
    assert all(re.fullmatch(r"[ACDEFGHJKMNPQRTUVWXY34679]{3}-[ACDEFGHJKMNPQRTUVWXY34679]{3}", c) for c in codes)
    assert len(set(codes)) == 25
    again = tickets.issue_ticket(db.session, registrations[0])
    assert again.id == registrations[0].ticket.id and again.serial == 1
    assert tickets.ticket_by_code(db.session, event, codes[3].lower().replace("-", " ")).id == registrations[3].ticket.id


def test_a_desk_code_taken_in_the_event_is_drawn_again(app, organizer, make_event, make_registration):
    _user, event = organizer
    first, _ = make_registration(event)
    second, _ = make_registration(event, state=RegistrationState.PENDING)
    second.state = RegistrationState.CONFIRMED
    ticket = tickets.issue_ticket(db.session, second, codes=iter([first.ticket.code, "K7P-4QX"]))
    db.session.commit()
    assert ticket.code == "K7P-4QX"
    assert second.ticket is ticket
    # Codes are unique per event only.
    other, _ = make_registration(make_event(), state=RegistrationState.PENDING)
    other.state = RegistrationState.CONFIRMED
    assert tickets.issue_ticket(db.session, other, codes=iter(["K7P-4QX"])).code == "K7P-4QX"
    db.session.commit()


def test_only_confirmed_registrations_get_a_ticket(app, organizer, make_registration):
    _user, event = organizer
    registration, _ = make_registration(event, state=RegistrationState.PENDING)
    with pytest.raises(RuleViolation):
        tickets.issue_ticket(db.session, registration)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_reissue_revokes_the_old_token_and_the_new_one_verifies(app, organizer, make_registration):
    _user, event = organizer
    registration, _ = make_registration(event)
    public = tickets.public_key_for(db.session, event)
    ticket = registration.ticket
    old_token = tickets.token_for(ticket)
    code = ticket.code
    tickets.reissue_ticket(db.session, ticket)
    db.session.commit()
    new_token = tickets.token_for(ticket)
    assert new_token != old_token and ticket.code == code
    new = tickets.verify_token(new_token, public)
    assert new == TicketClaims(event.id, ticket.id, 2)
    old = tickets.verify_token(old_token, public)  # still signed: refusing it is the revocation list's job
    revoked = {(r["ticket_id"], r["serial"]): r["reason"] for r in tickets.revocation_list(db.session, event)}
    assert revoked == {(old.ticket_id, old.serial): "reissued"}
    assert (new.ticket_id, new.serial) not in revoked


def test_cancelling_revokes_the_ticket_and_confirming_again_renews_it(app, organizer, make_registration):
    _user, event = organizer
    registration, _ = make_registration(event)
    ticket = registration.ticket
    registration.state = RegistrationState.CANCELLED
    tickets.revoke_ticket(db.session, ticket, "Berhalangan hadir")
    tickets.revoke_ticket(db.session, ticket, "twice")  # no second entry
    db.session.commit()
    assert ticket.revoked_at is not None and tickets.live_ticket(registration) is None
    assert tickets.revocation_list(db.session, event) == [
        {"ticket_id": ticket.id, "serial": 1, "reason": "Berhalangan hadir", "revoked_at": ticket.revoked_at.isoformat()}
    ]
    registration.state = RegistrationState.CONFIRMED
    renewed = tickets.issue_ticket(db.session, registration)
    db.session.commit()
    assert renewed.id == ticket.id and renewed.serial == 2 and renewed.revoked_at is None
    assert [(r["serial"]) for r in tickets.revocation_list(db.session, event)] == [1]


# The ticket page and its downloads.


def test_the_ticket_page_shows_the_qr_code_and_downloads(app, client, organizer, make_registration):
    _user, event = organizer
    registration, secret = make_registration(event)
    code = registration.ticket.code
    response = client.get(f"/t/{secret}")
    assert response.status_code == 200
    page = text(response)
    assert code in page and "Nashrudin Azis" in page
    assert f'src="/t/{secret}/qr.svg"' in page
    for path in ("ticket.pdf", "qr.png", "event.ics"):
        assert f"/t/{secret}/{path}" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_ticket_downloads_have_their_types_and_headers(app, client, organizer, make_registration):
    _user, event = organizer
    registration, secret = make_registration(event)
    db.session.commit()
    public = tickets.public_key_for(db.session, event)

    png = client.get(f"/t/{secret}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    (found,) = decode_qr(Image.open(io.BytesIO(png.data)))
    assert tickets.verify_token(found.text, public).ticket_id == registration.ticket.id

    svg = client.get(f"/t/{secret}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["X-Content-Type-Options"] == "nosniff"
    assert svg.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"<script" not in svg.data and svg.data.startswith(b"<svg ")

    pdf = client.get(f"/t/{secret}/ticket.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="ticket-{registration.ticket.code}.pdf"'
    (image, _text), = pdf_pages(pdf.data)
    (found,) = decode_qr(image)
    assert tickets.verify_token(found.text, public).ticket_id == registration.ticket.id

    ics = client.get(f"/t/{secret}/event.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert ics.headers["Content-Disposition"].startswith("attachment")
    (entry,) = Calendar.from_ical(ics.data).walk("VEVENT")
    assert str(entry["summary"]) == event.name
    assert entry.decoded("dtstart") == event.starts_at and entry.decoded("dtend") == event.ends_at
    assert "Hotel Santika Premiere Jakarta" in str(entry["location"])
    assert registration.ticket.code in str(entry["description"])


def test_an_unknown_secret_is_not_found(app, client, organizer, make_registration):
    _user, event = organizer
    make_registration(event)
    for path in ("", "/qr.png", "/qr.svg", "/ticket.pdf", "/event.ics"):
        assert client.get(f"/t/{new_secret()}{path}").status_code == 404


def test_a_cancelled_registration_shows_its_state_and_reason_but_no_qr(app, client, organizer, make_registration):
    _user, event = organizer
    registration, secret = make_registration(event)
    registration.state = RegistrationState.CANCELLED
    registration.state_reason = "Berhalangan hadir karena rapat"
    tickets.revoke_ticket(db.session, registration.ticket, registration.state_reason)
    db.session.commit()
    response = client.get(f"/t/{secret}")
    page = text(response)
    assert response.status_code == 200
    assert 'data-state="cancelled"' in page and "Berhalangan hadir karena rapat" in page
    assert "qr.svg" not in page and registration.ticket.code not in page
    for path in ("/qr.png", "/qr.svg", "/ticket.pdf", "/event.ics"):
        assert client.get(f"/t/{secret}{path}").status_code == 404


def test_a_pending_registration_has_no_qr_yet(app, client, organizer, make_registration):
    _user, event = organizer
    _registration, secret = make_registration(event, state=RegistrationState.PENDING)
    page = text(client.get(f"/t/{secret}"))
    assert 'data-state="pending"' in page and "qr.svg" not in page
    assert client.get(f"/t/{secret}/qr.png").status_code == 404
    assert client.get(f"/t/{secret}/event.ics").status_code == 200


def test_pdf_downloads_are_rate_limited(make_app, organizer, make_registration):
    _user, event = organizer
    _registration, secret = make_registration(event)
    db.session.commit()
    limited = make_app(RATELIMIT_ENABLED=True, TICKET_PDF_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    assert [client.get(f"/t/{secret}/ticket.pdf").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(f"/t/{secret}").status_code == 200
