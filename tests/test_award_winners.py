"""Winners: defaults from the ranking, the tie-break beside it, one award per region, publishing and locking, recipients, public pages."""
import io
import json

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import func, select

from eventsys.awards.models import AwardAudit, AwardProgramme, JudgingState, Score, Winner
from eventsys.extensions import db
from tests.award_helpers import make_award_night, make_category, make_juror, make_nomination, region
from tests.helpers import fresh, sign_in, text, tr


def give(juror, nomination, category, *values):
    for criterion, value in zip(category.criteria, values, strict=True):
        db.session.add(Score(juror_id=juror.id, nomination_id=nomination.id, criterion_id=criterion.id, value=value))
    db.session.commit()


@pytest.fixture
def night(make_event, make_user):
    """Judging over: two categories; Kab. Cirebon tops both rankings, Kota Surabaya is second in both.

    In Smart Governance, Kota Surabaya and Kab. Sleman tie on the total and are split by the Dampak mean."""
    event = make_award_night(make_event, state=JudgingState.JUDGING, tie_break="criterion:Dampak,first_places")
    organizer = make_user(email="panitia@kominfo.go.id", name="Panitia Kominfo", event=event, role="organizer")
    governance = make_category(event, "Smart Governance")
    society = make_category(event, "Smart Society")
    cirebon, surabaya, sleman = region("Kab. Cirebon", "Jawa Barat"), region("Kota Surabaya", "Jawa Timur"), region("Kab. Sleman", "DI Yogyakarta")
    gov = {o.name: make_nomination(governance, o) for o in (cirebon, surabaya, sleman)}
    soc = {o.name: make_nomination(society, o) for o in (cirebon, surabaya)}
    juror = make_juror(make_user, event, region("Kota Jayapura", "Papua"), categories=[governance, society])
    give(juror, gov["Kab. Cirebon"], governance, 9, 9, 9)
    give(juror, gov["Kab. Sleman"], governance, 10, 1, 10)  # total 60, Dampak 1
    give(juror, gov["Kota Surabaya"], governance, 1, 10, 7)  # total 60, Dampak 10
    give(juror, soc["Kab. Cirebon"], society, 8, 8, 8)
    give(juror, soc["Kota Surabaya"], society, 7, 7, 7)
    return {"event": event, "organizer": organizer, "governance": governance, "society": society, "gov": gov, "soc": soc,
            "cirebon": cirebon, "surabaya": surabaya}


@pytest.fixture
def panitia(night, web):
    sign_in(web, night["organizer"])
    return web


def base(night):
    return f"/manage/{night['event'].slug}/awards/results"


def winners_of(category):
    return [(w.rank, w.nomination_id) for w in fresh().scalars(select(Winner).where(Winner.category_id == category.id).order_by(Winner.rank))]


def programme(event):
    return fresh().get(AwardProgramme, event.id)


def test_closing_judging_proposes_the_top_of_each_ranking(app, night, panitia):
    assert panitia.post(f"{base(night)}/close").status_code == 302
    assert programme(night["event"]).state == JudgingState.CLOSED
    assert winners_of(night["governance"]) == [(1, night["gov"]["Kab. Cirebon"].id)]
    assert winners_of(night["society"]) == [(1, night["soc"]["Kab. Cirebon"].id)]
    assert fresh().scalar(select(Winner).where(Winner.category_id == night["society"].id)).awardee_title == "Bupati Cirebon"
    actions = [r.action for r in fresh().scalars(select(AwardAudit).order_by(AwardAudit.id))]
    assert actions == ["state", "winner", "winner"]


def test_the_ranking_shows_which_tie_break_rule_decided(app, night, panitia):
    page = text(panitia.get(f"{base(night)}/categories/{night['governance'].id}"))
    surabaya, sleman = night["gov"]["Kota Surabaya"].id, night["gov"]["Kab. Sleman"].id
    assert page.index(f'data-testid="rank-row-{surabaya}"') < page.index(f'data-testid="rank-row-{sleman}"')
    decided = page.split(f'data-testid="decided-{surabaya}">')[1].split("</td>")[0]
    rule = tr(app, "Highest mean on “%(criterion)s”", criterion="Dampak")
    assert tr(app, "tie-break: %(rule)s", rule=rule) in decided.replace("&#34;", '"').replace("&#39;", "'")
    assert 'data-testid="tie-remains-warning"' not in page


def test_one_award_per_region_blocks_publishing_and_names_the_region(app, night, panitia):
    event = night["event"]
    panitia.post(f"{base(night)}/close")
    before = fresh().scalar(select(func.count()).select_from(AwardAudit))
    response = panitia.post(f"{base(night)}/publish", follow_redirects=True)
    message = tr(app, "%(region)s wins in more than one category (%(categories)s), but each region may receive at most one award.",
                 region="Kab. Cirebon", categories="Smart Governance, Smart Society")
    assert message in text(response).replace("&#34;", '"')
    state = programme(event)
    assert state.state == JudgingState.CLOSED and state.published_at is None and state.locked_at is None
    assert fresh().scalar(select(func.count()).select_from(AwardAudit)) == before
    # Society goes to Surabaya instead: now it publishes and locks.
    response = panitia.post(f"{base(night)}/categories/{night['society'].id}", data={
        "place-1-nomination": night["soc"]["Kota Surabaya"].id, "place-1-citation": "Atas layanan PSC 119.",
        "place-1-awardee_name": "Eri Cahyadi", "place-1-awardee_title": "Wali Kota Surabaya"})
    assert response.status_code == 302
    moved = fresh().scalar(select(Winner).where(Winner.category_id == night["society"].id))
    assert (moved.awardee_title, moved.citation) == ("Wali Kota Surabaya", "Atas layanan PSC 119.")
    assert panitia.post(f"{base(night)}/publish").status_code == 302
    state = programme(event)
    assert state.state == JudgingState.LOCKED and state.published_at is not None and state.locked_at is not None
    assert fresh().scalar(select(AwardAudit).where(AwardAudit.action == "publish")) is not None


def test_a_category_without_its_winners_blocks_publishing(app, night, panitia):
    panitia.post(f"{base(night)}/close")
    panitia.post(f"{base(night)}/categories/{night['society'].id}", data={"place-1-nomination": ""})
    assert winners_of(night["society"]) == []
    page = text(panitia.post(f"{base(night)}/publish", follow_redirects=True))
    assert tr(app, "“%(category)s” has %(have)d of its %(need)d winners.", category="Smart Society", have=0, need=1) in page.replace("&#34;", '"')
    assert programme(night["event"]).state == JudgingState.CLOSED


def publish(night, panitia):
    panitia.post(f"{base(night)}/close")
    panitia.post(f"{base(night)}/categories/{night['society'].id}", data={"place-1-nomination": night["soc"]["Kota Surabaya"].id,
                                                                          "place-1-citation": "Atas layanan PSC 119."})
    panitia.post(f"{base(night)}/categories/{night['governance'].id}", data={
        "place-1-nomination": night["gov"]["Kab. Cirebon"].id, "place-1-citation": "Atas Sistem Informasi Desa.",
        "place-1-awardee_name": "H. Imron, M.Ag.", "place-1-awardee_title": "Bupati Cirebon"})
    assert panitia.post(f"{base(night)}/publish").status_code == 302
    assert programme(night["event"]).state == JudgingState.LOCKED


def test_locked_results_refuse_changes_to_winners_and_citations(app, night, panitia):
    publish(night, panitia)
    response = panitia.post(f"{base(night)}/categories/{night['governance'].id}", data={
        "place-1-nomination": night["gov"]["Kota Surabaya"].id, "place-1-citation": "Diubah."})
    assert response.status_code == 400
    assert tr(app, "The results are locked; nothing can change any more.") in text(response)
    winner = fresh().scalar(select(Winner).where(Winner.category_id == night["governance"].id))
    assert winner.nomination_id == night["gov"]["Kab. Cirebon"].id and winner.citation == "Atas Sistem Informasi Desa."


def a_pdf() -> bytes:
    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_the_recipient_is_recorded_apart_from_the_awardee_and_may_be_corrected_after_lock(app, night, panitia, make_registration):
    publish(night, panitia)
    winner = fresh().scalar(select(Winner).where(Winner.category_id == night["governance"].id))
    registration, _secret = make_registration(night["event"], name="Bambang Sutrisno", position="Kepala Diskominfo",
                                              organization=night["cirebon"])
    other, _secret = make_registration(night["event"], name="Orang Lain", organization=night["surabaya"])
    url = f"{base(night)}/winners/{winner.id}"
    form = {"recipient_name": "Bambang Sutrisno", "recipient_position": "Kepala Diskominfo Kab. Cirebon",
            "on_behalf_of": "atas nama Bupati Cirebon"}
    # A registration of another region and a mandate that is no PDF nor picture are refused; nothing changes.
    response = panitia.post(url, data={**form, "registration_id": other.id})
    assert response.status_code == 400
    response = panitia.post(url, data={**form, "registration_id": registration.id,
                                       "mandate": (io.BytesIO(b"<html>surat</html>"), "surat.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert tr(app, "The file “%(name)s” is not a PDF, JPEG or PNG file. Save it in one of these formats and send it again.",
              name="surat.pdf") in text(response).replace("&#34;", '"')
    assert fresh().get(Winner, winner.id).recipient_name == ""
    response = panitia.post(url, data={**form, "registration_id": registration.id, "mandate": (io.BytesIO(a_pdf()), "surat-kuasa.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code == 302
    stored = fresh().get(Winner, winner.id)
    assert (stored.recipient_name, stored.on_behalf_of, stored.recipient_registration_id) == (
        "Bambang Sutrisno", "atas nama Bupati Cirebon", registration.id)
    assert stored.mandate_content_type == "application/pdf"
    download = panitia.get(f"{url}/mandate")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(picture, "PNG")
    response = panitia.post(url, data={**form, "registration_id": 0, "mandate": (io.BytesIO(picture.getvalue()), "surat.png")},
                            content_type="multipart/form-data")
    assert response.status_code == 302 and fresh().get(Winner, winner.id).mandate_content_type == "image/png"
    audit = fresh().scalars(select(AwardAudit).where(AwardAudit.action == "recipient").order_by(AwardAudit.id)).all()
    assert len(audit) == 2 and json.loads(audit[0].detail)["after_lock"] is True


def test_public_results_appear_only_after_publishing(app, night, panitia, client):
    event = night["event"]
    for url in (f"/awards/{event.slug}", f"/awards/{event.slug}/regions/{night['cirebon'].id}"):
        response = client.get(url)
        assert response.status_code == 200 and 'data-testid="results-pending"' in text(response)
        assert "Kab. Cirebon" not in text(response)
    assert client.get("/awards/tidak-ada").status_code == 404
    publish(night, panitia)
    winner = fresh().scalar(select(Winner).where(Winner.category_id == night["governance"].id))
    panitia.post(f"{base(night)}/winners/{winner.id}", data={"recipient_name": "Bambang Sutrisno", "recipient_position": "Kepala Diskominfo",
                                                               "on_behalf_of": "atas nama Bupati Cirebon", "registration_id": 0})
    page = text(client.get(f"/awards/{event.slug}"))
    assert "Smart Governance" in page and "Smart Society" in page and "Kota Surabaya" in page
    assert "H. Imron, M.Ag., Bupati Cirebon" in page and "Atas Sistem Informasi Desa." in page
    assert tr(app, "received by %(person)s, %(on_behalf)s", person="Bambang Sutrisno, Kepala Diskominfo",
              on_behalf="atas nama Bupati Cirebon") in page
    mine = text(client.get(f"/awards/{event.slug}/regions/{night['cirebon'].id}"))
    assert "Smart Governance" in mine and "Kota Surabaya" not in mine and "Smart Society" not in mine


def test_the_audit_page_lists_the_changes(app, night, panitia):
    publish(night, panitia)
    page = text(panitia.get(f"{base(night)}/audit"))
    assert page.count('data-testid="audit-row"') == fresh().scalar(select(func.count()).select_from(AwardAudit)) >= 5
    assert "publish" in page and "Panitia Kominfo" in page


def test_the_pages_render_in_every_state(app, night, panitia):
    event = night["event"]
    programme_row = db.session.get(AwardProgramme, event.id)
    programme_row.normalize_scores = True
    db.session.commit()
    for step in ("judging", "close", "closed", "publish", "locked"):
        if step in ("close", "publish"):
            if step == "publish":
                panitia.post(f"{base(night)}/categories/{night['society'].id}",
                             data={"place-1-nomination": night["soc"]["Kota Surabaya"].id})
            panitia.post(f"{base(night)}/{step}")
            continue
        assert panitia.get(f"{base(night)}/").status_code == 200
        page = panitia.get(f"{base(night)}/categories/{night['governance'].id}")
        assert page.status_code == 200
        assert ('data-testid="winners-form"' in text(page)) == (step == "closed")
        assert panitia.get(f"{base(night)}/audit").status_code == 200
    assert programme(event).state == JudgingState.LOCKED
