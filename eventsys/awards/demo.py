"""The demo's award night (14 December 2021): judged, published and ready to run on stage.

Seven categories (the six dimensions and "Masterplan Terbaik"), three or four nominated regions
each, three jurors of whom two come from a province with nominees (so recusals happen) and one
declared conflict; scores from a fixed seed. Everything after the scores goes the organizer's way,
through the same services as the results pages: judging opened and closed (closing proposes the top
of each ranking under the declared tie-break), the winners form picks the next-ranked region where a
region already won (one award per region) and sets citations and awardees, the recipients are set,
and the results are published (which checks the rules) and locked. The Kepala Diskominfo of Kab.
Banyuwangi receives "atas nama Bupati". Piagam codes issued, the rundown generated, the stage at its
start, and 40 satisfaction-poll answers from the night's delegates.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from eventsys.accounts import services as accounts
from eventsys.accounts.models import EventRoleName, User
from eventsys.attendance.models import CheckIn, CheckInSource, Checkpoint, Direction, EntryPolicy
from eventsys.awards import certificates, judging, runofshow, setup, winners
from eventsys.awards.models import (
    AwardCategory,
    Criterion,
    JudgingState,
    Juror,
    JurorCategory,
    Nomination,
    NominationSource,
    NominationState,
    PollAnswer,
    PollRating,
    Score,
    StageState,
    Winner,
)
from eventsys.awards.services import programme_for
from eventsys.core.timezones import local_to_utc
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import Event, Organization
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import DelegateCategory, Registration, RegistrationState

ZONE = "Asia/Jakarta"
# Nominees per category, in the order setup creates the dimension categories, then the masterplan award.
NOMINEES = [
    ["Kab. Banyuwangi", "Kota Semarang", "Kab. Sleman", "Kota Makassar"],  # Smart Governance
    ["Kab. Badung", "Kota Bandung", "Kab. Banyuwangi"],  # Smart Branding
    ["Kab. Gresik", "Kota Tangerang Selatan", "Kab. Siak", "Kota Semarang"],  # Smart Economy
    ["Kota Makassar", "Kab. Sidoarjo", "Kota Bogor"],  # Smart Living
    ["Kota Sukabumi", "Kab. Bojonegoro", "Kota Jambi", "Kota Bandung"],  # Smart Society
    ["Kota Samarinda", "Kab. Kutai Kartanegara", "Kota Tomohon"],  # Smart Environment
    ["Kab. Cirebon", "Kota Cirebon", "Kab. Banyuasin", "Kab. Banyuwangi"],  # Masterplan Terbaik
]
PROGRAMMES = ["Mal Pelayanan Publik", "Festival daerah", "UMKM naik kelas", "PSC 119", "Layanan kependudukan daring",
              "Bank sampah digital", "Masterplan Smart City 2021–2030"]
# Who receives on the night; everyone else is received by the regional head.
DELEGATED = {"Kab. Banyuwangi": ("Drs. Budi Santoso, M.Si", "Kepala Dinas Kominfo Kab. Banyuwangi")}
HEADS = {"Kota Cirebon": "Drs. Nasrudin Azis, SH", "Kab. Bojonegoro": "Dr. Hj. Anna Mu'awanah", "Kab. Banyuwangi": "Ipuk Fiestiandani"}
NOT_ARRIVED = {"Kota Tomohon", "Kab. Kutai Kartanegara"}
POLL = [PollRating.SANGAT_PUAS] * 17 + [PollRating.PUAS] * 15 + [PollRating.CUKUP_PUAS] * 6 + [PollRating.TIDAK_PUAS] * 2
COMMENTS = {0: "Acara sangat tertib dan tepat waktu.", 5: "Layar panggung jelas terlihat dari belakang.",
            18: "Sesi foto bisa dipersingkat.", 33: "Registrasi di pintu masuk cukup cepat.", 38: "Suara di sisi kiri kurang jelas."}


def _jurors(event: Event, organizations: dict[str, Organization], categories: list[AwardCategory]) -> list[Juror]:
    demo = db.session.scalar(select(User).where(User.email == "juri@demo.eventsys.id"))
    people = [(demo, organizations["Direktorat Layanan Aplikasi Informatika Pemerintahan (LAIP)"], None)]
    for email, name, organization, province in (
        ("juri.jatim@demo.eventsys.id", "Prof. Dr. Ir. Joko Wicaksono", None, "Jawa Timur"),
        ("juri.jabar@demo.eventsys.id", "Dr. Rina Kartika, M.T.", organizations["Kota Bandung"], "Jawa Barat"),
    ):
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:  # no sign-in shown for these two: their scores are in already
            user = accounts.create_user(db.session, email, name, new_secret(18))
            db.session.flush()
            accounts.grant_role(db.session, user, event, EventRoleName.JUROR)
        people.append((user, organization, province))
    jurors = []
    for user, organization, province in people:
        if user is None:
            continue
        juror = Juror(event_id=event.id, user_id=user.id, organization_id=organization.id if organization else None, province=province)
        juror.categories = [JurorCategory(category_id=c.id) for c in categories]
        db.session.add(juror)
        jurors.append(juror)
    db.session.flush()
    return jurors


def _recused(juror: Juror, organization: Organization) -> bool:
    return (juror.organization_id is not None and juror.organization_id == organization.id) or (
        juror.province is not None and juror.province == organization.province)


def _judge(event, categories, nominations, jurors, organizer: User | None) -> None:
    """The LAIP juror declares a conflict, judging opens, and the scores (whole or half points, from a fixed seed) are in."""
    rng = random.Random(2021)
    conflicted = (jurors[0], nominations[categories[0].id][1])  # the LAIP juror coached Kota Semarang's programme
    judging.declare_conflict(db.session, event, conflicted[0], conflicted[1].id,
                             "Pernah menjadi pendamping teknis program yang dinominasikan.", conflicted[0].user)
    judging.advance(db.session, event, JudgingState.SETUP, organizer)
    for category in categories:
        for rank, nomination in enumerate(nominations[category.id]):
            strength = 8.6 - 0.7 * rank  # the first listed is usually, not always, the strongest
            for juror in jurors:
                if _recused(juror, nomination.organization) or (juror, nomination) == conflicted:
                    continue
                for criterion in category.criteria:
                    value = round((strength + rng.uniform(-1.2, 1.2)) * 2) / 2
                    value = max(criterion.scale_min, min(criterion.scale_max, value))
                    db.session.add(Score(juror_id=juror.id, nomination_id=nomination.id, criterion_id=criterion.id,
                                         value=Decimal(str(value))))
    db.session.flush()


def _choose_winners(event, categories, organizer: User | None) -> list[Winner]:
    """Close judging (the top of each ranking is proposed), then, as the organizer would on the winners form, keep
    the proposal or take the next-ranked region where a region already won, with the citation and awardee."""
    winners.close_judging(db.session, event, organizer)
    awarded: set[int] = set()
    chosen = []
    for category in winners.categories_of(db.session, event):
        by_id = {n.id: n for n in category.nominations}
        ranked = [by_id[r.nomination_id] for r in judging.category_ranking(db.session, event, category).rows if r.rank is not None]
        choice = next(n for n in ranked if n.organization_id not in awarded)
        awarded.add(choice.organization_id)
        organization = choice.organization
        title = winners.head_title(organization)
        entry = winners.WinnerEntry(
            nomination_id=choice.id, awardee_name=HEADS.get(organization.name, title), awardee_title=title,
            citation=f"Atas keberhasilan {organization.name} melalui program {choice.title} yang inovatif, berdampak luas bagi"
                     " warga dan berkelanjutan.")
        winners.save_winners(db.session, event, category, [entry], organizer)
        chosen.extend(winners.winners_of(db.session, category))
    return chosen


def _recipients(event, chosen: list[Winner], registrations: list[Registration], organizer: User | None) -> None:
    """Who walks to the stage: the winning region's registration (its head, or the delegated Kepala Dinas)."""
    by_region = {r.organization_id: r for r in registrations if r.organization_id}
    for winner in chosen:
        organization = winner.nomination.organization
        name, position = DELEGATED.get(organization.name, (winner.awardee_name, winner.awardee_title))
        data = winners.RecipientData(recipient_name=name, recipient_position=position,
                                     on_behalf_of=f"atas nama {winner.awardee_title}" if organization.name in DELEGATED else "",
                                     registration_id=by_region[organization.id].id)
        winners.save_recipient(db.session, event, winner, data, [], organizer)


def _delegates(event: Event, organizations: dict[str, Organization], chosen: list[Winner]) -> list[Registration]:
    """The night's registrations: each winning region's recipient, the other nominees' heads, guests; most checked in."""
    heads = DelegateCategory(event_id=event.id, name="Kepala Daerah / Penerima", color="#b91c1c", position=0)
    guests = DelegateCategory(event_id=event.id, name="Undangan", color="#047857", position=1)
    db.session.add_all([heads, guests])
    db.session.flush()
    hall = Checkpoint(event_id=event.id, name="Pintu Convention Hall", policy=EntryPolicy.ONCE, position=0,
                      opens_at=event.starts_at - timedelta(hours=1), closes_at=event.ends_at)
    db.session.add(hall)
    db.session.flush()
    people = []
    won = {w.nomination.organization.name for w in chosen}
    for name in sorted({n for names in NOMINEES for n in names}):
        organization = organizations[name]
        title = winners.head_title(organization)
        person = DELEGATED[name] if name in won and name in DELEGATED else (HEADS.get(name, title), title)
        people.append((person[0], person[1], organization, heads))
    while len(people) < 44:
        n = len(people)
        people.append((f"Tamu Undangan {n}", "Undangan", None, guests))
    registrations = []
    arrive = local_to_utc(datetime(2021, 12, 14, 17, 50), ZONE)
    for i, (name, position, organization, category) in enumerate(people):
        registration = Registration(
            event_id=event.id, category_id=category.id, organization_id=organization.id if organization else None,
            proposed_organization=None if organization else "Undangan Kementerian", name=name, position=position,
            email=f"malam2021.{i + 1}@demo.eventsys.id", locale="id", state=RegistrationState.CONFIRMED,
            manage_token_hash=hash_secret(new_secret()), consent_at=event.starts_at - timedelta(days=10),
        )
        db.session.add(registration)
        db.session.flush()
        tickets.issue_ticket(db.session, registration)
        if organization is None or organization.name not in NOT_ARRIVED:
            db.session.add(CheckIn(event_id=event.id, checkpoint=hall, ticket_id=registration.ticket.id, registration=registration,
                                   direction=Direction.IN, slot="once", source=CheckInSource.SCAN, at=arrive + timedelta(minutes=i)))
        registrations.append(registration)
    db.session.flush()
    return registrations


def _poll(event: Event, registrations: list[Registration]) -> None:
    after = event.ends_at + timedelta(minutes=20)
    for i, (registration, rating) in enumerate(zip(registrations, POLL, strict=False)):
        db.session.add(PollAnswer(event_id=event.id, registration_id=registration.id, rating=rating, comment=COMMENTS.get(i, ""),
                                  created_at=after + timedelta(hours=i * 3)))


def load_awards_demo(events: dict[str, Event], organizations: dict[str, Organization]) -> None:
    event = events["awards2021"]
    programme = programme_for(db.session, event)
    programme.tie_break = "criterion:Dampak,first_places"
    programme.one_award_per_region = True
    programme.signatory_name = "Johnny G. Plate"
    programme.signatory_title = "Menteri Komunikasi dan Informatika Republik Indonesia"
    programme.show_starts_at = local_to_utc(datetime(2021, 12, 14, 19, 30), ZONE)
    categories = setup.create_dimension_categories(db.session, event)
    masterplan = AwardCategory(event_id=event.id, name="Masterplan Terbaik", position=len(categories) + 1,
                               description="Masterplan smart city yang paling lengkap dan dapat dijalankan.",
                               criteria=[Criterion(name=n, weight=w, scale_min=1, scale_max=10, position=i)
                                         for i, (n, w) in enumerate(setup.DEFAULT_CRITERIA)])
    db.session.add(masterplan)
    db.session.flush()
    categories = [*categories, masterplan]
    nominations: dict[int, list[Nomination]] = {}
    for category, names, title in zip(categories, NOMINEES, PROGRAMMES, strict=True):
        nominations[category.id] = [
            Nomination(category_id=category.id, organization_id=organizations[n].id, organization=organizations[n],
                       source=NominationSource.ORGANIZER, state=NominationState.ACCEPTED, title=title)
            for n in names
        ]
        db.session.add_all(nominations[category.id])
    db.session.flush()
    jurors = _jurors(event, organizations, categories)
    organizer = db.session.scalar(select(User).where(User.email == "panitia@demo.eventsys.id"))
    _judge(event, categories, nominations, jurors, organizer)
    chosen = _choose_winners(event, categories, organizer)
    registrations = _delegates(event, organizations, chosen)
    _recipients(event, chosen, registrations, organizer)
    winners.publish(db.session, event, organizer)
    programme.locked_at = programme.published_at = event.starts_at - timedelta(days=2)  # the story's date, not the load's
    db.session.flush()
    certificates.issue_all(db.session, event, organizer)
    runofshow.generate(db.session, event, user=organizer)
    db.session.add(StageState(event_id=event.id, version=0))
    _poll(event, registrations)
    db.session.flush()
