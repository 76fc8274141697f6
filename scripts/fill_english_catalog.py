"""The msgids are English: copy each into the English catalog so it is complete, not merely a fallback."""
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

path = Path(sys.argv[1] if len(sys.argv) > 1 else "eventsys/translations/en/LC_MESSAGES/messages.po")
with path.open("rb") as f:
    catalog = read_po(f, locale="en")
for message in catalog:
    if message.id and not message.string:
        message.string = message.id
    message.flags.discard("fuzzy")
with path.open("wb") as f:
    write_po(f, catalog, omit_header=False, sort_output=True, no_location=True, width=100)
