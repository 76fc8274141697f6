"""Forms of judging and results; the rules live in judging.py and winners.py (scores and places are read per field there)."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from eventsys.core.form_base import BaseForm, choice_id


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ActionForm(BaseForm):
    """A button that changes something (CSRF only): scores, state changes, reminders, publishing."""


class ConflictForm(BaseForm):
    reason = TextAreaField(_l("Reason for the conflict of interest"), filters=[_strip],
                           validators=[InputRequired(_l("Say briefly why you have a conflict of interest.")), Length(max=2000)])


class RecipientForm(BaseForm):
    recipient_name = StringField(_l("Name of the person receiving the award"), filters=[_strip], validators=[Optional(), Length(max=200)])
    recipient_position = StringField(_l("Their position (jabatan)"), filters=[_strip], validators=[Optional(), Length(max=200)])
    on_behalf_of = StringField(_l("On behalf of"), filters=[_strip], validators=[Optional(), Length(max=200)],
                               description=_l("e.g. “atas nama Bupati Cirebon”; leave empty when the awardee receives in person."))
    registration_id = SelectField(_l("Their registration for this event"), coerce=choice_id, validate_choice=True)
    mandate = FileField(_l("Letter of mandate (PDF, JPEG or PNG)"))
    remove_mandate = BooleanField(_l("Remove the letter of mandate"))
