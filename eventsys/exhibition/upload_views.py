"""A booth's media in the exhibitor portal, the organizers' stage videos, and the chunked upload API behind both.

The JSON API is used by static/js/exhibition-upload.js with the session cookie and the CSRF token in
the X-CSRFToken header:

    POST   /exhibit/<slug>/uploads                 {booth_id | stage: true, kind, title, file_name, size,
                                                    dimension?, quick_win_id?} -> 201 {token, chunk_size, …}
    GET    /exhibit/<slug>/uploads/<token>         -> {received, total, …}  (resume from `received`)
    POST   /exhibit/<slug>/uploads/<token>?offset=N  raw bytes (or Content-Range: bytes N-M/T) -> {received, …} | {done, media_id}
    DELETE /exhibit/<slug>/uploads/<token>         -> 204

A chunk at the wrong offset gets 409 with the offset the server has; a refused file a message in `error`
(and `same_as`, the id of the item, when the booth or the stage already holds the same bytes). A dimension or a
programme (one of the booth's) given at the start goes to the item; a wrong one answers 400.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required
from eventsys.core.form_base import TickToConfirmForm
from eventsys.core.rules import RuleViolation, commit_or_attach
from eventsys.core.security import MAX_ID
from eventsys.events.dimensions import dimension_choices
from eventsys.exhibition import duplicates, portal, services, uploads
from eventsys.exhibition.models import MediaKind
from eventsys.exhibition.portal_forms import LinkForm, MediaForm, MediaTextForm
from eventsys.exhibition.portal_views import _render, booth_or_404, overtaken
from eventsys.extensions import db

bp = Blueprint("exhibition_upload_views", __name__, url_prefix="/exhibit/<slug>")
exhibitor_or_organizer = event_role_required(EventRoleName.ORGANIZER, EventRoleName.EXHIBITOR)
organizer_only = event_role_required(EventRoleName.ORGANIZER)
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
CHOICES = ("dimension", "quick_win")  # upload fields whose wrong value answers 400


def _delete_files(item) -> None:
    from eventsys.exhibition import media  # E3's module; imported late so this one loads on its own

    media.delete_files(item)


def _schedule(media_id: int) -> None:
    from eventsys.exhibition import processing

    processing.schedule(media_id)


def _widget(booth=None) -> dict:
    """What the upload widget needs: its data attributes, and a booth's dimension and programme choices."""
    exhibition = portal.settings_of(db.session, g.event)
    return {
        "create_url": url_for(".create_upload", slug=g.event.slug),
        "booth_id": booth.id if booth else "",
        "max_video": uploads.max_bytes(exhibition, MediaKind.VIDEO),
        "max_poster": uploads.max_bytes(exhibition, MediaKind.POSTER),
        "dimensions": dimension_choices() if booth else [],
        "programmes": [(p.id, p.title) for p in booth.programmes] if booth else [],
    }


# The booth's media pages


def _media_page(booth, link_form=None, status: int = 200):
    items = portal.media_of_booths(db.session, [booth.id])[booth.id]
    return _render("exhibition/portal_media.html", booth=booth, items=items, link_form=link_form or LinkForm(formdata=None),
                   widget=_widget(booth), same=duplicates.same_files(items), status=status)


@bp.get("/booth/<int:booth_id>/media")
@exhibitor_or_organizer
def media(slug: str, booth_id: int):
    return _media_page(booth_or_404(booth_id))


@bp.post("/booth/<int:booth_id>/media/link")
@exhibitor_or_organizer
def add_link(slug: str, booth_id: int):
    booth = booth_or_404(booth_id)
    form = LinkForm()
    if form.validate_on_submit() and commit_or_attach(form, lambda: portal.add_link(
        db.session, current_user, booth, title=form.title.data, url=form.url.data, description=form.description.data or "",
        dimension=form.dimension.data,
    )):
        flash(_("The video link “%(title)s” is added; an organizer reviews it before visitors see it.",
                title=form.title.data.strip()), "success")
        return redirect(url_for(".media", slug=slug, booth_id=booth.id))
    return _media_page(booth, link_form=form, status=400)


def _item_or_404(booth, media_id: int):
    item = portal.editable_media(db.session, current_user, g.event, booth, media_id)
    if item is None:
        abort(404)
    return item


def _edit_item(item, form, booth, back_url: str):
    """The edit page of a booth's item (MediaForm) or a stage video (MediaTextForm: title and description only)."""
    has_choices = "dimension" in form  # a stage video keeps the dimension and programme it has (none)
    outcome: list[bool] = []  # whether the change sent an approved item back to review
    if request.method == "GET":
        if has_choices:
            form.dimension.data = item.dimension.value if item.dimension else ""
            form.quick_win.data = item.quick_win_id or 0
        form.version.data = portal.media_version(item)
    elif form.validate_on_submit() and commit_or_attach(form, lambda: outcome.append(portal.update_media(
        db.session, current_user, item, title=form.title.data, description=form.description.data or "",
        dimension=form.dimension.data if has_choices else item.dimension,
        quick_win_id=(form.quick_win.data or None) if has_choices else item.quick_win_id, version=form.version.data,
    ))):
        if outcome[0]:  # an approved item's text changed: visitors see it again once the organizers approve it
            flash(_("“%(title)s” is saved and back with the organizers for review; visitors see it again once it is approved.",
                    title=item.title), "warning")
        else:
            flash(_("“%(title)s” is saved.", title=item.title), "success")
        return redirect(back_url)
    return _render("exhibition/portal_media_item.html", booth=booth, item=item, form=form, back_url=back_url,
                   status=400 if request.method == "POST" else 200, conflict=overtaken(form, portal.media_version(item)))


@bp.route("/booth/<int:booth_id>/media/<int:media_id>", methods=["GET", "POST"])
@exhibitor_or_organizer
def edit_media(slug: str, booth_id: int, media_id: int):
    booth = booth_or_404(booth_id)
    item = _item_or_404(booth, media_id)
    form = MediaForm(obj=item if request.method == "GET" else None, programmes=booth.programmes)
    return _edit_item(item, form, booth, url_for(".media", slug=slug, booth_id=booth.id))


def _delete_item(item) -> bool:
    form = TickToConfirmForm()  # a deleted video is gone with its file: the box next to the button must be ticked
    if not form.validate_on_submit():
        flash(form.refusal(), "error")
        return False
    try:
        keys = portal.delete_media(db.session, current_user, item)
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
        return False
    db.session.commit()
    _delete_files(keys)
    flash(_("“%(title)s” is deleted.", title=keys.title), "success")
    return True


@bp.post("/booth/<int:booth_id>/media/<int:media_id>/delete")
@exhibitor_or_organizer
def delete_media(slug: str, booth_id: int, media_id: int):
    booth = booth_or_404(booth_id)
    _delete_item(_item_or_404(booth, media_id))
    return redirect(url_for(".media", slug=slug, booth_id=booth.id))


# The stage: performance videos, uploaded by organizers


@bp.get("/stage")
@organizer_only
def stage(slug: str):
    items = portal.stage_media(db.session, g.event)
    return _render("exhibition/portal_stage.html", items=items, widget=_widget(None), same=duplicates.same_files(items))


@bp.route("/stage/<int:media_id>", methods=["GET", "POST"])
@organizer_only
def edit_stage_media(slug: str, media_id: int):
    item = _item_or_404(None, media_id)
    form = MediaTextForm(obj=item if request.method == "GET" else None)
    return _edit_item(item, form, None, url_for(".stage", slug=slug))


@bp.post("/stage/<int:media_id>/delete")
@organizer_only
def delete_stage_media(slug: str, media_id: int):
    _delete_item(_item_or_404(None, media_id))
    return redirect(url_for(".stage", slug=slug))


# The chunked upload API


def _json_error(status: int, message: str, **extra):
    response = jsonify(error=message, **extra)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_found():
    return _json_error(404, _("This upload no longer exists: it was finished, cancelled or left unfinished for too long. "
                              "Choose the file again to start over."))


def _upload_or_none(token: str, *, lock: bool = False):
    """The upload, if this account may touch it: a booth it edits, or the stage for organizers."""
    upload = uploads.find(db.session, g.event, token, lock=lock)
    if upload is None:
        return None
    if upload.booth_id is not None:
        return upload if portal.editable_booth(db.session, current_user, g.event, upload.booth_id) else None
    return upload if services.is_staff(current_user, g.event) else None


@bp.post("/uploads")
@exhibitor_or_organizer
def create_upload(slug: str):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(400, _("The request could not be understood. Reload the page and try again."))
    event = g.event
    no_booth = _("This booth does not exist or is not yours to edit.")  # the API answers JSON, also when refusing
    if data.get("stage"):
        if not services.is_staff(current_user, event):
            return _json_error(404, no_booth)
        booth = None
    else:
        booth_id = data.get("booth_id")
        if isinstance(booth_id, str) and booth_id.isdigit():
            booth_id = int(booth_id)
        valid = isinstance(booth_id, int) and not isinstance(booth_id, bool) and 1 <= booth_id <= MAX_ID
        booth = portal.editable_booth(db.session, current_user, event, booth_id) if valid else None
        if booth is None:
            return _json_error(404, no_booth)
    exhibition = portal.settings_of(db.session, event)
    quick_win_id = data.get("quick_win_id") or None
    if isinstance(quick_win_id, str) and quick_win_id.isdigit():
        quick_win_id = int(quick_win_id)
    try:
        portal.check_open(db.session, current_user, event)
        upload = uploads.start(
            db.session, event=event, exhibition=exhibition, booth=booth, user=current_user, kind=str(data.get("kind") or ""),
            title=str(data.get("title") or ""), file_name=str(data.get("file_name") or ""), total_size=data.get("size"),
            description=str(data.get("description") or ""), dimension=data.get("dimension") or None,
            quick_win_id=quick_win_id, directory=uploads.partial_dir(),
        )
    except RuleViolation as violation:
        db.session.rollback()  # a wrong dimension or programme is a bad request: the widget only offers valid ones
        status = 413 if isinstance(violation, uploads.TooLarge) else 400 if violation.field in CHOICES else 422
        return _json_error(status, violation.message, field=violation.field)
    db.session.commit()
    body = uploads.status(upload) | {"url": url_for(".upload", slug=slug, token=upload.token)}
    return jsonify(body), 201


@bp.get("/uploads/<token>")
@exhibitor_or_organizer
def upload(slug: str, token: str):
    found = _upload_or_none(token)
    if found is None:
        return _not_found()
    response = jsonify(uploads.status(found))
    response.headers["Cache-Control"] = "no-store"
    return response


def _offset() -> int | None:
    header = request.headers.get("Content-Range", "")
    if header:
        match = CONTENT_RANGE.fullmatch(header.strip())
        return int(match.group(1)) if match else None
    try:
        return int(request.args.get("offset", ""))
    except ValueError:
        return None


@bp.post("/uploads/<token>")
@exhibitor_or_organizer
def upload_chunk(slug: str, token: str):
    found = _upload_or_none(token, lock=True)
    if found is None:
        return _not_found()
    offset = _offset()
    if offset is None or offset < 0:
        return _json_error(400, _("The chunk did not say where it belongs. Reload the page and try again."))
    if (request.content_length or 0) > uploads.MAX_CHUNK:
        return _json_error(413, _("A chunk may be at most %(size)d MB.", size=uploads.MAX_CHUNK // uploads.MB))
    request.max_content_length = uploads.MAX_CHUNK
    directory = uploads.partial_dir()
    try:
        uploads.append(db.session, found, offset, request.get_data(cache=False), directory)
    except uploads.WrongOffset as wrong:
        db.session.commit()
        return _json_error(409, _("This part was already received or is out of order; go on from byte %(offset)d.",
                                  offset=wrong.received), received=wrong.received, total=found.total_size)
    except RuleViolation as violation:
        db.session.commit() if isinstance(violation, uploads.TooLarge) else db.session.rollback()
        return _json_error(413 if isinstance(violation, uploads.TooLarge) else 422, violation.message)
    if not uploads.is_complete(found):
        db.session.commit()
        return jsonify(uploads.status(found) | {"done": False})
    limit = uploads.max_bytes(portal.settings_of(db.session, g.event), found.kind)
    try:
        item = uploads.finish(db.session, g.event, token, directory, limit=limit)
    except RuleViolation as violation:  # the file was refused, or the booth (the stage) already holds the same bytes
        db.session.rollback()
        return _json_error(422, violation.message, refused=True, same_as=getattr(violation, "existing_id", None))
    if item is None:
        return _json_error(409, _("The file is complete and being checked. Reload the page in a moment."),
                           received=found.total_size, total=found.total_size)
    _schedule(item.id)
    return jsonify(done=True, media_id=item.id, kind=item.kind.value, state=item.state.value,
                   message=_("“%(title)s” is received. It is being processed, then an organizer reviews it.", title=item.title)), 201


@bp.delete("/uploads/<token>")
@exhibitor_or_organizer
def cancel_upload(slug: str, token: str):
    found = _upload_or_none(token, lock=True)
    if found is None:
        return _not_found()
    uploads.cancel(db.session, found, uploads.partial_dir())
    db.session.commit()
    return "", 204

