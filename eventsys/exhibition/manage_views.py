"""The organizer's exhibition pages: overview and settings, pavilions, booths and their exhibitors, the moderation queue."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required
from eventsys.core.form_base import TickToConfirmForm
from eventsys.core.images import human_size
from eventsys.core.rules import commit_or_attach
from eventsys.core.timezones import form_local, form_utc
from eventsys.events.dimensions import DIMENSION_LABELS
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.exhibition import duplicates, moderation, portal, services, setup
from eventsys.exhibition.forms import (
    BoothEditForm,
    BoothForm,
    ConfirmForm,
    ExhibitorInvitationForm,
    PavilionForm,
    RejectForm,
    SettingsForm,
)
from eventsys.exhibition.models import MediaState
from eventsys.exhibition.portal_views import overtaken
from eventsys.extensions import db

bp = Blueprint("exhibition_manage_views", __name__, url_prefix="/manage/<slug>/exhibition")
organizer_only = event_role_required(EventRoleName.ORGANIZER)
_SENT_LINK = "exhibitor_invitation_link"  # in the organizer's session between the invitation and the page after it


def thumb_url(item) -> str | None:
    """The thumbnail of an item, when it has one and the file views serve it."""
    if not item.thumb_key or "exhibition_file_views.thumb" not in current_app.view_functions:
        return None
    return url_for("exhibition_file_views.thumb", slug=g.event.slug, media_id=item.id)


def _flash_problems(form) -> bool:
    """Show a refused button's messages (a rule of the service, an expired form) as flashes; True when there were any."""
    problems = list(form.form_errors) + [str(e) for e in getattr(getattr(form, "confirm", None), "errors", ())]
    csrf = getattr(form, "csrf_token", None)  # absent when CSRF is switched off (tests)
    if csrf is not None and csrf.errors:
        problems.append(_("Your form has expired or did not come from this site. Reload the page and send it again."))
    for problem in problems:
        flash(problem, "error")
    return bool(problems)


def _page(template: str, status: int = 200, **context):
    body = render_template(f"exhibition/{template}", event=g.event, status_labels=EVENT_STATUS_LABELS, thumb_url=thumb_url,
                           kind_label=moderation.kind_label, dimension_labels=DIMENSION_LABELS, human_size=human_size,
                           **context)
    return body, status


def _phase_label(phase) -> str:
    return {
        services.Phase.BEFORE: _("Not open yet: only exhibitors and organizers see the hall"),
        services.Phase.OPEN: _("Open to visitors"),
        services.Phase.ARCHIVE: _("Closed: the hall is a read-only archive"),
    }[phase]


# Overview and settings


@bp.route("", methods=["GET", "POST"])
@organizer_only
def index(slug: str):
    event = g.event
    exhibition = portal.settings_of(db.session, event)  # defaults until saved: opening the tab publishes nothing
    if request.method == "GET":
        form = SettingsForm(formdata=None, obj=exhibition)
        form.opens_at.data = form_local(exhibition.opens_at, event.timezone)
        form.closes_at.data = form_local(exhibition.closes_at, event.timezone)
    else:
        form = SettingsForm()
    if form.validate_on_submit():
        data = setup.SettingsData(
            opens_at=form_utc(form.opens_at.data, event.timezone), closes_at=form_utc(form.closes_at.data, event.timezone),
            intro=form.intro.data or "", max_video_mb=form.max_video_mb.data, max_poster_mb=form.max_poster_mb.data,
            voting_enabled=bool(form.voting_enabled.data),
        )
        if commit_or_attach(form, lambda: setup.save_settings(db.session, event, data)):
            flash(_("Exhibition settings saved."), "success")
            return redirect(url_for("exhibition_manage_views.index", slug=slug))
        exhibition = portal.settings_of(db.session, event)
    phase = services.phase(exhibition, event)
    opens, closes = services.opening_period(exhibition, event)
    return _page("manage_index.html", status=400 if form.errors else 200, form=form, exhibition=exhibition,
                 phase=phase, phase_label=_phase_label(phase), opens=opens, closes=closes,
                 counts=setup.overview_counts(db.session, event), has_hall=services.has_hall(db.session, event))


# Pavilions


def _pavilion_or_404(pavilion_id: int):
    pavilion = setup.pavilion_of(db.session, g.event, pavilion_id)
    if pavilion is None:
        abort(404)
    return pavilion


@bp.route("/pavilions", methods=["GET", "POST"])
@organizer_only
def pavilions(slug: str):
    form = PavilionForm()
    if form.validate_on_submit() and commit_or_attach(form, lambda: setup.save_pavilion(
            db.session, g.event, form.name.data, form.description.data, form.position.data)):
        flash(_("Pavilion %(name)s added.", name=form.name.data), "success")
        return redirect(url_for("exhibition_manage_views.pavilions", slug=slug))
    return _page("manage_pavilions.html", status=400 if form.errors else 200, form=form,
                 pavilions=setup.pavilions_for(db.session, g.event), delete_form=TickToConfirmForm(formdata=None))


@bp.route("/pavilions/<int:pavilion_id>", methods=["GET", "POST"])
@organizer_only
def edit_pavilion(slug: str, pavilion_id: int):
    pavilion = _pavilion_or_404(pavilion_id)
    form = PavilionForm(obj=pavilion) if request.method == "GET" else PavilionForm()
    if form.validate_on_submit() and commit_or_attach(form, lambda: setup.save_pavilion(
            db.session, g.event, form.name.data, form.description.data, form.position.data, pavilion)):
        flash(_("Changes saved."), "success")
        return redirect(url_for("exhibition_manage_views.pavilions", slug=slug))
    return _page("manage_pavilion.html", status=400 if form.errors else 200, form=form, pavilion=pavilion,
                 delete_form=TickToConfirmForm(formdata=None))


@bp.post("/pavilions/<int:pavilion_id>/delete")
@organizer_only
def delete_pavilion(slug: str, pavilion_id: int):
    pavilion = _pavilion_or_404(pavilion_id)
    form = TickToConfirmForm()
    if form.validate_on_submit():
        name = pavilion.name
        moved = setup.delete_pavilion(db.session, pavilion)
        db.session.commit()
        if moved:
            flash(ngettext("Pavilion %(name)s deleted; its %(num)d booth stays in the hall without a pavilion.",
                           "Pavilion %(name)s deleted; its %(num)d booths stay in the hall without a pavilion.", moved, name=name),
                  "success")
        else:
            flash(_("Pavilion %(name)s deleted.", name=name), "success")
    else:
        _flash_problems(form)
    return redirect(url_for("exhibition_manage_views.pavilions", slug=slug))


# Booths


def _booth_or_404(booth_id: int):
    booth = setup.booth_of(db.session, g.event, booth_id)
    if booth is None:
        abort(404)
    return booth


def _pavilion_choices() -> list[tuple[int, str]]:
    return [(0, _("— no pavilion —"))] + [(p.id, p.name) for p, _n in setup.pavilions_for(db.session, g.event)]


@bp.route("/booths", methods=["GET", "POST"])
@organizer_only
def booths(slug: str):
    event = g.event
    form = BoothForm()
    form.organization_id.choices = [(0, _("— choose —"))] + setup.organization_choices(db.session, event)
    form.pavilion_id.choices = _pavilion_choices()
    created = []
    if form.validate_on_submit() and commit_or_attach(form, lambda: created.append(setup.create_booth(
            db.session, event, form.organization_id.data, name=form.name.data, pavilion_id=form.pavilion_id.data,
            dimensions=form.dimensions.data))):
        flash(_("Booth %(name)s added. Invite its exhibitors below.", name=created[0].name), "success")
        return redirect(url_for("exhibition_manage_views.edit_booth", slug=slug, booth_id=created[0].id))
    return _page("manage_booths.html", status=400 if form.errors else 200, form=form, booths=setup.booths_for(db.session, event),
                 media_counts=setup.media_counts(db.session, event), delete_form=ConfirmForm())


def _booth_page(booth, form, invite_form, link=None, status=200, conflict=False):
    votes, messages = setup.booth_losses(db.session, booth)
    return _page("manage_booth.html", status=status, booth=booth, form=form, invite_form=invite_form, link=link, conflict=conflict,
                 exhibitors=setup.exhibitors_of(db.session, booth), invitations=setup.open_invitations_of(db.session, booth),
                 media_count=setup.media_counts(db.session, g.event).get(booth.id, 0), delete_form=TickToConfirmForm(formdata=None),
                 losses=setup.losses_text(votes, messages), losses_shown=setup.shown_losses(votes, messages))


def _booth_form(booth, submitted: bool = False) -> BoothEditForm:
    """The booth's stored values, or what was sent when this form itself was submitted."""
    if not submitted:
        form = BoothEditForm(formdata=None, obj=booth)
        form.dimensions.data = [d.value for d in booth.dimension_values]
        form.pavilion_id.data = booth.pavilion_id or 0
        form.version.data = setup.booth_version(booth)
    else:
        form = BoothEditForm()
    form.pavilion_id.choices = _pavilion_choices()
    return form


@bp.route("/booths/<int:booth_id>", methods=["GET", "POST"])
@organizer_only
def edit_booth(slug: str, booth_id: int):
    booth = _booth_or_404(booth_id)
    form = _booth_form(booth, submitted=request.method == "POST")
    if form.validate_on_submit() and commit_or_attach(form, lambda: setup.update_booth(
            db.session, booth, name=form.name.data, pavilion_id=form.pavilion_id.data, dimensions=form.dimensions.data,
            version=form.version.data)):
        flash(_("Changes saved."), "success")
        return redirect(url_for("exhibition_manage_views.edit_booth", slug=slug, booth_id=booth_id))
    conflict = False
    if form.errors:
        booth = _booth_or_404(booth_id)  # rolled back: show what is stored beside the refused form
        conflict = overtaken(form, setup.booth_version(booth))  # then it takes the new version: saving again overwrites
    link = None
    if request.method == "GET":
        sent = session.pop(_SENT_LINK, None)  # the link of the invitation just made, shown once after its redirect
        link = sent["link"] if isinstance(sent, dict) and sent.get("booth") == booth.id else None
    return _booth_page(booth, form, ExhibitorInvitationForm(formdata=None, prefix="invite"), link=link,
                       status=400 if form.errors else 200, conflict=conflict)


@bp.post("/booths/<int:booth_id>/delete")
@organizer_only
def delete_booth(slug: str, booth_id: int):
    booth = _booth_or_404(booth_id)
    form = TickToConfirmForm()
    name, gone = booth.name, []
    if form.validate_on_submit() and commit_or_attach(
            form, lambda: gone.append(setup.delete_booth(db.session, booth, request.form.get("losses")))):
        flash(" ".join([_("Booth %(name)s deleted.", name=name)] + setup.losses_text(*gone[0])), "success")
        return redirect(url_for("exhibition_manage_views.booths", slug=slug))
    _flash_problems(form)
    return redirect(url_for("exhibition_manage_views.edit_booth", slug=slug, booth_id=booth_id))


@bp.post("/booths/<int:booth_id>/exhibitors")
@organizer_only
def invite_exhibitor(slug: str, booth_id: int):
    booth = _booth_or_404(booth_id)
    form = ExhibitorInvitationForm(prefix="invite")
    made = []
    if form.validate_on_submit() and commit_or_attach(form, lambda: made.append(setup.invite_exhibitor(
            db.session, booth, email=form.email.data, name=form.name.data, invited_by=current_user))):
        invitation, link = made[0]
        flash(_("Invitation mailed to %(email)s. The link below works once, if you want to send it yourself too.",
                email=invitation.email), "success")
        session[_SENT_LINK] = {"booth": booth.id, "link": link}
        # Redirected, so reloading the page does not send the invitation again.
        return redirect(url_for("exhibition_manage_views.edit_booth", slug=slug, booth_id=booth_id), 303)
    booth = _booth_or_404(booth_id)
    return _booth_page(booth, _booth_form(booth), form, status=400)


@bp.post("/booths/<int:booth_id>/invitations/<int:invitation_id>/revoke")
@organizer_only
def revoke_invitation(slug: str, booth_id: int, invitation_id: int):
    booth = _booth_or_404(booth_id)
    invitation = setup.open_invitation_of(db.session, booth, invitation_id)
    if invitation is None:
        abort(404)
    email = invitation.email
    form = ConfirmForm()
    if form.validate_on_submit() and commit_or_attach(form, lambda: setup.revoke_invitation(db.session, invitation)):
        flash(_("The invitation for %(email)s is revoked; its link no longer works.", email=email), "success")
    else:
        _flash_problems(form)
    return redirect(url_for("exhibition_manage_views.edit_booth", slug=slug, booth_id=booth_id), 303)


# Moderation


def _item_or_404(media_id: int):
    item = moderation.item_of(db.session, g.event, media_id)
    if item is None:
        abort(404)
    return item


def _moderation_page(reject_forms=None, status=200):
    event = g.event
    pending = moderation.queue(db.session, event)
    forms = {item.id: RejectForm(formdata=None, prefix=f"r{item.id}") for item in pending}
    forms.update(reject_forms or {})
    decided = moderation.decided(db.session, event)
    for item in decided:
        forms.setdefault(item.id, RejectForm(formdata=None, prefix=f"r{item.id}"))
    failed = moderation.failed(db.session, event)
    return _page("manage_moderation.html", status=status, pending=pending, failed=failed, decided=decided, reject_forms=forms,
                 approve_form=ConfirmForm(), states=MediaState, seen_as=moderation.seen_as,
                 same=duplicates.same_files([*pending, *failed, *decided]))


@bp.get("/moderation")
@organizer_only
def moderation_queue(slug: str):
    return _moderation_page()


def _flash_earlier(earlier: dict, changed: int | None) -> None:
    """Tell the moderator about a decision taken meanwhile (another tab, a colleague): kept, or replaced by theirs."""
    note = moderation.already_decided(earlier) if changed is None else moderation.overruled(earlier, request.form.get("shown_state"))
    if note:
        flash(note, "info")


@bp.post("/moderation/<int:media_id>/approve")
@organizer_only
def approve(slug: str, media_id: int):
    item = _item_or_404(media_id)
    form = ConfirmForm()
    changed = []
    seen = request.form.get("seen")  # what the moderator's page showed; None from older pages
    earlier = moderation.earlier_decision(db.session, item)
    if form.validate_on_submit() and commit_or_attach(form, lambda: changed.append(moderation.approve(db.session, item, current_user, seen))):
        if changed[0]:
            flash(_("Approved: %(title)s. The exhibitor is told by email.", title=item.title), "success")
        elif changed[0] == 0:  # nobody to tell: your own upload, or a booth without exhibitor accounts yet
            flash(_("Approved: %(title)s. No email was sent: there is no one to tell.", title=item.title), "success")
        _flash_earlier(earlier, changed[0])
        return redirect(url_for("exhibition_manage_views.moderation_queue", slug=slug))
    _flash_problems(form)
    return redirect(url_for("exhibition_manage_views.moderation_queue", slug=slug))


@bp.post("/moderation/<int:media_id>/reject")
@organizer_only
def reject(slug: str, media_id: int):
    item = _item_or_404(media_id)
    form = RejectForm(prefix=f"r{media_id}")
    changed = []
    earlier = moderation.earlier_decision(db.session, item)
    if form.validate_on_submit() and commit_or_attach(form, lambda: changed.append(
            moderation.reject(db.session, item, current_user, form.reason.data, request.form.get("shown_state")))):
        if changed[0]:
            flash(_("Rejected: %(title)s. The exhibitor is told why by email.", title=item.title), "success")
        elif changed[0] == 0:
            flash(_("Rejected: %(title)s. No email was sent: there is no one to tell.", title=item.title), "success")
        _flash_earlier(earlier, changed[0])
        return redirect(url_for("exhibition_manage_views.moderation_queue", slug=slug))
    if _flash_problems(form):  # about the item, not the reason: nothing to show beside the field
        return redirect(url_for("exhibition_manage_views.moderation_queue", slug=slug))
    return _moderation_page({media_id: form}, status=400)
