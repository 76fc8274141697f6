"""The demo's delegates, checkpoints and arrivals: the 2017 exposé night half-way through arrivals,
and the 2018 two-day FGD done, with its certificate rule (both days) met by most participants."""
from __future__ import annotations

from datetime import datetime, timedelta

from eventsys.attendance.models import CertificateRule, CheckIn, CheckInSource, Checkpoint, Direction, EntryPolicy
from eventsys.core.timezones import local_to_utc
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.demo_data import EXPOSE_REGIONS
from eventsys.events.models import Event, Organization, OrganizationKind
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import DelegateCategory, Registration, RegistrationSettings, RegistrationState

# Regional heads who have not arrived yet in the demo, so the "still missing" list has names on it.
NOT_YET_ARRIVED = {"Kab. Mimika", "Kota Tomohon", "Kab. Lombok Timur", "Kab. Siak", "Kota Singkawang", "Kab. Pelalawan", "Kota Jambi"}
HEADS = {"Kota Cirebon": "Drs. Nasrudin Azis, SH", "Kab. Bojonegoro": "Drs. H. Suyoto, M.Si"}
FGD_SKPD = [
    "Bappelitbangda", "Dinas Kesehatan", "Dinas Pendidikan", "Dinas Perhubungan", "Dinas Pariwisata", "BPBD",
    "Dinas Lingkungan Hidup", "DPMPTSP", "Dinas Sosial", "Dinas Koperasi dan UMKM", "Disdukcapil", "Dinas PUPR",
]


def _registration(event: Event, category: DelegateCategory, organization: Organization | None, name: str, position: str,
                  email: str, proposed: str | None = None) -> Registration:
    registration = Registration(
        event_id=event.id, category_id=category.id, organization_id=organization.id if organization else None,
        proposed_organization=proposed, name=name, position=position, email=email, locale="id",
        state=RegistrationState.CONFIRMED, manage_token_hash=hash_secret(new_secret()), consent_at=event.starts_at - timedelta(days=7),
    )
    db.session.add(registration)
    db.session.flush()
    tickets.issue_ticket(db.session, registration)
    return registration


def _checkin(checkpoint: Checkpoint, registration: Registration, at: datetime, slot: str, direction: Direction = Direction.IN) -> None:
    db.session.add(CheckIn(
        event_id=checkpoint.event_id, checkpoint=checkpoint, ticket_id=registration.ticket.id, registration=registration,
        direction=direction, slot=slot, source=CheckInSource.SCAN, at=at,
    ))


def _head_title(region: str, kind: OrganizationKind) -> str:
    return ("Bupati " if kind == OrganizationKind.KABUPATEN else "Wali Kota ") + region.split(" ", 1)[1]


def _expose_night(event: Event, organizations: dict[str, Organization]) -> None:
    zone = event.timezone
    db.session.add(RegistrationSettings(event_id=event.id, enabled=True, capacity=400, organization_quota=4))
    heads = DelegateCategory(event_id=event.id, name="Kepala Daerah", color="#b91c1c", position=0)
    kominfo = DelegateCategory(event_id=event.id, name="Kepala Dinas Kominfo", color="#1d4ed8", position=1)
    guests = DelegateCategory(event_id=event.id, name="Undangan", color="#047857", position=2)
    db.session.add_all([heads, kominfo, guests])
    db.session.flush()
    entrance = Checkpoint(event_id=event.id, name="Pintu masuk Ballroom", policy=EntryPolicy.ONCE_PER_DAY, position=0,
                          opens_at=local_to_utc(datetime(2017, 11, 15, 11, 0), zone), closes_at=event.ends_at)
    award = next(s for s in event.sessions if s.title.startswith("Malam Penghargaan"))
    gala = Checkpoint(event_id=event.id, name="Malam Penghargaan", session_id=award.id, policy=EntryPolicy.IN_OUT, position=1,
                      categories=[heads, guests], opens_at=award.starts_at - timedelta(minutes=30), closes_at=award.ends_at)
    db.session.add_all([entrance, gala])
    db.session.flush()
    first = local_to_utc(datetime(2017, 11, 15, 11, 40), zone)
    day = "day:2017-11-15"
    for i, (region, kind, _province, _zone) in enumerate(EXPOSE_REGIONS):
        organization = organizations[region]
        domain = region.lower().replace("kab. ", "").replace("kota ", "").replace(" ", "") + ".go.id"
        head = _registration(event, heads, organization, HEADS.get(region, _head_title(region, kind)),
                             _head_title(region, kind), f"kepala.daerah@{domain}")
        head_of_kominfo = _registration(event, kominfo, organization, f"Kepala Diskominfo {region}", "Kepala Dinas Kominfo",
                                        f"diskominfo@{domain}")
        if region not in NOT_YET_ARRIVED:
            _checkin(entrance, head, first + timedelta(minutes=3 * i), day)
        _checkin(entrance, head_of_kominfo, first - timedelta(minutes=20) + timedelta(minutes=2 * i), day)
    for n, name in enumerate(["Perwakilan Kemendagri", "Perwakilan Bappenas", "Perwakilan Kementerian PUPR", "Perwakilan KSP"]):
        guest = _registration(event, guests, None, name, "Undangan", f"undangan{n + 1}@demo.eventsys.id", proposed=name.split(" ", 1)[1])
        _checkin(entrance, guest, first + timedelta(minutes=10 + 7 * n), day)


def _fgd(event: Event, organizations: dict[str, Organization]) -> None:
    zone = event.timezone
    db.session.add(RegistrationSettings(event_id=event.id, enabled=True, capacity=60))
    skpd = DelegateCategory(event_id=event.id, name="Kasubag Perencanaan SKPD", color="#7c3aed", position=0)
    pokja = DelegateCategory(event_id=event.id, name="Pokja Smart City", color="#0f766e", position=1)
    db.session.add_all([skpd, pokja])
    db.session.flush()
    days = []
    for n, day in enumerate((5, 6), start=1):
        days.append(Checkpoint(event_id=event.id, name=f"FGD hari {n}", policy=EntryPolicy.ONCE, position=n,
                               opens_at=local_to_utc(datetime(2018, 11, day, 7, 30), zone),
                               closes_at=local_to_utc(datetime(2018, 11, day, 16, 0), zone)))
    db.session.add_all(days)
    db.session.flush()
    db.session.add(CertificateRule(event_id=event.id, enabled=True, minimum=None, checkpoints=days, title="Sertifikat Kehadiran",
                                   signer_name="Sugeng Darsono", signer_position="Kepala Dinas Komunikasi dan Informatika Kab. Cirebon"))
    cirebon = organizations["Kab. Cirebon"]
    people = [(f"Kasubag Perencanaan {unit}", skpd, unit) for unit in FGD_SKPD] + [(f"Anggota Pokja {n}", pokja, "Pokja") for n in range(1, 7)]
    for i, (name, category, unit) in enumerate(people):
        registration = _registration(event, category, cirebon, name, f"{unit} Kab. Cirebon", f"fgd{i + 1}@cirebonkab.go.id")
        if i % 9 != 4:  # a few missed day 1
            _checkin(days[0], registration, local_to_utc(datetime(2018, 11, 5, 8, 0), zone) + timedelta(minutes=i), "once")
        if i % 7 != 3:  # and a few day 2
            _checkin(days[1], registration, local_to_utc(datetime(2018, 11, 6, 8, 5), zone) + timedelta(minutes=i), "once")


def load_attendance_demo(events: dict[str, Event], organizations: dict[str, Organization]) -> None:
    _expose_night(events["expose2017"], organizations)
    _fgd(events["fgd2018"], organizations)
    db.session.flush()
