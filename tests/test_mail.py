"""Mail: the outbox, SMTP delivery to a real server on loopback (aiosmtpd), retries, the sender job.

Every message here goes through smtplib to an aiosmtpd server and is read back from what arrived.
"""
import asyncio
import email
import re
import socket
import threading
import time
import uuid
from datetime import date, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from babel.dates import format_date
from sqlalchemy import func, select

from eventsys.core import jobs, mail
from eventsys.core import outbox as outbox_admin
from eventsys.core.db import utcnow
from eventsys.core.models import OutboxMessage, OutboxStatus
from eventsys.core.rules import RuleViolation
from eventsys.core.tokens import hash_secret
from eventsys.extensions import db
from eventsys.registration import notifications, services
from eventsys.registration.models import DelegateCategory, DelegateInvitation, Registration, RegistrationState
from tests.conftest import PASSWORD, IsolatedClient
from tests.helpers import csrf_token_of, fresh, text, tr

SENDER = "Panitia Smart City <panitia@eventsys.example.id>"
BASE_URL = "https://eventsys.example.id"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps what arrived; refuses recipients starting with 'unknown'."""

    def __init__(self):
        self.lock = threading.Lock()
        self.arrived = []  # (envelope sender, recipients, parsed message)
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("unknown"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.arrived.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        with self.lock:
            return [m for _f, _r, m in self.arrived]

    def wait_for(self, count: int, timeout: float = 10) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.02)
        return self.messages


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_config():
    return {}


@pytest.fixture
def app(make_app, smtp, mail_config):
    """The suite's app, sending to this test's SMTP server."""
    application = make_app(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DEFAULT_SENDER=SENDER, PUBLIC_BASE_URL=BASE_URL, **mail_config
    )
    with application.app_context():
        yield application
    jobs.stop(application)


def open_registration(event, *, needs_approval=False, name="Kepala Daerah"):
    settings = services.settings_for(db.session, event)
    settings.enabled = True
    category = DelegateCategory(event_id=event.id, name=name, needs_approval=needs_approval)
    db.session.add(category)
    db.session.commit()
    return category


def register(event, category, *, email="azis@cirebonkota.go.id", name="Nashrudin Azis", locale="id"):
    registration, secret = services.register(
        db.session,
        event,
        services.RegistrationData(
            category_id=category.id, name=name, email=email, position="Wali Kota",
            proposed_organization="Kota Cirebon", locale=locale, consent=True,
        ),
    )
    db.session.commit()
    return registration, secret


def outbox(**where) -> list[OutboxMessage]:
    return list(fresh().scalars(select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)))


def parts(message):
    plain = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")  # lines as sent: CRLF
    html = message.get_body(preferencelist=("html",)).get_content()
    attachments = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
    return plain, html, attachments


def test_a_queued_message_arrives_with_text_html_and_attachment(app, smtp, organizer):
    _user, event = organizer
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    mail.queue_mail(
        db.session, to_email="kadis@kominfo.cirebonkota.go.id", to_name="Iing Daiman",
        subject="Undangan FGD — hari ke-2", text="Teks biasa.\nBaris kedua.",
        html="<p>Teks <strong>HTML</strong></p>", attachments=[("tiket.pdf", "application/pdf", pdf)],
        event_id=event.id, kind="confirmation",
    )
    assert smtp.inbox.messages == []  # nothing goes out before the transaction commits
    db.session.commit()

    report = mail.send_due()

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [(envelope_from, recipients, message)] = smtp.inbox.arrived
    assert envelope_from == "panitia@eventsys.example.id"
    assert recipients == ["kadis@kominfo.cirebonkota.go.id"]
    assert message["From"] == SENDER
    assert message["To"].addresses[0].display_name == "Iing Daiman"
    assert message["Subject"] == "Undangan FGD — hari ke-2"
    plain, html, attachments = parts(message)
    assert plain.strip() == "Teks biasa.\nBaris kedua."
    assert "<strong>HTML</strong>" in html
    assert attachments == {"tiket.pdf": pdf}
    [stored] = outbox()
    assert stored.status == OutboxStatus.SENT and stored.sent_at is not None and stored.attempts == 1
    assert mail.send_due().claimed == 0  # sent once, never again


def test_mail_commits_and_rolls_back_with_the_registration(app, smtp, organizer):
    _user, event = organizer
    category = open_registration(event, needs_approval=True)
    register(event, category)
    with pytest.raises(RuleViolation):
        register(event, category, name="Someone Else")  # same email: refused, nothing stored
    db.session.rollback()
    assert [m.kind for m in outbox()] == ["pending"]
    mail.queue_mail(db.session, to_email="a@b.id", subject="x", text="x", event_id=event.id)
    db.session.rollback()
    assert len(outbox()) == 1


def test_confirmation_in_the_registrants_language_with_links_and_pdf_ticket(app, smtp, organizer, client):
    _user, event = organizer
    category = open_registration(event)
    english, english_secret = register(event, category, email="en@kominfo.go.id", name="Ismail Saleh", locale="en")
    indonesian, _secret = register(event, category, email="id@kominfo.go.id", name="Nashrudin Azis", locale="id")
    assert english.state == indonesian.state == RegistrationState.CONFIRMED

    assert mail.send_due().sent == 2
    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp.inbox.messages}
    en_mail, id_mail = by_recipient["en@kominfo.go.id"], by_recipient["id@kominfo.go.id"]

    event_day = date(2017, 11, 15)  # 08:00–22:00 WIB
    for message, locale in ((en_mail, "en"), (id_mail, "id")):
        plain, html, attachments = parts(message)
        expected_subject = tr(app, "Your registration for %(event)s is confirmed", locale, event=event.name)
        assert message["Subject"] == expected_subject
        for body in (plain, html):
            assert format_date(event_day, "long", locale=locale) in body
            assert tr(app, "Venue", locale) in body
            assert "Hotel Santika Premiere Jakarta" in body
            assert "08:00" in body and "WIB" in body
        assert f'lang="{locale}"' in html
        [(filename, pdf)] = attachments.items()
        assert filename.endswith(".pdf") and pdf.startswith(b"%PDF")
    assert "November 15, 2017" in parts(en_mail)[0] and "15 November 2017" in parts(id_mail)[0]
    assert tr(app, "Venue", "id") != "Venue" and "Venue" not in parts(id_mail)[0]

    # The personal link is the one register() handed out; the ticket link opens the ticket.
    plain = parts(en_mail)[0]
    assert f"{BASE_URL}/my/{english_secret}" in plain
    assert hash_secret(english_secret) == fresh().get(Registration, english.id).manage_token_hash
    ticket_url = re.search(rf"{re.escape(BASE_URL)}(/t/\S+)", plain).group(1)
    assert client.get(f"/my/{english_secret}").status_code == 200
    assert client.get(ticket_url).status_code == 200


def test_pending_mail_escapes_html_and_a_new_link_replaces_the_old(app, smtp, organizer):
    _user, event = organizer
    category = open_registration(event, needs_approval=True, name="Media <Cetak>")
    registration, secret = register(event, category, name="Dr. <b>Azis</b>", locale="en")
    assert registration.state == RegistrationState.PENDING
    mail.send_due()
    [message] = smtp.inbox.messages
    plain, html, attachments = parts(message)
    assert attachments == {}
    assert "&lt;b&gt;Azis&lt;/b&gt;" in html and "<b>Azis" not in html
    assert "Media &lt;Cetak&gt;" in html
    assert "Dr. <b>Azis</b>" in plain  # text is text
    assert f"/my/{secret}" in plain

    # A mail sent without the current secret carries a fresh link; the old one stops working.
    notifications.notify(db.session, registration, "waitlist")
    db.session.commit()
    mail.send_due()
    new_plain = parts(smtp.inbox.wait_for(2)[1])[0]
    new_secret = re.search(r"/my/(\S+)", new_plain).group(1)
    assert new_secret != secret
    assert services.registration_by_secret(fresh(), new_secret).id == registration.id
    assert services.registration_by_secret(fresh(), secret) is None


def test_rejection_names_the_reason_and_carries_no_link(app, smtp, organizer):
    _user, event = organizer
    category = open_registration(event, needs_approval=True)
    registration, _secret = register(event, category, locale="en")
    services.reject(db.session, registration, "Kuota Kota Cirebon sudah penuh")
    db.session.commit()
    mail.send_due()
    rejection = next(m for m in smtp.inbox.messages if "not accepted" in m["Subject"])
    plain, html, _attachments = parts(rejection)
    assert "Kuota Kota Cirebon sudah penuh" in plain and "Kuota Kota Cirebon sudah penuh" in html
    assert "/my/" not in plain and "/my/" not in html


def test_invitation_mail_has_the_absolute_link_and_expiry(app, organizer):
    _user, event = organizer
    invitation = DelegateInvitation(
        event_id=event.id, email="bupati@kuduskab.go.id", name="H. Muhammad Tamzil", locale="en",
        expires_at=utcnow().replace(year=2030, month=1, day=31, hour=5),
    )
    db.session.add(invitation)
    db.session.flush()
    message = notifications.notify_invitation(db.session, invitation, "/r/ekspos/i/TOKEN123")
    db.session.commit()
    assert message.kind == "invitation" and message.event_id == event.id
    assert f"{BASE_URL}/r/ekspos/i/TOKEN123" in message.body_text
    assert f'href="{BASE_URL}/r/ekspos/i/TOKEN123"' in message.body_html
    assert "January 31, 2030" in message.body_text
    assert message.subject == tr(app, "Invitation to register for %(event)s", "en", event=event.name)


def test_a_server_that_is_down_delays_mail_and_loses_nothing(app, smtp, organizer):
    _user, event = organizer
    category = open_registration(event, needs_approval=True)
    smtp.stop()  # nothing listens on the port now

    registration, _secret = register(event, category)
    started = utcnow()
    report = mail.send_due()

    assert (report.sent, report.retrying) == (0, 1)
    assert fresh().get(Registration, registration.id).state == RegistrationState.PENDING
    [message] = outbox()
    assert message.status == OutboxStatus.QUEUED and message.attempts == 1
    assert message.next_attempt_at > started + timedelta(seconds=50)
    assert "refused" in message.last_error.lower()
    assert message.locked_until is None

    smtp.start()
    assert mail.send_due().claimed == 0  # still waiting out the backoff
    later = utcnow() + timedelta(minutes=2)
    assert mail.send_due(now=later).sent == 1
    assert mail.send_due(now=later + timedelta(hours=2)).claimed == 0
    assert len(smtp.inbox.wait_for(1)) == 1
    [message] = outbox()
    assert message.status == OutboxStatus.SENT and message.attempts == 2


def test_backoff_doubles_and_is_capped(app):
    assert [mail.backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [60, 120, 240, 3600, 3600, 3600]


def test_a_refused_recipient_fails_at_once(app, smtp, organizer):
    _user, event = organizer
    mail.queue_mail(db.session, to_email="unknown@kominfo.go.id", subject="x", text="x", event_id=event.id)
    mail.queue_mail(db.session, to_email="known@kominfo.go.id", subject="y", text="y", event_id=event.id)
    db.session.commit()
    report = mail.send_due()
    assert (report.sent, report.failed) == (1, 1)
    refused, delivered = outbox()
    assert refused.status == OutboxStatus.FAILED and "550" in refused.last_error
    assert delivered.status == OutboxStatus.SENT


def test_two_senders_at_once_never_send_a_message_twice(app, smtp, organizer):
    _user, event = organizer
    for n in range(30):
        mail.queue_mail(db.session, to_email=f"delegate{n}@kominfo.go.id", subject=f"No. {n}", text="x", event_id=event.id)
    db.session.commit()
    smtp.inbox.delay = 0.01  # senders overlap for the whole batch
    start = threading.Barrier(2)
    reports, errors = [], []

    def sender():
        try:
            with app.app_context():
                start.wait()
                reports.append(mail.send_due(limit=50))
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    subjects = [m["Subject"] for m in smtp.inbox.messages]
    assert sorted(subjects) == sorted(f"No. {n}" for n in range(30))  # each exactly once
    assert sum(r.sent for r in reports) == 30
    assert {m.status for m in outbox()} == {OutboxStatus.SENT}


@pytest.mark.parametrize("mail_config", [{"MAIL_MAX_ATTEMPTS": 2}], ids=["max2"])
def test_given_up_mail_shows_on_the_organizer_screen_and_can_be_retried(app, smtp, organizer, make_app, make_user):
    user, event = organizer
    category = open_registration(event, needs_approval=True)
    smtp.stop()
    registration, _secret = register(event, category, name="Iing Daiman")
    t0 = utcnow()
    assert mail.send_due(now=t0).retrying == 1
    assert mail.send_due(now=t0 + timedelta(minutes=5)).failed == 1
    [message] = outbox()
    assert message.status == OutboxStatus.FAILED and message.attempts == 2
    assert mail.send_due(now=t0 + timedelta(days=1)).claimed == 0  # given up: no more tries

    # The organizer's screen, with CSRF on as in production.
    site = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DEFAULT_SENDER=SENDER, WTF_CSRF_ENABLED=True)
    site.test_client_class = IsolatedClient
    browser = site.test_client()
    login_page = browser.get("/login")
    assert browser.post("/login", data={"email": user.email, "password": PASSWORD,
                                        "csrf_token": csrf_token_of(login_page)}).status_code == 302
    page = browser.get(f"/manage/{event.slug}/mail")
    assert page.status_code == 200
    html = text(page)
    row = re.search(rf'<tr data-testid="mail-row" data-message-id="{message.id}">(.*?)</tr>', html, re.S).group(1)
    assert "Iing Daiman" in row and tr(site, "Failed", "id") in row
    assert re.search(r'data-testid="mail-attempts">2<', row)
    assert "ConnectionRefusedError" in row
    assert re.search(r'data-testid="mail-count-failed"><strong>1<', html)

    retry_url = f"/manage/{event.slug}/mail/{message.id}/retry"
    assert browser.post(retry_url).status_code == 400  # no CSRF token
    assert outbox()[0].status == OutboxStatus.FAILED
    response = browser.post(retry_url, data={"csrf_token": csrf_token_of(page)})
    assert response.status_code == 302
    [message] = outbox()
    assert message.status == OutboxStatus.QUEUED and message.attempts == 0

    smtp.start()
    page = browser.get(f"/manage/{event.slug}/mail")
    assert browser.post(f"/manage/{event.slug}/mail/send", data={"csrf_token": csrf_token_of(page)}).status_code == 302
    assert [m["To"].addresses[0].display_name for m in smtp.inbox.wait_for(1)] == ["Iing Daiman"]
    assert outbox()[0].status == OutboxStatus.SENT
    page = browser.get(f"/manage/{event.slug}/mail")
    assert re.search(r'data-testid="mail-count-sent"><strong>1<', text(page))
    assert 'data-testid="mail-row"' not in text(page)


def test_the_mail_screen_is_for_the_events_organizers_only(app, client, login, organizer, make_user, make_event):
    _user, event = organizer
    other_event = make_event(slug="fgd-lain")
    mail.queue_mail(db.session, to_email="x@kominfo.go.id", subject="x", text="x", event_id=other_event.id)
    db.session.commit()
    [foreign] = outbox()
    login(make_user(email="petugas@kominfo.go.id", event=event, role="checkin"))
    assert client.get(f"/manage/{event.slug}/mail").status_code == 403
    client.post("/logout")
    login(organizer[0])
    page = client.get(f"/manage/{event.slug}/mail")
    assert page.status_code == 200
    assert 'data-testid="mail-overdue"' not in text(page) and 'data-testid="mail-row"' not in text(page)
    assert client.post(f"/manage/{event.slug}/mail/{foreign.id}/retry").status_code == 404

    # A message nobody has tried for an hour: no sender seems to be running, and the page says so.
    waiting = mail.queue_mail(db.session, to_email="y@kominfo.go.id", subject="y", text="y", event_id=event.id)
    waiting.next_attempt_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    page = text(client.get(f"/manage/{event.slug}/mail"))
    assert 'data-testid="mail-overdue"' in page and f'data-message-id="{waiting.id}"' in page


@pytest.mark.parametrize("mail_config", [{"JOBS_POLL_SECONDS": 3600}], ids=["no-polling"])  # only a kick sends
def test_the_in_process_sender_delivers_after_a_request_queued_mail(app, smtp, client, login, organizer):
    user, event = organizer
    message = mail.queue_mail(db.session, to_email="bappeda@cirebonkota.go.id", subject="Tiket Anda", text="x",
                              event_id=event.id)
    message.status = OutboxStatus.FAILED
    db.session.commit()
    runner = jobs.start(app)
    deadline = time.monotonic() + 5
    while runner.passes < 1 and time.monotonic() < deadline:  # its first round finds nothing due
        time.sleep(0.01)
    assert runner.passes >= 1 and smtp.inbox.messages == []

    login(user)
    assert client.post(f"/manage/{event.slug}/mail/{message.id}/retry").status_code == 302  # queues it again

    [arrived] = smtp.inbox.wait_for(1)
    assert arrived["Subject"] == "Tiket Anda"
    deadline = time.monotonic() + 5
    while outbox()[0].status != OutboxStatus.SENT and time.monotonic() < deadline:
        time.sleep(0.02)
    assert outbox()[0].status == OutboxStatus.SENT
    jobs.stop(app)
    assert not runner.thread.is_alive()


def test_no_sender_thread_starts_in_tests_unless_asked(app, client, organizer):
    jobs.init_app(app)
    client.get("/")
    assert not jobs.in_process_enabled(app)
    assert jobs._state(app).runner is None


def test_flask_send_mail_sends_what_is_due(app, smtp, organizer):
    _user, event = organizer
    mail.queue_mail(db.session, to_email="a@kominfo.go.id", subject="satu", text="x", event_id=event.id)
    mail.queue_mail(db.session, to_email="b@kominfo.go.id", subject="dua", text="x", event_id=event.id)
    db.session.commit()
    jobs.register_cli(app)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "Sent 2" in result.output
    assert sorted(m["Subject"] for m in smtp.inbox.messages) == ["dua", "satu"]


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable: {error}")
    return connection


def test_with_redis_an_rq_worker_sends_the_mail(make_app, smtp, organizer, database_url, monkeypatch):
    connection = _redis_or_skip()
    from rq import Queue, SimpleWorker

    queue_name = f"eventsys-mail-test-{uuid.uuid4().hex[:8]}"
    settings = {"REDIS_URL": "redis://127.0.0.1:6379/0", "MAIL_QUEUE": queue_name, "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": smtp.port, "MAIL_DEFAULT_SENDER": SENDER}
    for key, value in (settings | {"DATABASE_URL": database_url, "SECRET_KEY": "rq-test"}).items():
        monkeypatch.setenv(f"EVENTSYS_{key}", str(value))  # the job builds its app from the environment
    site = make_app(**settings)
    jobs.init_app(site)
    _user, event = organizer
    try:
        with site.app_context():
            mail.queue_mail(db.session, to_email="kadis@kominfo.go.id", subject="lewat RQ", text="x", event_id=event.id)
            db.session.commit()  # the commit enqueues the job
            queue = Queue(queue_name, connection=connection)
            assert queue.count == 1
            SimpleWorker([queue], connection=connection).work(burst=True)
        assert [m["Subject"] for m in smtp.inbox.messages] == ["lewat RQ"]
        assert outbox()[0].status == OutboxStatus.SENT
    finally:
        for key in connection.scan_iter(f"*{queue_name}*"):
            connection.delete(key)
        jobs.stop(site)


def test_outbox_counts_per_status(app, organizer):
    _user, event = organizer
    for status in (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.SENT, OutboxStatus.FAILED):
        mail.queue_mail(db.session, to_email="a@kominfo.go.id", subject="x", text="x", event_id=event.id).status = status
    db.session.commit()
    assert outbox_admin.status_counts(db.session, event_id=event.id) == {
        OutboxStatus.QUEUED: 1, OutboxStatus.SENT: 2, OutboxStatus.FAILED: 1,
    }
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 4


def test_invitations_for_a_list_are_personal_and_escaped(app, make_event):
    """A list import renders the mail once per language and fills in each person's name and link."""
    event = make_event()
    expires = utcnow() + timedelta(days=14)
    people = [
        DelegateInvitation(event_id=event.id, email="bupati@siakkab.go.id", name="Drs. H. Alfedri, M.Si", locale="id", expires_at=expires),
        DelegateInvitation(event_id=event.id, email="kadis@x.go.id", name="Budi <b>Santoso</b> & Co", locale="id", expires_at=expires),
        DelegateInvitation(event_id=event.id, email="guest@example.org", name="Jane Doe", locale="en", expires_at=expires),
    ]
    db.session.add_all(people)
    db.session.flush()
    with app.test_request_context():
        queued = notifications.notify_invitations(db.session, [(p, f"/r/{event.slug}?invite=tok{p.id}") for p in people])
    db.session.commit()
    assert [m.to_email for m in queued] == [p.email for p in people]
    for person, message in zip(people, queued, strict=True):
        assert f"?invite=tok{person.id}" in message.body_text and f"?invite=tok{person.id}" in message.body_html
        for other in people:
            if other is not person:
                assert f"tok{other.id}" not in message.body_text
        assert "EVSNAME" not in message.body_text + message.body_html and "EVSURL" not in message.body_text + message.body_html
    assert "Budi <b>Santoso</b> & Co" in queued[1].body_text
    assert "Budi &lt;b&gt;Santoso&lt;/b&gt; &amp; Co" in queued[1].body_html
    assert "<b>Santoso</b>" not in queued[1].body_html
    # Each in its own language: the English guest's mail is not the Indonesian one with another name.
    assert queued[2].subject != queued[0].subject
    assert queued[0].subject == queued[1].subject
