"""Nominations: by organizers with documents checked by content, eligibility, duplicates, accept/decline with audit,
the regions' own links and the nomination window's edges."""
import io
from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, insert, select

from eventsys.awards import nominations as noms
from eventsys.awards.models import (
    AwardAudit,
    EligibleOrganization,
    JudgingState,
    Nomination,
    NominationDocument,
    NominationSource,
    NominationState,
)
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.extensions import db
from tests.award_helpers import make_award_night, make_category, make_juror, make_nomination, programme_of, region, set_state
from tests.helpers import error_message, fresh, sign_in, text, tr


def pdf_bytes() -> bytes:
    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def night(make_event, make_user):
    event = make_award_night(make_event)
    user = make_user(email="panitia@kominfo.go.id", name="Panitia Kominfo", event=event, role="organizer")
    governance = make_category(event, "Smart Governance")
    living = make_category(event, "Smart Living")
    return user, event, governance, living


@pytest.fixture
def panitia(night, web):
    sign_in(web, night[0])
    return web


def uploads_in(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.iterdir() if p.is_file()] if root.exists() else []


def nominate(web, event, category, organization, files=(), **values):
    data = {"category_id": category.id, "organization_id": organization.id, "title": "PSC 119",
            "statement": "Layanan darurat terpadu.", **values}
    data["documents"] = [(io.BytesIO(body), name) for name, body in files]
    return web.post(f"/manage/{event.slug}/awards/nominations/new", data=data, content_type="multipart/form-data")


def test_an_organizer_nomination_is_accepted_with_its_documents_served_as_downloads(app, night, panitia, make_user, make_app):
    user, event, governance, living = night
    cirebon = region("Kab. Cirebon")
    response = nominate(panitia, event, governance, cirebon, files=[("profil.pdf", pdf_bytes()), ("foto.png", png_bytes())])
    assert response.status_code == 302, text(response)
    nomination = fresh().scalar(select(Nomination))
    assert (nomination.state, nomination.source, nomination.title) == (NominationState.ACCEPTED, NominationSource.ORGANIZER, "PSC 119")
    assert [(d.name, d.content_type) for d in nomination.documents] == [("profil.pdf", "application/pdf"), ("foto.png", "image/png")]
    download = panitia.get(f"/awards/{event.slug}/documents/{nomination.documents[0].id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    # a juror of the category may read it; one of another category may not
    juror = make_juror(make_user, event, categories=[governance], email="juri1@ui.ac.id")
    other = make_juror(make_user, event, categories=[living], email="juri2@ui.ac.id")
    for person, status in ((juror.user, 200), (other.user, 403)):
        client = make_app().test_client()
        sign_in(client, person)
        assert client.get(f"/awards/{event.slug}/documents/{nomination.documents[0].id}").status_code == status
    anonymous = make_app().test_client()
    assert anonymous.get(f"/awards/{event.slug}/documents/{nomination.documents[0].id}").status_code == 302


@pytest.mark.parametrize(("name", "body"), [
    ("proposal.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),  # a Windows program named .pdf
    ("foto.png", b"<!doctype html><script>alert(1)</script>"),
    ("rusak.pdf", b"%PDF-1.7\n" + b"junk" * 100),
    ("kosong.pdf", b""),
])
def test_hostile_documents_are_refused_and_nothing_is_stored(app, night, panitia, name, body):
    user, event, governance, living = night
    response = nominate(panitia, event, governance, region("Kab. Cirebon"), files=[("baik.pdf", pdf_bytes()), (name, body)])
    assert response.status_code == 400
    assert 'class="flash flash-error"' in text(response) or "field-error" in text(response)
    assert fresh().scalar(select(func.count()).select_from(Nomination)) == 0
    assert fresh().scalar(select(func.count()).select_from(NominationDocument)) == 0
    assert uploads_in(app) == []


def test_only_eligible_organizations_may_be_nominated(app, night, panitia):
    user, event, governance, living = night
    bandung, badung = region("Kota Bandung"), region("Kab. Badung", "Bali")
    db.session.add(EligibleOrganization(event_id=event.id, organization_id=bandung.id))
    db.session.commit()
    response = nominate(panitia, event, governance, badung)
    assert response.status_code == 400  # not offered in the list, refused when sent anyway
    assert "Kab. Badung" not in text(response)
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        noms.create_nomination(db.session, event, noms.NominationData(governance.id, badung.id, "", ""),
                               source=NominationSource.ORGANIZER, documents=[], saved_keys=[])
    db.session.rollback()
    assert refused.value.message == tr(app, "%(organization)s is not among the organizations eligible at this award night.",
                                       organization="Kab. Badung")
    assert fresh().scalar(select(func.count()).select_from(Nomination)) == 0
    assert nominate(panitia, event, governance, bandung).status_code == 302


def test_a_second_nomination_of_one_organization_in_a_category_is_refused(app, night, panitia):
    user, event, governance, living = night
    cirebon = region("Kab. Cirebon")
    assert nominate(panitia, event, governance, cirebon).status_code == 302
    response = nominate(panitia, event, governance, cirebon, files=[("profil.pdf", pdf_bytes())])
    assert response.status_code == 400
    assert tr(app, "%(organization)s is already nominated for “%(category)s”.", organization="Kab. Cirebon", category="Smart Governance") in text(response)
    assert fresh().scalar(select(func.count()).select_from(Nomination)) == 1
    assert uploads_in(app) == []
    assert nominate(panitia, event, living, cirebon).status_code == 302  # another category is fine


def test_a_raced_duplicate_hits_the_constraint_and_is_refused_with_the_message(app, night):
    """A simultaneous request inserts the same pair after our pre-check: the unique constraint refuses ours, politely."""
    user, event, governance, living = night
    cirebon = region("Kab. Cirebon")
    session = db.session()

    def twin_arrives(flushing, _context, _instances):
        flushing.connection().execute(insert(Nomination).values(category_id=governance.id, organization_id=cirebon.id, source="self",
                                                   state="submitted", title="", statement="", created_at=utcnow()))

    sqlalchemy_event.listen(session, "before_flush", twin_arrives, once=True)
    data = noms.NominationData(governance.id, cirebon.id, "PSC 119", "")
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        noms.create_nomination(session, event, data, source=NominationSource.ORGANIZER, documents=[], saved_keys=[])
    assert refused.value.message == tr(app, "%(organization)s is already nominated for “%(category)s”.",
                                       organization="Kab. Cirebon", category="Smart Governance")
    db.session.rollback()
    assert fresh().scalar(select(func.count()).select_from(Nomination)) == 0


def test_accept_decline_withdraw_are_audited_and_only_during_setup(app, night, panitia):
    user, event, governance, living = night
    nomination = make_nomination(governance, region("Kab. Cirebon"), NominationState.SUBMITTED, source=NominationSource.SELF)
    base = f"/manage/{event.slug}/awards/nominations/{nomination.id}"
    assert panitia.post(f"{base}/accept").status_code == 302
    assert fresh().get(Nomination, nomination.id).state == NominationState.ACCEPTED
    panitia.post(f"{base}/decline")
    assert fresh().get(Nomination, nomination.id).state == NominationState.DECLINED
    actions = fresh().scalars(select(AwardAudit.action).where(AwardAudit.action == "nomination_state")).all()
    assert len(actions) == 2
    panitia.post(f"{base}/accept")
    set_state(event, JudgingState.JUDGING)
    panitia.post(f"{base}/withdraw")
    assert fresh().get(Nomination, nomination.id).state == NominationState.ACCEPTED
    assert nominate(panitia, event, living, region("Kota Bandung")).status_code == 400
    assert panitia.get(f"/manage/{event.slug}/awards/nominations/{nomination.id}/unknown").status_code == 405


# The region's own link


def open_window(event, opens, closes):
    programme = programme_of(event)
    programme.nominations_open_at, programme.nominations_close_at = opens, closes
    db.session.commit()
    return programme


def test_the_window_edges_in_the_event_zone(app, night):
    user, event, governance, living = night
    opens = utcnow().replace(microsecond=0) + timedelta(days=1)
    closes = opens + timedelta(days=10)
    programme = open_window(event, opens, closes)
    with app.test_request_context():
        from eventsys.core.i18n import local_datetime

        assert noms.window_problem(programme, event, opens - timedelta(seconds=1)) == tr(
            app, "Nominations open on %(when)s.", when=local_datetime(opens, "Asia/Jakarta"))
        assert noms.window_problem(programme, event, opens) is None
        assert noms.window_problem(programme, event, closes - timedelta(seconds=1)) is None
        assert noms.window_problem(programme, event, closes) == tr(
            app, "Nominations closed on %(when)s.", when=local_datetime(closes, "Asia/Jakarta"))
        assert "WIB" in noms.window_problem(programme, event, closes)


def test_a_region_nominates_itself_through_its_link_within_the_window(app, night, panitia, make_app):
    user, event, governance, living = night
    cirebon = region("Kab. Cirebon")
    open_window(event, utcnow() - timedelta(days=1), utcnow() + timedelta(days=1))
    with app.test_request_context():
        token = noms.nomination_token(event, cirebon)
    assert token in text(panitia.get(f"/manage/{event.slug}/awards/links"))
    visitor = make_app().test_client()
    page = visitor.get(f"/nominate/{event.slug}/{token}")
    assert page.status_code == 200 and "Kab. Cirebon" in text(page)
    response = visitor.post(f"/nominate/{event.slug}/{token}", content_type="multipart/form-data", data={
        "category_ids": [governance.id, living.id], "title": "Cirebon Smart Service", "statement": "Layanan publik terpadu.",
        "documents": [(io.BytesIO(pdf_bytes()), "profil.pdf")]})
    assert response.status_code == 302, text(response)
    made = fresh().scalars(select(Nomination).order_by(Nomination.category_id)).all()
    assert [(n.category_id, n.source, n.state) for n in made] == [
        (governance.id, NominationSource.SELF, NominationState.SUBMITTED), (living.id, NominationSource.SELF, NominationState.SUBMITTED)]
    assert all(len(n.documents) == 1 for n in made)
    # nominating again in a taken category is not offered, and refused when sent anyway
    again = visitor.post(f"/nominate/{event.slug}/{token}", data={"category_ids": [governance.id], "statement": "x"})
    assert again.status_code == 400
    assert fresh().scalar(select(func.count()).select_from(Nomination)) == 2


def test_outside_the_window_the_page_says_when_and_refuses(app, night, make_app):
    user, event, governance, living = night
    cirebon = region("Kab. Cirebon")
    opens = utcnow() + timedelta(days=2)
    open_window(event, opens, opens + timedelta(days=5))
    with app.test_request_context():
        token = noms.nomination_token(event, cirebon)
        from eventsys.core.i18n import local_datetime

        when = local_datetime(opens, "Asia/Jakarta")
    visitor = make_app().test_client()
    page = visitor.get(f"/nominate/{event.slug}/{token}")
    assert tr(app, "Nominations open on %(when)s.", when=when) in text(page)
    assert "WIB" in when
    response = visitor.post(f"/nominate/{event.slug}/{token}", data={"category_ids": [governance.id], "statement": "x"})
    assert response.status_code == 403
    assert fresh().scalar(select(func.count()).select_from(Nomination)) == 0


def test_links_of_another_event_altered_or_ineligible_are_refused(app, night, make_event, make_app):
    user, event, governance, living = night
    other = make_award_night(make_event, "Malam Penganugerahan 2022")
    cirebon, badung = region("Kab. Cirebon"), region("Kab. Badung", "Bali")
    open_window(event, utcnow() - timedelta(days=1), utcnow() + timedelta(days=1))
    db.session.add(EligibleOrganization(event_id=event.id, organization_id=cirebon.id))
    db.session.commit()
    with app.test_request_context():
        foreign = noms.nomination_token(other, cirebon)
        ineligible = noms.nomination_token(event, badung)
        good = noms.nomination_token(event, cirebon)
    visitor = make_app().test_client()
    cases = [
        (foreign, "This nomination link belongs to another event. Open the link exactly as it was sent to you."),
        (ineligible, "Your organization cannot be nominated at this award night. Ask the organizer."),
        (("B" if good[0] != "B" else "C") + good[1:],  # the first character: a base64 string's last may carry only padding bits
         "This nomination link is not valid: it is incomplete or was altered. Copy the whole link, or ask the organizer for it again."),
    ]
    for token, message in cases:
        response = visitor.post(f"/nominate/{event.slug}/{token}", data={"category_ids": [governance.id], "statement": "x"})
        assert response.status_code == 400
        assert error_message(response) == tr(app, message)
    assert fresh().scalar(select(func.count()).select_from(Nomination)) == 0
