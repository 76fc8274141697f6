"""Forms visitors fill on a booth page: the vote (an email address) and the guestbook / contact request."""
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from eventsys.core.form_base import BaseForm
from eventsys.exhibition.models import MessageKind


def _shorter(n: int):
    return Length(max=n, message=_l("Shorten this to %(max)d characters.", max=n))


class VoteForm(BaseForm):
    email = EmailField(
        _l("Your email address"),
        description=_l("We send a link to this address; your vote counts once you open it. One vote per address."),
        validators=[InputRequired(message=_l("Enter your email address.")), _shorter(254)],
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "vote")
        super().__init__(*args, **kwargs)


class MessageForm(BaseForm):
    kind = RadioField(
        _l("What do you want to send?"),
        choices=[(MessageKind.GUESTBOOK.value, _l("A guestbook entry (shown on this page once the exhibitor approves it)")),
                 (MessageKind.CONTACT.value, _l("A contact request (only the exhibitor reads it)"))],
        default=MessageKind.GUESTBOOK.value,
        validators=[InputRequired(message=_l("Choose a guestbook entry or a contact request."))],
    )
    name = StringField(_l("Your name"), validators=[InputRequired(message=_l("Enter your name.")), _shorter(200)])
    email = EmailField(_l("Your email address"), description=_l("Needed for a contact request; never shown."),
                       validators=[Optional(), _shorter(254)])
    organization = StringField(_l("Organization"), validators=[Optional(), _shorter(200)])
    body = TextAreaField(_l("Message"), validators=[InputRequired(message=_l("Write a message.")), _shorter(4000)])
    # Left empty by people (it is hidden); bots fill every field they find.
    homepage = StringField(_l("Leave this empty"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "msg")
        super().__init__(*args, **kwargs)
