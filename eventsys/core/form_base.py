"""What every form shares: NUL-free text and id choices that fail politely."""
from flask_wtf import FlaskForm


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """FlaskForm that drops NUL characters from every field: PostgreSQL refuses them in text."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", ()), _without_nul]
            return super().bind_field(form, unbound_field, {**options, "filters": filters})


def choice_id(value) -> int:
    """Coerce for id choices: a non-number becomes -1, which no choice has, so it gets “Not a valid choice.”."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
