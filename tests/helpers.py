"""Small readers of pages shared by the test modules."""
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import event as sa_event

from eventsys.extensions import db

PASSWORD = "rahasia-yang-panjang"  # every builder's default password


@contextmanager
def recorded_statements(engine=None) -> Iterator[list[str]]:
    """The SQL statements sent to `engine` (the app's by default) while the block runs, BEGIN and COMMIT included."""
    engine = engine if engine is not None else db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)


def selects(statements: list[str]) -> int:
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))


def tr(app, msgid, locale="id", **values) -> str:
    """The message as a page in `locale` shows it (holds in either language's catalog)."""
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **values)


def trn(app, singular, plural, n, locale="id", **values) -> str:
    """A plural message as a page in `locale` shows it."""
    with app.test_request_context(), force_locale(locale):
        return ngettext(singular, plural, n, **values)


def text(response) -> str:
    return response.get_data(as_text=True)


def field_errors(response, field_id: str) -> list[str]:
    """The messages shown next to one field (the `field` macro of templates/_form.html)."""
    found = re.findall(rf'<small class="field-error" id="{re.escape(field_id)}-help">(.*?)</small>', text(response), re.S)
    return [unescape(m) for m in found]


def error_message(response) -> str:
    match = re.search(r'data-testid="error-message">(.*?)</p>', text(response), re.S)
    assert match, text(response)[:2000]
    return unescape(match.group(1))


def csrf_token_of(response) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(response))
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(web, user, password: str = PASSWORD):
    """Sign a test client in through the real form (the builders' default password)."""
    response = web.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, text(response)[:2000]
    return web


def fresh():
    """The test's own session, with what the app's requests committed since (ends any open snapshot)."""
    db.session.rollback()
    return db.session


def post_at_once(app, url: str, requests: list[dict]) -> list:
    """POST each request (keyword arguments of the test client's post: json, data, headers) from a thread of its own,
    all released at the same instant by a barrier; their responses, in order.

    Each request is built before the release, so the threads race only in the app and the database.
    """
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            client = app.test_client()
            barrier.wait(timeout=30)
            responses[i] = client.post(url, **requests[i])
        except BaseException as error:  # reported with the test's failure
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    return responses


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
