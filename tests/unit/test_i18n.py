"""Every message the engine can raise, and every field it names, is translated in every language."""

import re

import pytest
from babel.messages.pofile import read_po

from edp import i18n
from edp.catalogue_keys import error_keys, field_names
from edp.errors import ValidationError

LANGS = i18n.available_languages()
PLACEHOLDER = re.compile(r"{(\w+)}")


def test_swedish_and_english_catalogues_exist():
    assert {"sv", "en"} <= set(LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_every_error_key_has_a_translation(lang):
    missing = sorted(k for k in error_keys() if k not in i18n.catalogue(lang))
    assert missing == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_field_has_a_label(lang):
    missing = sorted(f for f in field_names() if f"field.{f}" not in i18n.catalogue(lang))
    assert missing == []


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_translations_use_the_same_placeholders_as_english(lang):
    en, other = i18n.catalogue("en"), i18n.catalogue(lang)
    differing = {
        k: (set(PLACEHOLDER.findall(en[k])), set(PLACEHOLDER.findall(v)))
        for k, v in other.items()
        if k in en and set(PLACEHOLDER.findall(en[k])) != set(PLACEHOLDER.findall(v))
    }
    assert differing == {}


@pytest.mark.parametrize("lang", LANGS)
def test_catalogues_have_no_untranslated_or_fuzzy_entries(lang):
    with (i18n.LOCALES / lang / "LC_MESSAGES" / "edp.po").open("rb") as f:
        cat = read_po(f, locale=lang)
    bad = [m.id for m in cat if m.id and (not m.string or m.fuzzy)]
    assert bad == []


def test_the_key_scanner_finds_keys_in_the_engine():
    keys = error_keys()
    assert "ballot.dots_budget" in keys and "join.code_unknown" in keys and "theme.not_withdrawn" in keys


def test_error_message_names_field_and_limit_in_both_languages():
    err = ValidationError("input.too_long", field="title", max=120, length=121)
    assert err.message("sv") == "Rubrik får vara högst 120 tecken men är 121, alltså 1 för många."
    assert err.message("en") == "Title may be at most 120 characters but is 121: 1 too many."


def test_unknown_language_falls_back_to_english_and_unknown_key_to_itself():
    assert i18n.t("phase.voting", "xx") == "Voting"
    assert i18n.t("no.such.key", "sv") == "no.such.key"
