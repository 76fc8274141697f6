"""Both catalogs are complete: every message in the code has an Indonesian and an English entry."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHOD_MAP = [("eventsys/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "pgettext": ((1, "c"), 2)}


def source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(locale: str):
    with open(ROOT / "eventsys" / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def test_indonesian_catalog_translates_every_message():
    cat = catalog("id")
    untranslated = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy))
    assert untranslated == [], f"{len(untranslated)} untranslated Indonesian messages, e.g. {untranslated[:10]}"


def test_catalogs_hold_every_message_of_the_code():
    wanted = source_messages()
    assert len(wanted) > 100  # extraction really ran over the code and templates
    for locale in ("id", "en"):
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(locale) if m.id}
        missing = sorted(wanted - ids)
        assert missing == [], f"{locale}: {len(missing)} messages not in the catalog (run `make messages`), e.g. {missing[:10]}"


def test_placeholders_survive_translation():
    for m in catalog("id"):
        if not m.id or not m.string or not isinstance(m.id, str):
            continue
        for placeholder in ("%(", "%d", "%s"):
            assert m.id.count(placeholder) == m.string.count(placeholder), f"placeholders differ in {m.id!r} -> {m.string!r}"
