"""JSON API of registrations: list and read with organizer and check-in tokens, scoped to their event."""
import pytest

from eventsys import create_app
from eventsys.api import services as api_services
from eventsys.events.models import EventStatus
from eventsys.extensions import db
from eventsys.registration.models import RegistrationState
from tests.conftest import utc
from tests.helpers import recorded_statements, selects
from tests.test_api import assert_documented
from tests.test_registration_admin import give_ticket, make_category, make_option, make_registration, open_registration

LIST = "/events/{slug}/registrations"
ONE = "/events/{slug}/registrations/{registration_id}"


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "UPLOAD_DIR": str(tmp_path_factory.mktemp("u"))})
    return app.test_client().get("/api/v1/openapi.json").json


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def token(event, role="organizer") -> str:
    _token, secret = api_services.create_token(db.session, event=event, name=f"Perangkat {role}", role=role, created_by_id=None)
    db.session.commit()
    return secret


@pytest.fixture
def delegates(organizer, make_organization, make_session):
    _user, event = organizer
    open_registration(event)
    kepala = make_category(event, "Kepala Daerah", needs_approval=True)
    media = make_category(event, "Media", color="#15803d", position=1)
    cirebon = make_organization("Kota Cirebon")
    fgd = make_option(event, make_session)
    azis = make_registration(event, kepala, "Nashrudin Azis", email="azis@cirebonkota.go.id", organization=cirebon, position="Wali Kota",
                             phone="+6281234567890", options=[fgd], created_at=utc(2017, 11, 1, 1, 0))
    azis.nip = "198501012010011001"
    db.session.commit()
    give_ticket(azis)
    danny = make_registration(event, kepala, "Danny Pomanto", state=RegistrationState.PENDING)
    rina = make_registration(event, media, "Rina Wartawati", proposed="Harian Kompas", state=RegistrationState.CANCELLED, reason="Berhalangan")
    return {"event": event, "kepala": kepala, "media": media, "cirebon": cirebon, "fgd": fgd, "azis": azis, "danny": danny, "rina": rina}


def test_organizer_token_lists_every_registration_with_contact_details(client, delegates, document):
    event = delegates["event"]
    response = client.get(f"/api/v1/events/{event.slug}/registrations", headers=bearer(token(event)))
    assert response.status_code == 200
    assert_documented(document, "get", LIST, response)
    body = response.json
    assert body["total"] == 3 and [i["name"] for i in body["items"]] == ["Nashrudin Azis", "Danny Pomanto", "Rina Wartawati"]
    azis = body["items"][0]
    assert azis["phone"] == "+6281234567890" and azis["nip"] == "198501012010011001"
    assert azis["organization"] == {"id": delegates["cirebon"].id, "name": "Kota Cirebon"}
    assert azis["category"] == {"id": delegates["kepala"].id, "name": "Kepala Daerah", "color": "#b91c1c"}
    assert azis["state"] == "confirmed" and azis["created_at"] == "2017-11-01T01:00:00Z"
    assert azis["sessions"] == [{"session_id": delegates["fgd"].session_id, "title": "FGD Hari 2", "waitlisted": False}]
    assert azis["ticket"]["code"] == "K7P-4QX" and azis["ticket"]["revoked_at"] is None
    rina = body["items"][2]
    assert rina["organization"] == {"id": None, "name": "Harian Kompas"}
    assert (rina["state"], rina["state_reason"], rina["ticket"]) == ("cancelled", "Berhalangan", None)


def test_checkin_token_reads_without_phone_and_nip(client, delegates, document):
    event, azis = delegates["event"], delegates["azis"]
    secret = token(event, "checkin")
    listed = client.get(f"/api/v1/events/{event.slug}/registrations", headers=bearer(secret))
    assert listed.status_code == 200
    assert all(i["phone"] is None and i["nip"] is None for i in listed.json["items"])
    one = client.get(f"/api/v1/events/{event.slug}/registrations/{azis.id}", headers=bearer(secret))
    assert one.status_code == 200
    assert_documented(document, "get", ONE, one)
    assert (one.json["id"], one.json["name"], one.json["email"], one.json["phone"]) == (azis.id, "Nashrudin Azis", "azis@cirebonkota.go.id", None)


def test_filters_and_pages(client, delegates, document):
    event = delegates["event"]
    headers = bearer(token(event))
    path = f"/api/v1/events/{event.slug}/registrations"

    def names(**args):
        response = client.get(path, query_string=args, headers=headers)
        assert response.status_code == 200, response.json
        return [i["name"] for i in response.json["items"]]

    assert names(state="pending") == ["Danny Pomanto"]
    assert names(category=delegates["media"].id) == ["Rina Wartawati"]
    assert names(organization=delegates["cirebon"].id) == ["Nashrudin Azis"]
    assert names(organization=0) == ["Danny Pomanto", "Rina Wartawati"]
    assert names(category=delegates["kepala"].id, state="confirmed") == ["Nashrudin Azis"]
    second = client.get(path, query_string={"per_page": 2, "page": 2}, headers=headers).json
    assert (second["page"], second["per_page"], second["total"], [i["name"] for i in second["items"]]) == (2, 2, 3, ["Rina Wartawati"])
    for bad in ({"state": "approved"}, {"category": "abc"}, {"organization": "-1"}, {"per_page": "1000"}):
        refused = client.get(path, query_string=bad, headers=headers)
        assert refused.status_code == 400 and refused.json["error"]["code"] == "bad_request", bad
        assert_documented(document, "get", LIST, refused)


def test_tokens_are_scoped_to_their_event_and_role(client, delegates, make_event, document):
    event, azis = delegates["event"], delegates["azis"]
    paths = {LIST: f"/api/v1/events/{event.slug}/registrations", ONE: f"/api/v1/events/{event.slug}/registrations/{azis.id}"}
    other = make_event(name="Malam Penganugerahan")
    for template, path in paths.items():
        anonymous = client.get(path)
        assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
        assert_documented(document, "get", template, anonymous)
        bad = client.get(path, headers=bearer("evs_" + "A" * 43))
        assert bad.status_code == 401 and bad.json["error"]["code"] == "invalid_token"
        foreign = client.get(path, headers=bearer(token(other)))
        assert foreign.status_code == 403 and foreign.json["error"]["code"] == "forbidden"
        assert_documented(document, "get", template, foreign)
        juror = client.get(path, headers=bearer(token(event, "juror")))
        assert juror.status_code == 403
        assert_documented(document, "get", template, juror)


def test_unknown_event_or_registration_of_another_event_is_404(client, delegates, make_event, document):
    event = delegates["event"]
    other = make_event(name="Bimtek Masterplan")
    stranger = make_registration(other, make_category(other), "Orang Lain")
    headers = bearer(token(event))
    for path, template in (
        (f"/api/v1/events/{event.slug}/registrations/{stranger.id}", ONE),
        (f"/api/v1/events/{event.slug}/registrations/999999", ONE),
        ("/api/v1/events/tidak-ada/registrations", LIST),
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found", path
        assert_documented(document, "get", template, response)


def test_draft_event_is_readable_with_its_own_token(client, make_event):
    draft = make_event(name="Ekspos belum terbit", status=EventStatus.DRAFT)
    make_registration(draft, make_category(draft), "Peserta Awal")
    response = client.get(f"/api/v1/events/{draft.slug}/registrations", headers=bearer(token(draft)))
    assert response.status_code == 200 and response.json["total"] == 1


def test_list_query_count_does_not_grow_with_rows(client, delegates, make_organization):
    event = delegates["event"]
    headers = bearer(token(event))

    def page_selects() -> int:
        db.session.expire_all()
        with recorded_statements() as statements:
            assert client.get(f"/api/v1/events/{event.slug}/registrations", headers=headers).status_code == 200
        return selects(statements)

    page_selects()  # the token's first use is noted (a write and a re-read); later requests within a minute are not
    few = page_selects()
    for i in range(20):
        reg = make_registration(event, delegates["media"], f"Peserta {i}", organization=make_organization(f"Kab. Contoh {i}"),
                                options=[delegates["fgd"]])
        give_ticket(reg, code=f"A{i:02d}-{i:03d}")
    assert page_selects() == few


def test_registration_routes_are_in_the_openapi_document(document):
    assert {"get"} == set(document["paths"][LIST]) == set(document["paths"][ONE])
    assert "Registration" in document["components"]["schemas"]
    names = {p.get("name") for p in document["paths"][LIST]["get"]["parameters"]}
    assert {"slug", "state", "category", "organization"} <= names
