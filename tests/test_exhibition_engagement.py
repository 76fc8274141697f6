"""The people's-choice vote (one confirmed vote per address, races and case changes included) and the
booth guestbook / contact requests moderated by the exhibitor, who hears of new guestbook entries by mail."""
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from eventsys.core.mail import build_email
from eventsys.core.models import OutboxMessage
from eventsys.core.rules import RuleViolation
from eventsys.exhibition import engagement
from eventsys.exhibition.engagement_mail import GUESTBOOK_MAIL_INTERVAL
from eventsys.exhibition.models import BoothMessage, MessageKind, MessageState, Vote
from eventsys.exhibition.services import exhibition_for
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor
from tests.helpers import field_errors, fresh, sign_in, text, tr, trn

OPEN = {"opens_in": -timedelta(days=2)}


@pytest.fixture
def fair(app, make_event, make_organization):
    """An open exhibition with the booths of Kota Cirebon and Kota Ambon."""
    event = make_exhibition(app, make_event, **OPEN)
    cirebon = make_booth(event, make_organization(name="Kota Cirebon"), contact_email="pameran@cirebonkota.go.id")
    ambon = make_booth(event, make_organization(name="Kota Ambon", province="Maluku"))
    return event, cirebon, ambon


def vote_url(booth):
    return f"/exhibition/{booth.event.slug}/booths/{booth.id}/vote"


def message_url(booth):
    return f"/exhibition/{booth.event.slug}/booths/{booth.id}/messages"


def last_link(event) -> str:
    mail = fresh().scalars(select(OutboxMessage).where(OutboxMessage.kind == "exhibition_vote").order_by(OutboxMessage.id.desc())).first()
    path = re.search(rf"https?://[^/\s]+(/exhibition/{event.slug}/vote/confirm/\S+)", mail.body_text).group(1)
    return path


def votes(event) -> list[Vote]:
    return fresh().scalars(select(Vote).where(Vote.event_id == event.id)).all()


def confirmed_counts(event) -> dict[int, int]:
    return {v.booth_id: 1 for v in votes(event) if v.confirmed_at is not None}


# Voting


def test_a_vote_counts_once_its_address_is_confirmed(fair, client, app):
    event, cirebon, _ambon = fair
    response = client.post(vote_url(cirebon), data={"vote-email": "Warga@Example.org"})
    assert response.status_code == 303
    [vote] = votes(event)
    assert vote.confirmed_at is None and vote.booth_id == cirebon.id and "warga" not in vote.email_hash
    mail = fresh().scalars(select(OutboxMessage).where(OutboxMessage.kind == "exhibition_vote")).one()
    assert mail.to_email == "Warga@Example.org"
    assert mail.subject == tr(app, "Confirm your vote for %(booth)s", booth="Kota Cirebon")
    link = last_link(event)
    page = client.get(link)  # a mail scanner's GET counts nothing
    assert page.status_code == 200 and votes(event)[0].confirmed_at is None
    done = client.post(link)
    assert done.status_code == 303
    assert votes(event)[0].confirmed_at is not None
    booth_page = text(client.get(f"/exhibition/{event.slug}/booths/{cirebon.id}"))
    assert re.search(r'data-testid="vote-count">\s*1\b', booth_page)


def test_the_mail_speaks_the_visitors_language(fair, client, app):
    event, cirebon, _ambon = fair
    client.post("/language/en", data={"next": "/"})
    client.post(vote_url(cirebon), data={"vote-email": "visitor@example.org"})
    mail = fresh().scalars(select(OutboxMessage).where(OutboxMessage.kind == "exhibition_vote")).one()
    assert mail.subject == tr(app, "Confirm your vote for %(booth)s", locale="en", booth="Kota Cirebon")


def test_the_same_address_in_other_letters_moves_the_vote_only_after_confirming_again(fair, client, app):
    event, cirebon, ambon = fair
    client.post(vote_url(cirebon), data={"vote-email": "warga@example.org"})
    client.post(last_link(event))
    client.post(vote_url(ambon), data={"vote-email": "  WARGA@Example.ORG "})
    [vote] = votes(event)
    assert vote.booth_id == cirebon.id and vote.confirmed_at is not None  # unconfirmed: the vote stays
    mail = fresh().scalars(select(OutboxMessage).where(OutboxMessage.kind == "exhibition_vote").order_by(OutboxMessage.id.desc())).first()
    assert tr(app, "Your address already has a vote, for %(booth)s. Confirming moves it; you keep one vote.", booth="Kota Cirebon") in mail.body_text
    client.post(last_link(event))
    [vote] = votes(event)
    assert vote.booth_id == ambon.id and vote.confirmed_at is not None


def test_only_the_latest_link_of_an_address_works(fair, client, app):
    event, cirebon, ambon = fair
    client.post(vote_url(cirebon), data={"vote-email": "warga@example.org"})
    first = last_link(event)
    client.post(vote_url(ambon), data={"vote-email": "warga@example.org"})
    second = last_link(event)
    refused = client.post(first)
    assert refused.status_code == 400
    assert tr(app, "This link was replaced by a newer one: use the link in the latest email.") in text(refused)
    assert confirmed_counts(event) == {}
    client.post(second)
    assert confirmed_counts(event) == {ambon.id: 1}
    assert client.post(second).status_code == 303  # opened twice: still one vote
    assert len(votes(event)) == 1


def test_gmail_dots_and_tags_are_one_address():
    assert engagement.normalize_email("Budi.Santoso+pameran@GoogleMail.com") == "budisantoso@gmail.com"
    assert engagement.normalize_email("budi.santoso+x@kominfo.go.id") == "budi.santoso+x@kominfo.go.id"
    assert engagement.email_hash("k", "B.udi@gmail.com") == engagement.email_hash("k", "budi+1@gmail.com")
    assert engagement.email_hash("k", "budi@gmail.com") != engagement.email_hash("other key", "budi@gmail.com")


def test_racing_votes_of_one_address_make_one_row_and_no_error(fair, make_app):
    event, cirebon, ambon = fair
    application = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 12, "max_overflow": 0, "pool_timeout": 60})
    n = 8
    urls = [vote_url(cirebon if i % 2 else ambon) for i in range(n)]
    barrier = threading.Barrier(n)
    statuses, errors = [None] * n, []

    def worker(i):
        try:
            client = application.test_client()
            barrier.wait(timeout=30)
            statuses[i] = client.post(urls[i], data={"vote-email": "Sama@Example.org" if i % 3 else "sama@example.org"}).status_code
        except BaseException as error:  # reported with the failure
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and statuses == [303] * n
    assert len(votes(event)) == 1


@pytest.mark.parametrize(("email", "message"), [
    ("", "Enter your email address."),
    ("bukan-email", "Enter a valid email address, like nama@contoh.go.id."),
    ("a@b", "Enter a valid email address, like nama@contoh.go.id."),
    ("x" * 250 + "@example.org", "Shorten this to %(max)d characters."),
])
def test_bad_addresses_are_refused_next_to_the_field(fair, client, app, email, message):
    event, cirebon, _ambon = fair
    response = client.post(vote_url(cirebon), data={"vote-email": email})
    assert response.status_code == 400
    expected = tr(app, message, max=254) if "%(max)d" in message else tr(app, message)
    assert field_errors(response, "vote-email") == [expected]
    assert votes(event) == [] and fresh().scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_forged_or_foreign_link_is_refused(fair, client, app, make_event, make_organization):
    event, cirebon, _ambon = fair
    bad = client.post(f"/exhibition/{event.slug}/vote/confirm/not-a-token")
    assert bad.status_code == 400
    assert tr(app, "This confirmation link is not valid. Copy the whole link from the email.") in text(bad)
    other = make_exhibition(app, make_event, **OPEN)
    client.post(vote_url(make_booth(other, make_organization(name="Kab. Lain"))), data={"vote-email": "warga@example.org"})
    link = last_link(other).replace(other.slug, event.slug)
    assert client.post(link).status_code == 400
    assert client.get(link).status_code == 200  # the page explains; nothing breaks
    assert all(v.confirmed_at is None for v in fresh().scalars(select(Vote)))


def test_the_archive_refuses_votes_with_a_clear_message(app, client, make_event, make_organization):
    event = make_exhibition(app, make_event, opens_in=-timedelta(days=30), length=timedelta(days=14))
    booth = make_booth(event, make_organization())
    response = client.post(vote_url(booth), data={"vote-email": "warga@example.org"})
    assert response.status_code == 400
    assert tr(app, "The exhibition has closed; this is its archive. Voting has ended.") in text(response)
    assert votes(event) == []


def test_a_link_confirmed_after_the_closing_does_not_count(fair, client, app):
    event, cirebon, _ambon = fair
    client.post(vote_url(cirebon), data={"vote-email": "warga@example.org"})
    link = last_link(event)
    event.ends_at = event.starts_at + timedelta(days=1)  # closed yesterday
    db.session.commit()
    response = client.post(link)
    assert response.status_code == 400 and tr(app, "The exhibition has closed; this is its archive. Voting has ended.") in text(response)
    assert confirmed_counts(event) == {}


def test_no_voting_when_the_organizer_turned_it_off(app, client, make_event, make_organization):
    event = make_exhibition(app, make_event, voting_enabled=False, **OPEN)
    booth = make_booth(event, make_organization())
    assert 'data-testid="vote"' not in text(client.get(f"/exhibition/{event.slug}/booths/{booth.id}"))
    response = client.post(vote_url(booth), data={"vote-email": "warga@example.org"})
    assert response.status_code == 400 and votes(event) == []


def test_before_the_opening_no_one_votes(app, make_app, make_event, make_organization, make_user):
    event = make_exhibition(app, make_event, opens_in=timedelta(days=3))
    booth = make_booth(event, make_organization())
    web = sign_in(make_app().test_client(), make_user(event=event, role="organizer"))
    response = web.post(vote_url(booth), data={"vote-email": "panitia@example.org"})
    assert response.status_code == 400 and tr(app, "Voting opens when the exhibition opens.") in text(response)
    with pytest.raises(RuleViolation):
        engagement.request_vote(db.session, "k", event, exhibition_for(db.session, event), booth, "warga@example.org")
    db.session.rollback()


def test_votes_are_rate_limited_per_address_of_the_sender(fair, make_app):
    _event, cirebon, _ambon = fair
    client = make_app(RATELIMIT_ENABLED=True, EXHIBITION_VOTE_RATE_LIMIT="2 per hour").test_client()
    codes = [client.post(vote_url(cirebon), data={"vote-email": f"warga{i}@example.org"}).status_code for i in range(3)]
    assert codes == [303, 303, 429]


# Guestbook and contact requests


def test_a_guestbook_entry_shows_once_the_exhibitor_approves_it(fair, client, app, make_app, make_user):
    event, cirebon, _ambon = fair
    response = client.post(message_url(cirebon), data={
        "msg-kind": "guestbook", "msg-name": "Ridwan", "msg-organization": "Kota Bandung", "msg-body": "Keren, Cirebon Katon!"})
    assert response.status_code == 303
    [message] = fresh().scalars(select(BoothMessage)).all()
    assert message.state == MessageState.PENDING
    assert "Keren, Cirebon Katon!" not in text(client.get(f"/exhibition/{event.slug}/booths/{cirebon.id}"))
    exhibitor = sign_in(make_app().test_client(), make_exhibitor(make_user, event, cirebon.organization))
    listing = text(exhibitor.get(f"/exhibit/{event.slug}/messages"))
    assert "Keren, Cirebon Katon!" in listing
    assert exhibitor.post(f"/exhibit/{event.slug}/messages/{message.id}", data={"action": "approve"}).status_code == 303
    assert fresh().get(BoothMessage, message.id).state == MessageState.APPROVED
    assert "Keren, Cirebon Katon!" in text(client.get(f"/exhibition/{event.slug}/booths/{cirebon.id}"))
    approved = text(exhibitor.get(f"/exhibit/{event.slug}/messages?state=approved"))  # approved by mistake: it can be taken down
    assert 'data-testid="take-down"' in approved and tr(app, "Take off the booth page") in approved
    exhibitor.post(f"/exhibit/{event.slug}/messages/{message.id}", data={"action": "reject"})
    assert "Keren, Cirebon Katon!" not in text(client.get(f"/exhibition/{event.slug}/booths/{cirebon.id}"))


def test_an_exhibitor_never_moderates_another_booth(fair, client, make_app, make_user):
    event, cirebon, ambon = fair
    client.post(message_url(cirebon), data={"msg-kind": "guestbook", "msg-name": "A", "msg-body": "Pesan untuk Cirebon"})
    [message] = fresh().scalars(select(BoothMessage)).all()
    other = sign_in(make_app().test_client(), make_exhibitor(make_user, event, ambon.organization))
    assert "Pesan untuk Cirebon" not in text(other.get(f"/exhibit/{event.slug}/messages"))
    assert other.post(f"/exhibit/{event.slug}/messages/{message.id}", data={"action": "approve"}).status_code == 404
    assert fresh().get(BoothMessage, message.id).state == MessageState.PENDING
    assert client.get(f"/exhibit/{event.slug}/messages").status_code == 302  # visitors sign in first
    organizer = sign_in(make_app().test_client(), make_user(event=event, role="organizer"))
    assert "Pesan untuk Cirebon" in text(organizer.get(f"/exhibit/{event.slug}/messages"))
    assert organizer.post(f"/exhibit/{event.slug}/messages/{message.id}", data={"action": "reject"}).status_code == 303
    assert fresh().get(BoothMessage, message.id).state == MessageState.REJECTED


def test_a_contact_request_is_mailed_to_the_exhibitor_and_never_public(fair, client, app, make_app, make_user):
    event, cirebon, _ambon = fair
    exhibitor_user = make_exhibitor(make_user, event, cirebon.organization)
    response = client.post(message_url(cirebon), data={
        "msg-kind": "contact", "msg-name": "Budi", "msg-email": "budi@startup.id", "msg-body": "Kami ingin bekerja sama."})
    assert response.status_code == 303
    mails = fresh().scalars(select(OutboxMessage).where(OutboxMessage.kind == "exhibition_contact")).all()
    assert {m.to_email for m in mails} == {"pameran@cirebonkota.go.id", exhibitor_user.email}
    assert all("Kami ingin bekerja sama." in m.body_text and "budi@startup.id" in m.body_text for m in mails)
    assert {build_email(m)["Reply-To"] for m in mails} == {"budi@startup.id"}  # Reply answers the visitor, not noreply@
    [message] = fresh().scalars(select(BoothMessage)).all()
    web = sign_in(make_app().test_client(), exhibitor_user)
    refused = web.post(f"/exhibit/{event.slug}/messages/{message.id}", data={"action": "approve"}, follow_redirects=True)
    assert tr(app, "A contact request is never published; mark it as handled instead.") in text(refused)
    assert "Kami ingin bekerja sama." not in text(client.get(f"/exhibition/{event.slug}/booths/{cirebon.id}"))
    handled = web.post(f"/exhibit/{event.slug}/messages/{message.id}", data={"action": "reject"}, follow_redirects=True)
    assert tr(app, "Contact request marked as handled.") in text(handled)  # what the button said, not "set aside"
    assert tr(app, "Message set aside.") not in text(handled)


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"msg-kind": "guestbook", "msg-name": "", "msg-body": "Halo"}, "msg-name", "Enter your name."),
    ({"msg-kind": "guestbook", "msg-name": "A", "msg-body": "  "}, "msg-body", "Write a message."),
    ({"msg-kind": "contact", "msg-name": "A", "msg-body": "Halo"}, "msg-email", "Enter your email address so the exhibitor can answer."),
    ({"msg-kind": "contact", "msg-name": "A", "msg-email": "salah", "msg-body": "Halo"}, "msg-email",
     "Enter a valid email address, like nama@contoh.go.id."),
    ({"msg-kind": "spam", "msg-name": "A", "msg-body": "Halo"}, "msg-kind", "Not a valid choice."),
])
def test_bad_messages_are_refused_next_to_the_field(fair, client, app, form, field, message):
    _event, cirebon, _ambon = fair
    response = client.post(message_url(cirebon), data=form)
    assert response.status_code == 400
    assert tr(app, message) in field_errors(response, field) or tr(app, message) in text(response)
    assert fresh().scalar(select(func.count()).select_from(BoothMessage)) == 0


def test_switching_language_on_a_refused_message_returns_to_the_booth_page_not_the_post_address(fair, client, app):
    event, cirebon, _ambon = fair
    booth_page = f"/exhibition/{event.slug}/booths/{cirebon.id}"
    refused = client.post(message_url(cirebon), data={"msg-kind": "contact", "msg-name": "A", "msg-body": "Halo"},
                          headers={"Referer": f"http://localhost{booth_page}?tab=contact"})
    assert refused.status_code == 400
    back = re.search(r'name="next" value="([^"]*)"', text(refused)).group(1)
    assert back == f"{booth_page}?tab=contact"  # the page the form was on: the message address answers POST only (405)
    switched = client.post("/language/en", data={"next": back})
    assert switched.status_code == 302 and client.get(switched.headers["Location"]).status_code == 200
    elsewhere = client.post(message_url(cirebon), data={"msg-kind": "contact", "msg-name": "A", "msg-body": "Halo"},
                            headers={"Referer": "https://evil.example/phish"})
    assert re.search(r'name="next" value="([^"]*)"', text(elsewhere)).group(1) == "/"  # never another site


def test_a_bot_filling_the_hidden_field_stores_nothing(fair, client):
    _event, cirebon, _ambon = fair
    response = client.post(message_url(cirebon), data={"msg-kind": "guestbook", "msg-name": "Bot", "msg-body": "buy", "msg-homepage": "http://spam"})
    assert response.status_code == 303
    assert fresh().scalar(select(func.count()).select_from(BoothMessage)) == 0


def test_the_archive_takes_no_messages(app, client, make_event, make_organization):
    event = make_exhibition(app, make_event, opens_in=-timedelta(days=30), length=timedelta(days=14))
    booth = make_booth(event, make_organization())
    response = client.post(message_url(booth), data={"msg-kind": "guestbook", "msg-name": "A", "msg-body": "Halo"})
    assert response.status_code == 400
    assert tr(app, "The exhibition has closed; this is its archive. The guestbook no longer takes messages.") in text(response)
    assert fresh().scalar(select(func.count()).select_from(BoothMessage)) == 0


def test_messages_are_rate_limited(fair, make_app):
    _event, cirebon, _ambon = fair
    client = make_app(RATELIMIT_ENABLED=True, EXHIBITION_MESSAGE_RATE_LIMIT="1 per hour").test_client()
    form = {"msg-kind": MessageKind.GUESTBOOK.value, "msg-name": "A", "msg-body": "Halo"}
    assert [client.post(message_url(cirebon), data=form).status_code for _ in range(2)] == [303, 429]


# Exhibitors hear of guestbook entries waiting for their approval: one mail per booth per half hour, in their language.


def guestbook_mails():
    return fresh().scalars(select(OutboxMessage).where(OutboxMessage.kind == "exhibition_guestbook").order_by(OutboxMessage.id)).all()


def sign(client, booth, name, body):
    response = client.post(message_url(booth), data={"msg-kind": "guestbook", "msg-name": name, "msg-organization": "Kota Bandung", "msg-body": body})
    assert response.status_code == 303


def test_the_exhibitors_hear_of_a_guestbook_entry_once_a_half_hour_each_in_their_language(fair, client, app, make_user):
    event, cirebon, ambon = fair
    diskominfo = make_exhibitor(make_user, event, cirebon.organization)
    english = make_exhibitor(make_user, event, cirebon.organization, name="Protocol Officer")
    english.locale = "en"
    make_exhibitor(make_user, event, ambon.organization)  # another booth's exhibitor hears nothing
    db.session.commit()
    sign(client, cirebon, "Ridwan", "Keren, Cirebon Katon!")
    mails = guestbook_mails()
    assert {m.to_email for m in mails} == {diskominfo.email, english.email}  # not the booth's public contact address
    by_address = {m.to_email: m for m in mails}
    indonesian, in_english = by_address[diskominfo.email], by_address[english.email]
    assert indonesian.subject == tr(app, "New guestbook entry at your booth %(booth)s", booth=cirebon.name)
    assert in_english.subject == tr(app, "New guestbook entry at your booth %(booth)s", locale="en", booth=cirebon.name)
    assert indonesian.subject != in_english.subject
    assert "Keren, Cirebon Katon!" in indonesian.body_text and f"/exhibit/{event.slug}/messages" in indonesian.body_text
    assert trn(app, "%(num)d guestbook entry waits for your approval.", "%(num)d guestbook entries wait for your approval.", 1) in indonesian.body_text

    sign(client, cirebon, "Dewi", "Bagus sekali")  # within the half hour: the first mail sent them to the page already
    assert len(guestbook_mails()) == 2

    earlier = datetime.now(UTC) - GUESTBOOK_MAIL_INTERVAL - timedelta(minutes=1)
    db.session.execute(update(BoothMessage).values(created_at=earlier))
    db.session.commit()
    sign(client, cirebon, "Asep", "Mantap")
    latest = [m for m in guestbook_mails() if m.to_email == diskominfo.email][-1]
    assert len(guestbook_mails()) == 4 and "Mantap" in latest.body_text
    assert trn(app, "%(num)d guestbook entry waits for your approval.", "%(num)d guestbook entries wait for your approval.", 3) in latest.body_text


def test_an_approved_entry_no_longer_holds_back_the_next_mail(fair, client, make_app, make_user):
    event, cirebon, _ambon = fair
    exhibitor = make_exhibitor(make_user, event, cirebon.organization)
    sign(client, cirebon, "Ridwan", "Keren")
    [entry] = fresh().scalars(select(BoothMessage)).all()
    web = sign_in(make_app().test_client(), exhibitor)
    assert web.post(f"/exhibit/{event.slug}/messages/{entry.id}", data={"action": "approve"}).status_code == 303
    sign(client, cirebon, "Dewi", "Bagus")
    assert [m.to_email for m in guestbook_mails()] == [exhibitor.email, exhibitor.email]
