"""Forms of the organizer's registration screens: filters, bulk decisions, edit, cancel, import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from eventsys.core.form_base import BaseForm, choice_id


class RegistrantFilterForm(BaseForm):
    """The list's search box and filters, read from the query string (also used by exports and badges)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), description=_l("Name, email, position or ticket code"), validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), coerce=choice_id, validators=[Optional()])
    organization = SelectField(_l("Organization"), coerce=str, validators=[Optional()])
    state = SelectField(_l("State"), validators=[Optional()])
    session = SelectField(_l("Session"), coerce=choice_id, validators=[Optional()])


class BulkDecisionForm(BaseForm):
    ids = SelectMultipleField(coerce=choice_id, validate_choice=False)
    action = StringField()  # the pressed button's value: approve or reject
    reason = TextAreaField(
        _l("Reason for a rejection"),
        description=_l("The registrants read it in their rejection mail."),
        validators=[Optional(), Length(max=2000)],
    )


class EditRegistrationForm(BaseForm):
    name = StringField(
        _l("Full name"),
        description=_l("As it should appear on the badge."),
        validators=[DataRequired(message=_l("Enter the registrant's name.")), Length(max=200)],
    )
    position = StringField(_l("Position (jabatan)"), validators=[Optional(), Length(max=200)])
    phone = TelField(_l("Mobile phone"), description=_l("E.g. 0812 3456 7890; leave empty to remove it."), validators=[Optional(), Length(max=40)])


class CancelRegistrationForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for the cancellation"),
        description=_l("The registrant reads it in the cancellation mail."),
        validators=[DataRequired(message=_l("Give the reason for the cancellation; the registrant will read it.")), Length(max=2000)],
    )


class ActionForm(BaseForm):
    """A button that only needs the CSRF token (resend a ticket, make a link)."""


class DelegateImportForm(BaseForm):
    file = FileField(
        _l("CSV or Excel file"),
        render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        validators=[FileRequired(message=_l("Choose a CSV or Excel (.xlsx) file to import."))],
    )


class OrganizationSearchForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name"), validators=[Optional(), Length(max=200)])
