"""Name badges: ten to an A4 sheet or one a page, each with its QR code that a scanner can read."""
import pypdfium2 as pdfium
import pytest
import zxingcpp

from eventsys.core.tokens import hash_secret, new_secret
from eventsys.extensions import db
from eventsys.registration import badges, tickets
from eventsys.registration.models import DelegateCategory, Registration, RegistrationState

MM = 72 / 25.4  # PDF points per millimetre


@pytest.fixture
def delegates(app, organizer, make_organization):
    """Twelve confirmed delegates of the organizer's event in two categories, and one still pending."""
    _user, event = organizer
    heads = DelegateCategory(event_id=event.id, name="Kepala Daerah", color="#b91c1c")
    media = DelegateCategory(event_id=event.id, name="Media", color="#fde047")
    db.session.add_all([heads, media])
    region = make_organization(name="Kab. Cirebon", kind="kabupaten")
    people = []
    for i in range(13):
        registration = Registration(
            event_id=event.id,
            category_id=(heads if i % 2 else media).id,
            organization_id=region.id,
            name=f"Delegasi Nomor {i:02d}" if i != 5 else "Dr. Ir. Raden Mas Haryo Wicaksono Adiningrat, M.Sc., M.Eng.",
            position="Kepala Dinas Komunikasi dan Informatika",
            email=f"delegasi{i}@cirebonkab.go.id",
            state=RegistrationState.CONFIRMED if i < 12 else RegistrationState.PENDING,
            manage_token_hash=hash_secret(new_secret()),
        )
        db.session.add(registration)
        db.session.flush()
        if i < 12:
            tickets.issue_ticket(db.session, registration)
        people.append(registration)
    db.session.commit()
    return event, people


def page_text(page) -> str:
    return " ".join(page.get_textpage().get_text_range().split())


def qr_codes(page, scale):
    image = page.render(scale=scale).to_pil()
    return [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


def test_a4_sheets_hold_ten_badges_and_their_qr_codes_verify(app, delegates):
    event, people = delegates
    confirmed = people[:12]
    document = pdfium.PdfDocument(badges.badges_pdf(confirmed, layout="a4"))
    assert len(document) == 2
    width, height = document[0].get_size()
    assert (round(width / MM), round(height / MM)) == (210, 297)
    first_page_text = page_text(document[0])
    for registration in confirmed[:10]:
        assert registration.ticket.code in first_page_text
    assert "Delegasi Nomor 00" in first_page_text and "Kab. Cirebon" in first_page_text
    assert "Delegasi Nomor 10" in page_text(document[1])

    public = tickets.public_key_for(db.session, event)
    found = qr_codes(document[0], scale=4)
    claims = {tickets.verify_token(b.text, public, event_id=event.id).ticket_id for b in found}
    assert claims == {r.ticket.id for r in confirmed[:10]}


def test_one_badge_a_page_for_a_badge_printer(app, delegates):
    event, people = delegates
    document = pdfium.PdfDocument(badges.badges_pdf(people, layout="single"))
    assert len(document) == 13
    width, height = document[0].get_size()
    assert (round(width / MM), round(height / MM)) == (badges.BADGE_WIDTH_MM, badges.BADGE_HEIGHT_MM)
    (found,) = qr_codes(document[3], scale=6)
    claims = tickets.verify_token(found.text, tickets.public_key_for(db.session, event))
    assert claims.ticket_id == people[3].ticket.id
    # A delegate without a live ticket still gets a badge, without a QR code.
    assert qr_codes(document[12], scale=6) == []
    assert "Delegasi Nomor 12" in page_text(document[12])


def test_badges_carry_the_category_colour_band(app, delegates):
    _event, people = delegates
    document = pdfium.PdfDocument(badges.badges_pdf(people[:2], layout="single"))
    for page, colour in zip(document, ((0xFD, 0xE0, 0x47), (0xB9, 0x1C, 0x1C)), strict=True):
        image = page.render(scale=2).to_pil().convert("RGB")
        assert image.getpixel((image.width // 2, 4)) == colour


def test_an_unknown_layout_is_refused(app, delegates):
    with pytest.raises(ValueError):
        badges.badges_pdf(delegates[1], layout="letter")
