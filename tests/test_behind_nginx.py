"""The app behind Debian's nginx with docs/nginx.conf: exhibition files sent by nginx, clients told apart, links with https.

nginx runs for real on loopback in front of the app (a threaded Werkzeug server); `make test` installs
Debian's nginx package. Without nginx these tests are skipped, except under CI=true, where they fail.
"""
import http.client
import os
import re
import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from eventsys.core.storage import get_storage
from eventsys.exhibition.models import MediaItem
from eventsys.extensions import db
from tests.conftest import PASSWORD, IsolatedClient
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media
from tests.helpers import sign_in, text
from tests.nginx_proxy import NGINX, PREFIX, Nginx

DATA = os.urandom(10_000)
CSP = "default-src 'none'; sandbox"
BEHIND_NGINX = {"ACCEL_REDIRECT_PREFIX": PREFIX, "PROXY_COUNT": 1}


@pytest.fixture
def front(make_app, tmp_path):
    """The app as production runs it behind nginx (X-Accel-Redirect, one trusted proxy); yields nginx's port."""
    if not os.path.exists(NGINX):
        if os.environ.get("CI") == "true":
            pytest.fail(f"nginx not found at {NGINX}; `make test` installs Debian's nginx package")
        pytest.skip("nginx not installed (make test installs it)")
    application = make_app(**BEHIND_NGINX, RATELIMIT_ENABLED=True)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    nginx = Nginx(tmp_path / "nginx", f"127.0.0.1:{server.server_port}", tmp_path / "uploads")
    yield nginx.port
    nginx.stop()
    server.shutdown()
    thread.join(timeout=5)


def fetch(port, path, method="GET", headers=None, body=None, source="127.0.0.1"):
    """One request through nginx from the loopback address `source` (127.0.0.2 … are other clients)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.fixture
def hall(app, make_event, make_organization, make_user):
    """An open exhibition: Kab. Cirebon's booth, its exhibitor, and a stored 10 kB video (no item yet)."""
    app.test_client_class = IsolatedClient
    event = make_exhibition(app, make_event, slug="pameran-2021", opens_in=-timedelta(days=1))
    organization = make_organization(name="Kab. Cirebon")
    booth = make_booth(event, organization)
    return {"event": event, "booth": booth, "key": get_storage(app).save(DATA, ".mp4"),
            "exhibitor": make_exhibitor(make_user, event, organization)}


def media_url(hall, item):
    return f"/exhibition/{hall['event'].slug}/media/{item.id}"


def test_the_app_decides_and_hands_the_file_to_nginx(make_app, hall):
    item = make_media(hall["booth"], "video", "approved", file_key=hall["key"], sha256="a" * 64)
    application = make_app(**BEHIND_NGINX)
    application.test_client_class = IsolatedClient
    response = application.test_client().get(media_url(hall, item), headers={"Range": "bytes=0-99"})
    assert response.status_code == 200 and response.data == b""  # nginx answers the range from the file
    assert response.headers["X-Accel-Redirect"] == PREFIX + hall["key"]
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_video_ranges_come_from_nginx_with_the_apps_headers(front, hall):
    item = make_media(hall["booth"], "video", "approved", file_key=hall["key"], sha256="a" * 64)
    url = media_url(hall, item)
    status, headers, body = fetch(front, url, headers={"Range": "bytes=0-99"})
    assert status == 206 and body == DATA[:100]
    assert headers["Content-Range"] == "bytes 0-99/10000"
    assert headers["Content-Type"] == "video/mp4"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == CSP
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "public, max-age=300"
    assert headers["Content-Disposition"] == "inline"
    assert "X-Accel-Redirect" not in headers
    assert re.fullmatch(r'"[0-9a-f]+-2710"', headers["ETag"])  # nginx's own (mtime-size): nginx sent the file, not the app

    status, headers, body = fetch(front, url, headers={"Range": "bytes=5000-5999"})  # a seek
    assert status == 206 and body == DATA[5000:6000]
    status, headers, body = fetch(front, url, headers={"Range": "bytes=-100"})
    assert status == 206 and body == DATA[-100:]
    status, headers, _ = fetch(front, url, headers={"Range": "bytes=20000-"})
    assert status == 416 and headers["Content-Range"] == "bytes */10000"

    status, headers, body = fetch(front, url)
    assert status == 200 and body == DATA
    status, _, body = fetch(front, url, headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b""
    status, headers, body = fetch(front, url, method="HEAD")
    assert status == 200 and headers["Content-Length"] == "10000" and body == b""


def test_a_pdf_poster_is_still_a_download_behind_nginx(front, hall, app):
    item = make_media(hall["booth"], "poster", "approved", file_key=get_storage(app).save(b"%PDF-1.7 poster", ".pdf"),
                      original_name="Masterplan Cirebon.pdf")
    item.content_type = "application/pdf"
    db.session.commit()
    status, headers, body = fetch(front, media_url(hall, item))
    assert status == 200 and body == b"%PDF-1.7 poster"
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == "attachment; filename=\"Masterplan Cirebon.pdf\"; filename*=UTF-8''Masterplan%20Cirebon.pdf"
    assert headers["Content-Security-Policy"] == CSP and headers["X-Content-Type-Options"] == "nosniff"


def test_unreviewed_files_stay_closed_and_the_internal_location_is_unreachable(front, hall):
    item = make_media(hall["booth"], "video", "pending", file_key=hall["key"])
    assert fetch(front, media_url(hall, item))[0] == 404
    assert fetch(front, PREFIX + hall["key"])[0] == 404  # `internal`: only the app's answer reaches it
    gone = make_media(hall["booth"], "video", "approved", file_key="missing-file.mp4")
    assert fetch(front, media_url(hall, gone))[0] == 404


def test_the_exhibitor_gets_its_pending_video_privately_through_nginx(front, hall):
    item = make_media(hall["booth"], "video", "pending", file_key=hall["key"])
    form = urlencode({"email": hall["exhibitor"].email, "password": PASSWORD})
    status, headers, _ = fetch(front, "/login", "POST", {"Content-Type": "application/x-www-form-urlencoded"}, form)
    assert status == 302
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    status, headers, body = fetch(front, media_url(hall, item), headers={"Cookie": cookie, "Range": "bytes=0-9"})
    assert status == 206 and body == DATA[:10]
    assert headers["Cache-Control"] == "private, no-store"
    assert db.session.get(MediaItem, item.id).state.value == "pending"


def failed_sign_ins(port, source, times):
    body = "email=nobody%40kominfo.go.id&password=wrong-password"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return [fetch(port, "/login", "POST", headers, body, source)[0] for _ in range(times)]


def test_sign_in_limits_count_each_client_behind_nginx_not_the_whole_venue(front):
    assert failed_sign_ins(front, "127.0.0.2", 11)[-1] == 429  # ten a minute, then this address waits
    assert failed_sign_ins(front, "127.0.0.3", 1) == [200]  # another delegate's phone is not locked out
    spoofed = fetch(front, "/login", "POST", {"Content-Type": "application/x-www-form-urlencoded",
                                                "X-Forwarded-For": "10.9.8.7"}, "email=a%40b.id&password=x", "127.0.0.2")
    assert spoofed[0] == 429  # a forged X-Forwarded-For is not believed: nginx appends the real address


def test_forwarded_headers_are_ignored_without_a_proxy(make_app):
    application = make_app(RATELIMIT_ENABLED=True)
    web = application.test_client()
    statuses = [web.post("/login", data={"email": "a@b.id", "password": "x"}, headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                for i in range(11)]
    assert statuses[-1] == 429  # a client cannot dodge the limit by naming other addresses


def test_links_say_https_and_the_public_host_behind_a_tls_proxy(make_app, make_event, make_user):
    application = make_app(PROXY_COUNT=1)
    application.test_client_class = IsolatedClient
    event = make_event(slug="forum-2017")
    organizer = make_user(event=event, role="organizer")
    web = sign_in(application.test_client(), organizer)
    page = web.get(f"/manage/{event.slug}/registration/settings",
                   headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "forum.kominfo.go.id"})
    assert page.status_code == 200
    assert "https://forum.kominfo.go.id/r/forum-2017" in text(page)
