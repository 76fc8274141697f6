"""Forms of the run-of-show and the piagam pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from eventsys.awards.models import CueKind
from eventsys.awards.runofshow import CUE_KIND_LABELS, parse_duration
from eventsys.core.form_base import DATETIME_FORMATS, BaseForm

FIRST_YEAR, LAST_YEAR = 2000, 2100


class ActionForm(BaseForm):
    """A button that only needs the CSRF token."""


def _optional_id(value):
    """An optional id choice: "" is none; a non-number becomes -1, which no choice has."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _duration(form, field):
    seconds = parse_duration(field.data or "")
    if seconds is None or not 0 < seconds <= 6 * 3600:
        raise ValidationError(_l("Enter the length as minutes:seconds, e.g. 2:30 (at most 6 hours)."))


def _plausible_year(form, field):
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


class CueForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in CUE_KIND_LABELS.items()], default=CueKind.OTHER.value,
                       validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the cue a title.")), Length(max=200)])
    duration = StringField(_l("Planned length (minutes:seconds)"), default="1:00", validators=[DataRequired(message=_l(
        "Enter the length as minutes:seconds, e.g. 2:30 (at most 6 hours).")), _duration])
    presenter = StringField(_l("Presenter"), description=_l("The MC, or who speaks or hands over the award."),
                            validators=[Optional(), Length(max=200)])
    category_id = SelectField(_l("Award category"), coerce=_optional_id, validators=[Optional()])
    winner_id = SelectField(_l("Winner (recipient)"), coerce=_optional_id, validators=[Optional()])
    media_cue = StringField(_l("Media cue"), description=_l("E.g. VT nominees Smart Governance, song Indonesia Raya."),
                            validators=[Optional(), Length(max=200)])
    stage_notes = TextAreaField(_l("Stage notes"), validators=[Optional(), Length(max=5000)])
    script = TextAreaField(_l("MC script"), description=_l("Leave as proposed to follow the results; what you write here is kept as written."),
                           validators=[Optional(), Length(max=10000)])

    def set_choices(self, categories, winners) -> None:
        self.category_id.choices = [(None, "—")] + [(c.id, c.name) for c in categories]
        self.winner_id.choices = [(None, "—")] + [(w.id, f"{w.category.name}: {w.nomination.organization.name}") for w in winners]

    def seconds(self) -> int:
        return parse_duration(self.duration.data or "") or 0


class ShowStartForm(BaseForm):
    starts_at = DateTimeLocalField(_l("The show starts at"), format=DATETIME_FORMATS,
                                   description=_l("Leave empty to start at the event's start."),
                                   validators=[Optional(), _plausible_year])


class GenerateForm(BaseForm):
    performance_every = IntegerField(_l("A performance after every … awards"), default=0,
                                     description=_l("0: no performances between the awards."),
                                     validators=[Optional(), NumberRange(min=0, max=50, message=_l("Enter a number from 0 to 50."))])
    confirm = BooleanField(_l("Replace the cues there are now (manual cues too)"))
