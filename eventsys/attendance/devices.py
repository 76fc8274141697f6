"""Scanner devices: created by an organizer, paired once with a QR or link, revoked at once.

A device's credential is an ordinary API token of the check-in role, scoped to the device's
event and bound to the device row; revoking the device revokes the token, so the next request
from that phone is refused (401) without waiting for any cache or sync.
"""
from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import datetime, timedelta

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from eventsys.accounts.models import EventRoleName, User
from eventsys.api import services as api_services
from eventsys.api.models import ApiToken
from eventsys.attendance.models import Checkpoint, ScannerDevice
from eventsys.core.db import utcnow
from eventsys.core.mail import public_url
from eventsys.core.rules import RuleViolation
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import Event

PAIRING_VALID_FOR = timedelta(hours=24)
MAX_NAME_LENGTH = 100
# The device's last_seen_at is written at most this often, so a busy scanner costs no extra write per scan.
SEEN_INTERVAL = timedelta(minutes=1)
# Only the hash of a pairing secret is stored; the organizer's own session keeps the secret under this key
# for the page that shows it, so that reloading that page shows it again.
SHOWN_SECRETS = "device_pairing_secrets"


def _clean_name(name: str, field: str = "name") -> str:
    name = " ".join((name or "").replace("\x00", "").split())
    if not name:
        raise RuleViolation(_("Give the device a name, e.g. the door it stands at."), field)
    if len(name) > MAX_NAME_LENGTH:
        raise RuleViolation(_("Use at most %(num)d characters.", num=MAX_NAME_LENGTH), field)
    return name


def _checkpoint_of(session: Session, event: Event, checkpoint: Checkpoint | None, kiosk: bool) -> Checkpoint | None:
    """The device's checkpoint. A kiosk must have one (its picker is hidden from attendees): the only one
    of the event is taken when none is chosen."""
    if checkpoint is not None and checkpoint.event_id != event.id:
        raise RuleViolation(_("Choose one of the listed checkpoints."), "checkpoint_id")
    if checkpoint is not None or not kiosk:
        return checkpoint
    listed = session.scalars(select(Checkpoint).where(Checkpoint.event_id == event.id).limit(2)).all()
    if len(listed) == 1:
        return listed[0]
    if not listed:
        raise RuleViolation(_("A kiosk needs a checkpoint and this event has none yet: an organizer adds it on the check-in page first."), "checkpoint_id")
    raise RuleViolation(_("Choose the checkpoint of the kiosk: attendees cannot choose it on a kiosk."), "checkpoint_id")


def create_device(
    session: Session,
    event: Event,
    *,
    name: str,
    kiosk: bool = False,
    checkpoint: Checkpoint | None = None,
    created_by: User | None = None,
    now: datetime | None = None,
) -> tuple[ScannerDevice, str]:
    """A new, not yet paired device and its pairing secret (shown once, as a QR and a link)."""
    now = now or utcnow()
    secret = new_secret(24)
    device = ScannerDevice(
        event_id=event.id,
        name=_clean_name(name),
        kiosk=bool(kiosk),
        checkpoint=_checkpoint_of(session, event, checkpoint, kiosk),
        pairing_hash=hash_secret(secret),
        pairing_expires_at=now + PAIRING_VALID_FOR,
        created_by_id=created_by.id if created_by else None,
        created_at=now,
    )
    session.add(device)
    session.flush()
    return device, secret


def pairing_url(secret: str) -> str:
    """The absolute link a phone opens (or scans as a QR) to become this scanner.

    Shown on the organizer's screen, it uses the address that screen opened the site at: at a venue
    the laptop serving eventsys is reached as e.g. http://192.168.1.10:5000, which the phones on the
    same Wi-Fi can open too, while PUBLIC_BASE_URL (for mail) may still be its default 127.0.0.1.
    """
    path = f"/scan/pair/{secret}"  # the scanner page's pairing route (scanner_views)
    if has_request_context():
        return request.host_url.rstrip("/") + path
    return public_url(path)


def keep_shown_secret(store: MutableMapping, device: ScannerDevice, secret: str) -> None:
    """Keep a new pairing secret in the organizer's session (`store`), for the page that shows it; a few at most."""
    kept = [(key, value) for key, value in store.get(SHOWN_SECRETS, {}).items() if key != str(device.id)]
    store[SHOWN_SECRETS] = dict([*kept[-4:], (str(device.id), secret)])


def shown_secret(session: Session, store: Mapping, device: ScannerDevice) -> str | None:
    """The device's pairing secret kept in `store`, while it can still pair the device."""
    secret = store.get(SHOWN_SECRETS, {}).get(str(device.id))
    return secret if secret and device_for_pairing(session, secret) is device else None


def device_for_pairing(session: Session, secret: str, now: datetime | None = None) -> ScannerDevice | None:
    """The device waiting for this pairing secret, if it is still valid."""
    if not secret or len(secret) > 100:
        return None
    device = session.scalar(select(ScannerDevice).where(ScannerDevice.pairing_hash == hash_secret(secret)))
    now = now or utcnow()
    if device is None or device.revoked_at is not None or device.pairing_expires_at is None or device.pairing_expires_at <= now:
        return None
    return device


def _issue_token(session: Session, device: ScannerDevice, user: User | None) -> str:
    token, secret = api_services.create_token(
        session, device.event, f"{_('Scanner')}: {device.name}"[:MAX_NAME_LENGTH], EventRoleName.CHECKIN, user.id if user else None
    )
    device.api_token = token
    return secret


def pair_device(
    session: Session, secret: str, *, staff_name: str = "", user: User | None = None, now: datetime | None = None
) -> tuple[ScannerDevice, str]:
    """Exchange a pairing secret for the device's API token; the secret works once."""
    now = now or utcnow()
    device = device_for_pairing(session, secret, now)
    if device is None:
        raise RuleViolation(_("This pairing link is unknown, expired or already used. Ask the organizer for a new one."))
    # Single use even when two phones open the link at once: only one conditional update wins.
    claimed = session.execute(
        update(ScannerDevice)
        .where(ScannerDevice.id == device.id, ScannerDevice.pairing_hash == hash_secret(secret))
        .values(pairing_hash=None, pairing_expires_at=None, paired_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise RuleViolation(_("This pairing link is unknown, expired or already used. Ask the organizer for a new one."))
    session.refresh(device)
    device.staff_name = " ".join((staff_name or "").replace("\x00", "").split())[:200]
    device.user_id = user.id if user else None
    return device, _issue_token(session, device, user)


def pair_browser(
    session: Session,
    event: Event,
    user: User,
    *,
    name: str,
    kiosk: bool = False,
    checkpoint: Checkpoint | None = None,
    now: datetime | None = None,
) -> tuple[ScannerDevice, str]:
    """A signed-in organizer or check-in staff member makes the browser they use a scanner."""
    now = now or utcnow()
    device = ScannerDevice(
        event_id=event.id,
        name=_clean_name(name),
        kiosk=bool(kiosk),
        checkpoint=_checkpoint_of(session, event, checkpoint, kiosk),
        paired_at=now,
        user_id=user.id,
        staff_name=user.name,
        created_by_id=user.id,
        created_at=now,
    )
    session.add(device)
    session.flush()
    return device, _issue_token(session, device, user)


def change_device(session: Session, device: ScannerDevice, *, name: str, kiosk: bool, checkpoint: Checkpoint | None) -> None:
    """The organizer renames a device or moves it: a paired one picks the change up at its next sync."""
    if device.revoked_at is not None:
        raise RuleViolation(_("This device is revoked. Add a new device instead."))
    device.name = _clean_name(name)
    device.checkpoint = _checkpoint_of(session, device.event, checkpoint, kiosk)
    device.kiosk = bool(kiosk)
    session.flush()


def new_pairing(session: Session, device: ScannerDevice, now: datetime | None = None) -> str:
    """A fresh pairing secret for a device (lost phone replaced): its current token stops working."""
    if device.revoked_at is not None:
        raise RuleViolation(_("This device is revoked. Add a new device instead."))
    now = now or utcnow()
    _revoke_token(device, now)
    secret = new_secret(24)
    device.pairing_hash = hash_secret(secret)
    device.pairing_expires_at = now + PAIRING_VALID_FOR
    device.paired_at = None
    return secret


def state_label(device: ScannerDevice, now: datetime) -> str:
    """The device's state as the organizer's list shows it."""
    if device.revoked_at is not None:
        return _("Revoked")
    if device.paired_at is not None:
        return _("Active")
    if device.pairing_expires_at is not None and device.pairing_expires_at > now:
        return _("Waiting to be paired")
    return _("Pairing link expired")


def _revoke_token(device: ScannerDevice, now: datetime) -> None:
    if device.api_token is not None and device.api_token.revoked_at is None:
        device.api_token.revoked_at = now


def revoke_device(session: Session, device: ScannerDevice, now: datetime | None = None) -> None:
    """The device is refused from its next request on; again is harmless."""
    now = now or utcnow()
    if device.revoked_at is None:
        device.revoked_at = now
    device.pairing_hash = None
    device.pairing_expires_at = None
    _revoke_token(device, now)
    session.flush()


_DEVICE_OF_TOKEN = (  # asked on every scanner request: built once
    select(ScannerDevice).where(ScannerDevice.api_token_id == bindparam("token_id")).options(joinedload(ScannerDevice.event, innerjoin=True))
)


def device_for_token(session: Session, token: ApiToken) -> ScannerDevice | None:
    """The active device a (valid) API token belongs to, with its event; None for a token that is not a device's."""
    device = session.scalar(_DEVICE_OF_TOKEN, {"token_id": token.id})
    if device is None or device.revoked_at is not None or device.event_id != token.event_id:
        return None
    return device


def record_seen(device: ScannerDevice, now: datetime | None = None) -> bool:
    """Note when the device was last heard from; True when that changed and needs committing."""
    now = now or utcnow()
    if device.last_seen_at is not None and now - device.last_seen_at < SEEN_INTERVAL:
        return False
    device.last_seen_at = now
    return True


def event_devices(session: Session, event: Event) -> list[ScannerDevice]:
    """Active devices first, newest first."""
    return list(
        session.scalars(
            select(ScannerDevice)
            .where(ScannerDevice.event_id == event.id)
            .options(selectinload(ScannerDevice.checkpoint), selectinload(ScannerDevice.user))
            .order_by(ScannerDevice.revoked_at.is_not(None), ScannerDevice.created_at.desc(), ScannerDevice.id.desc())
        )
    )
