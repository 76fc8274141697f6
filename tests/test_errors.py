"""Error pages in both languages; JSON errors with stable codes under /api/; never a bare 500."""
import pytest
from flask import Blueprint, abort

from eventsys.core.access import public


@pytest.fixture
def failing_app(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    extra = Blueprint("boom", __name__)

    @extra.get("/boom")
    @public
    def boom():
        raise RuntimeError("unexpected")

    @extra.get("/forbidden")
    @public
    def forbidden():
        abort(403)

    @extra.get("/bad")
    @public
    def bad():
        abort(400)

    app.register_blueprint(extra)
    return app


def _in_english(client):
    client.post("/language/en")
    return client


@pytest.mark.parametrize(
    ("method", "path", "status", "english"),
    [
        ("get", "/tidak-ada", 404, "Page not found"),
        ("get", "/forbidden", 403, "Access denied"),
        ("get", "/bad", 400, "Bad request"),
        ("get", "/boom", 500, "Something went wrong"),
        ("post", "/login", 413, "File too large"),
    ],
)
def test_error_pages_in_both_languages(failing_app, method, path, status, english):
    client = failing_app.test_client()
    kwargs = {"data": {"email": "x" * 5000}} if status == 413 else {}
    indonesian = getattr(client, method)(path, **kwargs)
    assert indonesian.status_code == status
    assert indonesian.mimetype == "text/html"
    assert 'lang="id"' in indonesian.get_data(as_text=True)
    english_page = getattr(_in_english(client), method)(path, **kwargs)
    assert english_page.status_code == status
    text = english_page.get_data(as_text=True)
    assert 'lang="en"' in text and english in text
    # The Indonesian page is not the English one (once the catalog exists it is translated).
    assert indonesian.get_data(as_text=True) != text


def test_too_many_sign_ins_get_429_page(make_app):
    client = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute").test_client()
    client.post("/login", data={"email": "a@b.id", "password": "salah-sekali"})
    response = client.post("/login", data={"email": "a@b.id", "password": "salah-sekali"})
    assert response.status_code == 429
    assert response.mimetype == "text/html"


def test_api_errors_are_json_with_stable_codes(failing_app):
    response = failing_app.test_client().get("/api/v1/tidak-ada")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert response.json["error"]["message"]


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_load_nothing_from_other_hosts(client, organizer):
    _, event = organizer
    for path in ("/", f"/e/{event.slug}", "/login"):
        html = client.get(path).get_data(as_text=True)
        for attribute in ('src="http', "src='http", 'href="http', "href='http", "url(http"):
            assert attribute not in html, f"{path} loads {attribute}…"


def test_nul_in_an_address_is_a_404_not_a_database_error(client, organizer):
    _, event = organizer
    for path in ("/e/ab%00c", "/e/ab%00c/agenda.ics", "/invitation/x%00y", "/api/v1/events/ab%00c"):
        assert client.get(path).status_code == 404, path
