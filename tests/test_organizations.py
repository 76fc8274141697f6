"""Organizations: list and search, create and edit with unique names, logos checked by content, CSV/XLSX import."""
import io
import os
import struct
import zlib

import pytest
from openpyxl import Workbook
from PIL import Image, features
from sqlalchemy import func, select

from eventsys.core.rules import RuleViolation
from eventsys.core.storage import get_storage
from eventsys.events import organization_services as services
from eventsys.events.models import Organization, OrganizationKind
from eventsys.extensions import db
from tests.helpers import tr


@pytest.fixture
def client(make_app):
    """A client of its own app: each request gets a fresh app context (and language), as in production.

    The `app` fixture's pushed context would otherwise be shared by every request of the test.
    """
    return make_app().test_client()


@pytest.fixture
def writer(organizer, login, client):
    """An event organizer (who may edit organizations), signed in, reading English."""
    user, _event = organizer
    login(user)
    client.post("/language/en")
    # The test's own session ends its transaction: on SQLite (WAL) a snapshot older than the
    # requests' commits could not write afterwards.
    db.session.rollback()
    return user


def count() -> int:
    db.session.rollback()  # end the test's own transaction: see what the requests committed
    return db.session.scalar(select(func.count()).select_from(Organization))


def by_name(name: str) -> Organization | None:
    db.session.rollback()
    return db.session.scalar(select(Organization).where(Organization.name_key == Organization.key_for(name)))


def stored_files(app) -> list[str]:
    root = app.config["UPLOAD_DIR"]
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


def png(size=(900, 450), text: str | None = None) -> bytes:
    from PIL import PngImagePlugin

    image = Image.new("RGBA", size, (0, 90, 160, 255))
    image.paste((250, 200, 0, 128), (10, 10, size[0] // 2, size[1] // 2))
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    """A phone photo: camera serial, GPS position of the office, rotated by EXIF orientation."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS-SERIAL-7781"
    exif[0x0112] = 6  # rotate 90°: stored 1200×800, shown 800×1200
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, 30.0), 3: "E", 4: (106.0, 49.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (40, 40)).save(out, "GIF")
    return out.getvalue()


def png_bomb(width: int, height: int, with_data: bool = True) -> bytes:
    """A valid 1-bit PNG of a huge canvas: a few KB on disk, gigabytes once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)
    pixels = zlib.compress(row * height, 9) if with_data else zlib.compress(row)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def org_form(name="Kab. Cirebon", kind="kabupaten", province="Jawa Barat", timezone="Asia/Jakarta", logo=None, **extra):
    data = {"name": name, "kind": kind, "province": province, "timezone": timezone, **extra}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[1]), logo[0])
    return data


def upload(client, path, content: bytes, filename: str):
    return client.post(path, data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


# Access


def test_anonymous_visitors_are_sent_to_sign_in(client, make_organization):
    org = make_organization()
    for path in ("/organizations/", "/organizations/new", f"/organizations/{org.id}/edit", "/organizations/import", "/organizations/import/template.csv"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login?next=" in response.headers["Location"]
    assert client.post("/organizations/new", data=org_form(name="Kota Bogor")).status_code == 302
    assert by_name("Kota Bogor") is None


def test_checkin_staff_may_read_but_not_write(client, make_user, make_event, make_organization, login):
    org = make_organization()
    staff = make_user(email="petugas@kominfo.go.id", event=make_event(), role="checkin")
    login(staff)
    listing = client.get("/organizations/")
    assert listing.status_code == 200
    assert "Kota Cirebon" in listing.get_data(as_text=True)
    assert f"/organizations/{org.id}/edit" not in listing.get_data(as_text=True)
    for path in ("/organizations/new", f"/organizations/{org.id}/edit", "/organizations/import", "/organizations/import/template.csv"):
        assert client.get(path).status_code == 403, path
    assert client.post("/organizations/new", data=org_form(name="Kota Bogor")).status_code == 403
    assert client.post(f"/organizations/{org.id}/edit", data=org_form(name="Kota Dicuri")).status_code == 403
    assert upload(client, "/organizations/import", b"name,kind\nKota Bogor,Kota\n", "a.csv").status_code == 403
    assert by_name("Kota Bogor") is None and by_name("Kota Cirebon").name == "Kota Cirebon"


# List


def test_list_searches_by_name_and_filters_by_kind_and_province(writer, client, make_organization):
    make_organization("Kab. Cirebon", OrganizationKind.KABUPATEN, "Jawa Barat")
    make_organization("Kota Cirebon", OrganizationKind.KOTA, "Jawa Barat")
    make_organization("Kota Makassar", OrganizationKind.KOTA, "Sulawesi Selatan", "Asia/Makassar")
    make_organization("Direktorat LAIP", OrganizationKind.KEMENTERIAN_LEMBAGA, None)

    def names(query: str) -> list[str]:
        page = client.get("/organizations/" + query).get_data(as_text=True)
        return [n for n in ("Kab. Cirebon", "Kota Cirebon", "Kota Makassar", "Direktorat LAIP") if n in page]

    assert names("") == ["Kab. Cirebon", "Kota Cirebon", "Kota Makassar", "Direktorat LAIP"]
    assert names("?q=CIREBON") == ["Kab. Cirebon", "Kota Cirebon"]
    assert names("?q=kota%20%20cirebon") == ["Kota Cirebon"]
    assert names("?kind=kota") == ["Kota Cirebon", "Kota Makassar"]
    assert names("?kind=kota&province=Jawa%20Barat") == ["Kota Cirebon"]
    assert names("?q=100%25") == []  # a % is searched for, not a wildcard
    assert names("?q=Cire%00bon&province=%00") == ["Kab. Cirebon", "Kota Cirebon"]
    assert names("?kind=nonsense&page=abc") == ["Kab. Cirebon", "Kota Cirebon", "Kota Makassar", "Direktorat LAIP"]
    assert "WITA" in client.get("/organizations/?q=makassar").get_data(as_text=True)


# Create and edit


def test_create_and_edit(writer, client):
    response = client.post("/organizations/new", data=org_form(name="  Kab.   Cirebon ", province="jawa barat"))
    assert response.status_code == 302
    org = by_name("kab. cirebon")
    assert (org.name, org.name_key, org.kind, org.province, org.timezone) == (
        "Kab. Cirebon", "kab. cirebon", OrganizationKind.KABUPATEN, "Jawa Barat", "Asia/Jakarta"
    )

    form = client.get(f"/organizations/{org.id}/edit").get_data(as_text=True)
    assert 'value="Kab. Cirebon"' in form
    response = client.post(f"/organizations/{org.id}/edit", data=org_form(name="Kabupaten Cirebon", province="Jawa Barat"))
    assert response.status_code == 302
    assert by_name("Kabupaten Cirebon").id == org.id
    assert count() == 1


def test_form_values_are_checked(writer, client):
    page = client.post("/organizations/new", data=org_form(name="   ")).get_data(as_text=True)
    assert "Enter the organization" in page and "name, e.g. Kab. Cirebon." in page
    page = client.post("/organizations/new", data=org_form(timezone="Mars/Olympus")).get_data(as_text=True)
    assert "Not a valid choice" in page
    page = client.post("/organizations/new", data=org_form(kind="kerajaan")).get_data(as_text=True)
    assert "Not a valid choice" in page
    page = client.post("/organizations/new", data=org_form(name="ß" * 150)).get_data(as_text=True)
    assert "Shorten the name to 200 characters." in page  # its key, "ss" * 150, would not fit
    assert client.post("/organizations/new", data={}).status_code == 200
    assert count() == 0
    # Control characters are dropped, not sent to the database (PostgreSQL refuses NUL).
    assert client.post("/organizations/new", data=org_form(name="Kota\x00 Bogor", province="Jawa\x00Barat")).status_code == 302
    assert by_name("Kota Bogor").province == "JawaBarat"
    assert client.get("/organizations/999999/edit").status_code == 404


def test_duplicate_names_are_refused_ignoring_case_and_spaces(writer, client, make_organization):
    make_organization("Kab. Cirebon", OrganizationKind.KABUPATEN)
    other = make_organization("Kota Cirebon", OrganizationKind.KOTA)
    response = client.post("/organizations/new", data=org_form(name=" kab.  CIREBON "))
    assert response.status_code == 200
    assert "An organization named “kab. CIREBON” already exists" in response.get_data(as_text=True)
    assert count() == 2
    # Renaming one organization onto another is refused too; renaming it onto itself is not.
    response = client.post(f"/organizations/{other.id}/edit", data=org_form(name="KAB. CIREBON", kind="kota"))
    assert "already exists" in response.get_data(as_text=True)
    assert by_name("Kota Cirebon").id == other.id
    assert client.post(f"/organizations/{other.id}/edit", data=org_form(name="KOTA  cirebon", kind="kota")).status_code == 302
    assert by_name("kota cirebon").name == "KOTA cirebon"


def test_a_name_taken_at_the_same_moment_is_caught_by_the_constraint(app, writer):
    storage = get_storage(app)
    # A row the duplicate check cannot see yet, as when another request inserts it concurrently.
    with app.test_request_context(), db.session.no_autoflush:
        db.session.add(Organization(name="Kota Cirebon", name_key="kota cirebon", kind=OrganizationKind.KOTA))
        with pytest.raises(RuleViolation) as caught:
            services.save_organization(
                db.session, services.OrganizationData("Kota Cirebon", OrganizationKind.KOTA), storage=storage, logo=png()
            )
    assert caught.value.field == "name"
    assert caught.value.message == tr(
        app, "An organization named “%(name)s” already exists. Find it in the list and edit it instead.", name="Kota Cirebon"
    )
    assert count() == 0
    assert stored_files(app) == []  # the logo saved for the refused row is gone again


# Logos


def test_png_logo_is_stored_resized_and_served_safely(app, writer, client):
    response = client.post("/organizations/new", data=org_form(logo=("logo.png", png(text="made by a secret tool"))))
    assert response.status_code == 302
    org = by_name("Kab. Cirebon")
    assert org.logo_content_type == "image/png"
    assert stored_files(app) == [org.logo_key]
    assert org.logo_key.endswith(".png")

    served = client.get(f"/organizations/logo/{org.logo_key}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in served.headers["Cache-Control"] and "public" in served.headers["Cache-Control"]
    assert served.headers["ETag"]
    assert "sandbox" in served.headers["Content-Security-Policy"]
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "PNG" and image.size == (512, 256)
    assert b"secret tool" not in served.data
    again = client.get(f"/organizations/logo/{org.logo_key}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    # Anyone may see a logo: it is shown on public pages.
    client.post("/logout")
    assert app.test_client().get(f"/organizations/logo/{org.logo_key}").status_code == 200


def test_jpeg_metadata_is_stripped_and_orientation_kept(app, writer, client):
    original = jpeg_with_exif()
    assert b"EOS-SERIAL-7781" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    assert client.post("/organizations/new", data=org_form(logo=("foto.JPG", original))).status_code == 302
    org = by_name("Kab. Cirebon")
    served = client.get(f"/organizations/logo/{org.logo_key}")
    assert served.headers["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert dict(image.getexif()) == {}
    assert b"Exif" not in served.data and b"EOS-SERIAL" not in served.data and b"Canon" not in served.data
    assert image.size == (341, 512)  # upright, as the phone showed it, and capped at 512 pixels


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_webp_logo_is_accepted(writer, client):
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "green").save(out, "WEBP")
    assert client.post("/organizations/new", data=org_form(logo=("logo.webp", out.getvalue()))).status_code == 302
    assert by_name("Kab. Cirebon").logo_content_type == "image/webp"


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'
HTML = b"<!doctype html><html><body><script>fetch('/account/password')</script></body></html>"


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("logo.png", HTML, "This file is not a PNG, JPEG or WebP image"),
        ("logo.svg", SVG, "This file is not a PNG, JPEG or WebP image"),
        ("logo.png", SVG, "This file is not a PNG, JPEG or WebP image"),
        ("logo.gif", gif(), "This file is not a PNG, JPEG or WebP image"),
        ("logo.png", png()[:200], "could not be read"),
        ("logo.png", b"", "The file is empty"),
        ("bomb.png", png_bomb(8000, 6000), "far more than a logo needs"),
        ("bomb.png", png_bomb(60000, 60000, with_data=False), "far larger than a logo needs"),
    ],
    ids=["html-as-png", "svg", "svg-as-png", "gif", "truncated", "empty", "bomb", "huge-bomb"],
)
def test_bad_logos_are_refused_and_nothing_is_stored(app, writer, client, filename, content, message):
    response = client.post("/organizations/new", data=org_form(logo=(filename, content)))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count() == 0
    assert stored_files(app) == []


def test_logo_over_the_size_limit_is_refused(make_app, make_user):
    app = make_app(LOGO_MAX_BYTES=5000)
    admin = make_user(email="admin@kominfo.go.id", is_admin=True)
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": "rahasia-yang-panjang"})
    client.post("/language/en")
    noisy = Image.frombytes("L", (200, 200), os.urandom(40000))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    response = client.post("/organizations/new", data=org_form(logo=("big.png", out.getvalue())))
    assert "larger than 4 KB" in response.get_data(as_text=True)
    assert stored_files(app) == []
    with app.app_context():
        assert count() == 0


def test_replacing_and_removing_a_logo_keeps_only_the_current_file(app, writer, client):
    assert client.post("/organizations/new", data=org_form(logo=("a.png", png()))).status_code == 302
    org = by_name("Kab. Cirebon")
    first = org.logo_key
    # A refused replacement leaves the old logo and the row's other values as they were.
    response = client.post(f"/organizations/{org.id}/edit", data=org_form(name="Kabupaten Cirebon", logo=("b.png", SVG)))
    assert "not a PNG" in response.get_data(as_text=True)
    org = by_name("Kab. Cirebon")
    assert org.logo_key == first and stored_files(app) == [first]

    assert client.post(f"/organizations/{org.id}/edit", data=org_form(logo=("b.png", png((100, 100))))).status_code == 302
    second = by_name("Kab. Cirebon").logo_key
    assert second != first and stored_files(app) == [second]
    assert client.get(f"/organizations/logo/{first}").status_code == 404

    assert client.post(f"/organizations/{org.id}/edit", data=org_form(remove_logo="y")).status_code == 302
    assert by_name("Kab. Cirebon").logo_key is None and stored_files(app) == []


def test_logo_route_serves_only_logos(app, writer, client):
    stray = get_storage(app).save(b"<html>private deck</html>", ".png")  # in storage, but nobody's logo
    assert client.get(f"/organizations/logo/{stray}").status_code == 404
    for key in ("..%2F..%2Fsecret_key", "....", "%2Fetc%2Fpasswd", "x" * 300, "abc%00defghijklmnopqrstu.png"):
        assert client.get(f"/organizations/logo/{key}").status_code == 404, key


def test_storage_refuses_keys_that_leave_its_folder(app):
    storage = get_storage(app)
    key = storage.save(b"data", ".png")
    assert storage.read(key) == b"data"
    for bad in ("../secret_key", "/etc/passwd", "a/../../b", "", ".png", "abc"):
        with pytest.raises(ValueError):
            storage.read(bad)
    storage.delete(key)
    assert not storage.exists(key)


# Import


def test_import_csv_creates_and_updates(writer, client, make_organization):
    make_organization("Kota Cirebon", OrganizationKind.LAINNYA, None, "Asia/Jakarta")
    data = (
        b"name,kind,province,timezone\n"
        b"Kab. Cirebon,Kabupaten,Jawa Barat,WIB\n"
        b"KOTA CIREBON,kota,jawa barat,\n"
        b"Kota Makassar,Kota,Sulawesi Selatan,\n"
        b"Direktorat LAIP,Kementerian/Lembaga,DKI Jakarta,asia/jakarta\n"
    )
    response = upload(client, "/organizations/import", data, "organisasi.csv")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 organizations added, 1 updated" in page
    cirebon = by_name("Kota Cirebon")
    assert (cirebon.kind, cirebon.province) == (OrganizationKind.KOTA, "Jawa Barat")
    assert by_name("Kota Makassar").timezone == "Asia/Makassar"  # from its province
    assert by_name("Direktorat LAIP").kind == OrganizationKind.KEMENTERIAN_LEMBAGA
    assert count() == 4
    # The same file again changes nothing.
    response = upload(client, "/organizations/import", data, "organisasi.csv")
    assert "0 organizations added, 0 updated, 4 already up to date" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_import_semicolon_csv_from_indonesian_excel(writer, client):
    data = (
        "\ufeffNama;Jenis;Provinsi;Zona Waktu\r\n"
        "Provinsi Jawa Barat;PROVINSI;Jawa Barat;WIB\r\nKota Ambon;kota;Maluku;WIT\r\nNusantara Digital;Startup;;\r\n"
    )
    response = upload(client, "/organizations/import", data.encode("utf-8"), "organisasi.csv")
    assert response.status_code == 302
    assert by_name("Provinsi Jawa Barat").kind == OrganizationKind.PROVINSI
    assert by_name("Kota Ambon").timezone == "Asia/Jayapura"
    startup = by_name("Nusantara Digital")
    assert (startup.kind, startup.province, startup.timezone) == (OrganizationKind.STARTUP, None, "Asia/Jakarta")


def test_import_xlsx(writer, client):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nama", "Jenis", "Provinsi", "Zona waktu"])
    sheet.append(["Kab. Cirebon", "Kabupaten", "Jawa Barat", "WIB"])
    sheet.append(["Kota Denpasar", "Kota", "Bali", "WITA"])
    out = io.BytesIO()
    workbook.save(out)
    response = upload(client, "/organizations/import", out.getvalue(), "daftar.xlsx")
    assert response.status_code == 302
    assert by_name("Kota Denpasar").timezone == "Asia/Makassar"
    assert count() == 2


def test_one_bad_row_imports_nothing_and_the_report_names_each_row(writer, client, make_organization):
    make_organization("Kota Cirebon", OrganizationKind.KOTA, "Jawa Barat")
    data = (
        b"nama;jenis;provinsi;zona waktu\n"
        b"Kab. Cirebon;Kabupaten;Jawa Barat;WIB\n"  # row 2: fine
        b"Kota Bogor;Kerajaan;Jawa Barat;WIB\n"  # row 3: unknown kind
        b";Kota;Jawa Barat;WIB\n"  # row 4: no name
        b"Kab. Bogor;Kabupaten;Jawa Barat;Mars/Base\n"  # row 5: unknown zone
        b"kab.  cirebon;Kabupaten;Jawa Barat;WIB\n"  # row 6: same as row 2
        b"Kota Depok;;Jawa Barat;WIB\n"  # row 7: new, no kind
        b"Kota Cirebon;;Jawa Barat;WIB\n"  # row 8: existing, kind kept: fine
    )
    response = upload(client, "/organizations/import", data, "organisasi.csv")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was imported: 5 rows need fixing." in page
    assert "Row 3: Unknown kind “Kerajaan”" in page
    assert "Row 4: Enter the organization&#39;s name." in page
    assert "Row 5: Unknown time zone “Mars/Base”" in page
    assert "Row 6: “kab. cirebon” already appears in row 2." in page
    assert "Row 7: Enter the kind" in page
    assert "Row 2:" not in page and "Row 8:" not in page
    assert count() == 1 and by_name("Kab. Cirebon") is None


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("organisasi.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>stream\n\x00\x9c\x01\x02", "This is a PDF document"),
        ("organisasi.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "This is a PDF document"),
        ("organisasi.xlsx", bytes(range(256)) * 20, "not a CSV or Excel"),
        ("organisasi.csv", b"", "The file is empty"),
        ("organisasi.csv", b"foo,bar\n1,2\n", "no column “name”, “kind”"),
    ],
    ids=["pdf-as-csv", "pdf-as-xlsx", "junk-as-xlsx", "empty", "wrong-columns"],
)
def test_unreadable_import_files_get_a_clear_message(writer, client, filename, content, message):
    response = upload(client, "/organizations/import", content, filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count() == 0


def test_import_without_a_file(writer, client):
    response = client.post("/organizations/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choose a CSV or Excel (.xlsx) file to import." in response.get_data(as_text=True)


def test_import_row_limit_and_upload_size_limit(make_app, make_user):
    app = make_app(IMPORT_MAX_ROWS=2, MAX_CONTENT_LENGTH=2000)
    admin = make_user(email="admin@kominfo.go.id", is_admin=True)
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": "rahasia-yang-panjang"})
    client.post("/language/en")
    response = upload(client, "/organizations/import", b"name,kind\nA,Kota\nB,Kota\nC,Kota\n", "a.csv")
    assert "more than 2 rows" in response.get_data(as_text=True)
    assert upload(client, "/organizations/import", b"name,kind\n" + b"Kota X,Kota\n" * 500, "a.csv").status_code == 413
    with app.app_context():
        assert count() == 0


def test_templates_download_and_import_as_they_are(writer, client):
    csv_template = client.get("/organizations/import/template.csv")
    assert csv_template.status_code == 200
    assert csv_template.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_template.headers["Content-Disposition"]
    assert csv_template.data.startswith(b"\xef\xbb\xbfname,kind,province,timezone")
    xlsx_template = client.get("/organizations/import/template.xlsx")
    assert xlsx_template.status_code == 200

    assert upload(client, "/organizations/import", csv_template.data, "template.csv").status_code == 302
    assert count() == 5 and by_name("Kota Makassar").timezone == "Asia/Makassar"
    response = upload(client, "/organizations/import", xlsx_template.data, "template.xlsx")
    assert "0 organizations added, 0 updated, 5 already up to date" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_import_page_offers_the_template(writer, client):
    page = client.get("/organizations/import").get_data(as_text=True)
    assert "/organizations/import/template.csv" in page
    assert 'enctype="multipart/form-data"' in page


def test_forms_carry_csrf_protection(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    admin = make_user(email="admin@kominfo.go.id", is_admin=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": admin.email, "password": "rahasia-yang-panjang", "csrf_token": token})
    assert client.post("/organizations/new", data=org_form(name="Kota Bogor")).status_code in (200, 400)
    assert upload(client, "/organizations/import", b"name,kind\nKota Bogor,Kota\n", "a.csv").status_code in (200, 400)
    with app.app_context():
        assert count() == 0


def test_truncated_logo_is_refused_even_after_a_pdf_was_made(app):
    """WeasyPrint's import switches on Pillow's LOAD_TRUNCATED_IMAGES for the whole process."""
    from eventsys.core.images import clean_image
    from eventsys.core.pdf import render_pdf

    assert render_pdf("<p>tiket</p>").startswith(b"%PDF")
    with app.test_request_context(), pytest.raises(RuleViolation):
        clean_image(png()[:200], max_bytes=1_000_000)
