"""Accounts: sign-in, sign-out, passwords, rate limits, CSRF, invitations to an event's team.

Requests go through `web`: a client of its own app instance, so each request gets a fresh app
context as in production. (The `client` fixture shares the test's app context, so Flask-Login's
signed-in user and Flask-Babel's locale would stay cached in `g` from one request to the next.)
Messages are compared with what Flask-Babel makes of their msgid in the page's locale, so these
tests hold once the Indonesian catalog exists.
"""
import re
from datetime import timedelta
from html import unescape

import pytest
from flask_babel import force_locale, format_timedelta
from sqlalchemy import func, select

from eventsys.accounts import services as accounts
from eventsys.accounts.models import EventRole, EventRoleName, Invitation, User
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.core.tokens import hash_secret
from eventsys.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import csrf_token_of, error_message, field_errors, fresh, text, tr, trn

NEW_PASSWORD = "kata-sandi-baru-2017"


# Helpers ----------------------------------------------------------------------------------------














def count(model) -> int:
    return fresh().scalar(select(func.count()).select_from(model))


def sign_in(web, user_or_email, password=PASSWORD, **extra):
    email = getattr(user_or_email, "email", user_or_email)
    return web.post("/login", data={"email": email, "password": password, **extra})


def is_signed_in(web) -> bool:
    response = web.get("/dashboard")
    return response.status_code == 200


# Sign-in ----------------------------------------------------------------------------------------


def test_sign_in_with_the_right_password_opens_the_dashboard(web, make_user):
    user = make_user(email="kadis@cirebonkota.go.id", name="Kadis Kominfo Kota Cirebon")
    response = sign_in(web, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    dashboard = web.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Kadis Kominfo Kota Cirebon" in text(dashboard)


def test_email_is_matched_whatever_its_case(web, make_user):
    make_user(email="kadis@cirebonkota.go.id")
    assert sign_in(web, "Kadis@CirebonKota.go.id").status_code == 302
    assert is_signed_in(web)


def test_wrong_password_and_unknown_email_get_the_same_answer(app, web, make_user):
    make_user(email="kadis@cirebonkota.go.id")
    wrong_password = sign_in(web, "kadis@cirebonkota.go.id", "bukan-kata-sandinya")
    unknown_email = sign_in(web, "siapa@cirebonkota.go.id", "bukan-kata-sandinya")

    expected = [tr(app, "Wrong email or password.")]
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert field_errors(wrong_password, "password") == expected
    assert field_errors(unknown_email, "password") == expected
    assert field_errors(wrong_password, "email") == field_errors(unknown_email, "email") == []
    # Apart from the address typed back into the form, the two pages are the same.
    assert text(wrong_password).replace("kadis@", "X@") == text(unknown_email).replace("siapa@", "X@")
    assert not is_signed_in(web)


def test_inactive_account_is_refused_with_the_same_message(app, web, make_user):
    user = make_user(email="mantan@kominfo.go.id")
    user.is_active_account = False
    db.session.commit()
    response = sign_in(web, user)
    assert response.status_code == 200
    assert field_errors(response, "password") == [tr(app, "Wrong email or password.")]
    assert not is_signed_in(web)


def test_account_deactivated_while_signed_in_is_signed_out(web, make_user):
    user = make_user()
    sign_in(web, user)
    assert is_signed_in(web)
    fresh().get(User, user.id).is_active_account = False
    db.session.commit()
    response = web.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    "email, password, field, msgid",
    [
        ("", PASSWORD, "email", "Enter your email address."),
        ("bukan-email", PASSWORD, "email", "Enter a valid email address."),
        ("kadis@cirebonkota.go.id", "", "password", "Enter your password."),
        ("kadis@cirebonkota.go.id", "   ", "password", "Enter your password."),
    ],
)
def test_sign_in_form_says_what_is_missing(app, web, make_user, email, password, field, msgid):
    make_user(email="kadis@cirebonkota.go.id")
    response = web.post("/login", data={"email": email, "password": password})
    assert response.status_code == 200
    assert tr(app, msgid) in field_errors(response, field)
    assert not is_signed_in(web)


@pytest.mark.parametrize(
    "data",
    [
        {"email": "a" * 100_000 + "@x.id", "password": "p" * 100_000},
        {"email": "\x00\x01\x02", "password": "\x00"},
        {"email": ["a@b.id", "c@d.id"], "password": ["x", "y"]},
        {"email": "kadis@cirebonkota.go.id'; DROP TABLE users; --", "password": "' OR '1'='1"},
        {"email": "kadis@cirebonkota.go.id", "password": PASSWORD, "remember": "maybe", "next": "\x00" * 10},
    ],
)
def test_sign_in_junk_never_gives_a_server_error(web, make_user, data):
    make_user(email="kadis@cirebonkota.go.id")
    response = web.post("/login", data=data)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response.headers["Location"] == "/dashboard"
    assert count(User) == 1


# The `next` target after sign-in ----------------------------------------------------------------


def test_next_local_path_is_followed_after_sign_in(web, make_user):
    user = make_user()
    page = web.get("/login?next=/manage/ekspos-1/agenda/")
    assert 'value="/manage/ekspos-1/agenda/"' in text(page)  # carried in the form's hidden field
    response = sign_in(web, user, next="/manage/ekspos-1/agenda/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/ekspos-1/agenda/"


def test_next_from_the_query_string_is_kept_when_the_form_omits_it(web, make_user):
    user = make_user()
    response = web.post("/login?next=/e/ekspos-1", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/e/ekspos-1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/login",
        "//evil.example",
        "//evil.example/dashboard",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "https:evil.example",
    ],
)
def test_next_off_this_site_is_ignored(web, make_user, target):
    user = make_user()
    response = sign_in(web, user, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_language_switch_ignores_next_off_this_site(web):
    response = web.post("/language/en", data={"next": "//evil.example"})
    assert response.headers["Location"] == "/"
    response = web.post("/language/en", data={"next": "/login"})
    assert response.headers["Location"] == "/login"


def test_unknown_language_is_404(web):
    assert web.post("/language/xx").status_code == 404
    assert web.post("/language/" + "x" * 5000).status_code == 404


def test_chosen_language_is_kept_on_the_account(web, make_user):
    user = make_user()
    sign_in(web, user)
    web.post("/language/en")
    assert fresh().get(User, user.id).locale == "en"


# Sign-out ---------------------------------------------------------------------------------------


def test_logout_is_post_only(web, make_user):
    user = make_user()
    sign_in(web, user)
    assert web.get("/logout").status_code == 405
    assert is_signed_in(web)  # a link or an <img src="/logout"> signs no one out
    response = web.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert not is_signed_in(web)


# Passwords --------------------------------------------------------------------------------------


def test_passwords_are_stored_hashed(make_user):
    user = make_user(password=PASSWORD)
    stored = fresh().get(User, user.id).password_hash
    assert stored and stored != PASSWORD and PASSWORD not in stored
    other = make_user(password=PASSWORD)
    assert fresh().get(User, other.id).password_hash != stored  # salted
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def change_password(web, current, new, confirm=None):
    return web.post(
        "/account/password", data={"current_password": current, "password": new, "confirm": new if confirm is None else confirm}
    )


def test_change_password(app, web, make_user):
    user = make_user()
    sign_in(web, user)
    assert web.get("/account/password").status_code == 200
    response = change_password(web, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    stored = fresh().get(User, user.id)
    assert stored.check_password(NEW_PASSWORD) and NEW_PASSWORD not in stored.password_hash
    web.post("/logout")
    assert sign_in(web, user, PASSWORD).status_code == 200  # the old one no longer works
    assert sign_in(web, user, NEW_PASSWORD).status_code == 302


def test_change_password_needs_the_current_one(app, web, make_user):
    user = make_user()
    sign_in(web, user)
    before = fresh().get(User, user.id).password_hash
    response = change_password(web, "bukan-kata-sandinya", NEW_PASSWORD)
    assert response.status_code == 200
    assert field_errors(response, "current_password") == [tr(app, "That is not your current password.")]
    assert fresh().get(User, user.id).password_hash == before


def test_new_password_too_short_is_refused(app, web, make_user):
    user = make_user()
    sign_in(web, user)
    before = fresh().get(User, user.id).password_hash
    response = change_password(web, PASSWORD, "pendek")
    assert response.status_code == 200
    assert field_errors(response, "password") == [tr(app, "Use at least %(num)d characters.", num=accounts.MIN_PASSWORD_LENGTH)]
    assert fresh().get(User, user.id).password_hash == before


def test_new_password_too_long_says_so(app, web, make_user):
    user = make_user()
    sign_in(web, user)
    response = change_password(web, PASSWORD, "x" * 10_000)
    assert response.status_code == 200
    assert field_errors(response, "password") == [tr(app, "Use at most %(num)d characters.", num=accounts.MAX_PASSWORD_LENGTH)]


def test_new_password_mismatch_is_refused(app, web, make_user):
    user = make_user()
    sign_in(web, user)
    before = fresh().get(User, user.id).password_hash
    response = change_password(web, PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "!")
    assert response.status_code == 200
    assert field_errors(response, "confirm") == [tr(app, "The two passwords differ.")]
    assert fresh().get(User, user.id).password_hash == before


def test_change_password_needs_sign_in(web):
    response = change_password(web, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# Rate limit and CSRF ----------------------------------------------------------------------------


def test_fourth_sign_in_attempt_in_a_minute_is_refused(make_app, make_user):
    limited = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    web = limited.test_client()
    user = make_user()
    for _ in range(3):
        assert sign_in(web, user, "salah-salah-salah").status_code == 200
    response = sign_in(web, user)  # even the right password now waits
    assert response.status_code == 429
    with limited.test_request_context(), force_locale("id"):
        wait = format_timedelta(timedelta(minutes=1), granularity="minute", threshold=1.5)
    assert error_message(response) == tr(limited, "Too many attempts in a short time. Try again in about %(wait)s.", wait=wait)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert tr(limited, "Too many attempts") in text(response)
    assert "<html" in text(response)  # a page in the visitor's language, not a bare error
    assert not is_signed_in(web)
    assert web.get("/login").status_code == 200  # only attempts are counted


def test_an_hourly_sign_in_limit_says_to_wait_an_hour_not_a_minute(make_app, make_user):
    limited = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="10 per minute;2 per hour")
    web = limited.test_client()
    user = make_user()
    for _ in range(2):
        sign_in(web, user, "salah-salah-salah")
    response = sign_in(web, user)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 3000
    with limited.test_request_context(), force_locale("id"):
        wait = format_timedelta(timedelta(hours=1), granularity="minute", threshold=1.5)
    assert error_message(response) == tr(limited, "Too many attempts in a short time. Try again in about %(wait)s.", wait=wait)


@pytest.mark.parametrize("token", [None, "forged-token", "IjEyMyI.ZZZZZZ.abcdef"])
def test_sign_in_without_a_valid_csrf_token_is_refused(make_app, make_user, token):
    guarded = make_app(WTF_CSRF_ENABLED=True)
    web = guarded.test_client()
    user = make_user()
    web.get("/login")  # the session holds a real token, the form does not send it
    data = {"email": user.email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = web.post("/login", data=data)
    assert response.status_code == 400
    assert error_message(response) == tr(
        guarded, "Your form has expired or did not come from this site. Reload the page and send it again."
    )
    assert not is_signed_in(web)


def test_sign_in_with_the_page_csrf_token_works(make_app, make_user):
    web = make_app(WTF_CSRF_ENABLED=True).test_client()
    user = make_user()
    token = csrf_token_of(web.get("/login"))
    response = web.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert is_signed_in(web)


def test_language_switch_without_csrf_token_is_refused(make_app, make_user):
    web = make_app(WTF_CSRF_ENABLED=True).test_client()
    user = make_user()
    token = csrf_token_of(web.get("/login"))
    web.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert web.post("/language/en").status_code == 400
    assert fresh().get(User, user.id).locale is None


# Invitations ------------------------------------------------------------------------------------


def invite_via_team_page(web, event, **fields):
    data = {"name": "Ir. Budi Santoso", "email": "budi@cirebonkota.go.id", "role": "checkin", "organization_id": "0"} | fields
    return web.post(f"/manage/{event.slug}/team", data=data)


def invitation_link(response) -> str:
    match = re.search(r'data-testid="invitation-link">([^<]+)<', text(response))
    assert match, text(response)[:3000]
    return unescape(match.group(1)).strip()


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_organizer_makes_an_invitation_and_sees_its_link(organizer_web):
    web, event = organizer_web
    assert web.get(f"/manage/{event.slug}/team").status_code == 200
    response = invite_via_team_page(web, event)
    assert response.status_code == 200
    link = invitation_link(response)
    assert re.fullmatch(r"http://localhost/invitation/[A-Za-z0-9_-]{40,}", link)
    secret = link.rsplit("/", 1)[1]
    invitation = fresh().scalar(select(Invitation))
    assert invitation.email == "budi@cirebonkota.go.id" and invitation.role == EventRoleName.CHECKIN
    assert invitation.event_id == event.id and invitation.accepted_at is None
    # Only the hash is stored: a copy of the database opens no account.
    assert invitation.token_hash == hash_secret(secret) and secret not in invitation.token_hash
    listing = text(web.get(f"/manage/{event.slug}/team"))
    assert "budi@cirebonkota.go.id" in listing and secret not in listing  # shown once


def test_invitation_link_creates_the_account_with_its_role(app, make_app, organizer_web):
    web, event = organizer_web
    link = path_of(invitation_link(invite_via_team_page(web, event, role="juror", email="Juri@Kominfo.go.id")))
    newcomer = make_app().test_client()
    page = newcomer.get(link)
    assert page.status_code == 200
    assert event.name in text(page)
    response = newcomer.post(link, data={"name": "Dr. Juri Pertama", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    dashboard = newcomer.get("/dashboard")
    assert dashboard.status_code == 200 and event.name in text(dashboard)

    user = fresh().scalar(select(User).where(User.email == "juri@kominfo.go.id"))
    assert user.name == "Dr. Juri Pertama"
    assert user.check_password(NEW_PASSWORD) and user.password_hash != NEW_PASSWORD
    assert [(r.event_id, r.role) for r in user.roles] == [(event.id, EventRoleName.JUROR)]
    assert fresh().scalar(select(Invitation)).accepted_at is not None

    newcomer.post("/logout")
    assert sign_in(newcomer, "juri@kominfo.go.id", NEW_PASSWORD).status_code == 302


def test_invitation_link_works_once(app, make_app, organizer_web):
    web, event = organizer_web
    link = path_of(invitation_link(invite_via_team_page(web, event)))
    first = make_app().test_client()
    assert first.post(link, data={"name": "Budi", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    second = make_app().test_client()
    for response in (
        second.get(link),
        second.post(link, data={"name": "Penyusup", "password": "kata-sandi-penyusup", "confirm": "kata-sandi-penyusup"}),
    ):
        assert response.status_code == 410
        assert error_message(response) == tr(app, "This invitation has already been used. Sign in with the password you chose.")
    user = fresh().scalar(select(User).where(User.email == "budi@cirebonkota.go.id"))
    assert user.name == "Budi" and user.check_password(NEW_PASSWORD)


def test_used_invitation_cannot_be_claimed_again_by_the_service(app, organizer):
    user, event = organizer
    invitation, _secret = accounts.invite(
        db.session, event=event, email="budi@cirebonkota.go.id", name="Budi", role=EventRoleName.CHECKIN, invited_by=user, max_age_days=7
    )
    db.session.commit()
    accounts.accept_invitation(db.session, invitation, NEW_PASSWORD, "Budi")
    db.session.commit()
    # A second request that opened the link before the first one finished still cannot use it.
    with app.test_request_context(), pytest.raises(accounts.InvitationError):
        accounts.accept_invitation(db.session, invitation, NEW_PASSWORD, "Budi lagi")
    db.session.rollback()
    assert count(User) == 2


def test_expired_invitation_is_refused_with_410(app, make_app, organizer_web):
    web, event = organizer_web
    link = path_of(invitation_link(invite_via_team_page(web, event)))
    invitation = fresh().scalar(select(Invitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    newcomer = make_app().test_client()
    expected = tr(app, "This invitation has expired. Ask the organizer to send a new one.")
    page = newcomer.get(link)
    assert page.status_code == 410 and error_message(page) == expected
    response = newcomer.post(link, data={"name": "Budi", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410 and error_message(response) == expected
    assert fresh().scalar(select(User).where(User.email == "budi@cirebonkota.go.id")) is None


@pytest.mark.parametrize("tamper", [lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"), lambda s: s[:-5], lambda s: s + "x", lambda s: "x" * 3000])
def test_tampered_invitation_link_is_refused_with_410(app, make_app, organizer_web, tamper):
    web, event = organizer_web
    link = path_of(invitation_link(invite_via_team_page(web, event)))
    base, secret = link.rsplit("/", 1)
    newcomer = make_app().test_client()
    response = newcomer.post(f"{base}/{tamper(secret)}", data={"name": "Budi", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert error_message(response) == tr(app, "This invitation link is not valid. Check that you copied the whole link.")
    assert count(User) == 1  # only the organizer


@pytest.mark.parametrize(
    "data, field, msgid, values",
    [
        ({"name": "Budi", "password": "pendek", "confirm": "pendek"}, "password", "Use at least %(num)d characters.", {"num": 10}),
        ({"name": "Budi", "password": NEW_PASSWORD, "confirm": "lain"}, "confirm", "The two passwords differ.", {}),
        ({"name": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "name", "Enter your name.", {}),
        ({"name": "B" * 5000, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "name", ("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."), {"max": 200}),
        ({"name": "Budi", "password": "p" * 300, "confirm": "p" * 300}, "password", "Use at most %(num)d characters.", {"num": 200}),
    ],
)
def test_accepting_an_invitation_checks_the_form(app, make_app, organizer_web, data, field, msgid, values):
    web, event = organizer_web
    link = path_of(invitation_link(invite_via_team_page(web, event)))
    newcomer = make_app().test_client()
    response = newcomer.post(link, data=data)
    assert response.status_code == 200
    expected = trn(app, *msgid, values["max"], **values) if isinstance(msgid, tuple) else tr(app, msgid, **values)
    assert expected in field_errors(response, field)
    assert count(User) == 1
    assert fresh().scalar(select(Invitation)).accepted_at is None


def test_invitation_never_changes_an_existing_accounts_password(app, make_app, make_user, organizer_web):
    """An organizer who invites someone else's address must not be able to set its password."""
    web, event = organizer_web
    owner = make_user(email="admin@kominfo.go.id", name="Admin Situs", is_admin=True)
    link = path_of(invitation_link(invite_via_team_page(web, event, email="admin@kominfo.go.id")))
    attacker = make_app().test_client()
    page = attacker.get(link)
    assert page.status_code == 200
    assert 'data-testid="sign-in-first"' in text(page) and 'name="password"' not in text(page)
    attacker.post(link, data={"name": "x", "password": "diambil-alih-123", "confirm": "diambil-alih-123"})
    stored = fresh().get(User, owner.id)
    assert stored.check_password(PASSWORD) and not stored.check_password("diambil-alih-123")
    assert not is_signed_in(attacker)
    assert fresh().scalar(select(Invitation)).accepted_at is None


def test_existing_account_joins_after_signing_in(app, make_app, make_user, organizer_web):
    web, event = organizer_web
    owner = make_user(email="budi@cirebonkota.go.id", name="Budi")
    link = path_of(invitation_link(invite_via_team_page(web, event, role="checkin")))
    browser = make_app().test_client()
    to_login = re.search(r'href="(/login\?next=[^"]+)"', text(browser.get(link))).group(1)
    response = browser.post(unescape(to_login), data={"email": owner.email, "password": PASSWORD})
    assert response.headers["Location"] == link
    assert 'data-testid="join-form"' in text(browser.get(link))
    assert browser.post(link).status_code == 302
    stored = fresh().get(User, owner.id)
    assert [(r.event_id, r.role) for r in stored.roles] == [(event.id, EventRoleName.CHECKIN)]
    assert stored.check_password(PASSWORD)
    assert browser.get(link).status_code == 410  # used


def test_exhibitor_invitation_needs_an_organization(app, organizer_web):
    web, event = organizer_web
    expected = tr(app, "An exhibitor account belongs to one organization: choose it.")
    response = invite_via_team_page(web, event, role="exhibitor", organization_id="0")
    assert response.status_code == 200
    assert field_errors(response, "organization_id") == [expected]
    # Leaving the field out of the request altogether is no way around it.
    response = web.post(f"/manage/{event.slug}/team", data={"name": "Budi", "email": "budi@cirebonkota.go.id", "role": "exhibitor"})
    assert response.status_code == 200
    assert field_errors(response, "organization_id") == [expected]
    assert count(Invitation) == 0


def test_exhibitor_invitation_binds_the_account_to_its_organization(app, make_app, make_organization, organizer_web):
    web, event = organizer_web
    cirebon = make_organization("Kota Cirebon")
    link = path_of(invitation_link(invite_via_team_page(web, event, role="exhibitor", organization_id=str(cirebon.id))))
    make_app().test_client().post(link, data={"name": "Budi", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    role = fresh().scalar(select(EventRole).where(EventRole.role == EventRoleName.EXHIBITOR))
    assert role.organization_id == cirebon.id and role.event_id == event.id


def test_invite_service_refuses_exhibitor_without_organization(app, organizer):
    user, event = organizer
    # Messages are translated, and the locale is chosen from the request: services run inside one.
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        accounts.invite(
            db.session, event=event, email="x@y.id", name="X", role=EventRoleName.EXHIBITOR, invited_by=user, max_age_days=7
        )
    assert refused.value.field == "organization_id"
    with app.test_request_context(), pytest.raises(RuleViolation):
        accounts.invite(
            db.session, event=event, email="x@y.id", name="X", role=EventRoleName.EXHIBITOR, invited_by=user, max_age_days=7,
            organization_id=987654,
        )
    db.session.rollback()
    assert count(Invitation) == 0


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"email": "bukan-email"}, "email"),
        ({"email": "a" * 300 + "@kominfo.go.id"}, "email"),
        ({"name": ""}, "name"),
        ({"name": "N" * 10_000}, "name"),
        ({"role": "superadmin"}, "role"),
        ({"role": "exhibitor", "organization_id": "abc"}, "organization_id"),
        ({"role": "exhibitor", "organization_id": "987654"}, "organization_id"),
        ({"organization_id": "-1"}, "organization_id"),
        ({"organization_id": "1e99"}, "organization_id"),
    ],
)
def test_team_form_junk_is_refused_with_a_message(app, organizer_web, fields, field):
    web, event = organizer_web
    response = invite_via_team_page(web, event, **fields)
    assert response.status_code == 200
    assert field_errors(response, field), text(response)[:3000]
    assert count(Invitation) == 0


def test_nul_bytes_in_names_are_dropped_not_a_server_error(make_app, organizer_web):
    """PostgreSQL refuses NUL in text; a pasted one must not turn into a 500."""
    web, event = organizer_web
    response = invite_via_team_page(web, event, name="Ir. Budi\x00 Santoso")
    assert response.status_code == 200
    link = path_of(invitation_link(response))
    assert fresh().scalar(select(Invitation)).name == "Ir. Budi Santoso"
    newcomer = make_app().test_client()
    response = newcomer.post(link, data={"name": "Budi\x00", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert fresh().scalar(select(User).where(User.email == "budi@cirebonkota.go.id")).name == "Budi"


def test_team_page_is_for_the_events_organizers_only(web, make_user, make_event, organizer):
    _organizer, event = organizer
    assert web.get(f"/manage/{event.slug}/team").headers["Location"].startswith("/login")
    other_event = make_event(slug="forum-lain")
    for outsider in (
        make_user(email="checkin@kominfo.go.id", event=event, role="checkin"),
        make_user(email="panitia-lain@kominfo.go.id", event=other_event, role="organizer"),
        make_user(email="biasa@kominfo.go.id"),
    ):
        sign_in(web, outsider)
        assert web.get(f"/manage/{event.slug}/team").status_code == 403
        assert invite_via_team_page(web, event).status_code == 403
        web.post("/logout")
    assert count(Invitation) == 0


def test_team_page_of_unknown_event_is_404(organizer_web):
    web, _event = organizer_web
    assert web.get("/manage/tidak-ada/team").status_code == 404


def test_invitation_for_an_existing_account_opened_by_someone_else_signed_in(make_app, make_user, organizer_web):
    web, event = organizer_web
    owner = make_user(email="budi@cirebonkota.go.id")
    other = make_user(email="lain@kominfo.go.id")
    link = path_of(invitation_link(invite_via_team_page(web, event, role="juror")))
    someone_else = make_app().test_client()
    sign_in(someone_else, other)
    page = someone_else.get(link)
    assert page.status_code == 200 and 'data-testid="join-form"' not in text(page)
    someone_else.post(link)
    assert fresh().get(User, owner.id).roles == []
    assert fresh().scalar(select(Invitation)).accepted_at is None
