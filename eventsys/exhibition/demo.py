"""The demo's virtual exhibition (Pameran Virtual Smart City 2021, 14–28 December 2021).

Three pavilions; Kab. Cirebon's booth shows its six quick wins (PSC 119, Bus Wisata Cirebon Katon,
Sintren, Layanan Satu Atap Pekerja Migran Indonesia, DESTANA, Taman Edukasi RTH) with videos,
posters and a leaflet, one video still waiting for review and one poster rejected with a reason.
Posters are drawn with Pillow and the videos are ffmpeg test patterns (3 s, 320×180), all sent
through the same content check as real uploads; then visits and confirmed votes. Takes a few seconds.
"""
from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from eventsys.accounts.models import User
from eventsys.core.storage import get_storage
from eventsys.core.timezones import to_local
from eventsys.events.dimensions import Dimension
from eventsys.events.models import Event, Organization, OrganizationKind
from eventsys.exhibition import engagement, media, processing
from eventsys.exhibition.models import Booth, BoothDimension, MediaItem, MediaKind, MediaState, Pavilion, QuickWin, Visit, Vote
from eventsys.exhibition.services import exhibition_for
from eventsys.exhibition.video import make_test_video
from eventsys.extensions import db

MB = 1024 * 1024
D = Dimension
COLOURS = {D.GOVERNANCE: (21, 101, 192), D.BRANDING: (230, 81, 0), D.ECONOMY: (46, 125, 50), D.LIVING: (198, 40, 40),
           D.SOCIETY: (106, 27, 154), D.ENVIRONMENT: (0, 121, 107)}
LAIP = "Direktorat Layanan Aplikasi Informatika Pemerintahan (LAIP)"
STARTUP = ("Desa Pintar Nusantara", OrganizationKind.STARTUP)
CIREBON_QUICK_WINS = [
    ("PSC 119", D.LIVING, "Dinas Kesehatan", "Public Safety Center 119: layanan gawat darurat dan ambulans 24 jam bagi warga Kab. Cirebon."),
    ("Bus Wisata Cirebon Katon", D.BRANDING, "Dinas Kebudayaan dan Pariwisata", "Bus wisata keliling keraton, batik Trusmi dan kuliner khas Cirebon."),
    ("Aplikasi Sintren", D.GOVERNANCE, "Dinas Kependudukan dan Catatan Sipil", "Layanan dokumen kependudukan secara daring tanpa antre."),
    ("Layanan Satu Atap Pekerja Migran Indonesia", D.ECONOMY, "Dinas Ketenagakerjaan", "Pengurusan dokumen calon pekerja migran di satu tempat."),
    ("DESTANA (Desa Tanggap Bencana)", D.SOCIETY, "BPBD", "Pelatihan dan kesiapsiagaan warga desa menghadapi bencana."),
    ("Taman Edukasi Ruang Terbuka Hijau", D.ENVIRONMENT, "Dinas Lingkungan Hidup", "Taman bermain dan belajar lingkungan bagi pelajar dan keluarga."),
]


class _Maker:
    """Draws the demo's files, sends them through the content check and stores items with their previews."""

    def __init__(self, event: Event, work: Path, uploader_id: int | None):
        self.event, self.work, self.uploader_id = event, work, uploader_id
        self.storage = get_storage(current_app)
        self.count = 0

    def _path(self, suffix: str) -> Path:
        self.count += 1
        return self.work / f"demo-{self.count}{suffix}"

    def poster(self, title: str, subtitle: str, dimension: Dimension, fmt: str = "JPEG") -> Path:
        colour = COLOURS[dimension]
        picture = Image.new("RGB", (900, 1272), colour)
        draw = ImageDraw.Draw(picture)
        for i in range(0, 1272, 6):  # a soft gradient towards the bottom
            shade = tuple(max(0, int(c * (1 - i / 2600))) for c in colour)
            draw.rectangle((0, i, 900, i + 6), fill=shade)
        draw.rectangle((60, 60, 840, 1212), outline=(255, 255, 255), width=6)
        big, small = ImageFont.load_default(size=58), ImageFont.load_default(size=30)
        y = 200
        for line in _wrap(title, 22):
            draw.text((100, y), line, font=big, fill="white")
            y += 76
        y += 30
        for line in _wrap(subtitle, 44):
            draw.text((100, y), line, font=small, fill=(235, 235, 235))
            y += 42
        draw.text((100, 1120), "Pameran Virtual Smart City 2021", font=small, fill="white")
        path = self._path({"PDF": ".pdf", "PNG": ".png"}.get(fmt, ".jpg"))
        picture.save(path, fmt, **{"JPEG": {"quality": 85}, "PDF": {"resolution": 110}}.get(fmt, {}))
        return path

    def video(self, source: str) -> Path:
        return make_test_video(self._path(".mp4"), seconds=3, size="320x180", rate=15, source=source)

    def item(self, booth: Booth | None, path: Path, kind: MediaKind, title: str, state: MediaState, *,
             dimension: Dimension | None = None, quick_win: QuickWin | None = None, description: str = "",
             reject_reason: str = "", position: int = 0) -> MediaItem:
        stored = media.store_upload(path, kind, max_bytes=500 * MB, original_name=path.name)
        result = processing.preview(self.storage, stored.kind, stored.file_key, stored.content_type)
        thumb_key = self.storage.save(result.thumb, ".jpg") if result.thumb else None
        reviewed = state in (MediaState.APPROVED, MediaState.REJECTED)
        item = MediaItem(
            event_id=self.event.id, booth_id=booth.id if booth else None, on_stage=booth is None, kind=stored.kind,
            state=state, title=title, description=description, dimension=dimension, quick_win=quick_win,
            file_key=stored.file_key, content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
            original_name=media.clean_filename(title)[:190] + Path(path).suffix, width=result.width or stored.width,
            height=result.height or stored.height, duration_seconds=result.duration, thumb_key=thumb_key,
            reject_reason=reject_reason, reviewed_at=self.event.starts_at - timedelta(days=1) if reviewed else None,
            uploaded_by_id=self.uploader_id, position=position, created_at=self.event.starts_at - timedelta(days=3),
        )
        db.session.add(item)
        return item


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def _organization(organizations: dict[str, Organization], name: str, kind: OrganizationKind) -> Organization:
    if name in organizations:
        return organizations[name]
    key = Organization.key_for(name)
    org = db.session.scalar(select(Organization).where(Organization.name_key == key))
    if org is None:
        org = Organization(name=name, name_key=key, kind=kind, province=None, timezone="Asia/Jakarta")
        db.session.add(org)
        db.session.flush()
    return org


def _booth(event: Event, org: Organization, pavilion: Pavilion, dimensions, **fields) -> Booth:
    booth = Booth(event_id=event.id, organization_id=org.id, pavilion_id=pavilion.id, name=fields.pop("name", org.name), **fields)
    booth.dimensions = [BoothDimension(dimension=d) for d in dimensions]
    db.session.add(booth)
    db.session.flush()
    return booth


def load_exhibition_demo(events: dict[str, Event], organizations: dict[str, Organization]) -> None:
    """Pavilions, booths, media (drawn and checked like uploads), visits and confirmed votes for events["exhibition2021"]."""
    event = events["exhibition2021"]
    exhibition = exhibition_for(db.session, event)
    exhibition.intro = ("Selamat datang di Pameran Virtual Smart City 2021. Kunjungi stan kabupaten/kota peserta Gerakan Menuju"
                        " 100 Smart City, tonton video quick win enam dimensi smart city dan pilih stan favorit Anda.")
    pavilions = {}
    for position, (name, description) in enumerate([
        ("Kabupaten/Kota", "Stan kabupaten/kota peserta Gerakan Menuju 100 Smart City."),
        ("Direktorat LAIP", "Direktorat Layanan Aplikasi Informatika Pemerintahan, Kementerian Kominfo."),
        ("Startup", "Perusahaan rintisan mitra daerah."),
    ]):
        pavilions[name] = Pavilion(event_id=event.id, name=name, description=description, position=position)
        db.session.add(pavilions[name])
    db.session.flush()

    uploader = db.session.scalar(select(User.id).where(User.email == "pameran.kabcirebon@demo.eventsys.id"))
    saved: list[MediaItem] = []
    with tempfile.TemporaryDirectory(prefix="eventsys-demo-") as work:
        maker = _Maker(event, Path(work), uploader)
        try:
            booths = _kab_cirebon(event, organizations, pavilions, maker, saved)
            booths += _other_booths(event, organizations, pavilions, maker, saved)
            saved.append(maker.item(None, maker.video("smptebars"), MediaKind.VIDEO, "Tari Topeng Cirebon: penampilan pembukaan",
                                    MediaState.APPROVED, description="Sanggar seni Kab. Cirebon membuka pameran virtual."))
            db.session.flush()
        except BaseException:
            for item in saved:
                media.delete_files(item)
            raise
    _visits_and_votes(event, booths, [i for i in saved if i.state == MediaState.APPROVED])


def _kab_cirebon(event, organizations, pavilions, maker: _Maker, saved: list) -> list[Booth]:
    booth = _booth(
        event, organizations["Kab. Cirebon"], pavilions["Kabupaten/Kota"], list(D),
        tagline="Quick win enam dimensi smart city",
        description="Kabupaten Cirebon menampilkan video dan poster kegiatan quick win enam dimensi smart city dari"
                    " perangkat daerahnya. (DISKOMINFO)",
        contact_name="Diskominfo Kab. Cirebon", contact_email="diskominfo@cirebonkab.go.id",
        website="https://diskominfo.cirebonkab.go.id",
    )
    wins = {}
    for position, (title, dimension, opd, description) in enumerate(CIREBON_QUICK_WINS):
        wins[title] = QuickWin(booth=booth, title=title, dimension=dimension, responsible_opd=opd, description=description,
                               position=position)
        db.session.add(wins[title])
    db.session.flush()
    A, P, R = MediaState.APPROVED, MediaState.PENDING, MediaState.REJECTED
    psc, bus, sintren, pmi, destana, rth = (wins[t[0]] for t in CIREBON_QUICK_WINS)
    saved.append(maker.item(booth, maker.video("testsrc"), MediaKind.VIDEO, "PSC 119: ambulans siaga 24 jam", A,
                            dimension=D.LIVING, quick_win=psc, description=psc.description, position=0))
    saved.append(maker.item(booth, maker.poster("Bus Wisata Cirebon Katon", bus.description, D.BRANDING), MediaKind.POSTER,
                            "Poster Bus Wisata Cirebon Katon", A, dimension=D.BRANDING, quick_win=bus, position=1))
    saved.append(maker.item(booth, maker.poster("Aplikasi Sintren", sintren.description, D.GOVERNANCE), MediaKind.POSTER,
                            "Poster Aplikasi Sintren", A, dimension=D.GOVERNANCE, quick_win=sintren, position=2))
    saved.append(maker.item(booth, maker.poster("Taman Edukasi Ruang Terbuka Hijau", rth.description, D.ENVIRONMENT, "PDF"),
                            MediaKind.POSTER, "Leaflet Taman Edukasi RTH", A, dimension=D.ENVIRONMENT, quick_win=rth, position=3))
    saved.append(maker.item(booth, maker.video("testsrc2"), MediaKind.VIDEO, "DESTANA: simulasi tanggap bencana", P,
                            dimension=D.SOCIETY, quick_win=destana, position=4))
    saved.append(maker.item(booth, maker.poster("Layanan Satu Atap Pekerja Migran Indonesia", pmi.description, D.ECONOMY),
                            MediaKind.POSTER, "Poster Layanan Satu Atap PMI", R, dimension=D.ECONOMY, quick_win=pmi, position=5,
                            reject_reason="Poster memuat nomor telepon pribadi petugas. Ganti dengan nomor layanan resmi"
                                          " lalu unggah kembali."))
    return [booth]


def _other_booths(event, organizations, pavilions, maker: _Maker, saved: list) -> list[Booth]:
    A = MediaState.APPROVED
    kota_cirebon = _booth(event, organizations["Kota Cirebon"], pavilions["Kabupaten/Kota"], [D.GOVERNANCE, D.SOCIETY],
                          tagline="Cirebon Kota Cerdas", contact_email="diskominfo@cirebonkota.go.id")
    saved.append(maker.item(kota_cirebon, maker.poster("Layanan Publik Terpadu", "Mal pelayanan publik Kota Cirebon.", D.GOVERNANCE),
                            MediaKind.POSTER, "Mal Pelayanan Publik", A, dimension=D.GOVERNANCE))
    bandung = _booth(event, organizations["Kota Bandung"], pavilions["Kabupaten/Kota"], [D.LIVING, D.ENVIRONMENT],
                     tagline="Bandung Smart City", website="https://www.bandung.go.id")
    saved.append(maker.item(bandung, maker.video("rgbtestsrc"), MediaKind.VIDEO, "Command Center Kota Bandung", A, dimension=D.LIVING))
    laip_org = _organization(organizations, LAIP, OrganizationKind.KEMENTERIAN_LEMBAGA)
    laip = _booth(event, laip_org, pavilions["Direktorat LAIP"], [D.GOVERNANCE], name="Direktorat LAIP",
                  tagline="Gerakan Menuju 100 Smart City", contact_email="laip@kominfo.go.id")
    saved.append(maker.item(laip, maker.poster("Gerakan Menuju 100 Smart City", "Masterplan, quick win dan evaluasi bersama"
                                               " Kementerian Kominfo.", D.GOVERNANCE), MediaKind.POSTER,
                            "Gerakan Menuju 100 Smart City", A, dimension=D.GOVERNANCE))
    startup_org = _organization(organizations, *STARTUP)
    startup = _booth(event, startup_org, pavilions["Startup"], [D.ECONOMY], tagline="Aplikasi layanan desa",
                     description="Aplikasi surat-menyurat dan pasar desa untuk pemerintah desa.")
    saved.append(maker.item(startup, maker.poster("Desa Pintar Nusantara", "Surat desa daring dan pasar produk UMKM.", D.ECONOMY, "PNG"),
                            MediaKind.POSTER, "Profil Desa Pintar Nusantara", A,
                            dimension=D.ECONOMY))
    return [kota_cirebon, bandung, laip, startup]


def _visits_and_votes(event: Event, booths: list[Booth], items: list[MediaItem]) -> None:
    """Visitors over the first week (booth pages and plays) and confirmed people's-choice votes."""
    start = event.starts_at
    weights = {booths[0].id: 9, booths[1].id: 4, booths[2].id: 6, booths[3].id: 3, booths[4].id: 2}
    rows = []
    for day in range(7):
        moment = start + timedelta(days=day, hours=3)
        for booth_id, weight in weights.items():
            for n in range(weight + day % 3):
                visitor = hashlib.sha256(f"demo-visitor-{booth_id}-{day}-{n}".encode()).hexdigest()
                rows.append(_visit(event, booth_id, None, visitor, moment + timedelta(minutes=n)))
                played = [i for i in items if i.booth_id == booth_id]
                if played and n % 2 == 0:
                    rows.append(_visit(event, booth_id, played[n % len(played)].id, visitor, moment + timedelta(minutes=n, seconds=30)))
    db.session.add_all(rows)
    secret = current_app.config["SECRET_KEY"]
    votes = {booths[0].id: 12, booths[2].id: 8, booths[1].id: 5, booths[4].id: 2}
    number = 0
    for booth_id, count in votes.items():
        for _ in range(count):
            number += 1
            at = start + timedelta(days=number % 10, hours=5)
            db.session.add(Vote(event_id=event.id, booth_id=booth_id, email_hash=engagement.email_hash(secret, f"pengunjung{number}@example.org"),
                                confirmed_at=at, created_at=at - timedelta(minutes=10)))
    db.session.flush()


def _visit(event: Event, booth_id: int, media_id: int | None, visitor: str, at: datetime) -> Visit:
    return Visit(event_id=event.id, booth_id=booth_id, media_id=media_id, visitor=visitor, day=to_local(at, event.timezone).date().isoformat(),
                 created_at=at)

