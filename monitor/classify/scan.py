"""Phrase scans: the classify stage's one module using the Aho-Corasick automaton. Pure.
[ahocorasick_rs]

An automaton over a list of phrases finds every occurrence of each in one pass over a
folded text (' word word '). It reads bytes: a str would be converted on every call.
"""

from __future__ import annotations

from collections.abc import Sequence

import ahocorasick_rs

Automaton = ahocorasick_rs.BytesAhoCorasick


def automaton(phrases: Sequence[str]) -> Automaton:
    """Return an automaton finding the phrases (the DFA: the fastest to search)."""
    return ahocorasick_rs.BytesAhoCorasick([p.encode() for p in phrases],
                                           implementation=ahocorasick_rs.Implementation.DFA)


def occurrences(automaton: Automaton, folded: str) -> list[tuple[int, int, int]]:
    """Return every occurrence of the automaton's phrases in the folded text, overlapping ones
    too, by where they end (a longer one first): (phrase index, start, end) in characters."""
    data = folded.encode()
    found = automaton.find_matches_as_indexes(data, overlapping=True)
    if len(data) != len(folded):  # letters beyond ASCII: byte offsets to character offsets
        return [(index, len(data[:start].decode()), len(data[:end].decode()))
                for index, start, end in found]
    return found


class Words:
    """Finds which of a set of words and word pairs stand, whole, in a folded text: the
    ``set(split()) & words`` and consecutive pairs, in one pass of an automaton."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = tuple(sorted(words))
        self.automaton = automaton([f" {w} " for w in self.words])

    def found(self, folded: str) -> set[str]:
        """Return the words and pairs in the folded text (which starts with a space; a word
        cut off at its end counts as a word, as str.split() has it)."""
        words = self.words
        return {words[i] for i in self.indexes(folded)}

    def indexes(self, folded: str) -> set[int]:
        """Return where in `words` the words and pairs of the folded text stand."""
        return {i for i, _, _ in self.automaton.find_matches_as_indexes(
            f"{folded} ".encode(), overlapping=True)}
