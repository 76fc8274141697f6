"""The one exception services raise when a request breaks a domain rule."""


class RuleViolation(Exception):
    """A message for the person (already translated) and, where it fits, the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def attach_to_form(form, violation: RuleViolation) -> None:
    """Show a service's refusal next to its field, or above the form when it names none."""
    field = getattr(form, violation.field, None) if violation.field else None
    if field is not None:
        field.errors = list(field.errors) + [violation.message]
    else:
        form.form_errors.append(violation.message)


def commit_or_attach(form, call) -> bool:
    """Run a service call and commit; on a RuleViolation roll back (nothing stored) and show it on the form."""
    from eventsys.extensions import db

    try:
        call()
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return False
    db.session.commit()
    return True
