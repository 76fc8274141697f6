"""Forms of the award night's setup and nominations; the rules themselves live in setup.py and nominations.py."""
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from eventsys.core.form_base import DATETIME_FORMATS, FIRST_YEAR, LAST_YEAR, BaseForm, MultiCheckboxField, choice_id
from eventsys.events.dimensions import dimension_choices


def _plausible_year(form, field):
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


def _when(label, description=None):
    return DateTimeLocalField(label, format=DATETIME_FORMATS, description=description, validators=[Optional(), _plausible_year])


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SettingsForm(BaseForm):
    nominations_open_at = _when(_l("Nominations open"), _l("Regions may nominate themselves from this time (event's zone)."))
    nominations_close_at = _when(_l("Nominations close"))
    judging_deadline = _when(_l("Judging deadline"))
    normalize_scores = BooleanField(_l("Normalize each juror's scores (z-scores) before averaging"))
    one_award_per_region = BooleanField(_l("At most one award per region on the night"))
    signatory_name = StringField(_l("Signatory of the certificates"), description=_l("e.g. Semuel A. Pangerapan"),
                                 filters=[_strip], validators=[Length(max=200)])
    signatory_title = StringField(_l("Signatory's title"), description=_l("e.g. Direktur Jenderal Aplikasi Informatika"),
                                  filters=[_strip], validators=[Length(max=200)])
    tie_break_1 = SelectField(_l("Tie-break, first rule"), validate_choice=False)
    tie_break_2 = SelectField(_l("Tie-break, second rule"), validate_choice=False)
    tie_break_3 = SelectField(_l("Tie-break, third rule"), validate_choice=False)

    TIE_BREAK_FIELDS = ("tie_break_1", "tie_break_2", "tie_break_3")

    def set_tie_break_choices(self, choices):
        for name in self.TIE_BREAK_FIELDS:
            getattr(self, name).choices = [("", _l("— none —"))] + list(choices)


def _clean(value):
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class CriterionRow(Form):
    name = StringField(_l("Criterion"), filters=[_clean], validators=[Length(max=120)])
    weight = IntegerField(_l("Weight"), validators=[Optional(), NumberRange(min=1, max=100, message=_l("Enter a weight from 1 to 100."))])
    scale_min = IntegerField(_l("Scale from"), default=1, validators=[Optional(), NumberRange(min=0, max=1000)])
    scale_max = IntegerField(_l("Scale to"), default=10, validators=[Optional(), NumberRange(min=1, max=1000)])


class CategoryForm(BaseForm):
    name = StringField(_l("Name"), description=_l("e.g. Masterplan Terbaik"), filters=[_strip],
                       validators=[InputRequired(message=_l("Enter the category's name.")), Length(max=200)])
    dimension = SelectField(_l("Smart City dimension"), choices=[("", _l("— none —"))] + dimension_choices(), default="")
    description = TextAreaField(_l("Description"), validators=[Length(max=4000)])
    winners_count = IntegerField(_l("Places awarded"), default=1, description=_l("1 for a single winner; 3 for I, II and III."),
                                 validators=[InputRequired(message=_l("Enter a number from 1 to 10.")),
                                             NumberRange(min=1, max=10, message=_l("Enter a number from 1 to 10."))])


class CriteriaForm(Form):
    """The criteria rows of a category form (a plain Form: BaseForm's filters do not fit a FieldList; CSRF is the CategoryForm's)."""

    criteria = FieldList(FormField(CriterionRow), min_entries=5)


class EligibleForm(BaseForm):
    organization_ids = MultiCheckboxField(_l("Organizations"), coerce=int, validate_choice=False)


class JurorDetailsForm(BaseForm):
    organization_id = SelectField(_l("Juror's organization"), coerce=choice_id, default=0,
                                  description=_l("A juror does not score nominations of their own organization."))
    province = StringField(_l("Juror's province"), filters=[_strip], validators=[Length(max=100)],
                           description=_l("Nor of their own province; left empty: the organization's province."))
    category_ids = MultiCheckboxField(_l("Categories to score"), coerce=int)


class JurorForm(JurorDetailsForm):
    email = EmailField(_l("Email"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter the juror's email address.")), Length(max=254),
        Email(message=_l("Enter a valid email address, e.g. nama@kominfo.go.id."), check_deliverability=False)])
    name = StringField(_l("Name"), filters=[_strip], validators=[Length(max=200)])


class NominationForm(BaseForm):
    category_id = SelectField(_l("Category"), coerce=choice_id,
                              validators=[InputRequired(message=_l("Choose the category."))])
    organization_id = SelectField(_l("Nominated organization"), coerce=choice_id,
                                  validators=[InputRequired(message=_l("Choose the nominated organization."))])
    title = StringField(_l("Programme nominated"), description=_l("e.g. PSC 119"), filters=[_strip], validators=[Length(max=200)])
    statement = TextAreaField(_l("Statement"), validators=[Length(max=10000)])
    documents = MultipleFileField(_l("Supporting documents"), description=_l("PDF, JPEG or PNG, at most 10 MB each."))


class NominationEditForm(BaseForm):
    title = StringField(_l("Programme nominated"), filters=[_strip], validators=[Length(max=200)])
    statement = TextAreaField(_l("Statement"), validators=[Length(max=10000)])
    documents = MultipleFileField(_l("Add documents"), description=_l("PDF, JPEG or PNG, at most 10 MB each."))


class SelfNominationForm(BaseForm):
    category_ids = MultiCheckboxField(_l("Categories"), coerce=int)
    title = StringField(_l("Programme nominated"), description=_l("e.g. PSC 119"), filters=[_strip], validators=[Length(max=200)])
    statement = TextAreaField(_l("Statement"), description=_l("What the region did and why it deserves the award."),
                              validators=[Length(max=10000)])
    documents = MultipleFileField(_l("Supporting documents"), description=_l("PDF, JPEG or PNG, at most 10 MB each."))


class ConfirmForm(BaseForm):
    """A button that changes something: only the CSRF token."""
