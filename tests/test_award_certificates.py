"""Piagam penghargaan: issuing once per winner, the PDF and its QR, the public page, the ZIP, access."""
import io
import re
import threading
import zipfile
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from eventsys.awards import certificates
from eventsys.awards.models import AwardAudit, JudgingState, Winner
from eventsys.core import verification
from eventsys.events.models import Event
from eventsys.extensions import db
from tests.award_show_helpers import BASE_URL, build_night, flat, lock
from tests.helpers import fresh, sign_in, text, tr
from tests.test_tickets import decode_qr, pdf_pages


@pytest.fixture
def night(make_app, make_event, make_user, make_venue):
    return build_night(make_app, make_event, make_user, make_venue)


def url(event, path="") -> str:
    return f"/manage/{event.slug}/awards/certificates{path}"


def codes(event) -> dict[int, str | None]:
    return dict(fresh().execute(select(Winner.id, Winner.certificate_code).order_by(Winner.id)).all())


def test_issuing_gives_every_winner_one_code_and_again_changes_nothing(night):
    assert night.web.post(url(night.event, "/issue")).status_code == 302
    first = codes(night.event)
    assert set(first) == {night.cirebon.id, night.bandung.id}
    assert all(re.fullmatch(f"[{verification.CODE_ALPHABET}]{{20}}", c) for c in first.values())
    assert len(set(first.values())) == 2
    assert night.web.post(url(night.event, "/issue")).status_code == 302
    assert codes(night.event) == first
    audits = fresh().scalars(select(AwardAudit).where(AwardAudit.action == "certificate")).all()
    assert len(audits) == 1


def test_no_certificate_before_the_results_are_locked(app, night):
    lock(night.event, JudgingState.CLOSED)
    response = night.web.post(url(night.event, "/issue"), follow_redirects=True)
    assert tr(app, "Certificates are issued once the results are locked. Lock the results first.") in text(response)
    assert set(codes(night.event).values()) == {None}


def test_organizers_issuing_at_once_give_each_winner_one_code(app, night):
    event_id, errors, barrier = night.event.id, [], threading.Barrier(6)

    def issue():
        with app.test_request_context(method="POST"):  # a request of its own (SQLite takes the write lock up front)
            try:
                barrier.wait()
                certificates.issue_all(db.session, db.session.get(Event, event_id))
                db.session.commit()
            except Exception as error:  # collected: the test fails with it below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    issued = codes(night.event)
    assert None not in issued.values() and len(set(issued.values())) == 2
    assert len(fresh().scalars(select(AwardAudit).where(AwardAudit.action == "certificate")).all()) == 1


def test_the_piagam_qr_opens_the_public_page_of_the_award(app, night, make_app):
    night.web.post(url(night.event, "/issue"))
    code = codes(night.event)[night.cirebon.id]
    response = night.web.get(url(night.event, f"/{night.cirebon.id}.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert "piagam-smart-governance-kab-cirebon.pdf" in response.headers["Content-Disposition"]
    [(image, page_text)] = pdf_pages(response.data)
    page_text = flat(page_text)
    # Indonesian by default; who received it on the night is named beside the awardee.
    assert tr(app, "Award Certificate", locale="id").upper() in page_text.upper()
    assert tr(app, "Government of %(name)s Regency", name="Cirebon") in page_text
    assert tr(app, "Best in %(category)s", category=tr(app, "%(dimension)s Dimension", dimension="Smart Governance")) in page_text
    assert "Drs. Bambang Sudaryanto" in page_text and "atas nama Bupati Cirebon" in page_text
    assert "Malam Penganugerahan Gerakan Menuju 100 Smart City 2021" in page_text
    assert "Johnny G. Plate" in page_text and "Menteri Komunikasi dan Informatika" in page_text
    assert "Jakarta" in page_text and tr(app, "Certificate not valid") not in page_text
    [qr] = decode_qr(image)
    assert qr.text == f"{BASE_URL}/piagam/{code}"
    visitor = make_app().test_client()
    page = visitor.get(urlsplit(qr.text).path)
    assert page.status_code == 200 and page.headers["X-Robots-Tag"] == "noindex"
    body = text(page)
    assert "Kab. Cirebon" in body and "Smart Governance" in body and "Malam Penganugerahan" in body
    assert "H. Imron, M.Ag." in body and "Drs. Bambang Sudaryanto" in body
    assert 'data-testid="piagam-rank">1<' in body
    # As printed (groups of five) and in lower case, the code still works; a made-up one does not.
    assert visitor.get("/piagam/" + verification.display_code(code).lower()).status_code == 200
    message = tr(app, "This is not a valid award certificate: no piagam has this code. Check the address, or ask the event organizer.")
    for made_up in ("ACDEFGHJKMNPQRTUVWXY", "nonsense", "<script>", "x" * 300):
        refused = visitor.get(f"/piagam/{made_up}")
        assert refused.status_code == 404 and message in text(refused) and "Kab. Cirebon" not in text(refused)


def test_the_piagam_comes_in_english_when_asked(app, night):
    night.web.post(url(night.event, "/issue"))
    response = night.web.get(url(night.event, f"/{night.bandung.id}.pdf?lang=en"))
    [(_image, page_text)] = pdf_pages(response.data)
    page_text = flat(page_text)
    assert tr(app, "is presented to", locale="en") in page_text
    assert tr(app, "Government of %(name)s City", locale="en", name="Bandung") in page_text
    assert "Smart Economy Terbaik" in page_text
    # Yana Mulyana received his own award: no "received by" line.
    assert tr(app, "received by %(person)s", locale="en", person="Yana Mulyana, Wali Kota Bandung") not in page_text


def test_a_piagam_not_yet_issued_is_not_printed(app, night):
    response = night.web.get(url(night.event, f"/{night.cirebon.id}.pdf"), follow_redirects=True)
    assert response.mimetype == "text/html"
    assert tr(app, "The certificate of this winner has not been issued yet. Issue the certificates first.") in text(response)


def test_all_certificates_come_as_a_zip_with_one_pdf_per_winner(night):
    night.web.post(url(night.event, "/issue"))
    issued = codes(night.event)
    response = night.web.get(url(night.event, "/piagam.zip"))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["piagam-smart-economy-terbaik-kota-bandung.pdf", "piagam-smart-governance-kab-cirebon.pdf"]
    [(image, page_text)] = pdf_pages(archive.read("piagam-smart-economy-terbaik-kota-bandung.pdf"))
    assert "Bandung" in page_text
    assert decode_qr(image)[0].text == f"{BASE_URL}/piagam/{issued[night.bandung.id]}"


def test_the_organizer_list_shows_each_winner_and_the_recipient(app, night):
    page = text(night.web.get(url(night.event)))
    assert "Drs. Bambang Sudaryanto" in page and "atas nama Bupati Cirebon" in page
    assert page.count(tr(app, "not issued")) == 2
    night.web.post(url(night.event, "/issue"))
    assert page.count('data-testid="piagam-pdf"') == 0
    assert text(night.web.get(url(night.event))).count('data-testid="piagam-pdf"') == 2


def test_only_organizers_manage_certificates(night, make_app, make_user, make_event):
    night.web.post(url(night.event, "/issue"))
    fresh()  # the test's snapshot predates the request's write
    staff = sign_in(make_app().test_client(), make_user(email="petugas@kominfo.go.id", event=night.event, role="checkin"))
    other = sign_in(make_app().test_client(), make_user(email="lain@kominfo.go.id", event=make_event(slug="lain"), role="organizer"))
    anonymous = make_app().test_client()
    for path in ("", "/piagam.zip", f"/{night.cirebon.id}.pdf"):
        assert staff.get(url(night.event, path)).status_code == 403, path
        assert other.get(url(night.event, path)).status_code == 403, path
        response = anonymous.get(url(night.event, path))
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert staff.post(url(night.event, "/issue")).status_code == 403
