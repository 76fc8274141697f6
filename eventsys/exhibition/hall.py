"""What the visitor pages read: the booth grid with its filters, one booth with its approved media, the stage.

Every page loads what it lists in a fixed number of queries (selectinload, grouped counts), so the
hall with 500 booths costs the same number of statements as the hall with 10.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import has_request_context
from flask_babel import force_locale
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from eventsys.config import LANGUAGES
from eventsys.events.dimensions import DIMENSION_LABELS, Dimension
from eventsys.events.models import Event, Organization
from eventsys.exhibition.models import (
    Booth,
    BoothDimension,
    BoothMessage,
    MediaItem,
    MediaKind,
    MediaState,
    MessageKind,
    MessageState,
    Pavilion,
    QuickWin,
    Vote,
)

PER_PAGE = 48  # a grid a phone still scrolls through; the rest is on the next pages
SEARCH_MAX = 100  # longer search text is cut, not refused


@dataclass
class HallFilters:
    pavilion_id: int | None = None
    dimension: Dimension | None = None
    province: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> HallFilters:
        """Query-string values; anything unreadable is simply no filter (a hall link never fails)."""
        pavilion = args.get("pavilion", "")
        dimension = args.get("dimension", "")
        page = args.get("page", "")
        return cls(
            pavilion_id=int(pavilion) if pavilion.isdigit() and len(pavilion) < 10 else None,
            dimension=Dimension(dimension) if dimension in Dimension._value2member_map_ else None,
            province=args.get("province", "").replace("\x00", "").strip()[:100],
            q=" ".join(args.get("q", "").replace("\x00", "").split())[:SEARCH_MAX],
            page=max(1, min(int(page), 100_000)) if page.isdigit() and len(page) < 7 else 1,
        )

    @property
    def active(self) -> bool:
        return bool(self.pavilion_id or self.dimension or self.province or self.q)

    def args(self, **changes) -> dict:
        """The query string of this filter with some values changed (for page links)."""
        values = {
            "pavilion": self.pavilion_id or "",
            "dimension": self.dimension.value if self.dimension else "",
            "province": self.province,
            "q": self.q,
            "page": self.page,
        } | changes
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}


def drop_unknown(filters: HallFilters, pavilions: list[Pavilion], provinces: list[str]) -> list[str]:
    """Clear a pavilion or province filter the hall no longer has (an old link), as the dropdowns show it.

    Returns what was cleared ("pavilion", "province"), so the page can say so instead of showing an empty hall.
    """
    dropped = []
    if filters.pavilion_id and filters.pavilion_id not in {p.id for p in pavilions}:
        filters.pavilion_id = None
        dropped.append("pavilion")
    if filters.province and filters.province.casefold() not in {p.casefold() for p in provinces}:
        filters.province = ""
        dropped.append("province")
    return dropped


@dataclass
class HallPage:
    booths: list[Booth]
    total: int
    page: int
    pages: int
    media_counts: dict[int, dict[str, int]] = field(default_factory=dict)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(event: Event, filters: HallFilters):
    query = select(Booth).join(Organization, Booth.organization_id == Organization.id).where(Booth.event_id == event.id)
    if filters.pavilion_id:
        query = query.where(Booth.pavilion_id == filters.pavilion_id)
    if filters.dimension:
        query = query.where(Booth.id.in_(select(BoothDimension.booth_id).where(BoothDimension.dimension == filters.dimension)))
    if filters.province:
        query = query.where(func.lower(Organization.province) == filters.province.lower())
    for word in filters.q.split()[:8]:
        pattern = _like(word.lower())
        dimensions = dimensions_matching(word)
        pavilions = select(Pavilion.id).where(Pavilion.event_id == event.id, func.lower(Pavilion.name).like(pattern, escape="\\"))
        programmes = select(QuickWin.booth_id).where(or_(*(
            func.lower(column).like(pattern, escape="\\") for column in (QuickWin.title, QuickWin.description, QuickWin.responsible_opd))))
        media = select(MediaItem.booth_id).where(  # only what visitors can see: a pending title never finds its booth
            MediaItem.event_id == event.id, MediaItem.state == MediaState.APPROVED, MediaItem.booth_id.is_not(None),
            or_(func.lower(MediaItem.title).like(pattern, escape="\\"), func.lower(MediaItem.description).like(pattern, escape="\\")),
        )
        query = query.where(or_(
            func.lower(Booth.name).like(pattern, escape="\\"),
            func.lower(Booth.tagline).like(pattern, escape="\\"),
            func.lower(Booth.description).like(pattern, escape="\\"),
            func.lower(Organization.name).like(pattern, escape="\\"),
            func.lower(func.coalesce(Organization.province, "")).like(pattern, escape="\\"),
            Booth.pavilion_id.in_(pavilions),
            *([Booth.id.in_(select(BoothDimension.booth_id).where(BoothDimension.dimension.in_(dimensions)))] if dimensions else []),
            Booth.id.in_(programmes),
            Booth.id.in_(media),
        ))
    return query


def dimensions_matching(word: str) -> list[Dimension]:
    """The dimensions whose label a search word is part of, in either language ("living", "Smart", "lingkungan")."""
    word = word.casefold()
    return [d for d in Dimension if any(word in label for label in dimension_words()[d])]


def dimension_words() -> dict[Dimension, set[str]]:
    """Each dimension's value and label in every language of the site, folded; translated once per process."""
    global _DIMENSION_WORDS
    if _DIMENSION_WORDS is None:
        words = {d: {d.value} for d in Dimension}
        for lang in LANGUAGES:
            with force_locale(lang):
                for d, label in DIMENSION_LABELS.items():
                    words[d].add(str(label).casefold())
        if has_request_context():  # outside a request the labels stay untranslated: not kept
            _DIMENSION_WORDS = words
        return words
    return _DIMENSION_WORDS


_DIMENSION_WORDS: dict[Dimension, set[str]] | None = None


def hall_page(session: Session, event: Event, filters: HallFilters, per_page: int = PER_PAGE) -> HallPage:
    """One page of the booth grid: booths in pavilion order then by name, with what a card shows."""
    query = _filtered(event, filters)
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Booth.id).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(filters.page, pages)
    booths = list(session.scalars(
        query.outerjoin(Pavilion, Booth.pavilion_id == Pavilion.id)
        .options(
            joinedload(Booth.organization), joinedload(Booth.pavilion), selectinload(Booth.dimensions),
        )
        .order_by(func.coalesce(Pavilion.position, 1_000_000), Pavilion.name, Booth.name, Booth.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).unique())
    return HallPage(booths=booths, total=total, page=page, pages=pages, media_counts=media_counts(session, [b.id for b in booths]))


# A card counts what the booth page lists under each heading: "Videos" holds uploaded videos and external
# video links, "Posters" holds posters and PDF documents.
CARD_GROUPS = {MediaKind.VIDEO: "video", MediaKind.LINK: "video", MediaKind.POSTER: "poster", MediaKind.DOCUMENT: "poster"}


def media_counts(session: Session, booth_ids: list[int]) -> dict[int, dict[str, int]]:
    """Approved items per booth as its card counts them (CARD_GROUPS), in one grouped query: {booth_id: {"video": 2, ...}}."""
    if not booth_ids:
        return {}
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(MediaItem.booth_id, MediaItem.kind, func.count())
        .where(MediaItem.booth_id.in_(booth_ids), MediaItem.state == MediaState.APPROVED)
        .group_by(MediaItem.booth_id, MediaItem.kind)
    )
    for booth_id, kind, n in rows:
        group = counts.setdefault(booth_id, {})
        key = CARD_GROUPS.get(MediaKind(kind), MediaKind(kind).value)
        group[key] = group.get(key, 0) + n
    return counts


def pavilions(session: Session, event: Event) -> list[Pavilion]:
    return list(session.scalars(select(Pavilion).where(Pavilion.event_id == event.id).order_by(Pavilion.position, Pavilion.name)))


def provinces(session: Session, event: Event) -> list[str]:
    """The provinces of the regions that have a booth, for the filter."""
    rows = session.scalars(
        select(Organization.province).join(Booth, Booth.organization_id == Organization.id)
        .where(Booth.event_id == event.id, Organization.province.is_not(None), Organization.province != "")
        .distinct()
    )
    return sorted(set(rows), key=str.casefold)


def vote_counts(session: Session, event: Event) -> dict[int, int]:
    """Confirmed people's-choice votes per booth."""
    rows = session.execute(
        select(Vote.booth_id, func.count()).where(Vote.event_id == event.id, Vote.confirmed_at.is_not(None)).group_by(Vote.booth_id)
    )
    return dict(rows.all())


def top_booths(session: Session, event: Event, limit: int = 5) -> list[tuple[Booth, int]]:
    """The booths with the most confirmed votes, most first (ties by name)."""
    votes = func.count(Vote.id).label("votes")
    rows = session.execute(
        select(Booth, votes).join(Vote, Vote.booth_id == Booth.id)
        .where(Booth.event_id == event.id, Vote.confirmed_at.is_not(None))
        .group_by(Booth.id).order_by(votes.desc(), Booth.name).limit(limit)
    )
    return [(booth, n) for booth, n in rows.all()]


def booth_of(session: Session, event: Event, booth_id: int) -> Booth | None:
    """A booth of this event with its organization, pavilion, dimensions and programmes."""
    return session.scalar(
        select(Booth).where(Booth.id == booth_id, Booth.event_id == event.id)
        .options(joinedload(Booth.organization), joinedload(Booth.pavilion), selectinload(Booth.dimensions), selectinload(Booth.programmes))
    )


def public_media(session: Session, booth: Booth) -> list[MediaItem]:
    """The booth's approved items in the exhibitor's order; pending, rejected or failed ones never."""
    return list(session.scalars(
        select(MediaItem).where(MediaItem.booth_id == booth.id, MediaItem.state == MediaState.APPROVED)
        .options(joinedload(MediaItem.quick_win)).order_by(MediaItem.position, MediaItem.id)
    ))


def approved_guestbook(session: Session, booth: Booth, limit: int = 50) -> list[BoothMessage]:
    return list(session.scalars(
        select(BoothMessage).where(
            BoothMessage.booth_id == booth.id, BoothMessage.kind == MessageKind.GUESTBOOK, BoothMessage.state == MessageState.APPROVED,
        ).order_by(BoothMessage.created_at.desc(), BoothMessage.id.desc()).limit(limit)
    ))


def stage_media(session: Session, event: Event) -> list[MediaItem]:
    """Approved performance videos of the stage section (a booth's own video may also be put on stage)."""
    return list(session.scalars(
        select(MediaItem).where(
            MediaItem.event_id == event.id, MediaItem.on_stage.is_(True), MediaItem.state == MediaState.APPROVED,
            MediaItem.kind.in_((MediaKind.VIDEO, MediaKind.LINK)),
        ).options(joinedload(MediaItem.booth)).order_by(MediaItem.position, MediaItem.id)
    ))


def has_stage(session: Session, event: Event) -> bool:
    return session.scalar(select(MediaItem.id).where(
        MediaItem.event_id == event.id, MediaItem.on_stage.is_(True), MediaItem.state == MediaState.APPROVED).limit(1)) is not None


def approved_item(session: Session, event: Event, media_id: int) -> MediaItem | None:
    item = session.get(MediaItem, media_id)
    if item is None or item.event_id != event.id or item.state != MediaState.APPROVED:
        return None
    return item


_SITES = {"youtube.com": "YouTube", "youtu.be": "YouTube", "vimeo.com": "Vimeo", "facebook.com": "Facebook", "instagram.com": "Instagram",
          "tiktok.com": "TikTok", "drive.google.com": "Google Drive"}


def site_of(address: str | None) -> str:
    """The name a visitor knows the other site by: "YouTube", else its host name."""
    host = (urlsplit(address or "").hostname or "").lower()
    for known, name in _SITES.items():
        if host == known or host.endswith("." + known):
            return name
    return host.removeprefix("www.") or "?"
