"""The organizer's registrant screens: list and filters, counts, bulk decisions, edit, cancel,
resend, exports, badges, the delegate list import and the organization links."""
import csv
import io
import itertools
import re
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from eventsys.core.models import OutboxMessage
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import SessionType
from eventsys.extensions import db
from eventsys.registration import invitations, services, tickets
from eventsys.registration.models import (
    DelegateCategory,
    DelegateInvitation,
    OrganizationLink,
    Registration,
    RegistrationState,
    SessionChoice,
    SessionOption,
    Ticket,
)
from tests.conftest import PASSWORD, utc
from tests.helpers import csrf_token_of, fresh, recorded_statements, selects, text, tr

_emails = itertools.count(1)


# Builders


def open_registration(event, *, capacity=None, quota=None):
    settings = services.settings_for(db.session, event)
    settings.enabled = True
    settings.capacity = capacity
    settings.organization_quota = quota
    db.session.commit()
    return settings


def make_category(event, name="Kepala Daerah", *, capacity=None, needs_approval=False, color="#b91c1c", position=0):
    category = DelegateCategory(event_id=event.id, name=name, capacity=capacity, needs_approval=needs_approval, color=color, position=position)
    db.session.add(category)
    db.session.commit()
    return category


def make_option(event, make_session, title="FGD Hari 2", capacity=None):
    item = make_session(event, title=title, session_type=SessionType.FGD)
    option = SessionOption(event_id=event.id, session_id=item.id, capacity=capacity)
    db.session.add(option)
    db.session.commit()
    return option


def make_registration(event, category, name, *, email=None, state=RegistrationState.CONFIRMED, organization=None, proposed=None,
                      position="", phone=None, created_at=None, options=(), reason="", locale="id"):
    registration = Registration(
        event_id=event.id,
        category_id=category.id,
        organization_id=organization.id if organization else None,
        proposed_organization=None if organization else (proposed or "Dinas Kominfo Kab. Siak"),
        name=name,
        position=position,
        email=email or f"delegasi{next(_emails)}@daerah.go.id",
        phone=phone,
        locale=locale,
        state=state,
        state_reason=reason,
        manage_token_hash=hash_secret(new_secret()),
        consent_at=utc(2017, 11, 1),
        created_at=created_at or utc(2017, 11, 1, 1, 0) + timedelta(minutes=next(_emails)),
    )
    db.session.add(registration)
    db.session.flush()
    for option in options:
        registration.session_choices.append(SessionChoice(option=option, waitlisted=False))
    db.session.commit()
    return registration


def give_ticket(registration, code="K7P-4QX"):
    ticket = Ticket(event_id=registration.event_id, registration_id=registration.id, code=code, serial=1)
    db.session.add(ticket)
    db.session.commit()
    return ticket


def outbox(**where) -> list[OutboxMessage]:
    return list(fresh().scalars(select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)))


def rows_shown(response) -> str:
    """The registrant table's rows, as text."""
    return "\n".join(re.findall(r'<tr data-testid="registrant-row">(.*?)</tr>', text(response), re.S))


@pytest.fixture
def scene(organizer, make_organization, make_session):
    """An event with two categories, two regions, a session option and five registrants in every state."""
    user, event = organizer
    open_registration(event, quota=3)
    # Two seats: Azis (confirmed) and Danny (awaiting approval) hold them; Iing waits.
    kepala = make_category(event, "Kepala Daerah", capacity=2, needs_approval=True, color="#b91c1c")
    media = make_category(event, "Media", color="#15803d", position=1)
    cirebon = make_organization("Kota Cirebon")
    makassar = make_organization("Kota Makassar", province="Sulawesi Selatan", timezone="Asia/Makassar")
    fgd = make_option(event, make_session)
    people = {
        "azis": make_registration(event, kepala, "Nashrudin Azis", email="azis@cirebonkota.go.id", organization=cirebon,
                                  position="Wali Kota", options=[fgd], phone="+6281234567890", created_at=utc(2017, 11, 1, 1, 0)),
        "danny": make_registration(event, kepala, "Danny Pomanto", organization=makassar, position="Wali Kota",
                                   state=RegistrationState.PENDING),
        "iing": make_registration(event, kepala, "Iing Daiman", organization=cirebon, position="Kepala Dinas Kominfo",
                                  state=RegistrationState.WAITLISTED),
        "rina": make_registration(event, media, "Rina Wartawati", position="Jurnalis", proposed="Harian Kompas",
                                  state=RegistrationState.CANCELLED, reason="Berhalangan hadir"),
        "budi": make_registration(event, media, "Budi Santoso", organization=makassar, position="Fotografer",
                                  state=RegistrationState.REJECTED, reason="Kuota media penuh"),
    }
    give_ticket(people["azis"])
    return {"user": user, "event": event, "kepala": kepala, "media": media, "cirebon": cirebon, "makassar": makassar,
            "fgd": fgd, **people}


# The list


def test_list_search_and_filters(client, login, scene):
    login(scene["user"])
    base = f"/manage/{scene['event'].slug}/registrations"
    everyone = rows_shown(client.get(base))
    assert all(name in everyone for name in ("Nashrudin Azis", "Danny Pomanto", "Iing Daiman", "Rina Wartawati", "Budi Santoso"))
    assert everyone.index("Budi Santoso") < everyone.index("Nashrudin Azis")  # newest first

    def names(**args):
        shown = rows_shown(client.get(base, query_string=args))
        return {n for n in ("Nashrudin Azis", "Danny Pomanto", "Iing Daiman", "Rina Wartawati", "Budi Santoso") if n in shown}

    assert names(q="azis") == {"Nashrudin Azis"}
    assert names(q="CIREBONKOTA.GO.ID") == {"Nashrudin Azis"}  # email, any case
    assert names(q="wali kota") == {"Nashrudin Azis", "Danny Pomanto"}  # position
    assert names(q="k7p-4qx") == {"Nashrudin Azis"}  # ticket code from the desk
    assert names(q="100%_") == set()  # LIKE wildcards are searched for, not obeyed
    assert names(category=scene["media"].id) == {"Rina Wartawati", "Budi Santoso"}
    assert names(organization=scene["cirebon"].id) == {"Nashrudin Azis", "Iing Daiman"}
    assert names(organization=0) == {"Rina Wartawati"}  # proposed, not in the list
    assert names(state="waitlisted") == {"Iing Daiman"}
    assert names(session=scene["fgd"].id) == {"Nashrudin Azis"}
    assert names(category=scene["kepala"].id, state="pending") == {"Danny Pomanto"}
    # Nonsense in the query string is ignored, never a 500.
    assert client.get(base, query_string={"category": "x", "state": "nope", "organization": "-1", "session": "9" * 30, "page": "zz"}).status_code == 200


def test_list_query_count_does_not_grow_with_rows(client, login, scene, make_organization):
    login(scene["user"])
    path = f"/manage/{scene['event'].slug}/registrations"

    def page_selects() -> int:
        db.session.expire_all()
        with recorded_statements() as statements:
            assert client.get(path).status_code == 200
        return selects(statements)

    few = page_selects()
    for i in range(25):
        org = make_organization(f"Kab. Contoh {i}")
        reg = make_registration(scene["event"], scene["media"], f"Peserta {i}", organization=org, options=[scene["fgd"]])
        give_ticket(reg, code=f"AAA-{i:03d}")
    assert page_selects() == few


def test_counts_per_category_and_region(client, login, scene):
    login(scene["user"])
    page = text(client.get(f"/manage/{scene['event'].slug}/registrations/counts"))
    rows = re.findall(r'<tr data-testid="category-count-row">(.*?)</tr>', page, re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows]
    # Category, capacity, then pending / confirmed / waitlisted / cancelled / rejected, then all.
    assert [c[2:] for c in cells] == [["1", "1", "1", "0", "0", "3"], ["0", "0", "0", "1", "1", "2"]]
    assert "Kepala Daerah" in cells[0][0] and cells[0][1] == "2"
    regions = re.findall(r'<tr data-testid="organization-count-row"><td>(.*?)</td><td>(\d+)</td></tr>', page)
    assert regions == [("Kota Cirebon", "1"), ("Kota Makassar", "1")]  # seat holders only


# Decisions


def test_bulk_approve_confirms_issues_tickets_and_mails_each(client, login, scene):
    event = scene["event"]
    opd = make_category(event, "OPD", needs_approval=True, position=2)
    extra = make_registration(event, opd, "Ridwan Kamil", state=RegistrationState.PENDING, email="rk@bandung.go.id")
    login(scene["user"])
    response = client.post(f"/manage/{event.slug}/registrations/bulk?state=pending",
                           data={"ids": [scene["danny"].id, extra.id], "action": "approve"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/registrations?state=pending")
    session = fresh()
    for reg in (scene["danny"], extra):
        session.refresh(reg)
        assert reg.state == RegistrationState.CONFIRMED
        assert session.scalar(select(Ticket).where(Ticket.registration_id == reg.id)) is not None
        assert [m.kind for m in outbox(to_email=reg.email)] == ["approval"]


def test_bulk_reject_needs_a_reason_reports_what_could_not_change_and_frees_the_seat(client, login, scene):
    event = scene["event"]
    login(scene["user"])
    path = f"/manage/{event.slug}/registrations/bulk"
    ids = [scene["danny"].id, scene["azis"].id]
    client.post(path, data={"ids": ids, "action": "reject", "reason": "  "})
    assert fresh().get(Registration, scene["danny"].id).state == RegistrationState.PENDING
    assert outbox() == []

    client.post(path, data={"ids": ids, "action": "reject", "reason": "Bukan pejabat daerah"})
    session = fresh()
    danny = session.get(Registration, scene["danny"].id)
    assert (danny.state, danny.state_reason) == (RegistrationState.REJECTED, "Bukan pejabat daerah")
    (mail,) = outbox(to_email=danny.email)
    assert mail.kind == "rejection" and "Bukan pejabat daerah" in mail.body_text
    assert session.get(Registration, scene["azis"].id).state == RegistrationState.CONFIRMED  # reported, untouched
    assert outbox(to_email=scene["azis"].email) == []
    # Danny's seat went to the next in line, who now awaits approval.
    assert session.get(Registration, scene["iing"].id).state == RegistrationState.PENDING
    assert [m.kind for m in outbox(to_email=scene["iing"].email)] == ["pending"]
    page = text(client.get(f"/manage/{event.slug}/registrations"))
    assert tr(client.application, "Only registrations awaiting approval or on the waiting list can be rejected.") in page


def test_bulk_approve_of_a_full_category_skips_that_one_and_approves_the_rest(client, login, scene):
    event = scene["event"]
    other = make_category(event, "OPD", needs_approval=True, position=2)
    opd = make_registration(event, other, "Staf Bappeda", state=RegistrationState.PENDING)
    login(scene["user"])
    client.post(f"/manage/{event.slug}/registrations/bulk", data={"ids": [scene["iing"].id, opd.id], "action": "approve"})
    session = fresh()
    assert session.get(Registration, scene["iing"].id).state == RegistrationState.WAITLISTED  # Kepala Daerah is full
    assert session.get(Registration, opd.id).state == RegistrationState.CONFIRMED
    assert outbox(to_email=scene["iing"].email) == []
    assert [m.kind for m in outbox(to_email=opd.email)] == ["approval"]
    page = text(client.get(f"/manage/{event.slug}/registrations"))
    assert "Iing Daiman" in page and "flash-error" in page


def test_a_single_decision_from_the_registrants_page_returns_there(client, login, scene):
    event, danny = scene["event"], scene["danny"]
    login(scene["user"])
    page = text(client.get(f"/manage/{event.slug}/registrations/{danny.id}"))
    assert 'data-testid="decide-form"' in page and 'data-testid="resend-ticket"' not in page
    response = client.post(f"/manage/{event.slug}/registrations/bulk", data={"ids": [danny.id], "action": "approve", "return_to": "detail"})
    assert response.headers["Location"].endswith(f"/registrations/{danny.id}")
    page = text(client.get(response.headers["Location"]))
    assert 'data-testid="resend-ticket"' in page and 'data-testid="ticket-code"' in page
    assert fresh().get(Registration, danny.id).state == RegistrationState.CONFIRMED


def test_bulk_forms_need_the_csrf_token(make_app, make_user, make_event):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        event = make_event()
        user = make_user(email="panitia@kominfo.go.id", event=event, role="organizer")
        category = make_category(event, needs_approval=True)
        reg = make_registration(event, category, "Danny Pomanto", state=RegistrationState.PENDING)
        slug, email, reg_id = event.slug, user.email, reg.id
    login_page = client.get("/login")
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token_of(login_page)})
    assert client.post(f"/manage/{slug}/registrations/bulk", data={"ids": [reg_id], "action": "approve"}).status_code == 400
    with app.app_context():
        assert db.session.get(Registration, reg_id).state == RegistrationState.PENDING
    page = client.get(f"/manage/{slug}/registrations")
    assert client.post(f"/manage/{slug}/registrations/bulk",
                       data={"ids": [reg_id], "action": "reject", "reason": "Bukan pejabat", "csrf_token": csrf_token_of(page)}).status_code == 302
    with app.app_context():
        assert db.session.get(Registration, reg_id).state == RegistrationState.REJECTED


def test_cancel_needs_a_reason_then_promotes_the_waiting_list(client, login, organizer):
    user, event = organizer
    open_registration(event)
    category = make_category(event, capacity=1)
    holder = make_registration(event, category, "Nashrudin Azis")
    tickets.issue_ticket(db.session, holder)
    waiting = make_registration(event, category, "Iing Daiman", state=RegistrationState.WAITLISTED)
    db.session.commit()
    login(user)
    path = f"/manage/{event.slug}/registrations/{holder.id}/cancel"
    refused = client.post(path, data={"reason": ""})
    assert refused.status_code == 200 and "field-error" in text(refused)
    assert fresh().get(Registration, holder.id).state == RegistrationState.CONFIRMED

    assert client.post(path, data={"reason": "Diganti Wakil Wali Kota"}).status_code == 302
    session = fresh()
    cancelled, promoted = session.get(Registration, holder.id), session.get(Registration, waiting.id)
    assert (cancelled.state, cancelled.state_reason) == (RegistrationState.CANCELLED, "Diganti Wakil Wali Kota")
    assert cancelled.ticket.revoked_at is not None
    assert promoted.state == RegistrationState.CONFIRMED and promoted.ticket is not None
    assert [m.kind for m in outbox(to_email=cancelled.email)] == ["cancellation"]
    assert [m.kind for m in outbox(to_email=promoted.email)] == ["promotion"]


def test_edit_normalises_the_phone_and_refuses_a_bad_one(client, login, scene):
    login(scene["user"])
    path = f"/manage/{scene['event'].slug}/registrations/{scene['danny'].id}"
    page = client.get(path)
    assert page.status_code == 200 and "Danny Pomanto" in text(page)
    refused = client.post(path, data={"name": "Moh. Ramdhan Pomanto", "position": "Wali Kota", "phone": "0812"})
    assert refused.status_code == 200 and 'id="phone-help"' in text(refused)
    assert fresh().get(Registration, scene["danny"].id).name == "Danny Pomanto"

    saved = client.post(path, data={"name": " Moh.  Ramdhan Pomanto ", "position": "Wali Kota Makassar", "phone": "0812-3456-7891"})
    assert saved.status_code == 302
    reg = fresh().get(Registration, scene["danny"].id)
    assert (reg.name, reg.position, reg.phone) == ("Moh. Ramdhan Pomanto", "Wali Kota Makassar", "+6281234567891")
    client.post(path, data={"name": "Moh. Ramdhan Pomanto", "position": "", "phone": ""})
    assert fresh().get(Registration, scene["danny"].id).phone is None
    assert client.get(f"/manage/{scene['event'].slug}/registrations/999999").status_code == 404


def test_resend_ticket_reissues_it_and_mails_a_new_link(client, login, organizer):
    user, event = organizer
    category = make_category(event)
    reg = make_registration(event, category, "Nashrudin Azis")
    ticket = tickets.issue_ticket(db.session, reg)
    db.session.commit()
    old_token, old_hash = tickets.token_for(ticket), reg.manage_token_hash
    login(user)
    assert client.post(f"/manage/{event.slug}/registrations/{reg.id}/resend").status_code == 302
    session = fresh()
    reg = session.get(Registration, reg.id)
    assert reg.ticket.serial == 2 and tickets.token_for(reg.ticket) != old_token
    assert reg.manage_token_hash != old_hash
    sent = outbox(to_email=reg.email)
    assert [m.kind for m in sent] == ["confirmation"] and sent[0].attachments

    pending = make_registration(event, make_category(event, "OPD", needs_approval=True), "Staf", state=RegistrationState.PENDING)
    client.post(f"/manage/{event.slug}/registrations/{pending.id}/resend")
    assert outbox(to_email=pending.email) == []


# Exports and badges


def test_export_csv_has_the_filtered_rows_in_the_events_zone(client, login, scene):
    login(scene["user"])
    response = client.get(f"/manage/{scene['event'].slug}/registrations/export.csv", query_string={"category": scene["kepala"].id})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
    assert len(rows[0]) == 12 and "WIB" in rows[0][10]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"Nashrudin Azis", "Danny Pomanto", "Iing Daiman"}
    azis = by_name["Nashrudin Azis"]
    assert azis[1:7] == ["Wali Kota", "Kota Cirebon", "Kepala Daerah", "azis@cirebonkota.go.id", "+6281234567890", ""]
    assert azis[9] == "FGD Hari 2"
    assert azis[10] == "2017-11-01 08:00"  # 01:00 UTC is 08:00 WIB
    assert azis[11] == "K7P-4QX"
    assert by_name["Iing Daiman"][11] == ""


def test_export_xlsx_matches_and_neutralises_formulas(client, login, scene):
    make_registration(scene["event"], scene["media"], "=HYPERLINK(\"http://x\")", proposed="@kompas")
    login(scene["user"])
    response = client.get(f"/manage/{scene['event'].slug}/registrations/export.xlsx", query_string={"state": "confirmed"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(rows[0]) == 12
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"Nashrudin Azis", "'=HYPERLINK(\"http://x\")"}
    assert by_name["Nashrudin Azis"][10].strftime("%Y-%m-%d %H:%M") == "2017-11-01 08:00"
    assert by_name["Nashrudin Azis"][5] == "+6281234567890"
    assert by_name["'=HYPERLINK(\"http://x\")"][2] == "'@kompas"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_badges_pdf_of_the_filtered_confirmed_registrants(client, login, organizer):
    user, event = organizer
    category = make_category(event)
    for name in ("Nashrudin Azis", "Danny Pomanto"):
        tickets.issue_ticket(db.session, make_registration(event, category, name))
    make_registration(event, category, "Iing Daiman", state=RegistrationState.PENDING)
    db.session.commit()
    login(user)
    for layout in ("a4", "single"):
        response = client.get(f"/manage/{event.slug}/registrations/badges.pdf", query_string={"layout": layout})
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF-")
    single = client.get(f"/manage/{event.slug}/registrations/badges.pdf", query_string={"layout": "single"}).data
    assert len(pdfium.PdfDocument(single)) == 2  # one badge a page, confirmed ones only
    filtered = client.get(f"/manage/{event.slug}/registrations/badges.pdf", query_string={"layout": "single", "q": "azis"}).data
    (page,) = pdfium.PdfDocument(filtered)
    assert "Nashrudin Azis" in page.get_textpage().get_text_range()
    nobody = client.get(f"/manage/{event.slug}/registrations/badges.pdf", query_string={"q": "tidak ada"})
    assert nobody.status_code == 302


# The delegate list import


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _upload(client, event, data: bytes, name="delegasi.csv"):
    return client.post(f"/manage/{event.slug}/registrations/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_import_invites_every_row_and_queues_the_mail(client, login, scene):
    event = scene["event"]
    login(scene["user"])
    data = _xlsx([
        ("Nama", "Email", "Jabatan", "Organisasi", "Kategori", "No. HP", "Bahasa"),
        ("Ridwan Kamil", "RK@Bandung.go.id", "Wali Kota", "kota  cirebon", "kepala daerah", "0812 2222 3333", "en"),
        ("Bima Arya", "bima@kotabogor.go.id", "", "", "", "", ""),
    ])
    response = _upload(client, event, data, "delegasi.xlsx")
    assert response.status_code == 302
    invited = fresh().scalars(select(DelegateInvitation).order_by(DelegateInvitation.email)).all()
    assert [i.email for i in invited] == ["bima@kotabogor.go.id", "rk@bandung.go.id"]
    rk = invited[1]
    assert (rk.name, rk.position, rk.organization_id, rk.category_id, rk.phone, rk.locale) == (
        "Ridwan Kamil", "Wali Kota", scene["cirebon"].id, scene["kepala"].id, "+6281222223333", "en")
    assert (invited[0].organization_id, invited[0].category_id, invited[0].locale) == (None, None, "id")
    for invitation in invited:
        (message,) = outbox(to_email=invitation.email, kind="invitation")
        token = re.search(rf"/r/{event.slug}\?invite=([\w.\-]+)", message.body_text).group(1)
        assert invitations.invitation_from_token(db.session, event, token).id == invitation.id
    page = text(client.get(response.headers["Location"]))
    assert tr(client.application, "%(num)d delegates invited. Each gets an email with a personal registration link.", num=2) in page


def test_import_with_any_bad_row_invites_no_one_and_reports_each_row(client, login, scene):
    event = scene["event"]
    db.session.add(DelegateInvitation(event_id=event.id, email="sudah@diundang.go.id", name="X", expires_at=utc(2030, 1, 1)))
    db.session.commit()
    login(scene["user"])
    data = "\n".join([
        "nama;email;organisasi;kategori;telepon;bahasa",
        "Baik Sekali;baik@daerah.go.id;Kota Cirebon;Media;;id",           # row 2: fine
        ";tanpa-nama@daerah.go.id;;;;",                                    # row 3
        "Salah Email;bukan-email;;;;",                                     # row 4
        "Dobel;BAIK@daerah.go.id;;;;",                                     # row 5
        "Sudah Daftar;azis@cirebonkota.go.id;;;;",                         # row 6
        "Sudah Diundang;sudah@diundang.go.id;;;;",                         # row 7
        "Daerah Asing;asing@daerah.go.id;Kab. Antah Berantah;;;",          # row 8
        "Kategori Asing;kat@daerah.go.id;;VVIP;;",                         # row 9
        "Telepon Salah;telp@daerah.go.id;;;12345;",                        # row 10
        "Bahasa Asing;bahasa@daerah.go.id;;;;fr",                          # row 11
    ]).encode()
    response = _upload(client, event, data)
    assert response.status_code == 200
    report = re.search(r'data-testid="import-problems">(.*?)</section>', text(response), re.S).group(1)
    rows_reported = [int(n) for n in re.findall(r"<li>[^<]*?(\d+)\b", report)]
    assert sorted(set(rows_reported)) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "Kab. Antah Berantah" in report and "VVIP" in report and "Kepala Daerah, Media" in report
    assert fresh().scalar(select(func.count(DelegateInvitation.id))) == 1
    assert outbox() == []


def test_an_invitation_made_meanwhile_refuses_the_whole_import(app, scene):
    """Two imports at once: the unique (event, email) decides, and nothing of the later one stays."""
    from eventsys.core.rules import RuleViolation
    from eventsys.registration import delegate_import

    event = scene["event"]
    people = [delegate_import.Invitee(2, "Bima Arya", "bima@kotabogor.go.id", "Wali Kota", None, None, None, "id"),
              delegate_import.Invitee(3, "Ridwan Kamil", "rk@bandung.go.id", "", None, None, None, "en")]
    db.session.add(DelegateInvitation(event_id=event.id, email="rk@bandung.go.id", name="RK", expires_at=utc(2030, 1, 1)))
    db.session.commit()
    with pytest.raises(RuleViolation):
        delegate_import.invite(db.session, event, people)
    db.session.rollback()
    assert fresh().scalars(select(DelegateInvitation.email)).all() == ["rk@bandung.go.id"]
    assert outbox() == []


@pytest.mark.parametrize(
    "data,name",
    [
        (b"%PDF-1.7 not a table", "daftar.pdf"),
        (b"", "kosong.csv"),
        (b"PK\x03\x04rusak", "rusak.xlsx"),
        (b"kolom;lain\n1;2\n", "salah.csv"),
    ],
)
def test_malformed_files_are_refused_with_a_message(client, login, scene, data, name):
    login(scene["user"])
    response = _upload(client, scene["event"], data, name)
    assert response.status_code == 200
    assert 'id="file-help"' in text(response)
    assert fresh().scalar(select(func.count(DelegateInvitation.id))) == 0


def test_import_templates_are_readable_by_the_import(client, login, scene):
    login(scene["user"])
    for suffix in ("csv", "xlsx"):
        template = client.get(f"/manage/{scene['event'].slug}/registrations/import/template.{suffix}")
        assert template.status_code == 200
        response = _upload(client, scene["event"], template.data, f"template.{suffix}")
        assert response.status_code == 302, text(response)
        db.session.execute(DelegateInvitation.__table__.delete())
        db.session.commit()


# Organization links


def test_organization_links_are_shown_once_rotate_and_show_quota_use(client, login, scene):
    event, cirebon = scene["event"], scene["cirebon"]
    login(scene["user"])
    page = client.get(f"/manage/{event.slug}/registrations/links")
    rows = re.findall(r'<tr data-testid="organization-link-row">(.*?)</tr>', text(page), re.S)
    used = {re.search(r"<td>(.*?)<", r).group(1): re.search(r'data-testid="quota-used">(.*?)</td>', r).group(1) for r in rows}
    # Azis (confirmed) and Iing (waiting list) both count against Kota Cirebon's quota of 3.
    assert used["Kota Cirebon"] == tr(client.application, "%(used)d of %(quota)d", used=2, quota=3)
    assert used["Kota Makassar"] == tr(client.application, "%(used)d of %(quota)d", used=1, quota=3)

    made = client.post(f"/manage/{event.slug}/registrations/links/{cirebon.id}")
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    url = re.search(r'data-testid="new-organization-link">(.*?)</p>', text(made)).group(1)
    token = url.rsplit("/", 1)[1]
    assert f"/r/{event.slug}/o/" in url
    assert invitations.organization_link_from_token(db.session, event, token).organization_id == cirebon.id
    assert token not in text(client.get(f"/manage/{event.slug}/registrations/links"))

    again = client.post(f"/manage/{event.slug}/registrations/links/{cirebon.id}")
    new_token = re.search(r'data-testid="new-organization-link">(.*?)</p>', text(again)).group(1).rsplit("/", 1)[1]
    assert new_token != token
    with pytest.raises(invitations.LinkProblem):
        invitations.organization_link_from_token(fresh(), event, token)

    client.post(f"/manage/{event.slug}/registrations/links/{cirebon.id}/withdraw")
    assert fresh().scalar(select(OrganizationLink)).revoked_at is not None
    assert client.post(f"/manage/{event.slug}/registrations/links/999999").status_code == 404


# Who may use these screens


def test_screens_are_for_the_events_organizers_only(client, login, scene, make_user, make_event):
    event = scene["event"]
    base = f"/manage/{event.slug}/registrations"
    gets = ["", "/counts", "/export.csv", "/export.xlsx", "/badges.pdf", "/import", "/import/template.csv", "/links",
            f"/{scene['danny'].id}"]
    posts = ["/bulk", f"/{scene['danny'].id}", f"/{scene['danny'].id}/cancel", f"/{scene['azis'].id}/resend",
             f"/links/{scene['cirebon'].id}", f"/links/{scene['cirebon'].id}/withdraw", "/import"]
    for path in gets:
        response = client.get(base + path)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"], path
    staff = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    login(staff)
    for path in gets:
        assert client.get(base + path).status_code == 403, path
    for path in posts:
        assert client.post(base + path, data={"ids": [scene["danny"].id], "action": "approve", "reason": "x"}).status_code == 403, path
    # An organizer of another event is a stranger here.
    other = make_event(name="Malam Penganugerahan")
    stranger = make_user(email="panitia.lain@kominfo.go.id", event=other, role="organizer")
    client.post("/logout")
    login(stranger)
    assert client.get(base).status_code == 403
    assert fresh().get(Registration, scene["danny"].id).state == RegistrationState.PENDING
    assert fresh().scalar(select(OrganizationLink)) is None
