"""Certificates of attendance: the rule (both FGD days), issuing once whatever the concurrency, the PDF whose
QR a decoder no one here wrote leads to the public verification page, the delegate's own download, the
"not valid" page for unknown and revoked codes, and who may manage them."""
import re
import threading
import uuid
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from eventsys.attendance import certificates, scanning
from eventsys.attendance.models import Certificate, CertificateRule, CheckIn
from eventsys.core import verification
from eventsys.events.models import Event
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import Registration
from tests.conftest import utc
from tests.helpers import field_errors, fresh, sign_in, text, tr
from tests.test_tickets import decode_qr, pdf_pages

BASE_URL = "https://acara.kominfo.go.id"


def url(event, path="") -> str:
    return f"/manage/{event.slug}/checkin/certificates{path}"


def admit(event, checkpoint, registration, at):
    outcome = scanning.scan_code(db.session, event, checkpoint, tickets.token_for(registration.ticket), nonce=uuid.uuid4().hex, now=at)
    assert outcome.result == "ok", outcome.message
    db.session.commit()
    return outcome.checkin


def certificate_count(event) -> int:
    return fresh().scalar(select(func.count(Certificate.id)).where(Certificate.event_id == event.id))


@pytest.fixture
def fgd(organizer, make_app, make_checkpoint, make_registration, make_organization, make_session, make_venue):
    """FGD over two days with a rule requiring both; Azis came both days, Ridwan only the first."""
    user, event = organizer
    event.name = "FGD Masterplan Smart City 2017"
    event.ends_at = utc(2017, 11, 16, 9, 0)
    db.session.commit()
    entrance = make_checkpoint(event, name="Pintu masuk")
    day1 = make_checkpoint(event, name="FGD Hari 1", session=make_session(event, title="FGD Hari 1: Tata Kelola"))
    day2 = make_checkpoint(event, name="FGD Hari 2")
    day2.position = 2
    day1.position = 1
    bandung = make_organization(name="Kota Bandung", province="Jawa Barat")
    azis, azis_secret = make_registration(event, name="Nashrudin Azis", locale="en")
    ridwan, ridwan_secret = make_registration(event, name="Ridwan Kamil", organization=bandung)
    admit(event, entrance, azis, utc(2017, 11, 15, 1, 0))
    admit(event, day1, azis, utc(2017, 11, 15, 2, 0))
    admit(event, day2, azis, utc(2017, 11, 16, 2, 0))
    admit(event, day1, ridwan, utc(2017, 11, 15, 2, 5))
    db.session.add(CertificateRule(event_id=event.id, enabled=True, checkpoints=[day1, day2], title="", signer_name="Dr. Bambang Dwi Anggono",
                                   signer_position="Direktur Layanan Aplikasi Informatika Pemerintahan"))
    db.session.commit()
    web = sign_in(make_app(PUBLIC_BASE_URL=BASE_URL).test_client(), user)
    return web, event, {"day1": day1, "day2": day2, "entrance": entrance}, {"azis": (azis, azis_secret), "ridwan": (ridwan, ridwan_secret)}


def test_both_fgd_days_are_needed_unless_the_minimum_says_otherwise(fgd):
    _web, event, checkpoints, people = fgd
    azis, ridwan = people["azis"][0], people["ridwan"][0]
    rule = db.session.get(CertificateRule, event.id)
    assert certificates.is_eligible(db.session, azis) and not certificates.is_eligible(db.session, ridwan)
    assert [r.name for r in certificates.eligible_rows(db.session, rule)] == ["Nashrudin Azis"]
    rule.minimum = 1
    db.session.commit()
    assert certificates.is_eligible(db.session, ridwan)
    assert [r.name for r in certificates.eligible_rows(db.session, rule)] == ["Nashrudin Azis", "Ridwan Kamil"]


def test_an_undone_check_in_does_not_count_towards_the_rule(fgd):
    _web, event, checkpoints, people = fgd
    azis = people["azis"][0]
    second_day = fresh().scalars(select(CheckIn).where(CheckIn.registration_id == azis.id, CheckIn.checkpoint_id == checkpoints["day2"].id)).one()
    scanning.undo_checkin(db.session, second_day, reason="salah orang")
    db.session.commit()
    assert not certificates.is_eligible(db.session, azis)
    assert certificates.eligible_count(db.session, db.session.get(CertificateRule, event.id)) == 0


def test_the_rule_is_saved_through_the_form_and_bad_values_are_explained(app, fgd):
    web, event, checkpoints, _people = fgd
    page = web.get(url(event))
    assert page.status_code == 200 and 'data-testid="eligible-count">1<' in text(page)
    too_many = web.post(url(event), data={"enabled": "y", "checkpoints": [checkpoints["day1"].id, checkpoints["day2"].id], "minimum": "3"})
    assert too_many.status_code == 400
    assert field_errors(too_many, "minimum") == [tr(app, "The minimum must be between 1 and the number of chosen checkpoints (%(num)d). Leave it empty to require all of them.", num=2)]
    huge = web.post(url(event), data={"enabled": "y", "checkpoints": [checkpoints["day1"].id], "minimum": "5000"})
    assert field_errors(huge, "minimum") == [tr(app, "Enter a number from 1 to the number of chosen checkpoints.")]  # not "from 1 up"
    nothing = web.post(url(event), data={"enabled": "y", "minimum": ""})
    assert nothing.status_code == 400
    assert tr(app, "Choose the checkpoints a delegate must attend to earn a certificate.") in text(nothing)
    assert web.post(url(event), data={"enabled": "y", "checkpoints": [checkpoints["day1"].id], "minimum": "abc"}).status_code == 400
    saved = web.post(url(event), data={"enabled": "y", "checkpoints": [checkpoints["day1"].id, checkpoints["day2"].id], "minimum": "1",
                                       "title": "Sertifikat FGD", "signer_name": "Ir. Aris", "signer_position": "Kasubdit"})
    assert saved.status_code == 302
    rule = fresh().get(CertificateRule, event.id)
    assert (rule.enabled, rule.minimum, rule.title, [c.name for c in rule.checkpoints]) == (True, 1, "Sertifikat FGD", ["FGD Hari 1", "FGD Hari 2"])
    assert 'data-testid="eligible-count">2<' in text(web.get(url(event)))


def test_another_events_checkpoint_cannot_be_required(fgd, make_event, make_checkpoint):
    web, event, checkpoints, _people = fgd
    foreign = make_checkpoint(make_event(slug="lain"), name="Pintu lain")
    assert web.post(url(event), data={"enabled": "y", "checkpoints": [foreign.id]}).status_code == 400
    assert [c.name for c in fresh().get(CertificateRule, event.id).checkpoints] == ["FGD Hari 1", "FGD Hari 2"]


def test_issuing_is_idempotent(fgd):
    web, event, _checkpoints, people = fgd
    assert web.post(url(event, "/issue")).status_code == 302
    first = fresh().scalars(select(Certificate).where(Certificate.event_id == event.id)).all()
    assert [c.registration_id for c in first] == [people["azis"][0].id]
    assert re.fullmatch(f"[{verification.CODE_ALPHABET}]{{20}}", first[0].code)
    web.post(url(event, "/issue"))
    again = fresh().scalars(select(Certificate).where(Certificate.event_id == event.id)).all()
    assert [(c.id, c.code) for c in again] == [(first[0].id, first[0].code)]


def test_organizers_and_the_delegate_issuing_at_once_make_one_certificate(app, fgd, make_registration):
    _web, event, checkpoints, people = fgd
    rule = db.session.get(CertificateRule, event.id)
    rule.minimum = 1
    azis_id, event_id = people["azis"][0].id, event.id
    db.session.commit()
    errors, barrier = [], threading.Barrier(8)

    def issue(by_delegate: bool):
        # Each thread is a request of its own (a POST: SQLite takes the write lock up front, as in production).
        with app.test_request_context(method="POST"):
            try:
                barrier.wait()
                if by_delegate:
                    certificates.issue_for(db.session, db.session.get(Registration, azis_id))
                else:
                    certificates.issue_all(db.session, db.session.get(Event, event_id))
                db.session.commit()
            except Exception as error:  # collected: the test fails with it below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(i % 2 == 0,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert certificate_count(event) == 2  # Azis and Ridwan, once each


def test_the_pdf_qr_opens_the_verification_page_with_the_name(fgd, make_app):
    web, event, _checkpoints, people = fgd
    web.post(url(event, "/issue"))
    certificate = fresh().scalars(select(Certificate)).one()
    response = web.get(url(event, f"/{certificate.id}.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    [(image, page_text)] = pdf_pages(response.data)
    # In the delegate's language (Azis registered in English), with the event's dates on its clock (WIB).
    assert "Nashrudin Azis" in page_text and "FGD Masterplan Smart City 2017" in page_text
    assert "Certificate of Attendance" in page_text and "This is to certify that" in page_text
    assert "FGD Hari 1: Tata Kelola" in page_text and "FGD Hari 2" in page_text and "Pintu masuk" not in page_text
    assert "Dr. Bambang Dwi Anggono" in page_text and "Direktur Layanan Aplikasi" in page_text
    assert "WIB" in page_text and "November 15, 2017" in page_text
    [code] = decode_qr(image)
    assert code.text == f"{BASE_URL}/c/{certificate.code}"
    public = make_app().test_client()
    verification = public.get(urlsplit(code.text).path)
    assert verification.status_code == 200
    page = text(verification)
    assert 'data-testid="certificate-name">Nashrudin Azis<' in page
    assert "Kota Cirebon" in page and "FGD Masterplan Smart City 2017" in page and "FGD Hari 1: Tata Kelola" in page
    assert verification.headers["X-Robots-Tag"] == "noindex"


def test_the_certificate_speaks_indonesian_by_default(app, fgd):
    web, event, _checkpoints, people = fgd
    rule = db.session.get(CertificateRule, event.id)
    rule.minimum = 1
    db.session.commit()
    web.post(url(event, "/issue"))
    ridwan = fresh().scalars(select(Certificate).where(Certificate.registration_id == people["ridwan"][0].id)).one()
    [(_image, page_text)] = pdf_pages(web.get(url(event, f"/{ridwan.id}.pdf")).data)
    assert tr(app, "Certificate of Attendance", locale="id") in page_text
    assert tr(app, "This is to certify that", locale="id") in page_text
    assert "Ridwan Kamil" in page_text and "Kota Bandung" in page_text


def test_all_certificates_come_as_one_pdf_with_a_page_each(fgd):
    web, event, _checkpoints, people = fgd
    rule = db.session.get(CertificateRule, event.id)
    rule.minimum = 1
    db.session.commit()
    web.post(url(event, "/issue"))
    codes = dict(fresh().execute(select(Certificate.registration_id, Certificate.code)).all())
    response = web.get(url(event, "/all.pdf"))
    assert response.status_code == 200
    pages = pdf_pages(response.data, scale=2)
    assert [("Nashrudin Azis" in t, "Ridwan Kamil" in t) for _i, t in pages] == [(True, False), (False, True)]
    assert [decode_qr(image)[0].text for image, _t in pages] == [
        f"{BASE_URL}/c/{codes[people['azis'][0].id]}", f"{BASE_URL}/c/{codes[people['ridwan'][0].id]}",
    ]


def test_unknown_malformed_and_revoked_codes_are_not_valid(app, fgd, make_app):
    web, event, _checkpoints, _people = fgd
    web.post(url(event, "/issue"))
    certificate = fresh().scalars(select(Certificate)).one()
    public = make_app().test_client()
    message = tr(app, "No valid certificate has this code. It may be mistyped, or the certificate was revoked by the organizer. Check the address, or ask the event organizer.")
    for code in ("ACDEFGHJKMNPQRTUVWXY", "nonsense", "x" * 300, "<script>"):
        response = public.get(f"/c/{code}")
        assert response.status_code == 404, code
        assert message in text(response) and "Nashrudin Azis" not in text(response)
    # As printed (groups of five) and in lower case, the code still works.
    assert public.get("/c/" + verification.display_code(certificate.code).lower()).status_code == 200
    assert web.post(url(event, f"/{certificate.id}/revoke"), data={"confirm": "y"}).status_code == 302
    revoked = public.get(f"/c/{certificate.code}")
    assert revoked.status_code == 404 and message in text(revoked)
    assert web.get(url(event, f"/{certificate.id}.pdf")).status_code == 404
    web.post(url(event, f"/{certificate.id}/restore"))
    assert public.get(f"/c/{certificate.code}").status_code == 200


def test_the_delegate_downloads_their_own_certificate_when_eligible(fgd, make_app):
    _web, event, _checkpoints, people = fgd
    delegate = make_app(PUBLIC_BASE_URL=BASE_URL).test_client()
    azis, secret = people["azis"]
    page = text(delegate.get(f"/my/{secret}"))
    assert 'data-testid="certificate-form"' in page
    response = delegate.post(f"/my/{secret}/certificate")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/my/{secret}/certificate.pdf")
    pdf = delegate.get(f"/my/{secret}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    [(image, page_text)] = pdf_pages(pdf.data)
    assert "Nashrudin Azis" in page_text
    assert decode_qr(image)[0].text.startswith(f"{BASE_URL}/c/")
    assert 'data-testid="certificate-link"' in text(delegate.get(f"/my/{secret}"))
    assert certificate_count(event) == 1
    delegate.post(f"/my/{secret}/certificate")
    assert certificate_count(event) == 1


def test_a_delegate_who_did_not_meet_the_rule_gets_no_certificate(app, fgd, make_app):
    _web, event, _checkpoints, people = fgd
    delegate = make_app().test_client()
    _ridwan, secret = people["ridwan"]
    assert "certificate-form" not in text(delegate.get(f"/my/{secret}"))
    refused = delegate.post(f"/my/{secret}/certificate", follow_redirects=True)
    assert tr(app, "No certificate of attendance is available for this registration.") in text(refused)
    assert delegate.get(f"/my/{secret}/certificate.pdf").status_code == 404
    assert delegate.get("/my/not-a-secret/certificate.pdf").status_code == 404
    assert certificate_count(event) == 0


def test_nobody_gets_a_certificate_while_the_rule_is_off(fgd, make_app):
    web, event, _checkpoints, people = fgd
    db.session.get(CertificateRule, event.id).enabled = False
    db.session.commit()
    _azis, secret = people["azis"]
    assert "certificate-form" not in text(make_app().test_client().get(f"/my/{secret}"))
    web.post(url(event, "/issue"))
    assert certificate_count(event) == 0


def test_only_organizers_manage_certificates(app, fgd, make_app, make_user, make_event):
    _web, event, _checkpoints, _people = fgd
    certificates.issue_all(db.session, event)
    db.session.commit()
    certificate = fresh().scalars(select(Certificate)).one()
    staff = sign_in(make_app().test_client(), make_user(email="petugas@kominfo.go.id", event=event, role="checkin"))
    other = sign_in(make_app().test_client(), make_user(email="lain@kominfo.go.id", event=make_event(slug="lain"), role="organizer"))
    anonymous = make_app().test_client()
    for path in ("", "/all.pdf", f"/{certificate.id}.pdf"):
        assert staff.get(url(event, path)).status_code == 403, path
        assert other.get(url(event, path)).status_code == 403, path
        response = anonymous.get(url(event, path))
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert staff.post(url(event, f"/{certificate.id}/revoke")).status_code == 403
    assert staff.post(url(event, "/issue")).status_code == 403
    assert fresh().get(Certificate, certificate.id).revoked_at is None


def test_the_public_page_stops_vouching_when_the_record_no_longer_meets_the_rule(app, fgd, make_app):
    """Azis's day-2 check-in is corrected after his certificate was issued: its QR page says it is under review."""
    web, event, checkpoints, _people = fgd
    web.post(url(event, "/issue"))
    certificate = fresh().scalars(select(Certificate)).one()
    public = make_app().test_client()
    valid = text(public.get(f"/c/{certificate.code}"))
    assert 'data-testid="certificate-valid"' in valid and tr(app, "This certificate is valid.") in valid
    day2 = db.session.scalars(select(CheckIn).where(CheckIn.checkpoint_id == checkpoints["day2"].id)).one()
    scanning.undo_checkin(db.session, day2, reason="salah orang")
    db.session.commit()
    corrected = public.get(f"/c/{certificate.code}")
    assert corrected.status_code == 200 and 'data-testid="certificate-under-review"' in text(corrected)
    assert tr(app, "This certificate is under review.") in text(corrected)
    assert tr(app, "This certificate is valid.") not in text(corrected)
