"""Award-night setup: default categories and criteria, weights, the tie-break and its lock, eligibility, jurors, access."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from eventsys.accounts.models import EventRole, EventRoleName, Invitation
from eventsys.awards import setup
from eventsys.awards.models import AwardAudit, AwardCategory, Criterion, EligibleOrganization, JudgingState, Juror
from eventsys.core.models import OutboxMessage
from eventsys.core.rules import RuleViolation
from eventsys.core.timezones import local_to_utc
from eventsys.events.dimensions import Dimension
from eventsys.events.models import OrganizationKind
from eventsys.extensions import db
from tests.award_helpers import make_award_night, make_category, make_juror, programme_of, region, set_state
from tests.helpers import fresh, sign_in, text, tr


@pytest.fixture
def night(make_event, make_user):
    """(organizer, award-night event)."""
    event = make_award_night(make_event)
    user = make_user(email="panitia@kominfo.go.id", name="Panitia Kominfo", event=event, role="organizer")
    return user, event


@pytest.fixture
def panitia(night, web):
    user, event = night
    sign_in(web, user)
    return web, event


def criteria_rows(rows):
    data = {}
    for i, (name, weight, low, high) in enumerate(rows):
        data |= {f"criteria-{i}-name": name, f"criteria-{i}-weight": weight, f"criteria-{i}-scale_min": low,
                 f"criteria-{i}-scale_max": high}
    return data


def test_the_six_dimension_categories_come_with_the_default_criteria_once(app, panitia):
    web, event = panitia
    assert web.post(f"/manage/{event.slug}/awards/categories/dimensions").status_code == 302
    web.post(f"/manage/{event.slug}/awards/categories/dimensions")  # a second click adds nothing
    categories = setup.categories_of(fresh(), event)
    assert [c.dimension for c in categories] == list(Dimension)
    assert [c.name for c in categories][0] == "Smart Governance"
    for c in categories:
        assert [(k.name, k.weight, k.scale_min, k.scale_max) for k in c.criteria] == [
            ("Inovasi", 30, 1, 10), ("Dampak", 40, 1, 10), ("Keberlanjutan", 30, 1, 10)]
        assert c.winners_count == 1
    page = text(web.get(f"/manage/{event.slug}/awards/categories"))
    assert "Smart Environment" in page and "Dampak 40" in page


def test_a_custom_category_is_saved_with_its_criteria(app, panitia):
    web, event = panitia
    response = web.post(f"/manage/{event.slug}/awards/categories/new", data={
        "name": "Masterplan Terbaik", "dimension": "", "winners_count": 3,
        **criteria_rows([("Kualitas dokumen", 50, 1, 5), ("Kelayakan", 50, 1, 5), ("", "", 1, 10)])})
    assert response.status_code == 302
    category = fresh().scalar(select(AwardCategory).where(AwardCategory.name == "Masterplan Terbaik"))
    assert category.dimension is None and category.winners_count == 3
    assert [(k.name, k.weight, k.scale_max) for k in category.criteria] == [("Kualitas dokumen", 50, 5), ("Kelayakan", 50, 5)]


def test_weights_that_do_not_add_up_to_100_are_refused_and_nothing_changes(app, panitia):
    web, event = panitia
    category = make_category(event, "Smart Governance")
    before = [(k.id, k.weight) for k in category.criteria]
    response = web.post(f"/manage/{event.slug}/awards/categories/{category.id}", data={
        "name": "Smart Governance", "winners_count": 1,
        **criteria_rows([("Inovasi", 30, 1, 10), ("Dampak", 30, 1, 10), ("Keberlanjutan", 30, 1, 10)])})
    assert response.status_code == 400
    assert tr(app, "The weights add up to %(total)d; they must add up to 100.", total=90) in text(response)
    assert [(k.id, k.weight) for k in fresh().get(AwardCategory, category.id).criteria] == before


def test_a_scale_must_go_up(app, panitia):
    web, event = panitia
    response = web.post(f"/manage/{event.slug}/awards/categories/new", data={
        "name": "Masterplan Terbaik", "winners_count": 1, **criteria_rows([("Kelayakan", 100, 10, 1)])})
    assert response.status_code == 400
    assert tr(app, "The scale of “%(name)s” must go from a lower to a higher number (e.g. 1 to 10).", name="Kelayakan") in text(response)
    assert fresh().scalar(select(func.count()).select_from(AwardCategory)) == 0


def settings_data(**values):
    return {"nominations_open_at": "", "nominations_close_at": "", "judging_deadline": "", "signatory_name": "",
            "signatory_title": "", "tie_break_1": "", "tie_break_2": "", "tie_break_3": "", "one_award_per_region": "y"} | values


def test_the_tie_break_is_stored_in_order_and_the_window_in_the_event_zone(app, panitia):
    web, event = panitia
    make_category(event, "Smart Governance")
    make_category(event, "Smart Living")
    response = web.post(f"/manage/{event.slug}/awards/settings", data=settings_data(
        tie_break_1="criterion:Dampak", tie_break_2="first_places", tie_break_3="lowest_spread",
        nominations_open_at="2021-11-01T08:00", nominations_close_at="2021-11-30T17:00",
        signatory_name="Semuel A. Pangerapan", normalize_scores="y"))
    assert response.status_code == 302, text(response)
    programme = programme_of(fresh() and event)
    assert programme.tie_break == "criterion:Dampak,first_places,lowest_spread"
    assert programme.nominations_open_at == local_to_utc(datetime(2021, 11, 1, 8, 0), "Asia/Jakarta")
    assert programme.normalize_scores is True and programme.signatory_name == "Semuel A. Pangerapan"
    page = text(web.get(f"/manage/{event.slug}/awards/settings"))
    assert 'value="2021-11-01T08:00"' in page


def test_a_tie_break_criterion_must_exist_in_every_category(app, panitia):
    web, event = panitia
    make_category(event, "Smart Governance")
    make_category(event, "Masterplan Terbaik", criteria=(("Kelayakan", 100),))
    response = web.post(f"/manage/{event.slug}/awards/settings", data=settings_data(tie_break_1="criterion:Dampak"))
    assert response.status_code == 400
    assert programme_of(event).tie_break == "first_places"


def test_the_tie_break_and_criteria_are_fixed_once_judging_opens(app, panitia, night):
    web, event = panitia
    category = make_category(event, "Smart Governance")
    web.post(f"/manage/{event.slug}/awards/settings", data=settings_data(tie_break_1="criterion:Dampak", tie_break_2="first_places"))
    set_state(event, JudgingState.JUDGING)
    response = web.post(f"/manage/{event.slug}/awards/settings", data=settings_data(tie_break_1="lowest_spread"))
    assert response.status_code == 400
    assert tr(app, "The tie-break rule is fixed once judging has opened.") in text(response)
    assert programme_of(fresh() and event).tie_break == "criterion:Dampak,first_places"
    # the rest of the settings still change
    assert web.post(f"/manage/{event.slug}/awards/settings", data=settings_data(
        tie_break_1="criterion:Dampak", tie_break_2="first_places", signatory_title="Dirjen Aptika")).status_code == 302
    # and the criteria are fixed too
    response = web.post(f"/manage/{event.slug}/awards/categories/{category.id}", data={
        "name": "Smart Governance", "winners_count": 1, **criteria_rows([("Inovasi", 50, 1, 10), ("Dampak", 50, 1, 10)])})
    assert response.status_code == 400
    assert [k.weight for k in fresh().get(AwardCategory, category.id).criteria] == [30, 40, 30]
    with pytest.raises(RuleViolation):
        setup.create_dimension_categories(db.session, event)


def test_eligible_organizations_are_chosen_within_a_filter(app, panitia):
    web, event = panitia
    cirebon = region("Kab. Cirebon", "Jawa Barat")
    bandung = region("Kota Bandung", "Jawa Barat")
    badung = region("Kab. Badung", "Bali")
    assert setup.is_eligible(db.session, event, badung.id)  # none listed: everyone
    web.post(f"/manage/{event.slug}/awards/eligible?province=Jawa+Barat", data={"organization_ids": [cirebon.id, bandung.id]})
    web.post(f"/manage/{event.slug}/awards/eligible?kind=kabupaten", data={"organization_ids": [badung.id]})  # Cirebon unticked
    assert setup.eligible_ids(fresh(), event) == {bandung.id, badung.id}
    assert not setup.is_eligible(db.session, event, cirebon.id)
    web.post(f"/manage/{event.slug}/awards/eligible", data={"clear": "1"})
    assert fresh().scalar(select(func.count()).select_from(EligibleOrganization)) == 0
    assert OrganizationKind.KABUPATEN == badung.kind


def test_an_existing_account_becomes_a_juror_with_the_organization_province(app, panitia, make_user):
    web, event = panitia
    governance = make_category(event, "Smart Governance")
    person = make_user(email="juri@ui.ac.id", name="Prof. Juri")
    bandung = region("Kota Bandung", "Jawa Barat")
    response = web.post(f"/manage/{event.slug}/awards/jurors", data={
        "email": "Juri@UI.ac.id", "name": "", "organization_id": bandung.id, "province": "", "category_ids": [governance.id]})
    assert response.status_code == 302, text(response)
    juror = fresh().scalar(select(Juror).where(Juror.user_id == person.id))
    assert juror.organization_id == bandung.id and juror.province == "Jawa Barat"
    assert [c.category_id for c in juror.categories] == [governance.id]
    assert db.session.scalar(select(EventRole).where(EventRole.user_id == person.id, EventRole.event_id == event.id)).role == EventRoleName.JUROR
    assert db.session.scalar(select(func.count()).select_from(AwardAudit).where(AwardAudit.action == "juror")) == 1


def test_a_new_address_is_invited_by_mail_and_becomes_a_juror_once_it_accepts(app, panitia, web, make_app):
    web, event = panitia
    response = web.post(f"/manage/{event.slug}/awards/jurors", data={
        "email": "pakar@itb.ac.id", "name": "Dr. Pakar", "organization_id": 0, "province": "Bali"})
    assert response.status_code == 302
    invitation = fresh().scalar(select(Invitation).where(Invitation.email == "pakar@itb.ac.id"))
    assert invitation.role == EventRoleName.JUROR
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_email == "pakar@itb.ac.id"))
    assert "/invitation/" in message.body_text
    token = message.body_text.split("/invitation/")[1].split()[0]
    other = make_app().test_client()
    assert other.post(f"/invitation/{token}", data={"name": "Dr. Pakar", "password": "rahasia-yang-panjang",
                                                  "confirm": "rahasia-yang-panjang"}).status_code in (200, 302)
    assert "Dr. Pakar" in text(web.get(f"/manage/{event.slug}/awards/jurors"))
    assert fresh().scalar(select(func.count()).select_from(Juror)) == 1


def test_editing_a_juror_sets_categories_and_province(app, panitia, make_user):
    web, event = panitia
    living = make_category(event, "Smart Living")
    juror = make_juror(make_user, event)
    response = web.post(f"/manage/{event.slug}/awards/jurors/{juror.id}", data={
        "organization_id": 0, "province": "Bali", "category_ids": [living.id]})
    assert response.status_code == 302
    juror = fresh().get(Juror, juror.id)
    assert juror.province == "Bali" and [c.category_id for c in juror.categories] == [living.id]


@pytest.mark.parametrize("role", ["juror", "exhibitor", None])
def test_organizer_pages_refuse_others(app, night, make_user, make_app, role):
    _user, event = night
    web = make_app().test_client()
    if role:
        person = make_user(email=f"{role}@daerah.go.id", event=event, role=role,
                           organization=region() if role == "exhibitor" else None)
        sign_in(web, person)
    for path in ("", "settings", "categories", "eligible", "jurors", "links", "nominations", "nominations/new"):
        response = web.get(f"/manage/{event.slug}/awards/{path}")
        assert response.status_code == (403 if role else 302), path
    assert web.post(f"/manage/{event.slug}/awards/categories/dimensions").status_code == (403 if role else 302)
    assert fresh().scalar(select(func.count()).select_from(Criterion)) == 0


def test_the_overview_counts_and_links(app, panitia, make_user):
    web, event = panitia
    make_category(event, "Smart Governance")
    make_juror(make_user, event)
    page = text(web.get(f"/manage/{event.slug}/awards/"))
    assert 'data-testid="count-categories">1<' in page and 'data-testid="count-jurors">1<' in page
    assert f"/manage/{event.slug}/awards/settings" in page
    assert tr(app, "Stage: %(stage)s", stage=tr(app, "setup")) in page


def test_every_setup_page_shows(app, panitia, make_user):
    from tests.award_helpers import make_nomination

    web, event = panitia
    governance = make_category(event, "Smart Governance")
    juror = make_juror(make_user, event, region("Kota Bandung"), categories=[governance])
    nomination = make_nomination(governance, region("Kab. Cirebon"))
    base = f"/manage/{event.slug}/awards"
    for path in ("/", "/settings", "/categories", "/categories/new", f"/categories/{governance.id}", "/eligible",
                 "/eligible?kind=kota&province=Jawa+Barat", "/jurors", f"/jurors/{juror.id}", "/links", "/nominations",
                 "/nominations/new", f"/nominations/{nomination.id}"):
        response = web.get(base + path)
        assert response.status_code == 200, (path, text(response)[:500])
    set_state(event, JudgingState.LOCKED)
    for path in ("/", "/settings", "/categories", "/jurors", "/nominations", f"/nominations/{nomination.id}"):
        assert web.get(base + path).status_code == 200, path
