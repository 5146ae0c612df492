"""Likely duplicate proposals, found by their titles, for the facilitator to merge: the same words
in any order, in any case, with or without diacritics, a compound written apart, and small typos.

Two titles are duplicates when every content word of one matches a content word of the other, one
to one. Words match when equal, or within a small typo: one edit (a letter added, dropped, changed,
or two letters swapped) in a word of 5 to 8 letters, two in a longer word; short words must be
equal. A title with a word the other lacks is another theme ("Hållbar turism" is not "Hållbar
turism i fjällen"), and so is one with a different word ("Digitalisering i vården" is not
"Digitalisering i skolan"): merely related themes are never grouped.

A group gathers around one title, the one most others are like (usually the spelling most people
used): every member is a duplicate of it, so two typos of the same word are grouped, but a chain of
near-misses (A like B, B like C, C like D) never puts its ends together. Pure functions, no
database; rapidfuzz compares the titles (one matrix of all pairs in C++, then the close pairs in
detail).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Mapping

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

# Words that say nothing about the theme, as they look after folding (lower case, no diacritics).
SWEDISH_STOP_WORDS = (
    "i och som for av med pa till en ett den det de om inom fran vid att samt mot genom hos utan eller mellan"
)
ENGLISH_STOP_WORDS = "the of and in for to a an on with by at from"
STOP_WORDS = frozenset(f"{SWEDISH_STOP_WORDS} {ENGLISH_STOP_WORDS}".split(" "))
# Pairs below this score of the quick comparison (rapidfuzz ratio of the titles' words, sorted and as
# written; 0-100) are not looked at in detail. The typos same_theme() allows cost at most about 20
# points (one edit in five letters, two in nine), so the detailed rule, not this filter, decides;
# bench/console.py checks that against every pair of a thousand titles.
CANDIDATE_CUTOFF = 75
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without diacritics ("Åre" and "are" fold alike), for matching what people type."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(title: str) -> tuple[str, ...]:
    """The title's content words, folded, without punctuation and stop words (all its words if it
    has nothing else)."""
    found = _WORD.findall(fold(title).replace("_", " "))
    return tuple(w for w in found if w not in STOP_WORDS) or tuple(found)


def typos_allowed(length: int) -> int:
    """Edits that still count as the same word, by the shorter word's length."""
    return 0 if length <= 4 else 1 if length <= 8 else 2


def _close(a: str, b: str) -> bool:
    if a == b:
        return True
    k = typos_allowed(min(len(a), len(b)))
    return k > 0 and abs(len(a) - len(b)) <= k and OSA.distance(a, b, score_cutoff=k) <= k


def same_theme(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two titles' words (from words()) name the same theme."""
    if not a or not b:
        return False
    if len(a) == len(b):
        rest = list(b)
        for w in sorted(a, key=len, reverse=True):  # long words first: they carry the theme
            match = next((i for i, v in enumerate(rest) if v == w), None)
            if match is None:
                match = next((i for i, v in enumerate(rest) if _close(w, v)), None)
            if match is None:
                return False
            del rest[match]
        return True
    # A different number of words: a compound written together or apart ("besöks näring"), same order.
    return _close("".join(a), "".join(b))


def duplicate_groups(titles: Mapping[int, str], *, apart: Collection[Collection[int]] = ()) -> list[tuple[int, ...]]:
    """Groups of ids whose titles are likely the same theme: each sorted by id, groups with the most
    members first, then by their first id. Ids alone in their group are left out. Two ids named
    together in `apart` (the facilitator said they differ) are never in one group."""
    kept_apart = frozenset(frozenset(p) for p in apart if len(frozenset(p)) == 2)
    return list(_groups(tuple(sorted(titles.items())), kept_apart))


@functools.lru_cache(maxsize=16)
def _groups(items: tuple[tuple[int, str], ...], apart: frozenset[frozenset[int]]) -> tuple[tuple[int, ...], ...]:
    by_key, written = _by_words(items)
    keys = list(by_key)
    linked = _linked_keys(keys, [written[k] for k in keys])
    nodes, of_key = _nodes([by_key[k] for k in keys], apart)
    near = _near(len(nodes), of_key, linked)
    return _gather(nodes, near, apart)


def _by_words(
    items: tuple[tuple[int, str], ...],
) -> tuple[dict[tuple[str, ...], list[int]], dict[tuple[str, ...], tuple[str, ...]]]:
    """Same words in any order: one key, grouped without comparing (a flood of copies costs nothing).
    Returns key -> the ids of its titles, and key -> its words as the first of them wrote them."""
    by_key: dict[tuple[str, ...], list[int]] = {}
    written: dict[tuple[str, ...], tuple[str, ...]] = {}
    for theme_id, title in items:
        w = words(title)
        if w:
            key = tuple(sorted(w))
            by_key.setdefault(key, []).append(theme_id)
            written.setdefault(key, w)
    return by_key, written


def _nodes(buckets: list[list[int]], apart: frozenset[frozenset[int]]) -> tuple[list[list[int]], list[list[int]]]:
    """Nodes: the themes of one key (a bucket), or each alone when two of them were kept apart.
    Returns the nodes, and per bucket the indexes of its nodes."""
    nodes: list[list[int]] = []
    of_key: list[list[int]] = []
    for bucket in buckets:
        parts = [[i] for i in bucket] if any(p <= set(bucket) for p in apart) else [bucket]
        of_key.append(list(range(len(nodes), len(nodes) + len(parts))))
        nodes.extend(parts)
    return nodes, of_key


def _near(count: int, of_key: list[list[int]], linked: dict[tuple[int, int], int]) -> dict[int, list[tuple[int, int]]]:
    """node -> (closeness, node) for every other node of the same key (100) or of a linked key."""
    near: dict[int, list[tuple[int, int]]] = {n: [] for n in range(count)}
    for same in of_key:
        for a in same:
            near[a].extend((100, b) for b in same if b != a)
    for (ki, kj), closeness in linked.items():
        for a in of_key[ki]:
            for b in of_key[kj]:
                near[a].append((closeness, b))
                near[b].append((closeness, a))
    return near


def _gather(
    nodes: list[list[int]], near: dict[int, list[tuple[int, int]]], apart: frozenset[frozenset[int]]
) -> tuple[tuple[int, ...], ...]:
    """Groups around centres, the node with the most themes like it (itself included) first, then the
    earliest: each takes the free nodes near it, closest first, that are not kept apart from its members."""

    def reach(n: int) -> int:
        return len(nodes[n]) + sum(len(nodes[m]) for _, m in near[n])

    taken: set[int] = set()
    groups = []
    for centre in sorted(near, key=lambda n: (-reach(n), nodes[n][0])):
        if centre in taken:
            continue
        taken.add(centre)
        members = list(nodes[centre])
        for _, n in sorted(near[centre], key=lambda cn: (-cn[0], nodes[cn[1]][0])):
            if n not in taken and not _kept_apart(members, nodes[n], apart):
                taken.add(n)
                members.extend(nodes[n])
        if len(members) > 1:
            groups.append(tuple(sorted(members)))
    return tuple(sorted(groups, key=lambda g: (-len(g), g[0])))


def _kept_apart(members: list[int], joining: list[int], apart: frozenset[frozenset[int]]) -> bool:
    return bool(apart) and any(frozenset((a, b)) in apart for a in members for b in joining)


def _linked_keys(keys: list[tuple[str, ...]], written: list[tuple[str, ...]]) -> dict[tuple[int, int], int]:
    """(i, j) with i < j -> closeness (the quick comparison's score), for every two keys that name
    the same theme."""
    if len(keys) < 2:
        return {}
    # The quick comparison: every pair at once, as the words sorted and as written (a typo in a
    # word's first letter can change the sorted order); only the close pairs are looked at in detail.
    score = np.maximum(_all_pairs([" ".join(k) for k in keys]), _all_pairs([" ".join(w) for w in written]))
    rows, cols = np.nonzero(np.triu(score >= CANDIDATE_CUTOFF, k=1))
    return {
        (i, j): int(score[i, j])
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
        if same_theme(keys[i], keys[j]) or same_theme(written[i], written[j])
    }


def _all_pairs(texts: list[str]) -> np.ndarray:
    return process.cdist(texts, texts, scorer=fuzz.ratio, dtype=np.uint8, score_cutoff=CANDIDATE_CUTOFF)
