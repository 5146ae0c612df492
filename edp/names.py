"""When two actor names are one name, and when they only look alike.

- The same name: equal after NFKC_Casefold (ICU), which also folds case in every script, width
  (fullwidth "Ｒｉｓｅ" is "rise") and drops default-ignorable characters, with runs of
  whitespace counted as one space. Typing an existing actor's name this way means that actor.
- A look-alike: equal confusable skeletons (Unicode UTS #39, ICU's SpoofChecker), ignoring case.
  "Hushållningssällskapet" with a Cyrillic "а" (U+0430) has the skeleton of the Latin one, as
  "RlSE" has that of "RISE". Such a name is refused, naming the actor it looks like.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Generic, TypeVar

import icu

from edp.invisible import describe

T = TypeVar("T")

_FOLD = icu.Normalizer2.getNFKCCasefoldInstance()
_NFKC = icu.Normalizer2.getNFKCInstance()
_IGNORABLE = icu.UnicodeSet("[:Default_Ignorable_Code_Point:]")
_SPOOF = icu.SpoofChecker()


def _spaces(text: str) -> str:
    return " ".join(text.split())


def same_name_key(name: str) -> str:
    """Equal for two spellings of one name (case, width, compatibility forms, invisible characters)."""
    return _spaces(_FOLD.normalize(name))


def _skeleton(text: str) -> str:
    return _SPOOF.getSkeleton(0, text)


def lookalike_keys(name: str) -> frozenset[str]:
    """Keys shared by names that look alike, whatever their case: the skeleton of the folded
    name, and the folded skeleton of the name as written (an upper-case "I" looks like "l")."""
    visible = _spaces(_NFKC.normalize("".join(ch for ch in name if not _IGNORABLE.contains(ch))))
    return frozenset({_skeleton(same_name_key(name)), same_name_key(_skeleton(visible))})


def first_difference(name: str, other: str) -> tuple[int, str]:
    """(1-based position, description) of the first character of `name` that differs from `other`,
    compared as written (NFC): where a look-alike name hides its difference."""
    a, b = unicodedata.normalize("NFC", name), unicodedata.normalize("NFC", other)
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i + 1, describe(x)
    i = min(len(a), len(b))
    return i + 1, describe(a[i]) if i < len(a) else "–"


class NameIndex(Generic[T]):
    """Names of things (an actor, a row of a file) for finding the same name or a look-alike."""

    def __init__(self, items: Iterable[tuple[str, T]] = ()) -> None:
        self._same: dict[str, tuple[str, T]] = {}
        self._alike: dict[str, tuple[str, T]] = {}
        for name, item in items:
            self.add(name, item)

    def add(self, name: str, item: T) -> None:
        self._same.setdefault(same_name_key(name), (name, item))
        for key in lookalike_keys(name):
            self._alike.setdefault(key, (name, item))

    def same(self, name: str) -> tuple[str, T] | None:
        """(name, item) of the entry with the same name."""
        return self._same.get(same_name_key(name))

    def lookalike(self, name: str) -> tuple[str, T] | None:
        """(name, item) of an entry whose name looks like `name` (the same name included)."""
        return next((self._alike[k] for k in sorted(lookalike_keys(name)) if k in self._alike), None)
