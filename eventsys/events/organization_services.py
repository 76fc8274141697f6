"""Organizations: one row per region or body (by name, ignoring case and spaces), logos, imports."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import available_timezones

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventsys.core import tabular
from eventsys.core.images import clean_image
from eventsys.core.rules import RuleViolation
from eventsys.core.storage import Storage
from eventsys.core.tabular import Column, Row, RowProblem, Table
from eventsys.core.timezones import is_valid_zone
from eventsys.events.models import Organization, OrganizationKind

log = logging.getLogger(__name__)

NAME_MAX = 200
PROVINCE_MAX = 100
LOGO_MAX_SIDE = 512
DEFAULT_ZONE = "Asia/Jakarta"

# The 38 provinces and the zone each keeps (Kalimantan Barat and Tengah are WIB, the rest of Kalimantan WITA).
PROVINCE_ZONES = {
    **dict.fromkeys(
        (
            "Aceh", "Sumatera Utara", "Sumatera Barat", "Riau", "Kepulauan Riau", "Jambi", "Sumatera Selatan",
            "Kepulauan Bangka Belitung", "Bengkulu", "Lampung", "DKI Jakarta", "Jawa Barat", "Banten", "Jawa Tengah",
            "DI Yogyakarta", "Jawa Timur", "Kalimantan Barat", "Kalimantan Tengah",
        ),
        "Asia/Jakarta",
    ),
    **dict.fromkeys(
        (
            "Bali", "Nusa Tenggara Barat", "Nusa Tenggara Timur", "Kalimantan Selatan", "Kalimantan Timur", "Kalimantan Utara",
            "Sulawesi Utara", "Gorontalo", "Sulawesi Tengah", "Sulawesi Barat", "Sulawesi Selatan", "Sulawesi Tenggara",
        ),
        "Asia/Makassar",
    ),
    **dict.fromkeys(
        ("Maluku", "Maluku Utara", "Papua", "Papua Barat", "Papua Barat Daya", "Papua Selatan", "Papua Tengah", "Papua Pegunungan"),
        "Asia/Jayapura",
    ),
}
PROVINCES = tuple(sorted(PROVINCE_ZONES))
_PROVINCE_BY_KEY = {p.casefold(): p for p in PROVINCES}

# Words people write in the "kind" column, in Indonesian and English; compared lower-cased.
KIND_WORDS = {
    OrganizationKind.PROVINSI: ("provinsi", "prov", "province", "pemprov", "pemerintah provinsi"),
    OrganizationKind.KABUPATEN: ("kabupaten", "kab", "regency", "regency (kabupaten)", "pemkab", "pemerintah kabupaten"),
    OrganizationKind.KOTA: ("kota", "city", "city (kota)", "pemkot", "pemerintah kota"),
    OrganizationKind.KEMENTERIAN_LEMBAGA: (
        "kementerian/lembaga", "kementerian / lembaga", "kementerian lembaga", "kementerian", "lembaga", "k/l", "kl",
        "ministry", "agency", "ministry or agency", "ministry/agency", "direktorat",
    ),
    OrganizationKind.PERUSAHAAN: ("perusahaan", "company", "bumn", "swasta", "corporate"),
    OrganizationKind.STARTUP: ("startup", "start-up", "start up", "rintisan", "perusahaan rintisan"),
    OrganizationKind.LAINNYA: ("lainnya", "lain-lain", "lain lain", "other", "others"),
}
_KIND_BY_WORD = {word: kind for kind, words in KIND_WORDS.items() for word in (*words, kind.value)}
KIND_EXAMPLES = "Provinsi, Kabupaten, Kota, Kementerian/Lembaga, Perusahaan, Startup, Lainnya"
ZONE_WORDS = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura",
              "utc+7": "Asia/Jakarta", "utc+8": "Asia/Makassar", "utc+9": "Asia/Jayapura",
              "gmt+7": "Asia/Jakarta", "gmt+8": "Asia/Makassar", "gmt+9": "Asia/Jayapura"}

IMPORT_COLUMNS = (
    Column("name", ("nama", "nama organisasi", "organisasi", "organization", "nama instansi", "instansi", "nama daerah", "daerah"), required=True),
    Column("kind", ("jenis", "jenis organisasi", "type", "tipe", "kategori", "category"), required=True),
    Column("province", ("provinsi", "prov")),
    Column("timezone", ("zona waktu", "time zone", "zona", "tz")),
)
TEMPLATE_ROWS = (
    ("name", "kind", "province", "timezone"),
    ("Provinsi Jawa Barat", "Provinsi", "Jawa Barat", "WIB"),
    ("Kab. Cirebon", "Kabupaten", "Jawa Barat", "WIB"),
    ("Kota Cirebon", "Kota", "Jawa Barat", "WIB"),
    ("Kota Makassar", "Kota", "Sulawesi Selatan", "WITA"),
    ("Direktorat LAIP", "Kementerian/Lembaga", "DKI Jakarta", "WIB"),
)


def clean_name(name: str) -> str:
    """Single-spaced, without control characters (PostgreSQL refuses NUL; none belongs in a name)."""
    return " ".join("".join(ch for ch in (name or "") if ch.isprintable() or ch.isspace()).split())


def canonical_province(text: str | None) -> str | None:
    """'jawa  barat' is 'Jawa Barat'; a name not on the list is kept as typed (tidied)."""
    text = clean_name(text or "")
    if not text:
        return None
    return _PROVINCE_BY_KEY.get(text.casefold(), text)


def parse_kind(text: str) -> OrganizationKind | None:
    word = " ".join(text.casefold().replace("_", " ").split()).rstrip(".")
    return _KIND_BY_WORD.get(word) or _KIND_BY_WORD.get(word.replace(" ", "_"))


def parse_zone(text: str) -> str | None:
    """WIB/WITA/WIT, UTC+7 … or a tz database name in any case; None when unknown."""
    word = "".join(text.split()).casefold()
    return ZONE_WORDS.get(word) or _zones_by_casefold().get(word)


@lru_cache(maxsize=1)
def _zones_by_casefold() -> dict[str, str]:
    # available_timezones() walks the tz database on every call: once per process, not per row.
    return {zone.casefold(): zone for zone in available_timezones()}


def duplicate_message(name: str) -> str:
    return _("An organization named “%(name)s” already exists. Find it in the list and edit it instead.", name=name)


def organizations_query(search: str = "", kind: str = "", province: str = "") -> Select:
    query = select(Organization).order_by(Organization.name_key)
    key = Organization.key_for(clean_name(search))[:NAME_MAX]
    if key:
        query = query.where(Organization.name_key.contains(key, autoescape=True))
    if kind in {k.value for k in OrganizationKind}:
        query = query.where(Organization.kind == OrganizationKind(kind))
    province = clean_name(province)
    if province:
        query = query.where(Organization.province == province)
    return query


def province_choices(session: Session) -> list[str]:
    used = session.scalars(select(Organization.province).where(Organization.province.is_not(None)).distinct())
    return sorted(set(used), key=str.casefold)


@dataclass
class OrganizationData:
    name: str
    kind: OrganizationKind
    province: str | None = None
    timezone: str = DEFAULT_ZONE


def _check(session: Session, data: OrganizationData, organization: Organization | None) -> None:
    if not data.name:
        raise RuleViolation(_("Enter the organization's name, e.g. Kab. Cirebon."), "name")
    if len(Organization.key_for(data.name)) > NAME_MAX:  # casefolding can lengthen a name ("ß" is "ss")
        raise RuleViolation(_("Shorten the name to %(max)d characters.", max=NAME_MAX), "name")
    if data.province and len(data.province) > PROVINCE_MAX:
        raise RuleViolation(_("Shorten the province to %(max)d characters.", max=PROVINCE_MAX), "province")
    if not is_valid_zone(data.timezone):
        raise RuleViolation(_("Unknown time zone. Choose one from the list, e.g. Asia/Jakarta (WIB)."), "timezone")
    taken = session.scalar(select(Organization.id).where(Organization.name_key == Organization.key_for(data.name)))
    if taken is not None and (organization is None or taken != organization.id):
        raise RuleViolation(duplicate_message(data.name), "name")


def save_organization(
    session: Session,
    data: OrganizationData,
    organization: Organization | None = None,
    *,
    storage: Storage | None = None,
    logo: bytes | None = None,
    remove_logo: bool = False,
    logo_max_bytes: int = 2 * 1024 * 1024,
) -> Organization:
    """Create or update an organization, with a new logo when `logo` holds an upload's bytes.

    Commits, because the row and the logo file go together: when anything is refused, neither
    the row nor a file is kept; a replaced logo's file is removed only once the change is stored.
    """
    data.name = clean_name(data.name)
    data.province = canonical_province(data.province)
    _check(session, data, organization)
    checked = clean_image(logo, max_bytes=logo_max_bytes, max_side=LOGO_MAX_SIDE, field="logo") if logo is not None else None
    if (checked or remove_logo) and storage is None:
        raise ValueError("a storage is needed to change a logo")

    if organization is None:
        organization = Organization()
        session.add(organization)
    organization.name = data.name
    organization.name_key = Organization.key_for(data.name)
    organization.kind = data.kind
    organization.province = data.province
    organization.timezone = data.timezone
    old_key = organization.logo_key if (checked or remove_logo) else None
    new_key = None
    if checked:
        new_key = storage.save(checked.data, checked.suffix)
        organization.logo_key, organization.logo_content_type = new_key, checked.content_type
    elif remove_logo:
        organization.logo_key = organization.logo_content_type = None
    try:
        session.commit()
    except BaseException as error:
        session.rollback()
        if new_key:
            storage.delete(new_key)
        if isinstance(error, IntegrityError):
            # Someone saved the same name a moment ago: the unique constraint decides.
            raise RuleViolation(duplicate_message(data.name), "name") from None
        raise
    if old_key:
        try:
            storage.delete(old_key)
        except OSError:  # an orphaned file is harmless; a failed save after a commit is not
            log.warning("Could not delete replaced logo %s", old_key, exc_info=True)
    return organization


# Import from CSV or Excel.


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Parsed:
    row: Row
    name: str
    key: str
    kind: OrganizationKind | None
    province: str | None
    timezone: str | None


def _parse_row(row: Row, problems: list[RowProblem]) -> _Parsed | None:
    def problem(message: str) -> None:
        problems.append(RowProblem(row.number, message))

    before = len(problems)
    name = clean_name(row.get("name"))
    if not name:
        problem(_("Enter the organization's name."))
    elif len(Organization.key_for(name)) > NAME_MAX:
        problem(_("Shorten the name to %(max)d characters.", max=NAME_MAX))
    kind = None
    if row.get("kind"):
        kind = parse_kind(row.get("kind"))
        if kind is None:
            problem(_("Unknown kind “%(value)s”. Write one of: %(kinds)s.", value=row.get("kind")[:50], kinds=KIND_EXAMPLES))
    province = canonical_province(row.get("province"))
    if province and len(province) > PROVINCE_MAX:
        problem(_("Shorten the province to %(max)d characters.", max=PROVINCE_MAX))
    zone = None
    if row.get("timezone"):
        zone = parse_zone(row.get("timezone"))
        if zone is None:
            problem(_("Unknown time zone “%(value)s”. Write WIB, WITA, WIT or a name such as Asia/Jakarta.", value=row.get("timezone")[:50]))
    if len(problems) > before:
        return None
    return _Parsed(row, name, Organization.key_for(name), kind, province, zone)


def _existing_by_key(session: Session, keys: list[str]) -> dict[str, Organization]:
    found: dict[str, Organization] = {}
    for start in range(0, len(keys), 500):  # SQLite allows only so many parameters per statement
        chunk = keys[start:start + 500]
        for org in session.scalars(select(Organization).where(Organization.name_key.in_(chunk))):
            found[org.name_key] = org
    return found


def import_organizations(session: Session, table: Table) -> ImportResult:
    """Create or update one organization per row; with any problem in any row, change nothing.

    Empty cells keep what an existing organization already has. A new organization without a
    time zone gets its province's (Sulawesi Selatan: WITA), else WIB.
    """
    result = ImportResult()
    parsed: list[_Parsed] = []
    first_row: dict[str, int] = {}
    for row in table.rows:
        item = _parse_row(row, result.problems)
        if item is None:
            continue
        if item.key in first_row:
            result.problems.append(
                RowProblem(row.number, _("“%(name)s” already appears in row %(row)d. Keep only one of the two rows.", name=item.name, row=first_row[item.key]))
            )
            continue
        first_row[item.key] = row.number
        parsed.append(item)

    existing = _existing_by_key(session, [p.key for p in parsed])
    for item in parsed:
        if item.key not in existing and item.kind is None:
            result.problems.append(RowProblem(item.row.number, _("Enter the kind: %(kinds)s.", kinds=KIND_EXAMPLES)))
    if result.problems:
        result.problems.sort(key=lambda p: p.row)
        return result

    for item in parsed:
        org = existing.get(item.key)
        if org is None:
            zone = item.timezone or PROVINCE_ZONES.get(item.province or "", DEFAULT_ZONE)
            session.add(Organization(name=item.name, name_key=item.key, kind=item.kind, province=item.province, timezone=zone))
            result.created += 1
            continue
        changes = {"name": item.name, "kind": item.kind, "province": item.province, "timezone": item.timezone}
        changed = False
        for attribute, value in changes.items():
            if value is not None and value != getattr(org, attribute):
                setattr(org, attribute, value)
                changed = True
        if changed:
            result.updated += 1
        else:
            result.unchanged += 1
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise RuleViolation(_("Someone added some of these organizations while the file was being imported. Import the file again.")) from None
    return result


def template_csv() -> bytes:
    return tabular.template_csv(TEMPLATE_ROWS)


def template_xlsx() -> bytes:
    return tabular.template_xlsx(TEMPLATE_ROWS, title="organizations", widths=(40, 24, 24, 14))
