"""A locked award night with two categories and their winners, for the piagam and run-of-show tests."""
from dataclasses import dataclass

from eventsys.awards.models import JudgingState, Winner
from eventsys.events.dimensions import Dimension
from eventsys.events.models import OrganizationKind
from eventsys.extensions import db
from tests.award_helpers import make_award_night, make_category, make_nomination, programme_of, region
from tests.helpers import sign_in

BASE_URL = "https://acara.kominfo.go.id"


@dataclass
class Night:
    web: object  # the organizer's client (PUBLIC_BASE_URL set)
    event: object
    governance: object
    economy: object
    cirebon: Winner  # received by the Kadis Kominfo on behalf of the regent
    bandung: Winner  # received by the mayor himself


def add_winner(category, organization, rank=1, **fields) -> Winner:
    nomination = make_nomination(category, organization)
    winner = Winner(category_id=category.id, nomination_id=nomination.id, rank=rank, **fields)
    db.session.add(winner)
    db.session.commit()
    return winner


def build_night(make_app, make_event, make_user, make_venue) -> Night:
    """Each test module wraps this in its own `night` fixture."""
    venue = make_venue(name="Hotel Bidakara")
    event = make_award_night(make_event, slug="malam-penganugerahan", state=JudgingState.LOCKED,
                             signatory_name="Johnny G. Plate", signatory_title="Menteri Komunikasi dan Informatika")
    event.venue = venue
    db.session.commit()
    user = make_user(email="panitia@kominfo.go.id", name="Panitia Kominfo", event=event, role="organizer")
    governance = make_category(event, "Smart Governance", Dimension.GOVERNANCE)
    economy = make_category(event, "Smart Economy Terbaik", Dimension.ECONOMY)
    cirebon = add_winner(
        governance, region("Kab. Cirebon"), citation="Tata kelola pemerintahan berbasis data yang terpadu.",
        awardee_name="H. Imron, M.Ag.", awardee_title="Bupati Cirebon", recipient_name="Drs. Bambang Sudaryanto",
        recipient_position="Kepala Diskominfo Kabupaten Cirebon", on_behalf_of="atas nama Bupati Cirebon",
    )
    bandung = add_winner(
        economy, region("Kota Bandung", kind=OrganizationKind.KOTA), citation="Ekosistem ekonomi digital yang tumbuh.",
        awardee_name="Yana Mulyana", awardee_title="Wali Kota Bandung", recipient_name="Yana Mulyana",
        recipient_position="Wali Kota Bandung",
    )
    web = sign_in(make_app(PUBLIC_BASE_URL=BASE_URL).test_client(), user)
    return Night(web, event, governance, economy, cirebon, bandung)


def lock(event, state=JudgingState.LOCKED):
    programme = programme_of(event)
    programme.state = state
    db.session.commit()


def flat(text: str) -> str:
    """PDF text with its line breaks as single spaces (PDFium marks a hyphen it broke a line at as U+FFFE)."""
    return " ".join(text.replace("\ufffe", "-").split())
