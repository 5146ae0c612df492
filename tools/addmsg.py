"""Add or update messages in a catalogue pair: python tools/addmsg.py DOMAIN FILE.json

FILE.json is {"key": ["svenska", "English"], ...}; it is merged into
edp/locales/sv/LC_MESSAGES/DOMAIN.po and edp/locales/en/LC_MESSAGES/DOMAIN.po (created if
missing, sorted by key). Translators can equally edit the .po files with Poedit or Weblate.
"""

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "edp" / "locales"


def main(domain: str, source: str) -> None:
    messages = json.loads(Path(source).read_text(encoding="utf-8"))
    for lang, idx in (("sv", 0), ("en", 1)):
        path = LOCALES / lang / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            with path.open("rb") as f:
                cat = read_po(f, locale=lang)
        else:
            cat = Catalog(locale=lang, domain=domain, project="edp-workshop", version="0.1", charset="utf-8")
        for key, texts in messages.items():
            if key in cat:
                cat[key].string = texts[idx]
            else:
                cat.add(key, texts[idx])
        with path.open("wb") as f:
            write_po(f, cat, width=0, sort_output=True)
    print(f"{len(messages)} messages in {domain}.po")


if __name__ == "__main__":
    main(*sys.argv[1:3])
