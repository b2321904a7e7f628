"""The chain relaxation's machinery: chords per bar, moves between bars, the dynamic programme
over them (:func:`shortest_paths`), the restriction of the CP-SAT model to what can cost at
most a threshold (:func:`restrict`) and the hint (:func:`path_decisions`). The species' rules
that fill a chain live in :mod:`~stretto.solver.species.bounds.first` and the two-voice modules.

Why: in three and four voices the CP-SAT model's LP bound stays far below the optimum (the
voices' costs look independent to the LP, while the rules between them couple every bar), so
CP-SAT finds the best score early and then cannot prove it; four voices on a 14-note cantus ran
to the time limit. First species is a chain: one chord per bar, and almost every rule and
preference looks at one bar or two successive bars. A shortest path through the chords of
successive bars is therefore an exact minimum of that chain, which is a *relaxation* of the
full problem:

* every chord and every move the model allows is allowed here (the rules that span more than
  two bars - ``leap-span``, ``range``, the composer's constraints - are left out);
* every cost here is a part of the model's objective, never more (the preferences that span
  more than two bars - ``leap-recovery``, ``single-climax``, ``climax-apart``,
  ``outlined-tritone``, ``parallel-imperfect-run`` - cost nothing here).

So the shortest path's cost is a valid lower bound of the objective, and the cost through a
chord is a lower bound of every score using it. :func:`add_bound` gives CP-SAT that bound as a
linear cut, the shortest path as a complete hint (when it obeys the whole rulebook, its true
cost is an upper bound), and removes the chords and moves whose cheapest completion already
costs more than that upper bound. None of this changes which scores are optimal: the model
still holds every rule, and CP-SAT still proves the result (``tests/solver/species/test_bound.py``
checks the relaxation against solved scores).

The per-bar and per-move tests below restate the two-bar part of the rules in
:mod:`stretto.solver.species.vertical`, :mod:`stretto.solver.species.melodic`, :mod:`stretto.solver.species.cadence`
and the two-bar preferences of :mod:`stretto.solver.species.style`, in numpy, from the same primitives
(:func:`~stretto.solver.cpsat.model.interval_class`, :func:`~stretto.solver.species.melodic.melodic_ok`, the
mode's ficta). A rule changed there must be changed here, or left out here (leaving a rule out
only weakens the bound); the test fails when the two disagree.

The dynamic program (:func:`shortest_paths`), the restriction (:func:`restrict`) and the hint
(:func:`path_decisions`) serve both species: a chord's columns name the (voice, grid position)
whose pitch they hold (:meth:`Chain.cell`), every voice's downbeat here, the counterpoint's
downbeat and upbeat in second and fourth species, its four quarters in third species. Where a
bar has thousands of states (third species), the moves between bars are factored through the
few notes at the barline (:class:`Link`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from stretto.solver.species.melodic import melodic_ok
from stretto.solver.cpsat.model import GRID, OCT, P5, UNI, ScoreModel, interval_class

PERFECT = (UNI, OCT, P5)
MAX_CHORDS = 4000  # per bar; beyond this the bound is skipped (wide custom ranges)
MAX_PAIRS_TABLE = 20000  # moves kept as a table constraint per bar line


@dataclass(frozen=True)
class Chain:
    """The relaxation. ``chords[b]``: (n_b, columns) universe indices, by default of every
    voice top down on the downbeat (else ``columns[b]`` names each column's voice and grid
    position, :meth:`cell`); ``unary[b]``: (n_b,) cost of each chord; ``moves[b]``:
    (n_b, n_{b+1}) cost of each move from bar b to bar b+1, ``inf`` where a rule forbids it;
    ``links``: when set, ``moves[b]`` is factored (:class:`Link`); ``runs[b]``: (n_b, pairs)
    the imperfect class (1 third, 2 sixth, 0 other) of every voice pair in each chord (in the
    other species: of the downbeat), for the
    ``parallel-imperfect-run`` preference (weight ``run_weight``). Costs in units of rule
    weight."""

    chords: tuple[np.ndarray, ...]
    unary: tuple[np.ndarray, ...]
    moves: tuple[np.ndarray, ...]
    runs: tuple[np.ndarray, ...] = ()
    run_weight: int = 0
    columns: tuple[tuple[tuple[int, int], ...], ...] = ()
    links: tuple["Link", ...] = ()  # per move: factored through a few columns (else dense)

    def cell(self, bar: int, column: int) -> tuple[int, int]:
        """(voice index, grid position) whose pitch column ``column`` of ``chords[bar]``
        holds: every voice on the downbeat in first species (the default), the counterpoint's
        downbeat and upbeat in second and fourth species."""
        if self.columns:
            return self.columns[bar][column]
        return column, bar * GRID

    def tail_of(self, bar: int) -> np.ndarray:
        """For each chord of ``bar``: its row of ``moves[bar]`` (the chord itself unless the
        move is factored through a few columns, :class:`Link`)."""
        if self.links:
            return self.links[bar].tail
        return np.arange(len(self.chords[bar]))

    def head_of(self, bar: int) -> np.ndarray:
        """For each chord of ``bar + 1``: its column of ``moves[bar]``."""
        if self.links:
            return self.links[bar].head
        return np.arange(len(self.chords[bar + 1]))

    def move_row(self, bar: int, chord: int) -> np.ndarray:
        """The cost of moving from chord ``chord`` of ``bar`` to each chord of ``bar + 1``."""
        return self.moves[bar][self.tail_of(bar)[chord]][self.head_of(bar)]


@dataclass(frozen=True)
class Link:
    """A move between bars that depends on a few columns only (third species: the last two
    notes of a bar and the first two of the next). ``moves[b]`` is then a (tails, heads)
    matrix: ``tail[i]`` is chord i's row (its ``tail_columns`` values), ``head[j]`` the
    column of chord j of bar b + 1 (its ``head_columns`` values). The dynamic program then
    costs tails x heads per bar instead of chords x chords."""

    tail: np.ndarray
    head: np.ndarray
    tail_columns: tuple[int, ...]
    head_columns: tuple[int, ...]


class BarChords:
    """A chain's bars as a two-voice module enumerates them: :meth:`add` one bar's (chords,
    unary costs, runs, columns); a bar with no chord ends the chain there
    (:meth:`dead_end`), else :meth:`chain` joins them with the moves."""

    def __init__(self) -> None:
        self.chords: list[np.ndarray] = []
        self.unary: list[np.ndarray] = []
        self.runs: list[np.ndarray] = []
        self.columns: list[tuple[tuple[int, int], ...]] = []

    def add(self, chords, unary, runs, columns) -> bool:
        """Append one bar; False when it has no chord (no score passes it)."""
        self.chords.append(chords)
        self.unary.append(unary)
        self.runs.append(runs)
        self.columns.append(columns)
        return len(chords) > 0

    def dead_end(self) -> Chain:
        """The chain up to the bar with no chord: no path, so no bound."""
        return Chain(tuple(self.chords), tuple(self.unary), (), tuple(self.runs), 0,
                     tuple(self.columns))

    def chain(self, moves, run_weight: int, links=()) -> Chain:
        return Chain(tuple(self.chords), tuple(self.unary), tuple(moves), tuple(self.runs),
                     run_weight, tuple(self.columns), tuple(links))


def factor(chords: np.ndarray, columns: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``chords[:, columns]`` and each chord's index among them."""
    return unique_rows(chords[:, list(columns)])


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``rows`` (small integers, -1 or more) in lexicographic order, and
    each row's index among them: ``np.unique(rows, axis=0)`` through one integer key per row,
    which is several times faster."""
    key = np.zeros(len(rows), np.int64)
    bases = rows.max(axis=0) + 2 if len(rows) else np.ones(rows.shape[1], np.int64)
    for k in range(rows.shape[1]):
        key = key * bases[k] + rows[:, k] + 1
    keys, index = np.unique(key, return_inverse=True)
    out = np.zeros((len(keys), rows.shape[1]), np.int64)
    for k in range(rows.shape[1] - 1, -1, -1):
        out[:, k] = keys % bases[k] - 1
        keys = keys // bases[k]
    return out, index.ravel()


@dataclass(frozen=True)
class Paths:
    """Shortest paths through a :class:`Chain`: ``lower`` is the minimum cost, ``best`` the
    chord index per bar of one cheapest path, ``chord_cost[b][j]`` the cheapest path through
    chord j of bar b, ``move_cost[b][i, j]`` the cheapest through the move i -> j (through
    tail i and head j where the move is factored, :class:`Link`)."""

    lower: float
    best: tuple[int, ...]
    chord_cost: tuple[np.ndarray, ...]
    move_cost: tuple[np.ndarray, ...]


# Two-voice chains of the other species, each in a module of its own.


def pair_tables(sm: ScoreModel):
    """Tables over the model's pitch universe, indexed [pitch, pitch] or [pitch]: interval
    class, melodic interval allowed, false relation, diatonic step, step, diatonic pitch."""
    P = sm.u.pitches
    n = len(P)
    ic = np.array([[interval_class(P[i], P[j]) for j in range(n)] for i in range(n)])
    mel = np.array([[melodic_ok(P[i], P[j]) for j in range(n)] for i in range(n)])
    mode = sm.mode
    diatonic = np.array([mode.is_diatonic(p) for p in P])
    step = np.array([p.step for p in P])
    # false-relation: a note and its chromatic alteration a bar apart or less
    false_rel = (step[:, None] == step[None, :]) & (diatonic[:, None] != diatonic[None, :])
    return ic, mel, false_rel, np.array(sm.u.dia), step, diatonic


RUN = 3  # parallel-imperfect-run: the fourth same imperfect interval in a row costs


def shortest_paths(chain: Chain) -> Paths | None:
    """Shortest paths through the chain, exactly: the states are a chord and, for every voice
    pair in a third or sixth, how many downbeats in a row it has held that class (up to
    three), so that the fourth in a row costs ``run_weight`` as in the model. None when no
    path exists.

    A move from bar b depends on a chord only through its tail and run state, and leads to a
    head (:class:`Link`; in a dense chain both are the chord itself), so each bar costs
    (tail, run) keys x heads: the cheapest way into every head and run length, then into the
    chords that share that head."""
    if len(chain.moves) != len(chain.chords) - 1 or any(len(c) == 0 for c in chain.chords):
        return None
    bars = len(chain.chords)
    runs = chain.runs if chain.run_weight and chain.runs else \
        tuple(np.zeros((len(c), 0), int) for c in chain.chords)
    chord = [np.arange(len(chain.chords[0]))]
    length = [(runs[0] > 0).astype(np.int8)]
    (chord[0], length[0]), _ = _unique_states(chord[0], length[0])
    ahead = [chain.unary[0][chord[0]].astype(float)]
    steps = []  # per move: (key of each state, key tails, cheapest arrival per key, edges
    # (kk, dst, cost), head states, head state of each next state)
    for b in range(bars - 1):
        found = _forward(chain, runs, b, chord[b], length[b], ahead[b])
        if found is None:
            return None  # no move leads on
        nxt, nxt_length, nxt_ahead, step = found
        chord.append(nxt)
        length.append(nxt_length)
        ahead.append(nxt_ahead)
        steps.append(step)
    behind, after_head = _backward(chain, chord, steps)
    lower = float((ahead[-1]).min())
    if not np.isfinite(lower):
        return None
    best = _best_path(chain, chord, ahead, behind, after_head, steps)
    chord_cost = []
    for b in range(bars):
        c = np.full(len(chain.chords[b]), np.inf)
        np.minimum.at(c, chord[b], ahead[b] + behind[b])
        chord_cost.append(c)
    move_cost = []
    for b in range(bars - 1):
        of_state, kt, first, (kk, dst, cost), hs, owner = steps[b]
        c = np.full(chain.moves[b].shape, np.inf)
        np.minimum.at(c, (kt[kk], hs[dst]), first[kk] + cost + after_head[b][dst])
        move_cost.append(c)
    return Paths(lower, tuple(best), tuple(chord_cost), tuple(move_cost))


def _forward(chain: Chain, runs, b: int, chord: np.ndarray, length: np.ndarray,
             ahead: np.ndarray):
    """One move of the forward pass from bar ``b``'s states (``chord``, run ``length``, cost
    ``ahead``): the next bar's states, their run lengths and costs, and the step's tables for
    the backward pass. None when no move leads on."""
    m, tail, head = chain.moves[b], chain.tail_of(b), chain.head_of(b)
    # states -> (tail, run classes, run lengths) keys
    t, r, ln = tail[chord], runs[b][chord], length
    # one integer per key, ordered as the rows (t, r..., ln...) are: classes and lengths
    # take two bits each
    key = t.astype(np.int64)
    for column in [*r.T, *ln.T]:
        key = (key << 2) | column.astype(np.int64)
    _, one, of_state = np.unique(key, return_index=True, return_inverse=True)
    of_state = of_state.ravel()
    first = np.full(len(one), np.inf)
    np.minimum.at(first, of_state, ahead)
    kt, kr, kl = t[one], r[one], ln[one]
    # keys -> heads, with the run lengths the heads continue or start
    head_runs = np.zeros((m.shape[1], r.shape[1]), np.int64)
    head_runs[head] = runs[b + 1]
    kk, hh = np.nonzero(np.isfinite(m[kt]))
    ci, cj = kr[kk], head_runs[hh]
    same = (ci == cj) & (cj > 0)
    lens = kl[kk]
    new = np.where(same, np.minimum(lens + 1, RUN), (cj > 0)).astype(np.int8)
    cost = m[kt[kk], hh] + chain.run_weight * (same & (lens >= RUN)).sum(axis=1)
    if len(kk) == 0:
        return None
    (hs, hl), dst = _unique_states(hh, new)
    into = np.full(len(hs), np.inf)
    np.minimum.at(into, dst, first[kk] + cost)
    # head states -> the chords of bar b + 1 with that head
    order = np.argsort(head, kind="stable")
    starts = np.searchsorted(head[order], np.arange(m.shape[1] + 1))
    counts = starts[hs + 1] - starts[hs]
    owner = np.repeat(np.arange(len(hs)), counts)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    nxt = order[starts[hs][owner] + offset]
    return (nxt, hl[owner], into[owner] + chain.unary[b + 1][nxt],
            (of_state, kt, first, (kk, dst, cost), hs, owner))


def _backward(chain: Chain, chord: list, steps: list) -> tuple[list, list]:
    """The cheapest completion from every state of every bar, and from every head state of
    every move."""
    bars = len(chord)
    behind = [np.zeros(len(chord[-1]))]
    after_head = [None] * (bars - 1)  # per move: cheapest completion from each head state
    for b in range(bars - 2, -1, -1):
        of_state, kt, _, (kk, dst, cost), hs, owner = steps[b]
        out_of = np.full(len(hs), np.inf)  # cheapest completion from each head state
        np.minimum.at(out_of, owner, chain.unary[b + 1][chord[b + 1]] + behind[0])
        key_cost = np.full(len(kt), np.inf)
        np.minimum.at(key_cost, kk, cost + out_of[dst])
        behind.insert(0, key_cost[of_state])
        after_head[b] = out_of
    return behind, after_head


def _best_path(chain: Chain, chord: list, ahead: list, behind: list, after_head: list,
               steps: list) -> list[int]:
    """The chord of each bar on one cheapest path."""
    k = int(np.argmin(ahead[0] + behind[0]))
    best = [int(chord[0][k])]
    for b in range(len(chord) - 1):
        of_state, kt, _, (kk, dst, cost), hs, owner = steps[b]
        out = np.nonzero(kk == of_state[k])[0]
        e = out[int(np.argmin(cost[out] + after_head[b][dst[out]]))]
        mine = np.nonzero(owner == dst[e])[0]
        k = int(mine[np.argmin(chain.unary[b + 1][chord[b + 1][mine]] + behind[b + 1][mine])])
        best.append(int(chord[b + 1][k]))
    return best


def _unique_states(chord: np.ndarray, length: np.ndarray):
    """Distinct (chord, run lengths) states, and each input row's state index. A state is
    keyed by one integer: the chord, then each length (0..3) in two bits."""
    pairs = length.shape[1]
    key = chord.astype(np.int64) << (2 * pairs)
    for p in range(pairs):
        key |= length[:, p].astype(np.int64) << (2 * p)
    uniq, inverse = np.unique(key, return_inverse=True)
    lens = np.stack([(uniq >> (2 * p)) & 3 for p in range(pairs)], axis=1) if pairs else \
        np.zeros((len(uniq), 0), np.int64)
    return (uniq >> (2 * pairs), lens.astype(np.int8)), inverse.ravel()


def path_cost(chain: Chain, path: list[int]) -> float:
    """The relaxation's cost of one chord path (``inf`` when it breaks a rule here)."""
    cost = float(sum(chain.unary[b][j] for b, j in enumerate(path)))
    cost += float(sum(chain.move_row(b, i)[j] for b, (i, j) in enumerate(zip(path, path[1:]))))
    if chain.run_weight and chain.runs:
        classes = np.stack([chain.runs[b][j] for b, j in enumerate(path)])  # (bars, pairs)
        for k in range(len(path) - RUN):
            window = classes[k:k + RUN + 1]
            cost += chain.run_weight * int(((window == window[0]) & (window[0] > 0))
                                           .all(axis=0).sum())
    return cost


def locate(chain: Chain, rows: list[list[int]]) -> list[int] | None:
    """Chord indices of a score given as universe indices per bar (top down), None when a
    chord is not in the relaxation (which would mean it is stricter than the model)."""
    out = []
    for b, row in enumerate(rows):
        hit = np.nonzero((chain.chords[b] == np.array(row)[None, :]).all(axis=1))[0]
        if len(hit) == 0:
            return None
        out.append(int(hit[0]))
    return out


def restrict(model: cp_model.CpModel, sm: ScoreModel, chain: Chain, paths: Paths,
             upper: float) -> int:
    """Add to ``model`` (``sm.m`` or a clone of it) table constraints that remove the chords
    and the moves between bars whose cheapest completion in the relaxation costs more than
    ``upper``: no score costing ``upper`` or less uses them. Returns how many chords were
    removed."""
    removed = 0
    slack = 1e-9

    def var(x):
        return model.GetIntVarFromProtoIndex(x.Index())

    cols, xs = [], []  # per bar: the chord columns that are variables, and those variables
    for bar, chords in enumerate(chain.chords):
        cells = [chain.cell(bar, k) for k in range(chords.shape[1])]
        keep = [k for k, (v, p) in enumerate(cells) if not isinstance(sm.lines[v].x[p], int)]
        cols.append(keep)
        xs.append([var(sm.lines[cells[k][0]].x[cells[k][1]]) for k in keep])
    for bar, chords in enumerate(chain.chords):
        k = paths.chord_cost[bar] <= upper + slack
        removed += int((~k).sum())
        rows = {tuple(int(i) for i in row) for row in chords[k][:, cols[bar]]}
        model.AddAllowedAssignments(xs[bar], sorted(rows))
    for bar, through in enumerate(paths.move_cost):
        ii, jj = np.nonzero(through <= upper + slack)
        if chain.links:  # a factored move: a table over the tail and head columns only
            link = chain.links[bar]
            c0 = [k for k in link.tail_columns if k in cols[bar]]
            c1 = [k for k in link.head_columns if k in cols[bar + 1]]
            tails = _representatives(chain.chords[bar], link.tail, through.shape[0])
            heads = _representatives(chain.chords[bar + 1], link.head, through.shape[1])
            x0 = [xs[bar][cols[bar].index(k)] for k in c0]
            x1 = [xs[bar + 1][cols[bar + 1].index(k)] for k in c1]
            ii, jj = tails[ii], heads[jj]
            keep = (ii >= 0) & (jj >= 0)
            ii, jj = ii[keep], jj[keep]
        else:
            c0, c1, x0, x1 = cols[bar], cols[bar + 1], xs[bar], xs[bar + 1]
        rows = {tuple(int(i) for i in chain.chords[bar][a, c0]) +
                tuple(int(i) for i in chain.chords[bar + 1][b, c1]) for a, b in zip(ii, jj)}
        if len(rows) > MAX_PAIRS_TABLE:
            continue
        model.AddAllowedAssignments(x0 + x1, sorted(rows))
    return removed


def _representatives(chords: np.ndarray, of_chord: np.ndarray, count: int) -> np.ndarray:
    """For each of ``count`` tails (or heads): one chord having it (-1 when none does)."""
    out = np.full(count, -1)
    out[of_chord[::-1]] = np.arange(len(chords))[::-1]
    return out


def path_decisions(sm: ScoreModel, chain: Chain, path: tuple[int, ...]) -> list[tuple[int, int]]:
    """(variable index, value) for every pitch variable along a chord path (a hint)."""
    out = []
    for bar, j in enumerate(path):
        for k in range(chain.chords[bar].shape[1]):
            v, p = chain.cell(bar, k)
            x = sm.lines[v].x[p]
            if not isinstance(x, int):
                out.append((x.Index(), int(chain.chords[bar][j, k])))
    return out


def score_rows(sm: ScoreModel, chain: Chain, value) -> list[list[int]]:
    """The pitches of a score at the chain's columns, bar by bar (``value(x)``: the value of
    a pitch variable), for :func:`locate`."""
    rows = []
    for bar, chords in enumerate(chain.chords):
        row = []
        for k in range(chords.shape[1]):
            v, p = chain.cell(bar, k)
            x = sm.lines[v].x[p]
            row.append(x if isinstance(x, int) else int(value(x)))
        rows.append(row)
    return rows
