"""A juror invited by a new address keeps the organization, province and categories entered at invite time."""
from sqlalchemy import select

from eventsys.awards.models import JudgingState, Juror, JurorInvitation
from eventsys.core.models import OutboxMessage
from eventsys.extensions import db
from tests.award_helpers import make_award_night, make_category, make_nomination, region
from tests.helpers import fresh, sign_in, text

PASSWORD = "rahasia-yang-panjang"


def test_an_invited_juror_sees_the_assigned_categories_right_after_accepting(app, web, make_event, make_user, make_app):
    event = make_award_night(make_event, state=JudgingState.JUDGING)
    organizer = make_user(email="panitia@kominfo.go.id", event=event, role="organizer")
    governance, living = make_category(event, "Smart Governance"), make_category(event, "Smart Living")
    own_province = make_nomination(governance, region("Kota Bogor", "Jawa Barat"))
    other = make_nomination(governance, region("Kab. Badung", "Bali"))
    elsewhere = make_nomination(living, region("Kota Makassar", "Sulawesi Selatan"))
    bandung = region("Kota Bandung", "Jawa Barat")
    sign_in(web, organizer)
    response = web.post(f"/manage/{event.slug}/awards/jurors", data={
        "email": "pakar.baru@itb.ac.id", "name": "Dr. Pakar Baru", "organization_id": bandung.id, "province": "",
        "category_ids": [governance.id]})
    assert response.status_code == 302, text(response)
    pending = fresh().scalar(select(JurorInvitation))
    assert (pending.organization_id, pending.province, pending.category_ids) == (bandung.id, "Jawa Barat", str(governance.id))

    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_email == "pakar.baru@itb.ac.id"))
    token = message.body_text.split("/invitation/")[1].split()[0]
    juror_web = make_app().test_client()
    accepted = juror_web.post(f"/invitation/{token}", data={"name": "Dr. Pakar Baru", "password": PASSWORD, "confirm": PASSWORD})
    assert accepted.status_code in (200, 302), text(accepted)[:2000]
    assert juror_web.post("/login", data={"email": "pakar.baru@itb.ac.id", "password": PASSWORD}).status_code == 302

    page = juror_web.get(f"/jury/{event.slug}")  # no organizer page opened in between
    body = text(page)
    assert page.status_code == 200, body[:2000]
    assert f'data-testid="jury-category-{governance.id}"' in body and f'data-testid="jury-category-{living.id}"' not in body
    assert f'data-testid="recused-{own_province.id}"' in body
    assert f'data-testid="nomination-{other.id}"' in body and f'data-testid="recused-{other.id}"' not in body
    assert f'data-testid="nomination-{elsewhere.id}"' not in body
    juror = fresh().scalar(select(Juror).where(Juror.event_id == event.id))
    assert (juror.organization_id, juror.province, [c.category_id for c in juror.categories]) == (bandung.id, "Jawa Barat", [governance.id])
    juror_web.get(f"/jury/{event.slug}")
    assert len(fresh().scalars(select(Juror)).all()) == 1  # made once


def test_the_organizer_page_makes_the_invited_juror_with_the_details_too(app, web, make_event, make_user, make_app):
    event = make_award_night(make_event)
    organizer = make_user(email="panitia@kominfo.go.id", event=event, role="organizer")
    living = make_category(event, "Smart Living")
    sign_in(web, organizer)
    web.post(f"/manage/{event.slug}/awards/jurors", data={
        "email": "pakar.bali@unud.ac.id", "name": "Dr. Pakar Bali", "organization_id": 0, "province": "Bali",
        "category_ids": [living.id]})
    message = fresh().scalar(select(OutboxMessage).where(OutboxMessage.to_email == "pakar.bali@unud.ac.id"))
    token = message.body_text.split("/invitation/")[1].split()[0]
    make_app().test_client().post(f"/invitation/{token}", data={"name": "Dr. Pakar Bali", "password": PASSWORD, "confirm": PASSWORD})
    assert web.get(f"/manage/{event.slug}/awards/jurors").status_code == 200
    juror = fresh().scalar(select(Juror).where(Juror.event_id == event.id))
    assert juror.province == "Bali" and juror.organization_id is None and [c.category_id for c in juror.categories] == [living.id]
