"""MoJo / MoJoFM: textbook cases and an exhaustive check against breadth-first search."""

from __future__ import annotations

from collections import deque
from itertools import combinations

import pytest

from decompose.cluster.evaluate import max_mno, mno, mojo, mojofm


def test_identical_partitions() -> None:
    a = [{1, 2, 3}, {4, 5}]
    assert mno(a, a) == 0 and mojo(a, a) == 0
    assert mojofm(a, a) == 100.0


def test_one_move() -> None:
    assert mno([{1, 2, 3}, {4, 5, 6}], [{1, 2}, {3, 4, 5, 6}]) == 1


def test_joins_and_moves_are_one_way() -> None:
    singletons = [{1}, {2}, {3}, {4}]
    whole = [{1, 2, 3, 4}]
    assert mno(singletons, whole) == 3  # three joins
    assert mno(whole, singletons) == 3  # three moves out
    assert mojofm(singletons, whole) == 0.0  # as far from `whole` as anything can be


def test_crossed_halves() -> None:
    a = [{1, 2, 3, 4}, {5, 6, 7, 8}]
    b = [{1, 2, 5, 6}, {3, 4, 7, 8}]
    assert mno(a, b) == 4
    assert max_mno(b) == 6
    assert mojofm(a, b) == 33.33


def test_tie_needs_the_matching() -> None:
    # A1 = {1, 2} ties between B1 and B2; a greedy choice of B1 costs 2, the optimum is 1
    a = [{1, 2}, {3, 4, 5}]
    b = [{1, 3, 4, 5}, {2}]
    assert mno(a, b) == 1


def test_only_common_objects_count() -> None:
    assert mno([{1, 2, "extra"}], [{1, 2}, {"other"}]) == 0


def test_mapping_form() -> None:
    assert mno({"x": "s1", "y": "s1", "z": "s2"}, {"x": 1, "y": 2, "z": 2}) == 1


def _partitions(items: list[int]) -> list[frozenset[frozenset[int]]]:
    if not items:
        return [frozenset()]
    first, rest = items[0], items[1:]
    out = []
    for p in _partitions(rest):
        out.append(p | {frozenset({first})})
        for c in p:
            out.append((p - {c}) | {c | {first}})
    return out


def _neighbours(p: frozenset[frozenset[int]]) -> set[frozenset[frozenset[int]]]:
    out = set()
    clusters = list(p)
    for c1, c2 in combinations(clusters, 2):  # join
        out.add((p - {c1, c2}) | {c1 | c2})
    for c in clusters:  # move one object elsewhere or to a new cluster
        for x in c:
            base = p - {c}
            if len(c) > 1:
                base = base | {c - {x}}
            for d in list(base):
                if x not in d:
                    out.add((base - {d}) | {d | {x}})
            if len(c) > 1:
                out.add(base | {frozenset({x})})
    return out


def _bfs(src: frozenset[frozenset[int]]) -> dict[frozenset[frozenset[int]], int]:
    dist = {src: 0}
    queue = deque([src])
    while queue:
        p = queue.popleft()
        for q in _neighbours(p):
            if q not in dist:
                dist[q] = dist[p] + 1
                queue.append(q)
    return dist


@pytest.mark.parametrize("n", [4, 5])
def test_mno_is_optimal_on_every_pair_of_small_partitions(n: int) -> None:
    parts = _partitions(list(range(n)))
    for a in parts:
        dist = _bfs(a)
        for b in parts:
            assert mno([set(c) for c in a], [set(c) for c in b]) == dist[b], (a, b)


def test_max_mno_is_the_real_maximum() -> None:
    parts = _partitions(list(range(5)))
    for b in parts:
        worst = max(mno([set(c) for c in a], [set(c) for c in b]) for a in parts)
        assert max_mno([set(c) for c in b]) == worst
