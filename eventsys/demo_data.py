"""The demo's content, drawn from the programme's articles (shared/seeds): regions, venues, events, agendas."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from eventsys.events.models import EventKind, OrganizationKind, SessionType

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
KAB, KOTA = OrganizationKind.KABUPATEN, OrganizationKind.KOTA

# The 25 regions of the 2017 cohort that presented their masterplans (seed 004). The article names 24;
# Kota Singkawang, which signed the 2017 MoU with the others, completes the 25.
EXPOSE_REGIONS: list[tuple[str, OrganizationKind, str, str]] = [
    ("Kota Semarang", KOTA, "Jawa Tengah", WIB),
    ("Kab. Banyuwangi", KAB, "Jawa Timur", WIB),
    ("Kab. Badung", KAB, "Bali", WITA),
    ("Kota Makassar", KOTA, "Sulawesi Selatan", WITA),
    ("Kab. Gresik", KAB, "Jawa Timur", WIB),
    ("Kab. Sidoarjo", KAB, "Jawa Timur", WIB),
    ("Kota Tangerang Selatan", KOTA, "Banten", WIB),
    ("Kota Sukabumi", KOTA, "Jawa Barat", WIB),
    ("Kota Bekasi", KOTA, "Jawa Barat", WIB),
    ("Kota Samarinda", KOTA, "Kalimantan Timur", WITA),
    ("Kota Tangerang", KOTA, "Banten", WIB),
    ("Kab. Banyuasin", KAB, "Sumatera Selatan", WIB),
    ("Kota Bandung", KOTA, "Jawa Barat", WIB),
    ("Kab. Sleman", KAB, "DI Yogyakarta", WIB),
    ("Kota Bogor", KOTA, "Jawa Barat", WIB),
    ("Kab. Siak", KAB, "Riau", WIB),
    ("Kota Jambi", KOTA, "Jambi", WIB),
    ("Kota Cirebon", KOTA, "Jawa Barat", WIB),
    ("Kab. Bojonegoro", KAB, "Jawa Timur", WIB),
    ("Kab. Kutai Kartanegara", KAB, "Kalimantan Timur", WITA),
    ("Kab. Lombok Timur", KAB, "Nusa Tenggara Barat", WITA),
    ("Kota Tomohon", KOTA, "Sulawesi Utara", WITA),
    ("Kab. Pelalawan", KAB, "Riau", WIB),
    ("Kab. Mimika", KAB, "Papua Tengah", WIT),
    ("Kota Singkawang", KOTA, "Kalimantan Barat", WIB),
]
OTHER_ORGANIZATIONS: list[tuple[str, OrganizationKind, str | None, str]] = [
    ("Kab. Cirebon", KAB, "Jawa Barat", WIB),
    ("Direktorat Layanan Aplikasi Informatika Pemerintahan (LAIP)", OrganizationKind.KEMENTERIAN_LEMBAGA, None, WIB),
]

VENUES: dict[str, tuple[str, str, str, list[tuple[str, int]]]] = {
    "santika": (
        "Hotel Santika Premiere Jakarta",
        "Jl. KS Tubun / Jl. Hayam Wuruk",
        "Jakarta",
        [("Ballroom", 600), ("Ruang Sidang 1", 150), ("Ruang Sidang 2", 80)],
    ),
    "sahid": (
        "Hotel Grand Sahid Jaya",
        "Jl. Jend. Sudirman Kav. 86",
        "Jakarta Pusat",
        [("Grand Ballroom", 800), ("Ruang Seminar", 200), ("Area Pameran", 400)],
    ),
    "apita": ("Hotel Apita Cirebon", "Jalan Tuparev", "Cirebon", [("Ruang Rapat Utama", 80), ("Ruang Diskusi", 40)]),
    "ice": (
        "Indonesia Convention Exhibition (ICE) BSD",
        "Jl. BSD Grand Boulevard, BSD City",
        "Tangerang",
        [("Convention Hall", 1500), ("Ruang Transit VIP", 40)],
    ),
}

SMART_CITY_DIMENSIONS = ["Smart Governance", "Smart Branding", "Smart Economy", "Smart Living", "Smart Society", "Smart Environment"]


@dataclass
class DemoSession:
    day: date
    start: str  # "HH:MM", wall-clock in the event's zone
    end: str
    session_type: SessionType
    title: str
    room: str | None = None
    description: str = ""
    speakers: list[tuple[str, str, str]] = field(default_factory=list)  # name, jabatan, organization


@dataclass
class DemoEvent:
    key: str
    name: str
    slug: str
    kind: EventKind
    description: str
    starts: datetime  # naive, wall-clock in `timezone`
    ends: datetime
    timezone: str = WIB
    venue: str | None = None
    parent: str | None = None
    sessions: list[DemoSession] = field(default_factory=list)


MENTERI_2017 = ("Rudiantara", "Menteri Komunikasi dan Informatika RI", "Kementerian Kominfo")
MENTERI_2021 = ("Johnny G. Plate", "Menteri Komunikasi dan Informatika RI", "Kementerian Kominfo")
DIRJEN_APTIKA = ("Semuel Abrijani Pangerapan", "Direktur Jenderal Aplikasi Informatika", "Kementerian Kominfo")
DIREKTUR_LAIP = ("Bambang Dwi Anggono", "Direktur Layanan Aplikasi Informatika Pemerintahan (LAIP)", "Kementerian Kominfo")
SUGENG = ("Sugeng Darsono, SH., MM", "Kepala Dinas Komunikasi dan Informatika", "Kab. Cirebon")


def _regions(first: int, last: int) -> str:
    names = [name for name, *_ in EXPOSE_REGIONS[first:last]]
    return "Urutan paparan: " + "; ".join(f"{i}. {n}" for i, n in enumerate(names, start=1)) + "."


def demo_events() -> list[DemoEvent]:
    d2017, d2022, d2021 = date(2017, 11, 15), date(2022, 12, 1), date(2021, 12, 14)
    fgd1, fgd2 = date(2018, 11, 5), date(2018, 11, 6)
    S, T = DemoSession, SessionType
    award_segments = []
    for i, dimension in enumerate(SMART_CITY_DIMENSIONS):
        begin = datetime.combine(d2021, time(19, 30)) + timedelta(minutes=20 * i)
        finish = begin + timedelta(minutes=20)
        segment = S(
            d2021, begin.strftime("%H:%M"), finish.strftime("%H:%M"), T.AWARD_SEGMENT,
            f"Penghargaan Dimensi {dimension}", "Convention Hall",
            f"Penyerahan penghargaan kepada kabupaten/kota terbaik pada dimensi {dimension}.",
        )
        if dimension == "Smart Society":
            segment.description += (
                " Kab. Cirebon menerima penghargaan terbaik dimensi Smart Society, antara lain berkat program"
                " desa tanggap bencana (DESTANA) BPBD; diterima Kadis Kominfo Sugeng Darsono mewakili Bupati Cirebon."
            )
            segment.speakers = [
                ("Semuel Abrijani Pangerapan", "Direktur Jenderal Aplikasi Informatika, menyerahkan", "Kementerian Kominfo"),
                ("Sugeng Darsono", "Kepala Dinas Kominfo, menerima mewakili Bupati Cirebon", "Kab. Cirebon"),
            ]
        award_segments.append(segment)

    return [
        DemoEvent(
            "programme2017", "Gerakan Menuju 100 Smart City 2017", "gerakan-menuju-100-smart-city-2017", EventKind.PROGRAMME,
            "Program bersama Kementerian Kominfo, Kemendagri, Kementerian PUPR, Bappenas dan Kantor Staf Presiden yang"
            " membimbing 25 kabupaten/kota menyusun masterplan smart city: asesmen, nota kesepahaman, bimbingan teknis"
            " Juli–November 2017, lalu ekspos masterplan dan malam penghargaan.",
            datetime(2017, 7, 1, 8, 0), datetime(2017, 11, 15, 21, 0),
        ),
        DemoEvent(
            "expose2017", "Ekspos Masterplan dan Malam Penghargaan Menuju 100 Smart City 2017",
            "ekspos-malam-penghargaan-smart-city-2017", EventKind.EXPOSE,
            "Kepala daerah 25 kabupaten/kota peserta memaparkan masterplan dan program quick win smart city di hadapan"
            " pemerintah daerah se-Indonesia, sebagai sarana belajar antardaerah. Acara ditutup dengan Malam Penghargaan"
            " Menuju 100 Smart City.",
            datetime(2017, 11, 15, 13, 0), datetime(2017, 11, 15, 21, 0), venue="santika", parent="programme2017",
            sessions=[
                S(d2017, "13:00", "13:30", T.OPENING, "Pembukaan", "Ballroom",
                  "Laporan penyelenggara dan pembukaan rangkaian ekspos masterplan smart city.", [DIRJEN_APTIKA]),
                S(d2017, "13:30", "14:00", T.KEYNOTE, "Smart city: mengubah cara berpikir dan cara melayani", "Ballroom",
                  "Smart city bukan soal membeli perangkat canggih, melainkan melayani masyarakat lebih cepat dan lebih"
                  " baik; daerah peserta wajib menyusun RPJMD berbasis smart city.", [MENTERI_2017]),
                S(d2017, "14:00", "15:30", T.EXPOSE_BLOCK, "Ekspos Masterplan Blok I", "Ballroom", _regions(0, 6)),
                S(d2017, "14:00", "15:30", T.EXPOSE_BLOCK, "Ekspos Masterplan Blok II", "Ruang Sidang 1", _regions(6, 12)),
                S(d2017, "15:30", "16:00", T.BREAK, "Rehat kopi"),
                S(d2017, "16:00", "17:45", T.EXPOSE_BLOCK, "Ekspos Masterplan Blok III", "Ballroom",
                  _regions(12, 19) + " Kota Cirebon memaparkan quick win berbasis kearifan lokal (Cirebon Lengko, Wadul Bae,"
                  " Cirebon Brojol Aja Klalen); Kang Yoto: smart city adalah hasil dari smart government dan smart people.",
                  [("Drs. Nasrudin Azis, SH", "Wali Kota Cirebon", "Kota Cirebon"),
                   ("Drs. H. Suyoto, M.Si", "Bupati Bojonegoro", "Kab. Bojonegoro")]),
                S(d2017, "16:00", "17:45", T.EXPOSE_BLOCK, "Ekspos Masterplan Blok IV", "Ruang Sidang 1", _regions(19, 25)),
                S(d2017, "17:45", "19:00", T.BREAK, "Ishoma"),
                S(d2017, "19:00", "21:00", T.AWARD_SEGMENT, "Malam Penghargaan Menuju 100 Smart City", "Ballroom",
                  "Penyerahan penghargaan kepada 25 kabupaten/kota peserta. Penghargaan Kab. Bojonegoro diterima oleh"
                  " Kepala Dinas Kominfo Bojonegoro, Kusnandaka Tjatur P.",
                  [MENTERI_2017, ("Kusnandaka Tjatur P", "Kepala Dinas Kominfo, menerima penghargaan", "Kab. Bojonegoro")]),
            ],
        ),
        DemoEvent(
            "fgd2018", "FGD Tahap IV Gerakan Menuju 100 Smart City Kabupaten Cirebon",
            "fgd-tahap-iv-smart-city-kabupaten-cirebon-2018", EventKind.FGD,
            "Diskominfo Kab. Cirebon melalui Bidang Aplikasi Informatika mengajak Kasubag Perencanaan, Evaluasi dan"
            " Pelaporan tiap SKPD serta Pokja Smart City menyusun dokumen masterplan, program quick win dan peta jalan"
            " smart city 10 tahun, sekaligus menguatkan koordinasi antar-OPD.",
            datetime(2018, 11, 5, 8, 0), datetime(2018, 11, 6, 16, 0), venue="apita",
            sessions=[
                S(fgd1, "08:30", "09:15", T.OPENING, "Pembukaan FGD tahap IV", "Ruang Rapat Utama",
                  "Laporan penyelenggara dan sambutan Kepala Diskominfo Kab. Cirebon.",
                  [SUGENG, ("Fifi Erneti, S.Sos", "Kepala Bidang Aplikasi Informatika", "Diskominfo Kab. Cirebon")]),
                S(fgd1, "09:15", "12:00", T.FGD, "Sesi 1: Kondisi daerah dan enam dimensi smart city", "Ruang Rapat Utama",
                  "Pemetaan potensi dan tantangan Kab. Cirebon pada dimensi " + ", ".join(SMART_CITY_DIMENSIONS) + "."),
                S(fgd1, "12:00", "13:00", T.BREAK, "Ishoma"),
                S(fgd1, "13:00", "16:00", T.FGD, "Sesi 2A: Quick win Smart Governance, Branding dan Economy", "Ruang Rapat Utama"),
                S(fgd1, "13:00", "16:00", T.FGD, "Sesi 2B: Quick win Smart Living, Society dan Environment", "Ruang Diskusi"),
                S(fgd2, "08:30", "12:00", T.FGD, "Sesi 3: Peta jalan smart city 10 tahun", "Ruang Rapat Utama",
                  "Target tiap tahun dan langkah setiap SKPD, selaras dengan misi ke-4 RPJMD 2019–2024."),
                S(fgd2, "12:00", "13:00", T.BREAK, "Ishoma"),
                S(fgd2, "13:00", "15:30", T.FGD, "Sesi 4: Pembagian peran SKPD dan penutupan", "Ruang Rapat Utama",
                  "Kesepakatan draf masterplan dan tindak lanjut Pokja.", [SUGENG]),
            ],
        ),
        DemoEvent(
            "programme2021", "Gerakan Menuju Smart City 2021", "gerakan-menuju-smart-city-2021", EventKind.PROGRAMME,
            "100 kabupaten/kota mengikuti implementasi smart city 2021 dan 48 kabupaten/kota di Kawasan Pariwisata"
            " Prioritas Nasional dan Kawasan Ibu Kota Negara baru menyusun masterplan. Rangkaian acara: malam"
            " penganugerahan, Forum SPBE Nasional dan pameran virtual.",
            datetime(2021, 12, 14, 0, 0), datetime(2021, 12, 28, 23, 59),
        ),
        DemoEvent(
            "exhibition2021", "Pameran Virtual Smart City 2021", "pameran-virtual-smart-city-2021", EventKind.EXHIBITION,
            "Kabupaten/kota peserta menampilkan video dan poster program quick win enam dimensi smart city, misalnya"
            " Kab. Cirebon: PSC 119, Bus Wisata Cirebon Katon, aplikasi Sintren, Layanan Satu Atap Pekerja Migran"
            " Indonesia, DESTANA dan Taman Edukasi Ruang Terbuka Hijau.",
            datetime(2021, 12, 14, 0, 0), datetime(2021, 12, 28, 23, 59), parent="programme2021",
            sessions=[
                S(d2021, "10:00", "11:00", T.EXHIBITION_OPENING, "Pembukaan Pameran Virtual Smart City 2021", None,
                  "Pameran daring dibuka dan dapat dikunjungi hingga 28 Desember 2021.", [DIRJEN_APTIKA]),
            ],
        ),
        DemoEvent(
            "awards2021", "Malam Penganugerahan Gerakan Menuju Smart City 2021",
            "malam-penganugerahan-smart-city-2021", EventKind.AWARD_NIGHT,
            "Pemerintah pusat memberikan penghargaan kepada pimpinan daerah yang berhasil mengikuti Gerakan Menuju"
            " Smart City 2021, termasuk penghargaan terbaik untuk tiap dimensi smart city.",
            datetime(2021, 12, 14, 18, 30), datetime(2021, 12, 14, 22, 0), venue="ice", parent="programme2021",
            sessions=[
                S(d2021, "18:30", "19:00", T.OPENING, "Pembukaan", "Convention Hall", "", [DIRJEN_APTIKA]),
                S(d2021, "19:00", "19:30", T.KEYNOTE, "Sambutan Menteri Komunikasi dan Informatika", "Convention Hall",
                  "Smart city bukan soal teknologi, melainkan inisiatif yang bertumpu pada inovasi dan kolaborasi untuk"
                  " meningkatkan taraf hidup seluruh warga; teknologi adalah enabler.", [MENTERI_2021]),
                *award_segments,
            ],
        ),
        DemoEvent(
            "seminar2022", "Seminar dan Pameran Gerakan Menuju Kota Cerdas (Smart City) 2022",
            "seminar-pameran-smart-city-2022", EventKind.SEMINAR,
            "Gubernur, bupati, wali kota dan Kepala Dinas Kominfo membahas kota cerdas sebagai pengelolaan kota berbasis"
            " TIK, selaras dengan pilar digitalisasi G20 2022. Sejak 2017, 198 kabupaten/kota telah didampingi. Acara"
            " dilanjutkan dengan pameran tujuh kabupaten/kota terpilih, Direktorat LAIP dan Paviliun Startup.",
            datetime(2022, 12, 1, 8, 0), datetime(2022, 12, 1, 17, 0), venue="sahid",
            sessions=[
                S(d2022, "08:30", "09:00", T.OPENING, "Pembukaan", "Grand Ballroom",
                  "Target ke depan: 50 kabupaten/kota baru didampingi; Smart Province sebagai koordinator.", [DIREKTUR_LAIP]),
                S(d2022, "09:00", "10:30", T.SEMINAR, "Seminar I: Inovasi digital yang inklusif dan berkelanjutan", "Grand Ballroom",
                  "", [("Perwakilan Ditjen Aplikasi Informatika", "", "Kementerian Kominfo"),
                       ("Menteri Kesehatan RI", "", "Kementerian Kesehatan")]),
                S(d2022, "10:30", "10:45", T.BREAK, "Rehat kopi"),
                S(d2022, "10:45", "12:15", T.PANEL, "Seminar II: Kolaborasi pemangku kepentingan untuk lingkungan hidup",
                  "Grand Ballroom", "Kolaborasi dengan swasta dan negara sahabat: energi terbarukan, pengelolaan sampah dan limbah.",
                  [("Menteri BUMN", "", "Kementerian BUMN"),
                   ("Menteri Lingkungan Hidup dan Kehutanan", "", "Kementerian LHK"),
                   ("Menteri Koordinator Bidang Kemaritiman dan Investasi", "", "Kemenko Marves"),
                   ("Perwakilan Kedutaan Besar Kerajaan Belanda", "", "Kedutaan Besar Belanda")]),
                S(d2022, "12:15", "13:15", T.BREAK, "Ishoma"),
                S(d2022, "13:15", "14:45", T.SEMINAR, "Seminar III: Menjalankan rencana dalam masterplan smart city", "Ruang Seminar",
                  "Tiga pimpinan daerah peserta Gerakan Menuju Smart City 2022 berbagi cara menjalankan masterplan.",
                  [("Perwakilan tiga pimpinan daerah", "", "Peserta Gerakan Menuju Smart City 2022")]),
                S(d2022, "15:00", "15:30", T.EXHIBITION_OPENING, "Pembukaan Pameran Gerakan Menuju Smart City 2022", "Area Pameran",
                  "Tujuh kabupaten/kota terpilih, Direktorat LAIP dan Paviliun Startup, disertai pameran virtual.", [DIREKTUR_LAIP]),
                S(d2022, "15:30", "16:30", T.PERFORMANCE, "Pertunjukan seni daerah oleh peserta pameran", "Area Pameran"),
            ],
        ),
    ]
