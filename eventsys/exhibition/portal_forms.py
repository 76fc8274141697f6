"""Forms of the exhibitor portal; the rules (web addresses, dimensions, the archive) live in portal.py."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from eventsys.core.form_base import BaseForm, MultiCheckboxField, choice_id
from eventsys.events.dimensions import dimension_choices


def _text(label, max_length, required_message=None, description=None):
    validators = [InputRequired(message=required_message)] if required_message else [Optional()]
    validators.append(Length(max=max_length, message=_l("Shorten this to %(max)d characters.", max=max_length)))
    return StringField(label, description=description, validators=validators)


def _long_text(label, description=None):
    return TextAreaField(label, description=description, validators=[
        Optional(), Length(max=5000, message=_l("Shorten this to %(max)d characters.", max=5000))])


class BoothForm(BaseForm):
    name = _text(_l("Booth name"), 200, _l("Enter the booth's name."))
    tagline = _text(_l("Tagline"), 200, description=_l("One line under the name, e.g. “Cirebon Katon: a city that shines”."))
    description = _long_text(_l("About the booth"))
    dimensions = MultiCheckboxField(_l("Smart City dimensions"))
    contact_name = _text(_l("Contact person"), 200)
    contact_email = EmailField(_l("Contact email"), validators=[
        Optional(), Length(max=254),
        Email(message=_l("Enter a valid email address, e.g. nama@kominfo.go.id."), check_deliverability=False)])
    contact_phone = StringField(_l("Contact phone"), validators=[
        Optional(), Length(max=30, message=_l("Shorten this to %(max)d characters.", max=30)),
        Regexp(r"^\+?[0-9 ()./-]{5,30}$", message=_l("Enter a phone number with digits only, e.g. +62 231 123456."))])
    website = URLField(_l("Website"), description=_l("https://… or http://…"), validators=[Optional()])
    logo = FileField(_l("A new logo"), render_kw={"accept": "image/png,image/jpeg,image/webp"})
    remove_logo = BooleanField(_l("Remove the current logo"))
    version = HiddenField()  # the fingerprint of what the page showed (portal.*_version)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimensions.choices = dimension_choices()


class ProgrammeForm(BaseForm):
    title = _text(_l("Programme title"), 200, _l("Enter the programme's title."))
    dimension = SelectField(_l("Smart City dimension"), validators=[InputRequired(message=_l("Choose a dimension."))])
    description = _long_text(_l("Description"))
    responsible_opd = _text(_l("Responsible agency (OPD)"), 200, description=_l("e.g. Dinas Kesehatan"))
    version = HiddenField()  # the fingerprint of what the page showed (portal.*_version)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimension.choices = dimension_choices()


def _optional_dimension_choices():
    return [("", str(_l("— none —")))] + dimension_choices()


class MediaTextForm(BaseForm):
    """A media item's title and description: all a stage video has (it belongs to no booth)."""

    title = _text(_l("Title"), 200, _l("Enter a title."))
    description = _long_text(_l("Description"))
    version = HiddenField()  # the fingerprint of what the page showed (portal.*_version)


class MediaForm(MediaTextForm):
    dimension = SelectField(_l("Smart City dimension"), validators=[Optional()])
    quick_win = SelectField(_l("Programme"), coerce=choice_id, default=0, validators=[Optional()])

    def __init__(self, *args, programmes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.dimension.choices = _optional_dimension_choices()
        self.quick_win.choices = [(0, str(_l("— none —")))] + [(p.id, p.title) for p in programmes]


class LinkForm(BaseForm):
    title = _text(_l("Title"), 200, _l("Enter a title."))
    url = URLField(_l("Video address"), description=_l("A YouTube or Vimeo link, or any https:// address."),
                   validators=[InputRequired(message=_l("Enter the address of the video."))])
    description = _long_text(_l("Description"))
    dimension = SelectField(_l("Smart City dimension"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dimension.choices = _optional_dimension_choices()


class ButtonForm(BaseForm):
    """A button that changes something (delete, move): only its CSRF token."""
