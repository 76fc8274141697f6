"""The visitor side of an exhibition: the hall, a booth page, the stage, and counting views of items.

Who sees what is decided by services.hall_visible_to: before the opening only the exhibitors and the
organizers; visitors get a page saying when it opens. After the closing the hall stays as an archive.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import public
from eventsys.events.dimensions import DIMENSION_LABELS, Dimension
from eventsys.events.models import Event, EventKind
from eventsys.events.services import event_by_slug_or_404
from eventsys.exhibition import hall, hall_cache, visits
from eventsys.exhibition.engagement import messages_closed_reason, voting_closed_reason
from eventsys.exhibition.engagement_forms import MessageForm, VoteForm
from eventsys.exhibition.models import Booth, Exhibition, MediaKind
from eventsys.exhibition.services import Phase, can_edit_booth, exhibition_for, hall_visible_to, is_staff, opening_period, phase
from eventsys.extensions import db

bp = Blueprint("exhibition_hall_views", __name__)


def _labels() -> dict:
    """The dimension names in the page's language, translated once (not once per badge)."""
    return {d: str(label) for d, label in DIMENSION_LABELS.items()}


@dataclass
class Visible:
    event: Event
    exhibition: Exhibition
    phase: Phase
    opens_at: object
    closes_at: object


def load_exhibition(slug: str) -> Visible:
    """The exhibition of an event visitors may look at, or 404 when the event has none or is a draft."""
    event = event_by_slug_or_404(slug)
    if not event.is_public and not (current_user.is_authenticated and current_user.has_event_role(event, list(EventRoleName))):
        abort(404)
    exhibition = db.session.get(Exhibition, event.id)
    if exhibition is None:
        if event.kind != EventKind.EXHIBITION:
            abort(404)  # an event without an exhibition beside it
        exhibition = exhibition_for(db.session, event)
        db.session.commit()
    opens, closes = opening_period(exhibition, event)
    return Visible(event, exhibition, phase(exhibition, event), opens, closes)


def not_yet_open(visible: Visible):
    """Visitors before the opening: a page that says when, not an error."""
    return render_template("exhibition/hall_not_open.html", event=visible.event, opens_at=visible.opens_at), 200


def _visitor(response_cookie: dict) -> str:
    """The keyed visitor id of this browser; a new cookie is set on the response when it had none."""
    cookie, new = visits.visitor_cookie(request.cookies.get(visits.COOKIE))
    if new:
        response_cookie["value"] = cookie
    return visits.visitor_key(current_app.config["SECRET_KEY"], cookie)


def _set_cookie(response, value: str | None):
    if value:
        response.set_cookie(visits.COOKIE, value, max_age=visits.COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=request.is_secure, path="/")
    return response


@bp.get("/exhibition/<slug>")
@public
def hall_page(slug: str):
    visible = load_exhibition(slug)
    if not hall_visible_to(current_user, visible.event, visible.exhibition):
        return not_yet_open(visible)
    filters = hall.HallFilters.from_args(request.args)
    body = _fragment(visible, ("hall", tuple(sorted(filters.args().items()))), lambda: _hall_body(visible, filters), shared=not filters.q)
    return render_template("exhibition/hall_page.html", event=visible.event, body=body)


def _fragment(visible: Visible, parts: tuple, render, shared: bool = True):
    """The rendered fragment, from the short cache for anonymous visitors; signed-in users always get it fresh."""
    if current_user.is_authenticated:
        return Markup(render())
    return hall_cache.fragment(db.session, visible, parts, render, shared=shared)


def _hall_body(visible: Visible, filters: hall.HallFilters) -> str:
    slug = visible.event.slug
    pavilions, provinces = hall.pavilions(db.session, visible.event), hall.provinces(db.session, visible.event)
    dropped = hall.drop_unknown(filters, pavilions, provinces)  # a link to a deleted pavilion: the whole hall, and why
    page = hall.hall_page(db.session, visible.event, filters)
    return render_template(
        "exhibition/hall_body.html", v=visible, event=visible.event, filters=filters, page=page, dropped=dropped,
        pavilions=pavilions, provinces=provinces,
        dimensions=[(d, str(DIMENSION_LABELS[d])) for d in Dimension], labels=_labels(),
        top=hall.top_booths(db.session, visible.event) if visible.exhibition.voting_enabled else [],
        voting_over=voting_closed_reason(visible.exhibition, visible.event) is not None,
        has_stage=hall.has_stage(db.session, visible.event),
        booth_href=url_for(".booth_page", slug=slug, booth_id=0)[:-1], logo_href=url_for("exhibition_file_views.logo", slug=slug, booth_id=0),
    )


def render_booth(visible: Visible, booth: Booth, vote_form: VoteForm | None = None, message_form: MessageForm | None = None,
                 status: int = 200, count_visit: bool = False):
    """The booth page; the engagement views render it again with their form's errors.

    The booth part (description, programmes, approved media) is cached for anonymous visitors; the header
    with the visitor's CSRF token, the votes, the guestbook and the forms are rendered every time.
    """
    cookie: dict = {}
    labels = _labels()
    booth_part = _fragment(visible, ("booth", booth.id), lambda: _booth_body(visible, booth, labels))
    body = render_template(
        "exhibition/booth_page.html", v=visible, event=visible.event, booth=booth, body=booth_part,
        guestbook=hall.approved_guestbook(db.session, booth),
        votes=hall.vote_counts(db.session, visible.event).get(booth.id, 0) if visible.exhibition.voting_enabled else None,
        vote_closed=voting_closed_reason(visible.exhibition, visible.event),
        messages_closed=messages_closed_reason(visible.exhibition, visible.event),
        vote_form=vote_form or VoteForm(formdata=None, **_known()), message_form=message_form or MessageForm(formdata=None, **_known(True)),
    )
    if count_visit:
        _count(visible.event, booth.id, None, cookie)
    return _set_cookie(current_app.make_response((body, status)), cookie.get("value"))


def _known(with_name: bool = False) -> dict:
    """A signed-in visitor's address (and name) filled in on the vote and guestbook forms."""
    if not current_user.is_authenticated:
        return {}
    return {"email": current_user.email, **({"name": current_user.name} if with_name else {})}


def _booth_body(visible: Visible, booth: Booth, labels: dict) -> str:
    items = hall.public_media(db.session, booth)
    return render_template(
        "exhibition/booth_body.html", v=visible, event=visible.event, booth=booth, labels=labels, site_of=hall.site_of,
        videos=[i for i in items if i.kind == MediaKind.VIDEO],
        links=[i for i in items if i.kind == MediaKind.LINK],
        posters=[i for i in items if i.kind in (MediaKind.POSTER, MediaKind.DOCUMENT)],
    )


def visible_booth(slug: str, booth_id: int) -> tuple[Visible, Booth | None]:
    visible = load_exhibition(slug)
    if not hall_visible_to(current_user, visible.event, visible.exhibition):
        return visible, None
    booth = hall.booth_of(db.session, visible.event, booth_id)
    if booth is None:
        abort(404)
    return visible, booth


@bp.get("/exhibition/<slug>/booths/<int:booth_id>")
@public
def booth_page(slug: str, booth_id: int):
    visible, booth = visible_booth(slug, booth_id)
    if booth is None:
        return not_yet_open(visible)
    return render_booth(visible, booth, count_visit=True)


@bp.get("/exhibition/<slug>/stage")
@public
def stage(slug: str):
    visible = load_exhibition(slug)
    if not hall_visible_to(current_user, visible.event, visible.exhibition):
        return not_yet_open(visible)
    return render_template("exhibition/stage_page.html", v=visible, event=visible.event, labels=_labels(),
                           site_of=hall.site_of, items=hall.stage_media(db.session, visible.event))


def _item_for_visitor(slug: str, media_id: int):
    visible = load_exhibition(slug)
    if not hall_visible_to(current_user, visible.event, visible.exhibition):
        abort(404)
    item = hall.approved_item(db.session, visible.event, media_id)
    if item is None:
        abort(404)
    return visible, item


def _count(event: Event, booth_id: int | None, media_id: int | None, cookie: dict) -> None:
    """A view, stored in a transaction of its own (see visits.record_view); crawlers are not counted, nor the
    organizers and the booth's own exhibitors looking at it ("view as a visitor" would inflate its figures)."""
    if visits.is_bot(request.headers.get("User-Agent")) or _own_view(event, booth_id):
        return
    visitor = _visitor(cookie)
    event_id, zone = event.id, event.timezone
    db.session.commit()  # ends the request's own transaction (on SQLite a POST's holds the write lock)
    try:
        with db.engine.begin() as connection:
            visits.record_view(connection, event_id, zone, visitor, booth_id=booth_id, media_id=media_id)
    except SQLAlchemyError:  # a busy database loses a view count, never the page
        current_app.logger.warning("exhibition: a view of booth %s / item %s was not counted", booth_id, media_id, exc_info=True)


def _own_view(event: Event, booth_id: int | None) -> bool:
    if not current_user.is_authenticated:
        return False
    if is_staff(current_user, event):
        return True
    booth = db.session.get(Booth, booth_id) if booth_id else None
    return booth is not None and can_edit_booth(current_user, booth)


def _count_item(visible: Visible, item, cookie: dict) -> None:
    _count(visible.event, item.booth_id, item.id, cookie)


@bp.post("/exhibition/<slug>/media/<int:media_id>/played")
@public
def media_played(slug: str, media_id: int):
    """Sent by the page (navigator.sendBeacon) when a video starts playing: one item view."""
    visible, item = _item_for_visitor(slug, media_id)
    cookie: dict = {}
    _count_item(visible, item, cookie)
    return _set_cookie(current_app.make_response(("", 204)), cookie.get("value"))


@bp.get("/exhibition/<slug>/media/<int:media_id>/open")
@public
def media_open(slug: str, media_id: int):
    """Opening a poster, a PDF or an external video counts a view, then goes to the file (or the other site)."""
    visible, item = _item_for_visitor(slug, media_id)
    cookie: dict = {}
    _count_item(visible, item, cookie)
    if item.kind == MediaKind.LINK:
        address = item.external_url or ""
        # Only web addresses: a stored javascript: or data: address must never become a redirect.
        target = address if address.startswith(("https://", "http://")) else url_for(".stage", slug=slug)
    else:
        target = url_for("exhibition_file_views.media", slug=slug, media_id=item.id)
    return _set_cookie(redirect(target, 303), cookie.get("value"))
