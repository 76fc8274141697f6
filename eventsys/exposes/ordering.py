"""The order presenters are listed and scheduled in: protocol rank, province, island group west to east, or name.

"Kab. Cirebon" and "Kota Cirebon" sort as "cirebon", as lists of regions are read.
"""
from __future__ import annotations

from eventsys.exposes.models import OrderPreference, Presenter

# The island groups a by-island order follows, west to east, and the province each holds.
ISLAND_GROUPS = ("Sumatera", "Jawa", "Bali & Nusa Tenggara", "Kalimantan", "Sulawesi", "Maluku", "Papua")
ISLAND_OF_PROVINCE = {
    **dict.fromkeys(
        ("Aceh", "Sumatera Utara", "Sumatera Barat", "Riau", "Kepulauan Riau", "Jambi", "Sumatera Selatan",
         "Kepulauan Bangka Belitung", "Bengkulu", "Lampung"),
        "Sumatera",
    ),
    **dict.fromkeys(("DKI Jakarta", "Jawa Barat", "Banten", "Jawa Tengah", "DI Yogyakarta", "Jawa Timur"), "Jawa"),
    **dict.fromkeys(("Bali", "Nusa Tenggara Barat", "Nusa Tenggara Timur"), "Bali & Nusa Tenggara"),
    **dict.fromkeys(
        ("Kalimantan Barat", "Kalimantan Tengah", "Kalimantan Selatan", "Kalimantan Timur", "Kalimantan Utara"), "Kalimantan"
    ),
    **dict.fromkeys(
        ("Sulawesi Utara", "Gorontalo", "Sulawesi Tengah", "Sulawesi Barat", "Sulawesi Selatan", "Sulawesi Tenggara"), "Sulawesi"
    ),
    **dict.fromkeys(("Maluku", "Maluku Utara"), "Maluku"),
    **dict.fromkeys(("Papua", "Papua Barat", "Papua Barat Daya", "Papua Selatan", "Papua Tengah", "Papua Pegunungan"), "Papua"),
}
_ISLAND_BY_KEY = {p.casefold(): g for p, g in ISLAND_OF_PROVINCE.items()}


def island_of(province: str | None) -> str | None:
    return _ISLAND_BY_KEY.get((province or "").strip().casefold())


_NAME_PREFIXES = ("kabupaten ", "kab. ", "kab ", "kota ", "provinsi ", "prov. ")


def sort_name(name: str) -> str:
    """'Kab. Cirebon' sorts as 'cirebon' (then by the full name), as lists of regions are read."""
    key = " ".join(name.split()).casefold()
    for prefix in _NAME_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def order_key(presenter: Presenter, preference: OrderPreference) -> tuple:
    """Where the order preference puts a presenter; ties fall back to the name, then the id."""
    organization = presenter.organization
    name = (sort_name(organization.name), organization.name.casefold(), presenter.id or 0)
    province = (organization.province or "").casefold()
    if preference == OrderPreference.PROTOCOL:
        return (presenter.protocol_rank is None, presenter.protocol_rank or 0, *name)
    if preference == OrderPreference.PROVINCE:
        return (not province, province, *name)
    if preference == OrderPreference.ISLAND:
        island = island_of(organization.province)
        return (ISLAND_GROUPS.index(island) if island else len(ISLAND_GROUPS), province, *name)
    return name
