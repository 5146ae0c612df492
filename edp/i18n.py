"""Swedish and English text from gettext catalogues (edp/locales/<lang>/LC_MESSAGES/edp.po).

Message ids are stable keys (e.g. ``theme.title.too_long``); the msgstr is a template with
``{name}`` placeholders. Any region can add a language by adding one .po file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from babel.messages.pofile import read_po

from edp.config import DEFAULT_LANG


class Keyed(Protocol):
    """What a keyed error carries (edp.errors.EdpError): a message key, the field it concerns, and
    the template's parameters. Described here, not imported, so translation depends on no error
    class and edp.errors may use this module."""

    key: str
    field: str | None
    params: dict[str, Any]


LOCALES = Path(__file__).parent / "locales"
DOMAIN = "edp"


def available_languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def catalogue_files(lang: str) -> list[Path]:
    return sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po"))


@lru_cache(maxsize=16)
def catalogue(lang: str) -> dict[str, str]:
    """Every message of a language: edp.po (the engine) merged with the screens' catalogues
    (one .po file per page or helper, so translators can work on one screen at a time)."""
    out: dict[str, str] = {}
    folder = LOCALES / lang / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")) if folder.exists() else []:
        with path.open("rb") as f:
            cat = read_po(f, locale=lang)
        out.update(
            {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string}
        )
    return out


def gettext(key: str, lang: str = DEFAULT_LANG) -> str:
    """The template for `key` in `lang`, falling back to English, then to the key itself."""
    return catalogue(lang).get(key) or catalogue("en").get(key) or key


def t(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    template = gettext(key, lang)
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def field_label(field: str, lang: str = DEFAULT_LANG) -> str:
    return gettext(f"field.{field}", lang) if f"field.{field}" in catalogue("en") else field


PHASE_PARAMS = ("phase", "current", "requested")


def error_message(err: Keyed, lang: str = DEFAULT_LANG) -> str:
    params = dict(err.params)
    if err.field is not None:
        params["field"] = field_label(err.field, lang)
    if isinstance(params.get("max"), int) and isinstance(params.get("length"), int):
        params.setdefault("over", params["length"] - params["max"])  # by how much a text is too long
    for name in PHASE_PARAMS:  # phase codes read as words: "fas: stängd", not "fas: closed"
        if name in params:
            params[name] = gettext(f"phase.{params[name]}", lang).lower()
    return t(err.key, lang, **params)
