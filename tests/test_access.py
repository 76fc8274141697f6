"""Every route declares who may use it; an undeclared one fails here before it can ship."""
import pytest
from flask import Blueprint

from eventsys import create_app

# Routes anyone may open. Adding to this list is a decision: say why in the review.
PUBLIC_ENDPOINTS = {
    "static",
    "events.home",
    "events.event_page",
    "events.event_ics",
    "accounts.login",
    "accounts.accept_invitation",
    "accounts.set_language",
    # Delegates register without an account; the personal link's secret is the capability.
    "registration.register",
    "registration.organization_register",
    "registration.resend",
    "registration.my",
    "registration.change_sessions",
    "registration.cancel",
    # Certificates of attendance: the delegate's own (personal link) and the public verification page its QR opens.
    "attendance_certificate_views.my_certificate",
    "attendance_certificate_views.my_certificate_pdf",
    "attendance_certificate_views.verify",
    # The scanning page is a shell (its data needs the device's bearer token); pairing needs the secret.
    "attendance_scanner_views.scan_page",
    "attendance_scanner_views.service_worker",
    "attendance_scanner_views.pair",
    # The published exposé schedule (published events only), its versions, .ics feeds and printable rundown.
    "exposes_public_views.schedule",
    "exposes_public_views.version",
    "exposes_public_views.event_ics",
    "exposes_public_views.presenter_ics",
    "exposes_public_views.rundown_pdf",
    # The presenter portal: the magic link's secret is the capability.
    "exposes_portal_views.portal",
    "exposes_portal_views.confirm",
    "exposes_portal_views.upload_deck",
    "exposes_portal_views.presenter_deck",
    # Hall displays (now presenting / next up) of a published event, for a screen in the venue.
    "exposes_live_views.hall_rooms",
    "exposes_live_views.hall",
    "exposes_live_views.hall_data",
    # Exhibition files: approved items once the hall is open; the view checks everything else itself.
    "exhibition_file_views.media",
    "exhibition_file_views.thumb",
    "exhibition_file_views.logo",
    # The visitor hall (visibility by the exhibition's phase), view counting, votes confirmed by mail, guestbook.
    "exhibition_hall_views.hall_page",
    "exhibition_hall_views.booth_page",
    "exhibition_hall_views.stage",
    "exhibition_hall_views.media_played",
    "exhibition_hall_views.media_open",
    "exhibition_engagement_views.vote",
    "exhibition_engagement_views.confirm_vote",
    "exhibition_engagement_views.leave_message",
    # Award nights: a region's signed nomination link, the piagam verification page its QR opens,
    # the stage screen (signed screen link checked inside) and the satisfaction poll (ticket secret or code).
    "awards_nomination_views.nominate",
    "awards_public_views.results",
    "awards_public_views.region",
    "awards_show_views.piagam",
    "awards_stage_views.screen",
    "awards_stage_views.screen_data",
    "awards_poll_views.answer_by_code",
    "awards_poll_views.answer",
    "awards_poll_views.thanks",
}


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory):
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "UPLOAD_DIR": str(tmp_path_factory.mktemp("u"))})


def test_every_route_declares_access(bare_app):
    undeclared = []
    public = set()
    for rule in bare_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = bare_app.view_functions[rule.endpoint]
        access = getattr(view, "access", None)
        if access is None:
            undeclared.append(f"{rule.endpoint} {rule.rule}")
        elif access == "public":
            public.add(rule.endpoint)
    assert undeclared == []
    # Public routes must be on the list above; anything else public is a mistake.
    unexpected = {e for e in public if e not in PUBLIC_ENDPOINTS and not e.startswith(("organizations.logo", "api.", "tickets."))}
    assert unexpected == set()


def test_undeclared_route_is_refused(make_app):
    app = make_app()
    extra = Blueprint("extra", __name__)

    @extra.get("/forgotten")
    def forgotten():
        return "secret"

    app.register_blueprint(extra)
    response = app.test_client().get("/forgotten")
    assert response.status_code == 403
    assert b"secret" not in response.data


def test_protected_pages_send_anonymous_visitors_to_sign_in(client, organizer):
    _, event = organizer
    for path in ("/dashboard", f"/manage/{event.slug}/agenda/", f"/manage/{event.slug}/edit", "/manage/events/new", "/account/password"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login?next=" in response.headers["Location"]


def test_other_roles_get_403_on_organizer_pages(client, make_user, make_event, login):
    event = make_event()
    staff = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    login(staff)
    for path in (f"/manage/{event.slug}/agenda/", f"/manage/{event.slug}/edit", f"/manage/{event.slug}/team", "/manage/events/new"):
        assert client.get(path).status_code == 403, path
