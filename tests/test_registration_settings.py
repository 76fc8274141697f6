"""The organizer's registration settings: window in the event's zone, capacities, categories, questions, session sign-ups."""
import pytest
from sqlalchemy import func, select

from eventsys.extensions import db
from eventsys.registration import services
from eventsys.registration.models import (
    DelegateCategory,
    Question,
    QuestionKind,
    RegistrationSettings,
    RegistrationState,
    SessionOption,
)
from tests.conftest import utc
from tests.helpers import field_errors, fresh, text, tr


def en(app, msgid, **values) -> str:
    return tr(app, msgid, locale="en", **values)


@pytest.fixture
def manager(organizer, login, client):
    """The event's organizer, signed in, reading English; returns the event."""
    user, event = organizer
    login(user)
    client.post("/language/en")
    return event


def base(event) -> str:
    return f"/manage/{event.slug}/registration/settings"


def add_category(event, name="Umum", capacity=None, needs_approval=False):
    category = DelegateCategory(event_id=event.id, name=name, capacity=capacity, needs_approval=needs_approval)
    db.session.add(category)
    db.session.commit()
    return category


def settings_of(event) -> RegistrationSettings | None:
    return fresh().get(RegistrationSettings, event.id)


def register(event, category, n, **extra):
    registration, _secret = services.register(
        db.session,
        event,
        services.RegistrationData(
            category_id=category.id, name=f"Delegasi {n}", email=f"d{n}@contoh.go.id", proposed_organization="Dinas X",
            consent=True, phone="+6281234567890", **extra,
        ),
    )
    db.session.commit()
    return registration


# Who may open the settings


def test_only_the_events_organizers_open_the_settings(client, organizer, make_user, make_event, login):
    _user, event = organizer
    anonymous = client.get(base(event))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    stranger = make_user(email="lain@kominfo.go.id", event=make_event(), role="organizer")
    login(stranger)
    for path in ("", "/categories", "/questions", "/sessions"):
        assert client.get(base(event) + path).status_code == 403
        assert client.post(base(event) + path, data={}).status_code == 403


def test_settings_are_linked_from_the_organizer_menu(manager, client):
    page = text(client.get(f"/manage/{manager.slug}/agenda/"))
    assert f'href="{base(manager)}"' in page


# Window and capacity


def test_window_is_typed_in_the_events_zone_and_stored_in_utc(app, manager, client):
    add_category(manager)
    response = client.post(base(manager), data={
        "enabled": "y", "opens_at": "2017-10-01T08:00", "closes_at": "2017-11-14T23:59",
        "capacity": "300", "organization_quota": "3", "consent_text": "Saya setuju data saya dipakai panitia.",
    })
    assert response.status_code == 302, text(response)
    settings = settings_of(manager)
    assert settings.enabled and settings.capacity == 300 and settings.organization_quota == 3
    assert settings.opens_at == utc(2017, 10, 1, 1, 0)  # 08:00 WIB
    assert settings.closes_at == utc(2017, 11, 14, 16, 59)
    page = text(client.get(base(manager)))
    assert 'value="2017-10-01T08:00"' in page and "Saya setuju data saya dipakai panitia." in page
    assert f"/r/{manager.slug}" in page
    # Registrants read the organizer's consent text next to the box.
    settings.opens_at = settings.closes_at = None
    db.session.commit()
    assert "Saya setuju data saya dipakai panitia." in text(client.get(f"/r/{manager.slug}"))


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"opens_at": "2017-11-14T10:00", "closes_at": "2017-11-14T09:00"}, "closes_at", "Registration must close after it opens."),
        ({"opens_at": "2017-11-14T10:00", "closes_at": "2017-11-14T10:00"}, "closes_at", "Registration must close after it opens."),
        ({"capacity": "0"}, "capacity", "Enter a whole number from 1 up, or leave it empty for no limit."),
        ({"organization_quota": "-2"}, "organization_quota", "Enter a whole number from 1 up, or leave it empty for no limit."),
        ({"capacity": "banyak"}, "capacity", "Not a valid integer value."),
        ({"opens_at": "0001-01-01T00:00"}, "opens_at", "Enter a date between 2000 and 2100."),
    ],
)
def test_bad_settings_are_refused_next_to_their_field(app, manager, client, data, field, message):
    add_category(manager)
    response = client.post(base(manager), data={"enabled": "y", **data})
    assert response.status_code == 200
    assert en(app, message) in field_errors(response, field)
    assert settings_of(manager) is None or not settings_of(manager).enabled


def test_registration_cannot_open_without_a_category(app, manager, client):
    response = client.post(base(manager), data={"enabled": "y"})
    assert field_errors(response, "enabled") == [en(app, "Add at least one delegate category before opening registration.")]
    assert settings_of(manager) is None or not settings_of(manager).enabled


def test_a_larger_capacity_seats_the_waiting_list(app, manager, client):
    category = add_category(manager, "OPD", capacity=1)
    client.post(base(manager), data={"enabled": "y", "capacity": "1"})
    register(manager, category, 1)
    waiting = register(manager, category, 2)
    assert waiting.state == RegistrationState.WAITLISTED
    # The event's capacity grows, the category's does not: still waiting.
    client.post(base(manager), data={"enabled": "y", "capacity": "5"})
    assert fresh().get(type(waiting), waiting.id).state == RegistrationState.WAITLISTED
    response = client.post(f"{base(manager)}/categories/{category.id}", data={"name": "OPD", "capacity": "2", "color": "#22aa44", "position": "0"})
    assert response.status_code == 302
    assert fresh().get(type(waiting), waiting.id).state == RegistrationState.CONFIRMED


# Categories


def test_categories_are_added_edited_and_listed(app, manager, client):
    response = client.post(f"{base(manager)}/categories", data={
        "name": "Kepala Daerah", "capacity": "50", "needs_approval": "y", "color": "#B91C1C", "position": "1",
    })
    assert response.status_code == 302, text(response)
    client.post(f"{base(manager)}/categories", data={"name": "Media", "color": "#1d4ed8", "position": "0"})
    category = fresh().scalar(select(DelegateCategory).where(DelegateCategory.name == "Kepala Daerah"))
    assert (category.capacity, category.needs_approval, category.color, category.position) == (50, True, "#b91c1c", 1)
    page = text(client.get(f"{base(manager)}/categories"))
    table = page[page.index('data-testid="categories"'):]
    assert table.index("Media") < table.index("Kepala Daerah")  # by order, then name

    duplicate = client.post(f"{base(manager)}/categories", data={"name": "kepala  daerah", "color": "#000000"})
    assert field_errors(duplicate, "name") == [en(app, "This event already has a category named “%(name)s”.", name="Kepala Daerah")]
    edited = client.post(f"{base(manager)}/categories/{category.id}", data={"name": "Kepala Daerah", "color": "#000000", "position": "1"})
    assert edited.status_code == 302
    assert fresh().get(DelegateCategory, category.id).capacity is None  # emptied: no limit
    bad = client.post(f"{base(manager)}/categories/{category.id}", data={"name": "Kepala Daerah", "capacity": "0", "color": "#000000"})
    assert field_errors(bad, "capacity")


def test_a_category_with_registrations_cannot_be_deleted(app, manager, client):
    client.post(base(manager), data={})
    used = add_category(manager, "OPD")
    empty = add_category(manager, "Media")
    services.settings_for(db.session, manager).enabled = True
    db.session.commit()
    register(manager, used, 1)
    response = client.post(f"{base(manager)}/categories/{used.id}/delete")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert en(app, "“%(name)s” has %(count)d registrations and cannot be deleted. Rename it or change its capacity instead.", name="OPD", count=1) in page
    assert fresh().get(DelegateCategory, used.id) is not None
    empty_id = empty.id
    client.post(f"{base(manager)}/categories/{empty_id}/delete")
    assert fresh().get(DelegateCategory, empty_id) is None


def test_another_events_category_is_not_found(manager, client, make_event):
    foreign = add_category(make_event(), "Lain")
    assert client.get(f"{base(manager)}/categories/{foreign.id}").status_code == 404
    assert client.post(f"{base(manager)}/categories/{foreign.id}/delete").status_code == 404
    assert fresh().get(DelegateCategory, foreign.id) is not None


# Questions


def test_questions_are_added_with_choices_and_edited(app, manager, client):
    response = client.post(f"{base(manager)}/questions", data={
        "label": "Ukuran kaos", "kind": "single_choice", "required": "y", "choices": "S\n M \n\nL\nm", "position": "2",
    })
    assert response.status_code == 302, text(response)
    question = fresh().scalar(select(Question))
    assert question.kind == QuestionKind.SINGLE_CHOICE and question.required
    assert question.choice_list == ["S", "M", "L"]  # blank lines and repeats dropped
    page = text(client.get(f"{base(manager)}/questions/{question.id}"))
    assert 'value="Ukuran kaos"' in page
    client.post(f"{base(manager)}/questions/{question.id}", data={"label": "Ukuran kaos?", "kind": "short_text", "choices": "S\nM"})
    question = fresh().get(Question, question.id)
    assert question.kind == QuestionKind.SHORT_TEXT and question.choices == "" and not question.required


@pytest.mark.parametrize("choices", ["", "Hanya satu", "Sama\nsama"])
def test_choice_questions_need_two_answers(app, manager, client, choices):
    response = client.post(f"{base(manager)}/questions", data={"label": "Pilih", "kind": "multiple_choice", "choices": choices})
    assert field_errors(response, "choices") == [en(app, "Give at least two answers to choose from, one a line.")]
    assert fresh().scalar(select(func.count(Question.id))) == 0


def test_answered_question_keeps_its_kind_and_deleting_removes_answers(app, manager, client):
    category = add_category(manager)
    services.settings_for(db.session, manager).enabled = True
    question = Question(event_id=manager.id, label="Vegetarian?", kind=QuestionKind.YES_NO)
    db.session.add(question)
    db.session.commit()
    register(manager, category, 1, answers={question.id: "yes"})
    response = client.post(f"{base(manager)}/questions/{question.id}", data={"label": "Vegetarian?", "kind": "short_text"})
    assert field_errors(response, "kind")
    assert fresh().get(Question, question.id).kind == QuestionKind.YES_NO
    question_id = question.id
    deleted = client.post(f"{base(manager)}/questions/{question_id}/delete")
    assert deleted.status_code == 302
    assert en(app, "Question deleted with its %(count)d answers.", count=1) in text(client.get(deleted.headers["Location"]))
    assert fresh().get(Question, question_id) is None


# Sessions with their own sign-up


def test_agenda_sessions_get_their_own_sign_up_with_capacity(app, manager, client, make_session, make_event):
    fgd = make_session(manager, title="FGD Hari 2")
    make_session(manager, title="Pembukaan")
    foreign = make_session(make_event(), title="Sesi acara lain")
    page = text(client.get(f"{base(manager)}/sessions"))
    assert "FGD Hari 2" in page and "Sesi acara lain" not in page
    response = client.post(f"{base(manager)}/sessions", data={"session_id": str(fgd.id), "capacity": "25"})
    assert response.status_code == 302, text(response)
    option = fresh().scalar(select(SessionOption))
    assert (option.session_id, option.capacity) == (fgd.id, 25)
    # Listed once: no second sign-up for the same session, none for another event's session.
    again = client.post(f"{base(manager)}/sessions", data={"session_id": str(fgd.id)})
    assert again.status_code == 200 and field_errors(again, "session_id")
    other = client.post(f"{base(manager)}/sessions", data={"session_id": str(foreign.id)})
    assert field_errors(other, "session_id")
    assert fresh().scalar(select(func.count(SessionOption.id))) == 1

    assert client.post(f"{base(manager)}/sessions/{option.id}", data={"capacity": "40"}).status_code == 302
    assert fresh().get(SessionOption, option.id).capacity == 40
    bad = client.post(f"{base(manager)}/sessions/{option.id}", data={"capacity": "0"})
    assert bad.status_code == 400 and fresh().get(SessionOption, option.id).capacity == 40
    option_id = option.id
    assert client.post(f"{base(manager)}/sessions/{option_id}/delete").status_code == 302
    assert fresh().get(SessionOption, option_id) is None


def test_a_session_with_sign_ups_cannot_be_removed_and_more_seats_promote(app, manager, client, make_session):
    category = add_category(manager)
    services.settings_for(db.session, manager).enabled = True
    fgd = make_session(manager, title="FGD Hari 2")
    option = SessionOption(event_id=manager.id, session_id=fgd.id, capacity=1)
    db.session.add(option)
    db.session.commit()
    register(manager, category, 1, option_ids=[option.id])
    waiting = register(manager, category, 2, option_ids=[option.id])
    assert [c.waitlisted for c in waiting.session_choices] == [True]
    response = client.post(f"{base(manager)}/sessions/{option.id}/delete")
    page = text(client.get(response.headers["Location"]))
    assert en(app, "%(count)d registrants signed up for “%(title)s”, so its sign-up cannot be removed. Change its capacity instead.", count=2, title="FGD Hari 2") in page
    client.post(f"{base(manager)}/sessions/{option.id}", data={"capacity": "2"})
    assert [c.waitlisted for c in fresh().get(type(waiting), waiting.id).session_choices] == [False]
