"""The scanning screen's pages: the public shell, its service worker, pairing a phone or this browser,
and the page's transfer size (everything it may load, kept offline by the service worker)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsys.attendance import devices
from eventsys.attendance.models import ScannerDevice
from eventsys.core.db import utcnow
from eventsys.extensions import db
from tests.helpers import csrf_token_of, fresh, sign_in, text, tr

TRANSFER_BUDGET = 300_000  # bytes: the goal for the whole page, uncompressed


def bootstrap(client, event, token):
    return client.get(f"/api/v1/events/{event.slug}/scanner", headers={"Authorization": f"Bearer {token}"})


def paired_token(response) -> str:
    match = re.search(r'data-token="([^"]+)"', text(response))
    assert match, text(response)[:2000]
    return match.group(1)


def test_the_scanning_page_is_a_public_shell_with_nothing_private(client, organizer, make_registration):
    _user, event = organizer
    make_registration(event, name="Nashrudin Azis")
    response = client.get(f"/scan/{event.slug}")
    assert response.status_code == 200
    page = text(response)
    assert f'data-slug="{event.slug}"' in page
    assert f'data-api="/api/v1/events/{event.slug}"' in page
    assert 'id="scanner-strings"' in page
    assert "Nashrudin" not in page
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script>" not in page and " on" + "click=" not in page  # scripts only from files
    assert client.get("/scan/no-such-event").status_code == 404


def test_the_kiosk_layout_is_chosen_by_the_address(client, organizer, app):
    _user, event = organizer
    page = text(client.get(f"/scan/{event.slug}?kiosk=1"))
    assert re.search(r'<body class="scanner kiosk"', page)
    assert 'data-kiosk="1"' in page
    assert tr(app, "Scan your QR code") in page
    assert 'data-kiosk="0"' in text(client.get(f"/scan/{event.slug}"))


def test_the_service_worker_is_served_for_the_scan_scope_and_never_cached_stale(client):
    response = client.get("/scan/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/scan/"
    body = text(response)
    assert "__ASSETS__" not in body and '"__VERSION__"' not in body
    assert re.search(r'const VERSION = "[0-9a-f]{16}";', body)


def _asset_urls_of_page(client, page: str) -> set[str]:
    """Everything the page references under /static/, following the scripts' imports."""
    urls = set(re.findall(r'(?:src|href|data-[a-z0-9-]+-url)="(/static/[^"]+)"', page))
    pending = [u for u in urls if u.endswith(".js")]
    while pending:
        url = pending.pop()
        source = text(client.get(url))
        base = url.rsplit("/", 1)[0]
        for relative in re.findall(r'from\s+"\./([^"]+)"|import\("\./([^"]+)"\)', source):
            found = f"{base}/{relative[0] or relative[1]}"
            if found not in urls:
                urls.add(found)
                pending.append(found)
    return urls


def test_the_page_and_all_it_loads_are_kept_offline_and_weigh_at_most_300_kb(client, organizer):
    _user, event = organizer
    response = client.get(f"/scan/{event.slug}")
    page = text(response)
    kept = set(re.findall(r'"(/static/[^"]+)"', text(client.get("/scan/sw.js"))))
    referenced = _asset_urls_of_page(client, page)
    assert referenced, "the page references no static files"
    assert referenced <= kept, f"loaded by the page but not kept offline: {referenced - kept}"
    sizes = {}
    for url in kept | referenced:
        asset = client.get(url)
        assert asset.status_code == 200, url
        sizes[url] = len(asset.data)
    total = len(response.data) + sum(sizes.values())
    print(f"scanning page transfer: {total} bytes ({len(response.data)} page + {len(sizes)} files)")
    assert total <= TRANSFER_BUDGET, sorted(sizes.items(), key=lambda item: -item[1])


def test_a_phone_pairs_with_its_link_once_and_gets_a_working_token(make_app, organizer, make_checkpoint):
    _user, event = organizer
    checkpoint = make_checkpoint(event)
    device, secret = devices.create_device(db.session, event, name="Pintu utama 1", checkpoint=checkpoint)
    db.session.commit()
    web = make_app(WTF_CSRF_ENABLED=True).test_client()

    form = web.get(f"/scan/pair/{secret}")
    assert form.status_code == 200
    assert event.name in text(form) and "Pintu utama 1" in text(form)
    assert form.headers["Cache-Control"] == "no-store"
    assert form.headers["Referrer-Policy"] == "no-referrer"
    # Without a name nothing is paired and the link still works.
    again = web.post(f"/scan/pair/{secret}", data={"csrf_token": csrf_token_of(form), "staff_name": "  "})
    assert again.status_code == 200
    assert 'class="field-error"' in text(again)
    assert fresh().get(ScannerDevice, device.id).paired_at is None

    done = web.post(f"/scan/pair/{secret}", data={"csrf_token": csrf_token_of(again), "staff_name": "Rina (LO)"})
    assert done.status_code == 200
    assert done.headers["Cache-Control"] == "no-store"
    assert f'data-target="/scan/{event.slug}"' in text(done)
    assert 'src="/static/js/scanner/pair.js"' in text(done)
    token = paired_token(done)
    paired = fresh().get(ScannerDevice, device.id)
    assert paired.paired_at is not None and paired.staff_name == "Rina (LO)"
    data = bootstrap(web, event, token).get_json()
    assert data["device"] == {"id": device.id, "name": "Pintu utama 1", "kiosk": False, "checkpoint_id": checkpoint.id, "staff_name": "Rina (LO)"}

    # The link works once: opening or sending it again is refused with a message, not an error.
    for used in (web.get(f"/scan/pair/{secret}"), web.post(f"/scan/pair/{secret}", data={"csrf_token": csrf_token_of(form), "staff_name": "X"})):
        assert used.status_code == 404
        assert tr(web.application, "This pairing link is unknown, expired or already used. Ask the organizer for a new one.") in text(used)
        assert "data-token" not in text(used)


def test_a_kiosk_device_opens_the_kiosk_layout_after_pairing(client, organizer, make_checkpoint):
    _user, event = organizer
    make_checkpoint(event)  # a kiosk needs its checkpoint: the only one is taken
    _device, secret = devices.create_device(db.session, event, name="Kiosk lobi", kiosk=True)
    db.session.commit()
    done = client.post(f"/scan/pair/{secret}", data={"staff_name": "Rina"})
    assert f'data-target="/scan/{event.slug}?kiosk=1"' in text(done)


@pytest.mark.parametrize("case", ["expired", "revoked", "unknown"])
def test_a_bad_pairing_link_says_so_plainly(client, organizer, case, app):
    _user, event = organizer
    if case == "unknown":
        secret = "no-such-secret"
    else:
        created = utcnow() - (devices.PAIRING_VALID_FOR + timedelta(minutes=1)) if case == "expired" else None
        device, secret = devices.create_device(db.session, event, name="Pintu 2", now=created)
        if case == "revoked":
            devices.revoke_device(db.session, device)
        db.session.commit()
    for response in (client.get(f"/scan/pair/{secret}"), client.post(f"/scan/pair/{secret}", data={"staff_name": "Rina"})):
        assert response.status_code == 404
        assert tr(app, "This pairing link is unknown, expired or already used. Ask the organizer for a new one.") in text(response)
    assert fresh().scalar(select(ScannerDevice).where(ScannerDevice.paired_at.is_not(None))) is None


def test_checkin_staff_pair_the_browser_they_use(make_app, organizer, make_user, make_checkpoint):
    _user, event = organizer
    make_checkpoint(event)  # a kiosk needs its checkpoint: the only one is taken
    staff = make_user(email="rina@kominfo.go.id", name="Rina", event=event, role="checkin")
    outsider = make_user(email="other@kominfo.go.id", name="Other")
    url = f"/scan/{event.slug}/pair-this-browser"
    assert make_app().test_client().get(url).status_code == 302  # to the sign-in page
    assert sign_in(make_app().test_client(), outsider).get(url).status_code == 403

    web = sign_in(make_app().test_client(), staff)
    form = web.get(url)
    assert form.status_code == 200
    assert 'name="name"' in text(form) and 'value="' in text(form) and "Rina" in text(form)  # a name proposed
    refused = web.post(url, data={"name": ""})
    assert 'class="field-error"' in text(refused)
    done = web.post(url, data={"name": "Pintu VIP", "kiosk": "y"})
    assert done.status_code == 200
    assert f'data-target="/scan/{event.slug}?kiosk=1"' in text(done)
    device = fresh().scalar(select(ScannerDevice).where(ScannerDevice.name == "Pintu VIP"))
    assert device.kiosk and device.user_id == staff.id and device.is_active
    assert bootstrap(web, event, paired_token(done)).get_json()["device"]["kiosk"] is True
