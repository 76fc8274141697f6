"""The mail outbox: mail is stored with the change that causes it and sent later, over SMTP.

`queue_mail` adds an OutboxMessage to the caller's transaction, so a registration and its mail
commit (or roll back) together. `send_due` sends what is due: a server that is down only delays a
message, which is retried with exponential backoff and given up (FAILED, shown to organizers, who
can retry it) after MAIL_MAX_ATTEMPTS. Every message is claimed with one conditional UPDATE before
it is sent, so two senders (threads, processes, machines) never send the same message.

Settings (app.config, defaults here): MAIL_SERVER "127.0.0.1", MAIL_PORT 25, MAIL_USE_TLS and
MAIL_USE_SSL False, MAIL_USERNAME/MAIL_PASSWORD none, MAIL_DEFAULT_SENDER "eventsys <noreply@localhost>",
MAIL_TIMEOUT 10 s, MAIL_MAX_ATTEMPTS 8, MAIL_RETRY_BASE_SECONDS 60, MAIL_RETRY_MAX_SECONDS 3600,
MAIL_LOCK_SECONDS 300, MAIL_BATCH_SIZE 50, PUBLIC_BASE_URL "http://127.0.0.1:5000".
"""
from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from eventsys.core.db import utcnow
from eventsys.core.models import OutboxAttachment, OutboxMessage, OutboxStatus
from eventsys.extensions import db

DEFAULTS = {
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "eventsys <noreply@localhost>",
    "MAIL_TIMEOUT": 10,
    "MAIL_MAX_ATTEMPTS": 8,
    "MAIL_RETRY_BASE_SECONDS": 60,
    "MAIL_RETRY_MAX_SECONDS": 3600,
    "MAIL_LOCK_SECONDS": 300,
    "MAIL_BATCH_SIZE": 50,
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
}

# Set on a session that queued mail; eventsys.core.jobs starts sending once that session commits.
QUEUED_FLAG = "eventsys.mail_queued"

STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("Queued"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
}

# A queued message not yet tried this long after it fell due suggests no sender is running.
OVERDUE_AFTER = timedelta(minutes=10)


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


def public_url(path: str) -> str:
    """An absolute link for mail: mail is read outside any request, so the base comes from PUBLIC_BASE_URL."""
    if path.startswith(("http://", "https://")):
        return path
    return str(setting("PUBLIC_BASE_URL")).rstrip("/") + "/" + path.lstrip("/")


class MailAttachment(NamedTuple):
    filename: str
    content_type: str
    data: bytes


def _one_line(value: str, limit: int) -> str:
    """Header text: no line breaks (they would inject headers), no longer than its column."""
    return re.sub(r"\s+", " ", value or "").strip()[:limit]


def _single_address(address: str) -> bool:
    return bool(address) and "@" in address and not re.search(r"[\s<>,]", address)


def queue_mail(
    session: Session,
    *,
    to_email: str,
    to_name: str = "",
    subject: str,
    text: str,
    html: str = "",
    attachments: Iterable[tuple[str, str, bytes]] = (),
    event_id: int | None = None,
    kind: str = "",
    reply_to: str = "",
) -> OutboxMessage:
    """Store a message in the caller's transaction; it is sent after the transaction commits (Reply to `reply_to` if usable)."""
    address = (to_email or "").strip()
    if not _single_address(address):
        raise ValueError(f"not a single email address: {to_email!r}")
    message = OutboxMessage(
        event_id=event_id,
        to_email=address,
        to_name=_one_line(to_name, 200),
        reply_to=reply_to.strip() if _single_address(reply_to.strip()) and len(reply_to.strip()) <= 254 else "",
        subject=_one_line(subject, 300),
        body_text=text,
        body_html=html or "",
        kind=kind[:40],
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
    )
    for filename, content_type, data in attachments:
        message.attachments.append(
            OutboxAttachment(filename=_one_line(filename, 200), content_type=content_type, data=data)
        )
    session.add(message)
    session.info[QUEUED_FLAG] = True
    return message


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0  # this attempt failed; tried again later
    failed: int = 0  # gave up: now FAILED
    claimed: int = 0  # messages this call worked on (the rest were taken by another sender)

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.claimed += other.claimed


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: 1, 2, 4 … minutes, at most an hour (by default)."""
    base = float(setting("MAIL_RETRY_BASE_SECONDS"))
    cap = float(setting("MAIL_RETRY_MAX_SECONDS"))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _due(now: datetime, event_id: int | None):
    conditions = [
        OutboxMessage.status == OutboxStatus.QUEUED,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
    ]
    if event_id is not None:
        conditions.append(OutboxMessage.event_id == event_id)
    return conditions


def _claim(session: Session, message_id: int, now: datetime, event_id: int | None) -> bool:
    """Take the message for this sender, or learn that another sender has it.

    One conditional UPDATE, as the first statement of its own transaction: on PostgreSQL the
    second of two concurrent UPDATEs waits for the first and then finds the lock set; on SQLite
    writers are serialized. Only the sender whose UPDATE changed the row sends the message.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, *_due(now, event_id))
        .values(locked_until=now + timedelta(seconds=float(setting("MAIL_LOCK_SECONDS"))))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _sender() -> tuple[str, str]:
    """(From header, envelope sender address) from MAIL_DEFAULT_SENDER."""
    sender = setting("MAIL_DEFAULT_SENDER")
    if isinstance(sender, (tuple, list)):  # ("eventsys", "noreply@example.org"), as Flask-Mail allows
        sender = formataddr((sender[0], sender[1]))
    return str(sender), parseaddr(str(sender))[1]


# Headers up to RFC 5322's 998 characters stay on one line: Python folds a long Indonesian
# subject right after "Subject:", and some mail clients then show it with a leading space.
_POLICY = policy.SMTP.clone(max_line_length=998)


def build_email(message: OutboxMessage) -> EmailMessage:
    """The MIME message: text, an HTML alternative when there is one, then the attachments."""
    from_header, from_address = _sender()
    email = EmailMessage(policy=_POLICY)
    email["From"] = from_header
    if message.to_name:
        local, _at, domain = message.to_email.rpartition("@")
        email["To"] = Address(display_name=message.to_name, username=local, domain=domain)
    else:
        email["To"] = message.to_email
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    domain = from_address.rpartition("@")[2] or "localhost"
    # Stable over retries, so a mail client shows a message that went out twice only once.
    email["Message-ID"] = f"<outbox-{message.id}.{int(message.created_at.timestamp())}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    for attachment in message.attachments:
        maintype, _slash, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.data, maintype=maintype or "application", subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return email


class _Connection:
    """One SMTP connection for a batch, opened when the first message needs it."""

    def __init__(self):
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is None:
            host, port = setting("MAIL_SERVER"), int(setting("MAIL_PORT"))
            timeout = float(setting("MAIL_TIMEOUT"))
            if setting("MAIL_USE_SSL"):
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
                if setting("MAIL_USE_TLS"):
                    smtp.starttls(context=ssl.create_default_context())
            try:
                if setting("MAIL_USERNAME"):
                    smtp.login(setting("MAIL_USERNAME"), setting("MAIL_PASSWORD") or "")
            except BaseException:
                _close_quietly(smtp)
                raise
            self.smtp = smtp
        return self.smtp

    def drop(self) -> None:
        if self.smtp is not None:
            _close_quietly(self.smtp)
            self.smtp = None


def _close_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _is_permanent(error: Exception) -> bool:
    """The server refused this message for good (an unknown mailbox, content refused): no retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _msg in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return False


def _is_connection_problem(error: Exception) -> bool:
    return isinstance(error, (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError))


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                           for addr, (code, msg) in error.recipients.items())
        return f"SMTPRecipientsRefused: {detail}"[:2000]
    if isinstance(error, smtplib.SMTPResponseException):
        msg = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        return f"{type(error).__name__}: {error.smtp_code} {msg}"[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


def _mark_sent(session: Session, message_id: int, attempts: int, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.SENT, sent_at=now, attempts=attempts, locked_until=None, last_error="")
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _mark_failed(session: Session, message_id: int, attempts: int, now: datetime, error: str, permanent: bool) -> bool:
    """Record a failed attempt; True when the message is given up (FAILED)."""
    give_up = permanent or attempts >= int(setting("MAIL_MAX_ATTEMPTS"))
    values = {"attempts": attempts, "locked_until": None, "last_error": error}
    if give_up:
        values["status"] = OutboxStatus.FAILED
    else:
        values["next_attempt_at"] = now + backoff(attempts)
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return give_up


def send_due(session: Session | None = None, *, limit: int | None = None, now: datetime | None = None,
             event_id: int | None = None) -> SendReport:
    """Send up to `limit` messages that are due (of one event, when `event_id` is given).

    Needs an app context (settings). Commits the session: claims and results are committed one by
    one, and no transaction stays open while the SMTP server is talked to.
    """
    session = session or db.session
    now = now or utcnow()
    limit = limit or int(setting("MAIL_BATCH_SIZE"))
    report = SendReport()
    session.commit()  # our claims must not ride on the caller's transaction
    candidates = session.scalars(
        select(OutboxMessage.id).where(*_due(now, event_id))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    ).all()
    session.commit()
    connection = _Connection()
    unreachable: str | None = None  # the server could not be reached: the rest of the batch fails alike
    try:
        for message_id in candidates:
            if not _claim(session, message_id, now, event_id):
                continue
            report.claimed += 1
            message = session.scalars(
                select(OutboxMessage).where(OutboxMessage.id == message_id)
                .options(selectinload(OutboxMessage.attachments))
                .execution_options(populate_existing=True)
            ).one()
            attempts = message.attempts + 1
            try:
                email = build_email(message)
                recipient = message.to_email
            except Exception as error:  # a message that cannot be built will never be: give up on it
                session.commit()
                current_app.logger.exception("Outbox message %s cannot be built", message_id)
                _mark_failed(session, message_id, attempts, now, _describe(error), permanent=True)
                report.failed += 1
                continue
            session.commit()  # nothing held while talking to the server
            error: Exception | None = None
            if unreachable is None:
                try:
                    smtp = connection.open()
                except (smtplib.SMTPException, OSError) as exc:
                    unreachable = _describe(exc)
                    current_app.logger.warning("Mail server unreachable: %s", unreachable)
                else:
                    try:
                        smtp.send_message(email, from_addr=_sender()[1], to_addrs=[recipient])
                    except (smtplib.SMTPException, OSError) as exc:
                        error = exc
                        if _is_connection_problem(exc):
                            connection.drop()
            if unreachable is not None:
                gave_up = _mark_failed(session, message_id, attempts, now, unreachable, permanent=False)
            elif error is not None:
                current_app.logger.warning("Outbox message %s not sent: %s", message_id, _describe(error))
                gave_up = _mark_failed(session, message_id, attempts, now, _describe(error), _is_permanent(error))
            else:
                _mark_sent(session, message_id, attempts, now)
                report.sent += 1
                continue
            if gave_up:
                report.failed += 1
            else:
                report.retrying += 1
    finally:
        connection.drop()
    return report


def send_all_due(session: Session | None = None, *, now: datetime | None = None) -> SendReport:
    """send_due until nothing due is left (each batch claims afresh)."""
    total = SendReport()
    batch = int(setting("MAIL_BATCH_SIZE"))
    while True:
        report = send_due(session, limit=batch, now=now)
        total.add(report)
        if report.claimed < batch:  # a short batch: nothing more was due
            return total


def next_attempt_at(session: Session) -> datetime | None:
    """When the earliest queued message falls due (for schedulers)."""
    return session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == OutboxStatus.QUEUED)
    )
