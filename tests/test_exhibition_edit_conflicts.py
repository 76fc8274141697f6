"""Two exhibitors of one booth editing at once: a save from a page someone else's save has overtaken is refused.

Each edit form carries a fingerprint of what its page showed; the refusal shows their version, keeps the
user's text in the form, stores nothing, and the same save sent twice (a double click) still passes.
"""
import re
from html import unescape

import pytest

from eventsys.events.dimensions import Dimension
from eventsys.exhibition.models import Booth, MediaItem, QuickWin
from tests.exhibition_helpers import make_exhibitor, make_media
from tests.helpers import fresh, text, tr
from tests.test_exhibition_portal import add_programme, booth_form, booth_url
from tests.test_exhibition_uploads import build_exhibit, client_maker

BOOTH_CONFLICT = ("Someone else saved this booth after you opened the page. Their version is shown below; "
                  "your text is kept in the form, so compare the two and save again to keep yours.")
PROGRAMME_CONFLICT = ("Someone else saved this programme after you opened the page. Their version is shown below; "
                      "your text is kept in the form, so compare the two and save again to keep yours.")
MEDIA_CONFLICT = ("Someone else saved this item after you opened the page. Their version is shown below; "
                  "your text is kept in the form, so compare the two and save again to keep yours.")


@pytest.fixture
def exhibit(app, make_event, make_organization, make_user):
    found = build_exhibit(app, make_event, make_organization, make_user)
    found["colleague_a"] = make_exhibitor(make_user, found["event"], found["org_a"], email="humas@cirebonkota.go.id")
    return found


@pytest.fixture
def two_editors(app, exhibit):
    """Two signed-in clients editing booth A: the exhibitor and a colleague of the same organization."""
    signed_in = client_maker(app)
    return signed_in(exhibit["exhibitor_a"]), signed_in(exhibit["colleague_a"])


def version_on(response) -> str:
    match = re.search(r'name="version"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="version"', text(response))
    assert match, "no version field in the page"
    return match.group(1) or match.group(2)


def page_shows(response, *values) -> bool:
    body = unescape(text(response))
    return all(value in body for value in values)


def conflict_panel(response) -> str:
    match = re.search(r'data-testid="edit-conflict">(.*?)</section>', text(response), re.S)
    assert match, "no conflict panel"
    return unescape(match.group(1))


# The booth


def test_a_booth_save_from_an_overtaken_page_is_refused_and_keeps_the_users_text(app, exhibit, two_editors):
    first, second = two_editors
    url = booth_url(exhibit)
    seen_first, seen_second = version_on(first.get(url)), version_on(second.get(url))

    assert first.post(url, data=booth_form(tagline="Kota Wali yang Katon", version=seen_first)).status_code == 302
    refused = second.post(url, data=booth_form(tagline="", description="Kota Udang, Kota Wali", version=seen_second))

    assert refused.status_code == 400
    assert tr(app, BOOTH_CONFLICT) in unescape(text(refused))
    assert "Kota Wali yang Katon" in conflict_panel(refused)  # their version
    assert page_shows(refused, "Kota Udang, Kota Wali")  # the refused text is still in the form
    booth = fresh().get(Booth, exhibit["booth_a"].id)
    assert (booth.tagline, booth.description) == ("Kota Wali yang Katon", "Kota Wali")

    # Having seen their version, saving the form again replaces it on purpose.
    again = second.post(url, data=booth_form(tagline="Kota Wali yang Katon", description="Kota Udang, Kota Wali",
                                             version=version_on(refused)))
    assert again.status_code == 302, text(again)
    booth = fresh().get(Booth, exhibit["booth_a"].id)
    assert (booth.tagline, booth.description) == ("Kota Wali yang Katon", "Kota Udang, Kota Wali")


def test_a_dimension_change_alone_also_overtakes_the_booth_page(exhibit, two_editors):
    first, second = two_editors
    url = booth_url(exhibit)
    seen_first, seen_second = version_on(first.get(url)), version_on(second.get(url))
    assert first.post(url, data=booth_form(dimensions=["economy"], version=seen_first)).status_code == 302
    assert second.post(url, data=booth_form(tagline="Baru", version=seen_second)).status_code == 400
    booth = fresh().get(Booth, exhibit["booth_a"].id)
    assert booth.dimension_values == [Dimension.ECONOMY] and booth.tagline == "Cirebon Katon"


def test_the_same_booth_save_sent_twice_is_not_refused(exhibit, two_editors):
    first, _ = two_editors
    url = booth_url(exhibit)
    data = booth_form(tagline="Kota Wali yang Katon", version=version_on(first.get(url)))
    assert first.post(url, data=data).status_code == 302
    assert first.post(url, data=data).status_code == 302  # a double click
    assert fresh().get(Booth, exhibit["booth_a"].id).tagline == "Kota Wali yang Katon"


# A programme


def programme_form(**values):
    data = {"title": "PSC 119", "dimension": "living", "responsible_opd": "Dinas Kesehatan", "description": ""}
    return data | values


def test_a_programme_save_from_an_overtaken_page_is_refused(app, exhibit, two_editors):
    first, second = two_editors
    programme = add_programme(exhibit["booth_a"])
    url = booth_url(exhibit, f"/programmes/{programme.id}")
    seen_first, seen_second = version_on(first.get(url)), version_on(second.get(url))

    assert first.post(url, data=programme_form(responsible_opd="Dinkes Kota Cirebon", version=seen_first)).status_code == 302
    refused = second.post(url, data=programme_form(description="Layanan gawat darurat 24 jam", version=seen_second))

    assert refused.status_code == 400
    assert tr(app, PROGRAMME_CONFLICT) in unescape(text(refused))
    assert "Dinkes Kota Cirebon" in conflict_panel(refused)
    assert page_shows(refused, "Layanan gawat darurat 24 jam")
    stored = fresh().get(QuickWin, programme.id)
    assert (stored.responsible_opd, stored.description) == ("Dinkes Kota Cirebon", "")

    data = programme_form(description="Layanan gawat darurat 24 jam", version=version_on(first.get(url)))
    assert [first.post(url, data=data).status_code for _ in range(2)] == [302, 302]  # a double click
    assert fresh().get(QuickWin, programme.id).description == "Layanan gawat darurat 24 jam"


# A media item


def test_a_media_save_from_an_overtaken_page_is_refused(app, exhibit, two_editors):
    first, second = two_editors
    item = make_media(exhibit["booth_a"], title="Poster PSC 119")
    url = booth_url(exhibit, f"/media/{item.id}")
    seen_first, seen_second = version_on(first.get(url)), version_on(second.get(url))

    saved = first.post(url, data={"title": "Poster PSC 119", "dimension": "living", "version": seen_first})
    assert saved.status_code == 302
    refused = second.post(url, data={"title": "Poster Layanan Darurat", "description": "Hubungi 119",
                                     "version": seen_second})

    assert refused.status_code == 400
    assert tr(app, MEDIA_CONFLICT) in unescape(text(refused))
    assert "Poster PSC 119" in conflict_panel(refused)
    assert page_shows(refused, "Poster Layanan Darurat", "Hubungi 119")
    stored = fresh().get(MediaItem, item.id)
    assert (stored.title, stored.description, stored.dimension) == ("Poster PSC 119", "", Dimension.LIVING)

    data = {"title": "Poster Layanan Darurat", "dimension": "living", "version": version_on(first.get(url))}
    assert [first.post(url, data=data).status_code for _ in range(2)] == [302, 302]  # a double click
    assert fresh().get(MediaItem, item.id).title == "Poster Layanan Darurat"
