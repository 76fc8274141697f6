"""Delegate registration from the delegate's side: the form, states, waiting list, quotas, invitations,
organization links and the personal page (see change, cancel)."""
import io
import os
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from eventsys.core.db import utcnow
from eventsys.core.models import OutboxMessage
from eventsys.core.rules import RuleViolation
from eventsys.events.models import EventStatus, Organization
from eventsys.extensions import db
from eventsys.registration import invitations, services
from eventsys.registration.models import (
    DelegateCategory,
    DelegateInvitation,
    Question,
    QuestionKind,
    Registration,
    RegistrationState,
    SessionOption,
)
from tests.helpers import error_message, field_errors, fresh, text, tr

# Helpers that set up an event's registration the way an organizer would.


def open_registration(event, *, capacity=None, quota=None, opens_at=None, closes_at=None, enabled=True, consent_text=""):
    settings = services.settings_for(db.session, event)
    settings.enabled = enabled
    settings.capacity = capacity
    settings.organization_quota = quota
    settings.opens_at = opens_at
    settings.closes_at = closes_at
    settings.consent_text = consent_text
    db.session.commit()
    return settings


def add_category(event, name="Umum", capacity=None, needs_approval=False, position=0):
    category = DelegateCategory(event_id=event.id, name=name, capacity=capacity, needs_approval=needs_approval, position=position)
    db.session.add(category)
    db.session.commit()
    return category


def add_question(event, label, kind, required=False, choices=""):
    question = Question(event_id=event.id, label=label, kind=kind, required=required, choices=choices)
    db.session.add(question)
    db.session.commit()
    return question


def add_option(event, agenda_session, capacity=None):
    option = SessionOption(event_id=event.id, session_id=agenda_session.id, capacity=capacity)
    db.session.add(option)
    db.session.commit()
    return option


def form(category, n=1, **overrides):
    data = {
        "name": f"Delegasi {n}",
        "position": "Kepala Dinas Kominfo",
        "organization_id": "0",
        "proposed_organization": "Dinas Kominfo Kab. Contoh",
        "category_id": str(category.id),
        "email": f"delegasi{n}@contoh.go.id",
        "phone": "0812 3456 7890",
        "nip": "",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def registration_of(email) -> Registration | None:
    return fresh().scalar(select(Registration).where(Registration.email == email))


def registrations() -> int:
    return fresh().scalar(select(func.count(Registration.id)))


def mails_to(email, kind=None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.to_email == email).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(fresh().scalars(query))


def secret_of(response) -> str:
    match = re.search(r"/my/([A-Za-z0-9_-]+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def stored_files(app) -> list[str]:
    root = app.config["UPLOAD_DIR"]
    return sorted(f for f in os.listdir(root) if not f.startswith(".")) if os.path.isdir(root) else []


def followed(client, response):
    """The page a redirect leads to (the isolated test client cannot follow redirects itself)."""
    assert response.status_code == 302, text(response)
    return client.get(response.headers["Location"])


def en(app, msgid, **values) -> str:
    return tr(app, msgid, locale="en", **values)


@pytest.fixture
def english(client):
    client.post("/language/en")
    return client


@pytest.fixture
def event(organizer):
    _user, event = organizer
    open_registration(event)
    return event


def register(client, event, category, n=1, **overrides):
    return client.post(f"/r/{event.slug}", data=form(category, n, **overrides))


# The form and the three outcomes


def test_registration_confirmed_with_ticket_mail_and_personal_link(app, english, event, make_organization, make_session):
    category = add_category(event, "Kadis Kominfo", capacity=5)
    region = make_organization("Kab. Siak")
    seminar = add_option(event, make_session(event, title="Seminar Smart Economy"), capacity=40)
    page = english.get(f"/r/{event.slug}")
    assert page.status_code == 200
    body = text(page)
    assert "Kadis Kominfo" in body and "Kab. Siak" in body
    assert "Seminar Smart Economy" in body and en(app, "%(count)d seats left", count=40) in body

    response = register(
        english, event, category, organization_id=str(region.id), proposed_organization="", email=" Budi@Siak.go.id ",
        phone="+62 812-3456-7890", nip="19850101 201001 1 001", option_ids=str(seminar.id),
    )
    assert response.status_code == 302, text(response)
    secret = secret_of(response)
    registration = registration_of("budi@siak.go.id")
    assert registration.state == RegistrationState.CONFIRMED
    assert registration.phone == "+6281234567890"
    assert registration.nip == "198501012010011001"
    assert registration.organization_id == region.id and registration.proposed_organization is None
    assert registration.locale == "en" and registration.consent_at is not None
    assert [c.option_id for c in registration.session_choices] == [seminar.id]
    assert registration.ticket is not None and registration.ticket.revoked_at is None
    mail = mails_to("budi@siak.go.id", "confirmation")
    assert len(mail) == 1 and secret in mail[0].body_text  # the mail carries the link shown on the page

    page = english.get(response.headers["Location"])
    assert page.status_code == 200
    assert 'data-state="confirmed"' in text(page)
    assert f"/my/{secret}" in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert en(app, "Your registration is confirmed. Your ticket is on its way to your email.") in text(page)
    assert 'data-testid="ticket-link"' in text(page) and f'href="/t/{secret}"' in text(page)
    assert english.get(f"/t/{secret}").status_code == 200


def test_category_needing_approval_leaves_registration_pending_until_approved(app, english, event):
    category = add_category(event, "Kepala Daerah", needs_approval=True)
    response = register(english, event, category)
    assert response.status_code == 302
    page = english.get(response.headers["Location"])
    assert 'data-state="pending"' in text(page)
    registration = registration_of("delegasi1@contoh.go.id")
    assert registration.state == RegistrationState.PENDING and registration.ticket is None
    assert mails_to(registration.email, "pending")

    services.approve(db.session, registration)
    db.session.commit()
    registration = registration_of("delegasi1@contoh.go.id")
    assert registration.state == RegistrationState.CONFIRMED and registration.ticket is not None
    assert mails_to(registration.email, "approval")
    with pytest.raises(RuleViolation):
        services.approve(db.session, registration)  # only once
    db.session.rollback()


def test_reject_needs_a_reason_and_the_registrant_reads_it(app, english, event):
    category = add_category(event, "Kepala Daerah", needs_approval=True)
    secret = secret_of(register(english, event, category))
    registration = registration_of("delegasi1@contoh.go.id")
    with pytest.raises(RuleViolation) as refused:
        services.reject(db.session, registration, "   ")
    assert refused.value.field == "reason"
    db.session.rollback()
    services.reject(db.session, registration, "Kuota Kepala Daerah hanya untuk undangan.")
    db.session.commit()
    page = english.get(f"/my/{secret}")
    assert 'data-state="rejected"' in text(page)
    assert "Kuota Kepala Daerah hanya untuk undangan." in text(page)
    assert "Kuota Kepala Daerah hanya untuk undangan." in mails_to(registration.email, "rejection")[0].body_text


def test_full_category_puts_the_registrant_on_the_waiting_list_and_says_so(app, english, event):
    category = add_category(event, "OPD", capacity=1)
    assert register(english, event, category, 1).status_code == 302
    form_page = text(english.get(f"/r/{event.slug}"))
    assert en(app, "full: you join the waiting list") in form_page
    response = register(english, event, category, 2)
    assert response.status_code == 302
    page = text(english.get(response.headers["Location"]))
    assert 'data-state="waitlisted"' in page
    assert en(app, "Your category is full, so you are on the waiting list. We will email you as soon as a seat is free.") in page
    assert 'data-testid="waitlist-position"' in page
    third = register(english, event, category, 3)
    assert "number 2 on the waiting list" in text(english.get(third.headers["Location"]))
    assert registration_of("delegasi2@contoh.go.id").ticket is None
    assert mails_to("delegasi2@contoh.go.id", "waitlist")


def test_event_capacity_counts_every_category(app, english, organizer):
    _user, event = organizer
    open_registration(event, capacity=2)
    media, public = add_category(event, "Media"), add_category(event, "Umum")
    register(english, event, media, 1)
    register(english, event, public, 2)
    register(english, event, public, 3)
    assert registration_of("delegasi3@contoh.go.id").state == RegistrationState.WAITLISTED


def test_cancelling_promotes_the_next_in_line_and_tells_them(app, english, event):
    category = add_category(event, "OPD", capacity=1)
    first = secret_of(register(english, event, category, 1))
    register(english, event, category, 2)
    register(english, event, category, 3)
    old_ticket = registration_of("delegasi1@contoh.go.id").ticket

    confirm = english.get(f"/my/{first}/cancel")
    assert confirm.status_code == 200 and 'data-testid="cancel-confirmation"' in text(confirm)
    assert registration_of("delegasi1@contoh.go.id").state == RegistrationState.CONFIRMED  # asking is not cancelling
    response = english.post(f"/my/{first}/cancel")
    assert response.status_code == 302
    cancelled = registration_of("delegasi1@contoh.go.id")
    assert cancelled.state == RegistrationState.CANCELLED
    assert fresh().get(type(old_ticket), old_ticket.id).revoked_at is not None
    assert mails_to("delegasi1@contoh.go.id", "cancellation")
    promoted = registration_of("delegasi2@contoh.go.id")
    assert promoted.state == RegistrationState.CONFIRMED and promoted.ticket is not None
    assert mails_to("delegasi2@contoh.go.id", "promotion")
    assert registration_of("delegasi3@contoh.go.id").state == RegistrationState.WAITLISTED
    assert 'data-state="cancelled"' in text(english.get(f"/my/{first}"))
    # A second cancel is refused politely.
    again = followed(english, english.post(f"/my/{first}/cancel"))
    assert en(app, "This registration is already cancelled.") in text(again)


def test_promotion_into_a_category_needing_approval_goes_to_pending(app, english, event):
    category = add_category(event, "Kepala Daerah", capacity=1, needs_approval=True)
    first = secret_of(register(english, event, category, 1))
    register(english, event, category, 2)
    assert registration_of("delegasi2@contoh.go.id").state == RegistrationState.WAITLISTED
    english.post(f"/my/{first}/cancel")
    assert registration_of("delegasi2@contoh.go.id").state == RegistrationState.PENDING


def test_session_capacity_has_its_own_waiting_list(app, english, event, make_session):
    category = add_category(event, "Umum")
    fgd = add_option(event, make_session(event, title="FGD Hari 2"), capacity=1)
    first = secret_of(register(english, event, category, 1, option_ids=str(fgd.id)))
    second = secret_of(register(english, event, category, 2, option_ids=str(fgd.id)))
    assert [c.waitlisted for c in registration_of("delegasi1@contoh.go.id").session_choices] == [False]
    assert [c.waitlisted for c in registration_of("delegasi2@contoh.go.id").session_choices] == [True]
    assert 'data-testid="session-waitlisted"' in text(english.get(f"/my/{second}"))

    # The first drops the session on their page: the second gets its seat.
    response = english.post(f"/my/{first}/sessions", data={})
    assert response.status_code == 302
    assert registration_of("delegasi1@contoh.go.id").session_choices == []
    assert [c.waitlisted for c in registration_of("delegasi2@contoh.go.id").session_choices] == [False]


def test_registrant_changes_session_choices(app, english, event, make_session):
    category = add_category(event, "Umum")
    a = add_option(event, make_session(event, title="Seminar A"))
    b = add_option(event, make_session(event, title="Seminar B"))
    secret = secret_of(register(english, event, category, option_ids=str(a.id)))
    page = text(english.get(f"/my/{secret}"))
    assert 'data-testid="sessions-form"' in page
    response = english.post(f"/my/{secret}/sessions", data={"option_ids": [str(b.id)]})
    assert response.status_code == 302
    assert [c.option_id for c in registration_of("delegasi1@contoh.go.id").session_choices] == [b.id]
    bad = english.post(f"/my/{secret}/sessions", data={"option_ids": ["999999"]})
    assert bad.status_code == 400
    assert [c.option_id for c in registration_of("delegasi1@contoh.go.id").session_choices] == [b.id]


# Quotas per organization


def test_organization_quota_refuses_the_next_delegate_clearly(app, english, organizer, make_organization):
    _user, event = organizer
    open_registration(event, quota=2)
    category = add_category(event, "OPD")
    siak = make_organization("Kab. Siak")
    for n in (1, 2):
        assert register(english, event, category, n, organization_id=str(siak.id), proposed_organization="").status_code == 302
    response = register(english, event, category, 3, organization_id=str(siak.id), proposed_organization="")
    assert response.status_code == 200
    assert field_errors(response, "organization_id") == [
        en(app, "%(organization)s has reached its quota of %(quota)d delegates for this event.", organization="Kab. Siak", quota=2)
    ]
    assert registrations() == 2
    # Proposing the same region "as new" does not get round the quota.
    sneaky = register(english, event, category, 4, organization_id="0", proposed_organization="kab.  SIAK")
    assert field_errors(sneaky, "organization_id")
    assert registrations() == 2
    # Another region still registers; a new body is kept as proposed.
    other = register(english, event, category, 5, proposed_organization="Dinas Kominfo Kab. Baru")
    assert other.status_code == 302
    assert registration_of("delegasi5@contoh.go.id").proposed_organization == "Dinas Kominfo Kab. Baru"


# Window


@pytest.mark.parametrize(
    "window, message",
    [
        ({"enabled": False}, "Registration for this event is not open."),
        ({"opens_at": timedelta(days=1)}, "Registration has not opened yet."),
        ({"closes_at": -timedelta(minutes=1)}, "Registration has closed."),
    ],
)
def test_closed_window_says_so_and_stores_nothing(app, english, organizer, window, message):
    _user, event = organizer
    category = add_category(event)
    now = utcnow()
    open_registration(
        event,
        enabled=window.get("enabled", True),
        opens_at=now + window["opens_at"] if "opens_at" in window else None,
        closes_at=now + window["closes_at"] if "closes_at" in window else None,
    )
    page = english.get(f"/r/{event.slug}")
    assert page.status_code == 200
    assert en(app, message) in text(page)
    assert 'data-testid="registration-form"' not in text(page)
    response = register(english, event, category)
    assert en(app, message) in text(response)
    assert registrations() == 0


def test_event_without_settings_is_closed_and_draft_events_are_hidden(app, english, make_event):
    event = make_event()
    assert 'data-testid="registration-closed"' in text(english.get(f"/r/{event.slug}"))
    draft = make_event(status=EventStatus.DRAFT)
    open_registration(draft)
    assert english.get(f"/r/{draft.slug}").status_code == 404
    assert english.get("/r/no-such-event").status_code == 404


# Bad input


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "budi@", "Enter a valid email address, e.g. nama@kominfo.go.id."),
        ("email", "", "Enter your email address."),
        ("phone", "08123", "This phone number is not valid: check the digits. Enter your mobile number, e.g. 0812 3456 7890."),
        ("phone", "021 5551234", "This is not a mobile number. Enter a mobile number (for WhatsApp and text messages), e.g. 0812 3456 7890."),
        ("phone", "telepon saya", "This is not a phone number. Enter your mobile number, e.g. 0812 3456 7890."),
        ("nip", "1985010120100110", "A NIP has exactly 18 digits, e.g. 19850101 201001 1 001. Leave it empty if you have none."),
        ("nip", "19850101201001100X", "A NIP has exactly 18 digits, e.g. 19850101 201001 1 001. Leave it empty if you have none."),
        ("name", "", "Enter your name."),
        ("proposed_organization", "", "Choose your organization, or write its name below if it is not in the list."),
        ("consent", None, "Agree to the processing of your data to register."),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(app, english, event, field, value, message):
    category = add_category(event)
    response = register(english, event, category, **{field: value})
    assert response.status_code == 200
    shown_on = "organization_id" if field == "proposed_organization" else field
    assert en(app, message) in field_errors(response, shown_on)
    assert registrations() == 0


@pytest.mark.parametrize("typed", ["0812 3456 7890", "62812-3456-7890", "+62 812-3456-7890", "(0812) 3456 7890", "+6281234567890"])
def test_indonesian_ways_of_writing_a_mobile_number_become_e164(app, english, event, typed):
    category = add_category(event)
    assert register(english, event, category, phone=typed).status_code == 302
    assert registration_of("delegasi1@contoh.go.id").phone == "+6281234567890"


def test_category_of_another_event_is_refused(app, english, event, make_event):
    other = add_category(make_event(), "Lain")
    add_category(event)
    response = register(english, event, other)
    assert response.status_code == 200 and field_errors(response, "category_id")
    assert registrations() == 0


def test_second_registration_with_the_same_email_offers_to_resend_the_link(app, english, event):
    category = add_category(event)
    register(english, event, category)
    before = len(mails_to("delegasi1@contoh.go.id"))
    response = register(english, event, category, email="DELEGASI1@contoh.go.id", name="Orang Lain")
    assert response.status_code == 200
    assert field_errors(response, "email") == [
        en(app, "This email address is already registered for this event. We can send the ticket link to it again.")
    ]
    assert 'data-testid="resend-offer"' in text(response) and 'data-testid="resend-form"' in text(response)
    assert registrations() == 1

    resent = followed(english, english.post(f"/r/{event.slug}/resend", data={"email": "delegasi1@contoh.go.id"}))
    assert en(app, "If this address is registered for the event, its personal link is on its way to it. Check your inbox (and spam folder) in a few minutes.") in text(resent)
    mails = mails_to("delegasi1@contoh.go.id")
    assert len(mails) == before + 1 and mails[-1].kind == "confirmation"
    new_secret = re.search(r"/my/([A-Za-z0-9_-]+)", mails[-1].body_text).group(1)
    assert english.get(f"/my/{new_secret}").status_code == 200

    # An unknown address gets the same answer and no mail goes anywhere.
    unknown = followed(english, english.post(f"/r/{event.slug}/resend", data={"email": "siapa@contoh.go.id"}))
    assert en(app, "If this address is registered for the event, its personal link is on its way to it. Check your inbox (and spam folder) in a few minutes.") in text(unknown)
    assert mails_to("siapa@contoh.go.id") == []


def test_resend_is_limited_per_address(app, english, event):
    category = add_category(event)
    register(english, event, category)
    for _ in range(5):
        english.post(f"/r/{event.slug}/resend", data={"email": "delegasi1@contoh.go.id"})
    assert len(mails_to("delegasi1@contoh.go.id")) == services.RESEND_PER_HOUR


# The event's own questions


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 0, 0)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def questionnaire(event):
    return {
        "short": add_question(event, "Nama panggilan", QuestionKind.SHORT_TEXT, required=True),
        "long": add_question(event, "Harapan Anda", QuestionKind.LONG_TEXT),
        "single": add_question(event, "Ukuran kaos", QuestionKind.SINGLE_CHOICE, required=True, choices="S\nM\nL"),
        "multi": add_question(event, "Dimensi Smart City", QuestionKind.MULTIPLE_CHOICE, choices="Smart Governance\nSmart Economy\nSmart Living"),
        "yesno": add_question(event, "Vegetarian?", QuestionKind.YES_NO, required=True),
        "file": add_question(event, "Surat tugas", QuestionKind.FILE, required=True),
    }


def answers(q, **overrides):
    data = {
        f"q_{q['short'].id}": "Budi",
        f"q_{q['long'].id}": "Belajar dari daerah lain.",
        f"q_{q['single'].id}": "M",
        f"q_{q['multi'].id}": ["Smart Governance", "Smart Living"],
        f"q_{q['yesno'].id}": "no",
        f"q_{q['file'].id}": (io.BytesIO(pdf_bytes()), "surat tugas.pdf"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_questions_are_asked_by_kind_and_answers_stored(app, english, event, questionnaire):
    category = add_category(event)
    page = text(english.get(f"/r/{event.slug}"))
    for question in questionnaire.values():
        assert question.label in page
    assert 'type="radio"' in page and 'type="checkbox"' in page and 'type="file"' in page
    response = english.post(f"/r/{event.slug}", data=form(category) | answers(questionnaire), content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    registration = registration_of("delegasi1@contoh.go.id")
    by_question = {a.question_id: a for a in registration.answers}
    assert by_question[questionnaire["single"].id].value == "M"
    assert by_question[questionnaire["multi"].id].value == "Smart Governance\nSmart Living"
    assert by_question[questionnaire["yesno"].id].value == "no"
    upload = by_question[questionnaire["file"].id]
    assert upload.file_name == "surat tugas.pdf" and upload.file_key.endswith(".pdf")
    assert stored_files(app) == [upload.file_key]


def test_picture_answers_are_accepted_as_png(app, english, event, questionnaire):
    category = add_category(event)
    data = form(category) | answers(questionnaire, **{f"q_{questionnaire['file'].id}": (io.BytesIO(png_bytes()), "scan.jpg")})
    assert english.post(f"/r/{event.slug}", data=data, content_type="multipart/form-data").status_code == 302
    assert stored_files(app)[0].endswith(".png")  # what the bytes are, not what the name says


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("short", "", "Answer this question."),
        ("single", "XL", "Not a valid choice."),
        ("yesno", None, "Answer yes or no."),
        ("file", None, "Choose a PDF, JPEG or PNG file."),
    ],
)
def test_unanswered_or_invalid_answers_are_refused(app, english, event, questionnaire, key, value, message):
    category = add_category(event)
    data = form(category) | answers(questionnaire, **{f"q_{questionnaire[key].id}": value})
    response = english.post(f"/r/{event.slug}", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert field_errors(response, f"q_{questionnaire[key].id}") == [en(app, message)]
    assert registrations() == 0 and stored_files(app) == []


@pytest.mark.parametrize(
    "content, name",
    [
        (b"<html><script>alert(1)</script></html>", "surat.pdf"),
        (b"%PDF-1.4 cut off in the middle", "surat.pdf"),
        (b"", "kosong.pdf"),
    ],
)
def test_files_are_checked_by_content(app, english, event, questionnaire, content, name):
    category = add_category(event)
    data = form(category) | answers(questionnaire, **{f"q_{questionnaire['file'].id}": (io.BytesIO(content), name)})
    response = english.post(f"/r/{event.slug}", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert field_errors(response, f"q_{questionnaire['file'].id}")
    assert registrations() == 0 and stored_files(app) == []


def test_too_large_file_is_refused(make_app, organizer, login):
    application = make_app(REGISTRATION_FILE_MAX_BYTES=100)
    with application.app_context():
        _user, event = organizer
        event = db.session.merge(event)
        open_registration(event)
        category = add_category(event)
        question = add_question(event, "Surat tugas", QuestionKind.FILE, required=True)
        client = application.test_client()
        data = form(category) | {f"q_{question.id}": (io.BytesIO(pdf_bytes() + b" " * 200), "besar.pdf")}
        response = client.post(f"/r/{event.slug}", data=data, content_type="multipart/form-data")
        assert response.status_code == 200
        assert field_errors(response, f"q_{question.id}")
        assert registrations() == 0 and stored_files(application) == []


def test_uploaded_file_is_deleted_when_the_registration_fails(app, english, event, questionnaire):
    category = add_category(event)
    english.post(f"/r/{event.slug}", data=form(category) | answers(questionnaire), content_type="multipart/form-data")
    assert len(stored_files(app)) == 1
    # Same email again: the form is fine, the file is good, the rule refuses: the new file goes.
    response = english.post(f"/r/{event.slug}", data=form(category) | answers(questionnaire), content_type="multipart/form-data")
    assert field_errors(response, "email")
    assert len(stored_files(app)) == 1 and registrations() == 1


# Personal invitations


@pytest.fixture
def invited(event, make_organization):
    category = add_category(event, "Kepala Bappeda")
    add_category(event, "Umum")
    region = make_organization("Kota Cirebon")
    invitation, token = invitations.create_invitation(
        db.session, event, email="Bappeda@cirebonkota.go.id", name="Ir. Anwar", position="Kepala Bappeda",
        phone="+6281234567891", organization_id=region.id, category_id=category.id,
    )
    db.session.commit()
    return invitation, token, category, region


def test_invitation_prefills_the_form_and_is_used_once(app, english, event, invited):
    invitation, token, category, region = invited
    page = english.get(f"/r/{event.slug}?invite={token}")
    assert page.status_code == 200
    body = text(page)
    assert 'data-testid="invitation-note"' in body
    assert 'value="Ir. Anwar"' in body and 'value="bappeda@cirebonkota.go.id"' in body
    assert f'<option selected value="{category.id}">' in body and f'<option selected value="{region.id}">' in body

    response = english.post(
        f"/r/{event.slug}?invite={token}",
        data=form(category, name="Ir. Anwar", email="bappeda@cirebonkota.go.id", organization_id=str(region.id), proposed_organization=""),
    )
    assert response.status_code == 302
    registration = registration_of("bappeda@cirebonkota.go.id")
    assert fresh().get(DelegateInvitation, invitation.id).registration_id == registration.id
    used = english.get(f"/r/{event.slug}?invite={token}")
    assert used.status_code == 410
    assert en(app, "This invitation has already been used to register. Open your personal link from the confirmation email, or ask for it again on the registration page.") in error_message(used)


def test_tampered_expired_replaced_and_foreign_invitations_are_refused(app, english, event, invited, make_event):
    invitation, token, _category, _region = invited
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    response = english.get(f"/r/{event.slug}?invite={tampered}")
    assert response.status_code == 400
    assert en(app, "This link is not valid: it is incomplete or was altered. Copy the whole link from your email, or ask the organizer for a new one.") in error_message(response)
    assert english.get(f"/r/{event.slug}?invite=").status_code == 400
    assert english.post(f"/r/{event.slug}?invite={tampered}", data={}).status_code == 400

    other = make_event()
    open_registration(other)
    assert english.get(f"/r/{other.slug}?invite={token}").status_code == 400

    # Invited again: the older link stops working, the new one works.
    _same, newer = invitations.create_invitation(db.session, event, email=invitation.email, name="Ir. Anwar")
    db.session.commit()
    assert english.get(f"/r/{event.slug}?invite={token}").status_code == 410
    assert english.get(f"/r/{event.slug}?invite={newer}").status_code == 200

    # Expired: past its date, without asking anyone.
    with pytest.raises(invitations.LinkProblem) as expired:
        invitations.invitation_from_token(db.session, event, newer, now=utcnow() + timedelta(days=15))
    assert expired.value.status == 410
    short, short_token = invitations.create_invitation(db.session, event, email="lain@contoh.go.id", name="Lain", max_age_days=0)
    db.session.commit()
    response = english.get(f"/r/{event.slug}?invite={short_token}")
    assert response.status_code == 410
    assert en(app, "This invitation link has expired. Ask the organizer for a new one.") in error_message(response)

    # Withdrawn: the organizer deleted it.
    fresh().delete(fresh().get(DelegateInvitation, invitation.id))
    db.session.commit()
    assert english.get(f"/r/{event.slug}?invite={newer}").status_code == 410


# Organization links


@pytest.fixture
def region_link(organizer, make_organization):
    _user, event = organizer
    open_registration(event, quota=2)
    category = add_category(event, "OPD")
    siak = make_organization("Kab. Siak")
    other = make_organization("Kota Pekanbaru")
    token = invitations.organization_link(db.session, event, siak)
    db.session.commit()
    return event, category, siak, other, token


def test_organization_link_locks_the_organization_and_counts_against_its_quota(app, english, region_link):
    event, category, siak, other, token = region_link
    page = english.get(f"/r/{event.slug}/o/{token}")
    assert page.status_code == 200
    assert 'data-testid="locked-organization"' in text(page) and "Kab. Siak" in text(page)
    assert 'name="organization_id"' not in text(page)
    # Whatever the browser sends, the delegate belongs to the link's organization.
    for n in (1, 2):
        response = english.post(
            f"/r/{event.slug}/o/{token}", data=form(category, n, organization_id=str(other.id), proposed_organization="Lain")
        )
        assert response.status_code == 302, text(response)
        registration = registration_of(f"delegasi{n}@contoh.go.id")
        assert registration.organization_id == siak.id and registration.proposed_organization is None
    quota = en(app, "%(organization)s has reached its quota of %(quota)d delegates for this event.", organization="Kab. Siak", quota=2)
    full = english.get(f"/r/{event.slug}/o/{token}")
    assert quota in text(full) and 'data-testid="registration-form"' not in text(full)
    # Through the public form the quota holds too.
    response = register(english, event, category, 3, organization_id=str(siak.id), proposed_organization="")
    assert field_errors(response, "organization_id") == [quota]
    assert registrations() == 2


def test_tampered_rotated_and_withdrawn_organization_links_are_refused(app, english, region_link):
    event, category, siak, _other, token = region_link
    # The first character: all its bits count. Changing the last two could leave the signature's bytes as they were
    # (a base64 string's last character carries padding bits), which made this test fail once in a few hundred runs.
    tampered = ("B" if token[0] != "B" else "C") + token[1:]
    response = english.get(f"/r/{event.slug}/o/{tampered}")
    assert response.status_code == 400
    assert english.post(f"/r/{event.slug}/o/{tampered}", data=form(category)).status_code == 400
    newer = invitations.organization_link(db.session, event, siak)
    db.session.commit()
    assert english.get(f"/r/{event.slug}/o/{token}").status_code == 410
    assert english.get(f"/r/{event.slug}/o/{newer}").status_code == 200
    link = invitations.organization_link_from_token(db.session, event, newer)
    invitations.revoke_organization_link(db.session, link)
    db.session.commit()
    response = english.get(f"/r/{event.slug}/o/{newer}")
    assert response.status_code == 410
    assert en(app, "This registration link has been withdrawn by the organizer.") in error_message(response)
    assert registrations() == 0


# The personal page


def test_personal_page_needs_the_right_secret(app, english, event):
    category = add_category(event)
    secret = secret_of(register(english, event, category))
    assert english.get(f"/my/{secret}").status_code == 200
    for wrong in (secret[:-1], "x", "a" * 300):
        response = english.get(f"/my/{wrong}")
        assert response.status_code == 404
    assert english.post(f"/my/{secret[:-1]}/cancel").status_code == 404
    assert registration_of("delegasi1@contoh.go.id").state == RegistrationState.CONFIRMED


def test_cancel_needs_the_csrf_token(make_app, organizer):
    application = make_app(WTF_CSRF_ENABLED=True)
    with application.app_context():
        _user, event = organizer
        event = db.session.merge(event)
        open_registration(event)
        category = add_category(event)
        registration, secret = services.register(
            db.session, event, services.RegistrationData(category_id=category.id, name="Budi", email="budi@contoh.go.id",
                                                         proposed_organization="Dinas X", consent=True, phone="+6281234567890"),
        )
        db.session.commit()
        client = application.test_client()
        assert client.post(f"/my/{secret}/cancel").status_code == 400
        assert registration_of("budi@contoh.go.id").state == RegistrationState.CONFIRMED
        page = client.get(f"/my/{secret}/cancel")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(page)) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', text(page)
        )
        assert client.post(f"/my/{secret}/cancel", data={"csrf_token": token.group(1)}).status_code == 302
        assert registration_of("budi@contoh.go.id").state == RegistrationState.CANCELLED


def test_service_refuses_everything_before_storing_anything(app, event):
    category = add_category(event)
    data = services.RegistrationData(category_id=category.id, name="Budi", email="budi@contoh.go.id", proposed_organization="X",
                                     consent=False, phone="+6281234567890")
    with pytest.raises(RuleViolation) as refused:
        services.register(db.session, event, data)
    assert refused.value.field == "consent"
    db.session.rollback()
    assert registrations() == 0
    data.consent = True
    data.answers = {999999: "jawaban"}  # a question of no event: the form changed under the delegate
    with pytest.raises(RuleViolation):
        services.register(db.session, event, data)
    db.session.rollback()
    assert registrations() == 0
    assert fresh().scalar(select(func.count(Organization.id)).where(Organization.name == "X")) == 0


def test_resend_requests_are_rate_limited_per_visitor(make_app, organizer):
    application = make_app(RATELIMIT_ENABLED=True, REGISTRATION_RESEND_RATE_LIMIT="2 per hour")
    with application.app_context():
        _user, event = organizer
        event = db.session.merge(event)
        open_registration(event)
        client = application.test_client()
        statuses = [client.post(f"/r/{event.slug}/resend", data={"email": f"x{i}@contoh.go.id"}).status_code for i in range(3)]
        assert statuses == [302, 302, 429]


def test_first_visit_of_the_personal_page_says_to_keep_the_link(app, english, event):
    category = add_category(event)
    response = register(english, event, category)
    assert 'data-testid="bookmark-note"' in text(english.get(response.headers["Location"]))
    assert 'data-testid="bookmark-note"' not in text(english.get(f"/my/{secret_of(response)}"))


def test_event_page_offers_registration_only_while_it_is_open(app, client, organizer):
    _user, event = organizer
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert f'href="/r/{event.slug}"' not in page
    open_registration(event)
    add_category(event)
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert f'href="/r/{event.slug}"' in page
    open_registration(event, closes_at=utcnow() - timedelta(minutes=1))
    assert f'href="/r/{event.slug}"' not in client.get(f"/e/{event.slug}").get_data(as_text=True)
