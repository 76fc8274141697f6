"""How the night names things, shared by the piagam, the run-of-show, the booklet and the MC script.

"Kab. Cirebon" is printed as "Pemerintah Kabupaten Cirebon"; a category of a dimension as
"Dimensi Smart Governance"; the person on stage as "diterima oleh … atas nama …" when they
receive for someone else. Every phrase goes through the catalog (English msgids, formal
Indonesian translations), so the caller chooses the language with `force_locale`.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _

from eventsys.awards.models import AwardCategory, Winner
from eventsys.events.dimensions import DIMENSION_LABELS
from eventsys.events.models import Organization, OrganizationKind

# Prefixes of region names as organizations are usually written ("Kab. Cirebon", "Kota Cirebon").
_PREFIXES = {
    OrganizationKind.KABUPATEN: re.compile(r"^\s*(kab\.?|kabupaten)\s+", re.I),
    OrganizationKind.KOTA: re.compile(r"^\s*(kota|kot\.)\s+", re.I),
    OrganizationKind.PROVINSI: re.compile(r"^\s*(prov\.?|provinsi)\s+", re.I),
}
_BEST = re.compile(r"\b(terbaik|best)\b", re.I)
_ON_BEHALF = re.compile(r"^\s*(atas nama|a\.n\.?|on behalf of)\s+", re.I)


def region_government(organization: Organization) -> str:
    """The awardee as a piagam names it: "Pemerintah Kabupaten Cirebon"; other bodies by their name."""
    pattern = _PREFIXES.get(organization.kind)
    if pattern is None:
        return organization.name
    bare = pattern.sub("", organization.name).strip() or organization.name
    if organization.kind == OrganizationKind.KABUPATEN:
        return _("Government of %(name)s Regency", name=bare)
    if organization.kind == OrganizationKind.KOTA:
        return _("Government of %(name)s City", name=bare)
    return _("Government of %(name)s Province", name=bare)


def category_label(category: AwardCategory) -> str:
    """ "Dimensi Smart Governance" for a dimension's category named after it, else the category's name."""
    if category.dimension is not None:
        label = str(DIMENSION_LABELS[category.dimension])
        if category.name.strip().lower() in {label.lower(), category.dimension.value}:
            return _("%(dimension)s Dimension", dimension=label)
    return category.name


def award_title(winner: Winner) -> str:
    """ "Terbaik Dimensi Smart Governance"; with the place when a category awards several."""
    category = winner.category
    if (category.winners_count or 1) <= 1:
        if _BEST.search(category.name):  # "Smart Governance Terbaik", "Masterplan Terbaik" say it already
            return category.name
        return _("Best in %(category)s", category=category_label(category))
    return _("Rank %(rank)d, %(category)s", rank=winner.rank, category=category_label(category))


def on_behalf_phrase(winner: Winner) -> str:
    """ "atas nama Bupati Cirebon", whether the field holds the whole phrase or only whom it names."""
    text = (winner.on_behalf_of or "").strip()
    if not text:
        return ""
    if _ON_BEHALF.match(text):  # written out already ("atas nama Bupati Cirebon"): the record's own words
        return text
    return _("on behalf of %(name)s", name=text)


def receives_for_someone(winner: Winner) -> bool:
    """True when the person on stage is not the awardee's head (or says whom they stand for)."""
    name = (winner.recipient_name or "").strip()
    return bool(name) and (name != (winner.awardee_name or "").strip() or bool((winner.on_behalf_of or "").strip()))


def recipient_line(winner: Winner) -> str:
    """ "diterima oleh Bambang, Kepala Diskominfo, atas nama Bupati Cirebon", or "" when the awardee receives."""
    if not receives_for_someone(winner):
        return ""
    person = ", ".join(p for p in (winner.recipient_name.strip(), (winner.recipient_position or "").strip()) if p)
    behalf = on_behalf_phrase(winner)
    if behalf:
        return _("received by %(person)s, %(on_behalf)s", person=person, on_behalf=behalf)
    return _("received by %(person)s", person=person)


def awardee_person(winner: Winner) -> str:
    """ "H. Imron, M.Ag., Bupati Cirebon": the head who represents the awarded region."""
    return ", ".join(p for p in ((winner.awardee_name or "").strip(), (winner.awardee_title or "").strip()) if p)


def region_of(winner: Winner) -> Organization:
    return winner.nomination.organization
