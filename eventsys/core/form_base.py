"""What every form shares: NUL-free text and id choices that fail politely."""
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class _CatalogTranslations:
    """WTForms' own messages ("Not a valid choice.") through our catalogs.

    WTForms ships no Indonesian catalog, so Flask-WTF's default would leave them in English;
    eventsys/core/wtforms_messages.py lists them for extraction.
    """

    # The catalog's raw strings: WTForms fills in %(min)d/%(max)d itself afterwards.
    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


class BaseForm(FlaskForm):
    """FlaskForm that drops NUL characters from every field (PostgreSQL refuses them in text)
    and speaks the page's language in WTForms' built-in messages too."""

    class Meta:
        def get_translations(self, form):
            return _CatalogTranslations()

        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", ()), _without_nul]
            return super().bind_field(form, unbound_field, {**options, "filters": filters})


def choice_id(value) -> int:
    """Coerce for id choices: a non-number becomes -1, which no choice has, so it gets “Not a valid choice.”."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# What several features' forms share: how a <input type="datetime-local"> arrives, and a list of checkboxes.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# Browsers send seconds when the input's step asks for them; the first format is the one rendered.
DATETIME_FORMATS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S"]
FIRST_YEAR, LAST_YEAR = 2000, 2100  # year 1 or 9999 would overflow when moved to UTC


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (categories, checkpoints)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TickToConfirmForm(BaseForm):
    """An action that cannot be taken back: the box next to its button must be ticked (works without JavaScript)."""

    confirm = BooleanField(validators=[DataRequired(message=_l("Tick the box to confirm."))])

    def refusal(self) -> str:
        """What to tell someone whose post was refused: the box, or an expired form."""
        if self.confirm.errors:
            return str(self.confirm.errors[0])
        return str(_l("Your form has expired or did not come from this site. Reload the page and send it again."))
