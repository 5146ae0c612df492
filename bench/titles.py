"""Proposal titles as a room writes them, for the console bench: distinct Swedish themes, many of
them merely related (they share words), and near-duplicates of earlier ones (another case, no
diacritics, another word order, a small typo, or the same title sent again).

Each title comes with the index of the title it copies (None for an original), so the bench can
count how many of the duplicates the suggestions found and how many groups are wrong.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ADJECTIVES = [
    "Hållbar", "Digital", "Lokal", "Cirkulär", "Småskalig", "Regional", "Grön", "Innovativ",
    "Fossilfri", "Gemensam", "Kreativ", "Smart", "Öppen", "Ny", "Robust",
]  # fmt: skip
NOUNS = [
    "turism", "livsmedelsförädling", "besöksnäring", "skogsnäring", "energiomställning", "kompetensförsörjning",
    "mathantverk", "rennäring", "friluftsliv", "kulturarv", "byggnation", "logistik", "vattenkraft", "vindkraft",
    "biogasproduktion", "fiskodling", "träförädling", "elektrifiering", "bredbandsutbyggnad", "vårdteknik",
    "e-handel", "platsutveckling", "evenemangsturism", "landsbygdsutveckling", "kollektivtrafik",
]  # fmt: skip
PLACES = [
    "i fjällen", "i Jämtland", "i Härjedalen", "i Östersund", "på landsbygden", "längs Storsjön", "i Åre",
    "för unga", "för små företag", "i skärgården", "i norra Sverige", "i gränsregionen",
]  # fmt: skip

FOLD = str.maketrans("åäöÅÄÖéÉ", "aaoAAOeE")


@dataclass(frozen=True)
class Title:
    text: str
    copy_of: int | None  # index of the original this one is a near-duplicate of


def _typo(rng: random.Random, text: str) -> str:
    """One small slip inside a word of at least 6 letters: two letters swapped, one dropped or doubled."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return text + "."
    i = rng.choice(long)
    w = words[i]
    k = rng.randrange(1, len(w) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    elif kind == 1:
        w = w[:k] + w[k + 1 :]
    else:
        w = w[:k] + w[k] + w[k:]
    words[i] = w
    return " ".join(words)


def _reorder(text: str) -> str:
    """'Hållbar turism i fjällen' -> 'I fjällen: hållbar turism'."""
    for place in PLACES:
        if text.endswith(" " + place):
            head = text[: -len(place) - 1]
            return f"{place[0].upper()}{place[1:]}: {head[0].lower()}{head[1:]}"
    words = text.split(" ")
    return " ".join([words[-1].capitalize(), *[w.lower() for w in words[:-1]]])


def variant(rng: random.Random, text: str) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return text.upper() if rng.random() < 0.5 else text.lower()
    if kind == 1:
        return text.translate(FOLD)
    if kind == 2:
        return _reorder(text)
    if kind == 3:
        return _typo(rng, text)
    return text  # sent again as it was


def proposal_titles(n: int, *, duplicate_share: float = 0.3, seed: int = 0) -> list[Title]:
    """n titles; about `duplicate_share` of them near-duplicates of an earlier original."""
    rng = random.Random(seed)
    originals: list[str] = []
    seen: set[str] = set()
    out: list[Title] = []
    for _ in range(n):
        if originals and rng.random() < duplicate_share:
            j = rng.randrange(len(out))
            base = out[j].copy_of if out[j].copy_of is not None else j
            out.append(Title(variant(rng, out[base].text), base))
            continue
        while True:
            text = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            if rng.random() < 0.6:
                text += " " + rng.choice(PLACES)
            if text not in seen:
                break
        seen.add(text)
        originals.append(text)
        out.append(Title(text, None))
    return out
