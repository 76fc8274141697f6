"""Registration forms: the delegate's form (with the event's own questions) and the organizer's settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields import ColorField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from eventsys.core.form_base import DATETIME_FORMATS, FIRST_YEAR, LAST_YEAR, BaseForm, MultiCheckboxField, choice_id  # noqa: F401
from eventsys.core.rules import RuleViolation
from eventsys.registration.models import QUESTION_KIND_LABELS, Question, QuestionKind
from eventsys.registration.phones import normalize_mobile

NIP_LENGTH = 18
YES_NO_CHOICES = [("yes", _l("Yes")), ("no", _l("No"))]


def _plausible_year(form, field):
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


def _trimmed_lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class RegistrationForm(BaseForm):
    """The fields every event asks; the event's own questions are added by `registration_form_class`."""

    name = StringField(
        _l("Full name"),
        description=_l("With titles as they should appear on your badge, e.g. Dr. H. Syamsuar, M.Si."),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=200)],
    )
    position = StringField(
        _l("Position (jabatan)"),
        description=_l("E.g. Bupati, Kepala Dinas Kominfo, Staf Bappeda."),
        validators=[Optional(), Length(max=200)],
    )
    organization_id = SelectField(_l("Organization"), coerce=choice_id, default=0)
    proposed_organization = StringField(
        _l("Not in the list? Its full name"),
        description=_l("Write the region or body's full name, e.g. Kab. Siak, Dinas Kominfo Kota Bogor."),
        validators=[Optional(), Length(max=200)],
    )
    category_id = SelectField(
        _l("Category"), coerce=choice_id, validators=[InputRequired(message=_l("Choose your category."))]
    )
    email = EmailField(
        _l("Email"),
        description=_l("Your ticket and any news about your registration are sent here."),
        filters=[_trimmed_lower],
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254),
            Email(message=_l("Enter a valid email address, e.g. nama@kominfo.go.id."), check_deliverability=False),
        ],
    )
    phone = TelField(
        _l("Mobile phone"),
        description=_l("E.g. 0812 3456 7890 or +62 812-3456-7890."),
        validators=[DataRequired(message=_l("Enter your mobile phone number, e.g. 0812 3456 7890."))],
    )
    nip = StringField(
        _l("NIP (optional)"),
        description=_l("Civil servants: your 18-digit employee number."),
        validators=[Optional(), Length(max=40)],
    )
    option_ids = MultiCheckboxField(_l("Sessions with their own sign-up"), coerce=int, validators=[Optional()])
    consent = BooleanField(validators=[DataRequired(message=_l("Agree to the processing of your data to register."))])

    phone_e164: str | None = None

    def validate_phone(self, field):
        try:
            self.phone_e164 = normalize_mobile(field.data or "", field=None)
        except RuleViolation as violation:
            raise ValidationError(violation.message) from None

    def validate_nip(self, field):
        digits = "".join((field.data or "").split())
        if not digits:
            field.data = ""
            return
        if not digits.isdigit() or len(digits) != NIP_LENGTH:
            raise ValidationError(_l("A NIP has exactly 18 digits, e.g. 19850101 201001 1 001. Leave it empty if you have none."))
        field.data = digits

    def validate_category_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose your category."))

    def validate_organization_id(self, field):
        if not field.data and not (self.proposed_organization.data or "").strip():
            raise ValidationError(_l("Choose your organization, or write its name below if it is not in the list."))

    def question_fields(self) -> list[tuple[Question, Field]]:
        return [(q, self[f"q_{q.id}"]) for q in getattr(self, "questions", [])]


def question_field(question: Question) -> Field:
    """A form field for one of the event's questions, by its kind."""
    label = question.label
    needed = _l("Answer this question.")
    if question.kind == QuestionKind.SHORT_TEXT:
        validators = [DataRequired(message=needed) if question.required else Optional(), Length(max=500)]
        return StringField(label, validators=validators)
    if question.kind == QuestionKind.LONG_TEXT:
        validators = [DataRequired(message=needed) if question.required else Optional(), Length(max=5000)]
        return TextAreaField(label, validators=validators)
    choices = [(c, c) for c in question.choice_list]
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return RadioField(label, choices=choices, validators=[InputRequired(message=_l("Choose one answer.")) if question.required else Optional()])
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        return MultiCheckboxField(
            label, choices=choices, validators=[DataRequired(message=_l("Choose at least one answer.")) if question.required else Optional()]
        )
    if question.kind == QuestionKind.YES_NO:
        return RadioField(label, choices=YES_NO_CHOICES, validators=[InputRequired(message=_l("Answer yes or no.")) if question.required else Optional()])
    return FileField(
        label,
        description=_l("PDF, JPEG or PNG."),
        validators=[FileRequired(message=_l("Choose a PDF, JPEG or PNG file.")) if question.required else Optional()],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )


def registration_form_class(questions: list[Question]) -> type[RegistrationForm]:
    """RegistrationForm with a field `q_<id>` for each of the event's questions."""
    fields = {f"q_{q.id}": question_field(q) for q in questions}
    return type("EventRegistrationForm", (RegistrationForm,), {**fields, "questions": list(questions)})


class SessionChoicesForm(BaseForm):
    option_ids = MultiCheckboxField(_l("Sessions with their own sign-up"), coerce=int, validators=[Optional()])


class ConfirmForm(BaseForm):
    """A button that only needs the CSRF token (cancel, delete)."""


class ResendForm(BaseForm):
    email = EmailField(_l("Email"), filters=[_trimmed_lower], validators=[DataRequired(message=_l("Enter your email address.")), Length(max=254)])


# The organizer's settings.


def _optional_count(label, description=None, maximum=1_000_000):
    return IntegerField(
        label,
        description=description,
        validators=[Optional(), NumberRange(min=1, max=maximum, message=_l("Enter a whole number from 1 up, or leave it empty for no limit."))],
    )


def _optional_when(label):
    return DateTimeLocalField(label, format=DATETIME_FORMATS, validators=[Optional(), _plausible_year])


class SettingsForm(BaseForm):
    enabled = BooleanField(_l("Registration is open (within the window below)"))
    opens_at = _optional_when(_l("Opens"))
    closes_at = _optional_when(_l("Closes"))
    capacity = _optional_count(_l("Total capacity"), _l("Seats for the whole event; empty for no limit."))
    organization_quota = _optional_count(
        _l("Delegates per organization"), _l("E.g. 3 per region; empty for no limit."), maximum=10_000
    )
    consent_text = TextAreaField(
        _l("Consent text"),
        description=_l("What registrants agree to, e.g. how their data is used. Empty: a standard sentence is shown."),
        validators=[Length(max=5000)],
    )


class CategoryForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the category a name, e.g. Kepala Daerah.")), Length(max=100)])
    capacity = _optional_count(_l("Capacity"), _l("Seats for this category; empty for no limit."))
    needs_approval = BooleanField(_l("Needs an organizer's approval"))
    color = ColorField(_l("Badge colour"), default="#1d4ed8", validators=[DataRequired(message=_l("Choose a colour like #1d4ed8."))])
    position = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(min=-1000, max=1000)])


class QuestionForm(BaseForm):
    label = StringField(_l("Question"), validators=[DataRequired(message=_l("Write the question.")), Length(max=300)])
    kind = SelectField(_l("Kind of answer"), choices=[(k.value, label) for k, label in QUESTION_KIND_LABELS.items()])
    required = BooleanField(_l("An answer is required"))
    choices = TextAreaField(
        _l("Answers to choose from"),
        description=_l("For single and multiple choice: one answer a line, at least two."),
        validators=[Length(max=10000)],
    )
    position = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(min=-1000, max=1000)])


class SessionOptionForm(BaseForm):
    session_id = SelectField(_l("Agenda session"), coerce=choice_id, validators=[InputRequired(message=_l("Choose a session."))])
    capacity = _optional_count(_l("Capacity"), _l("Seats in the session; empty for no limit."))


class OptionCapacityForm(BaseForm):
    capacity = _optional_count(_l("Capacity"))
