from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from eventsys.core.form_base import BaseForm
from eventsys.events.models import ORGANIZATION_KIND_LABELS


class OrganizationForm(BaseForm):
    name = StringField(
        _l("Name"),
        description=_l("As the region or body calls itself, e.g. Kab. Cirebon, Kota Cirebon, Direktorat LAIP."),
        validators=[DataRequired(message=_l("Enter the organization's name, e.g. Kab. Cirebon.")), Length(max=200)],
    )
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in ORGANIZATION_KIND_LABELS.items()])
    province = StringField(_l("Province"), validators=[Optional(), Length(max=100)], render_kw={"list": "provinces", "autocomplete": "off"})
    timezone = SelectField(_l("Time zone"), description=_l("The zone the organization works in: WIB, WITA or WIT."))
    logo = FileField(_l("Logo"), render_kw={"accept": "image/png,image/jpeg,image/webp"})
    remove_logo = BooleanField(_l("Remove the current logo"))


class ImportForm(BaseForm):
    file = FileField(
        _l("CSV or Excel file"),
        render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        validators=[FileRequired(message=_l("Choose a CSV or Excel (.xlsx) file to import."))],
    )


class OrganizationFilterForm(BaseForm):
    """The list's search box and filters, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Search by name"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    province = SelectField(_l("Province"), validators=[Optional()])
