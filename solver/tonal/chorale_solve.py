"""Solving the chorale model and reading the answer back: the exact chain (or beam) when
:mod:`stretto.solver.tonal.chain` applies, confirmed by CP-SAT with every decision fixed, else
CP-SAT search; then pitches, chords, labels, cadences and modulations. A mixin of
:class:`~stretto.solver.tonal.chorale.ChoraleModel`."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from stretto import __version__

from stretto.solver.tonal.chorale_problem import ChoraleSolution, chorale_rules_hash
from stretto.solver.cpsat.solving import solver_for
from stretto.harmony import cadence_key, cadence_kind, key_degree
from stretto.solver.cpsat.settings import SolveSettings


class SolveMixin:
    """``solve`` and the read-back."""

    def solve(self, settings: SolveSettings, *, confirm: bool = True) -> ChoraleSolution:
        """Solve: exactly by dynamic programming when the model is a chain (no canon or
        recurrence links distant slots; :mod:`stretto.solver.tonal.chain`), the answer confirmed by
        CP-SAT with the decisions fixed; otherwise by CP-SAT search."""
        start = time.perf_counter()
        base = {"seed": settings.seed, "time_limit": settings.time_limit,
                "workers": settings.workers, "objective_enabled": settings.objective,
                "stretto": __version__, "rules_hash": chorale_rules_hash(),
                "voicings": self.rows_count}
        if self.uncadenced:  # optional phrase ends that no cadence could close
            base["uncadenced"] = [self._where(t) for t in self.uncadenced]
        if self.prolonged is not None:
            base["final_cadence_at"] = self._where(self.prolonged)
        chain = not self.prob.canons and not self.prob.equal
        out = None
        if not chain:
            from stretto.solver.tonal.chain import solve_beam

            out = solve_beam(self, settings.objective)
        if chain or out is not None:
            from stretto.solver.tonal.chain import solve_chain

            if chain:
                out = solve_chain(self, settings.objective)
            wall = time.perf_counter() - start
            if out is None:
                stats = dict(base, status="infeasible", method="chain",
                             solve_time=round(wall, 4))
                return ChoraleSolution("infeasible", None, None, None, [], stats)
            rows, cost = out
            values = {}
            for t, row in enumerate(rows):
                values[self.c[t].Index()] = row[0]
                for v in range(self.V):
                    x = self.x[v][t]
                    if not isinstance(x, int):
                        values[x.Index()] = row[1 + v]
            solver = None
            if confirm:
                solver = self._confirm(values, settings)
            wall = time.perf_counter() - start
            status = "optimal" if settings.objective and chain else "feasible"
            stats = dict(base, status=status, method="chain" if chain else "beam",
                         solve_time=round(wall, 4),
                         deterministic_time=0.0)
            return self.read_solution(stats, settings, solver=solver, values=values)
        if settings.objective and self.sm.penalties:
            self.m.Minimize(sum(w * e for _, w, e in self.sm.penalties))
        solver = solver_for(settings)
        code = solver.Solve(self.m)
        wall = time.perf_counter() - start
        status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
                  cp_model.INFEASIBLE: "infeasible"}.get(code, "unknown")
        if status == "optimal" and not settings.objective:
            status = "feasible"
        stats = dict(base, status=status, method="cp-sat", solve_time=round(wall, 4),
                     deterministic_time=round(solver.response_proto.deterministic_time, 4))
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return ChoraleSolution(status, None, None, None, [], stats)
        return self.read_solution(stats, settings, solver=solver)

    def _confirm(self, values: dict, settings: SolveSettings):
        """CP-SAT with every decision fixed: the chain's answer must satisfy the model."""
        for index, value in values.items():
            var = self.m.GetIntVarFromProtoIndex(index)
            self.m.Add(var == value)
        solver = solver_for(settings)
        solver.parameters.cp_model_probing_level = 0
        code = solver.Solve(self.m)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - a bug
            raise RuntimeError("the dynamic-programming harmonization violates the CP-SAT "
                               f"model ({solver.StatusName(code)}); please report this")
        return solver

    def read_solution(self, stats: dict, settings: SolveSettings, *, solver=None,
                      values: dict | None = None) -> ChoraleSolution:
        def val(x):
            if isinstance(x, int):
                return x
            if solver is not None:
                return solver.Value(x)
            return values[x.Index()]

        by_rule: dict[str, int] = {}
        if solver is not None:
            for name, weight, expr in self.sm.penalties:
                value = expr if isinstance(expr, int) else solver.Value(expr)
                if value:
                    by_rule[name] = by_rule.get(name, 0) + weight * value
        stats["objective"] = float(sum(by_rule.values())) if settings.objective and \
            solver is not None else None
        stats["soft_costs"] = dict(sorted(by_rule.items()))
        pitches = [[self.P[val(x)] for x in xs] for xs in self.x]
        chords = [self.vocab[val(c)] for c in self.c]
        broles = []
        for t, ch in enumerate(chords):
            bass = pitches[-1][t]
            broles.append(ch.role_of((bass.step, bass.alter)))
        kidx = [self.vkey[val(c)] for c in self.c]
        keys = [self.keys[i] for i in kidx]
        home = self.prob.key
        local = [ch.label(r) for ch, r in zip(chords, broles)]
        labels = [lab if k == home else f"{lab}/{key_degree(home, k)}"
                  for lab, k in zip(local, keys)]
        cads = []
        for t in sorted(self.prob.cadences):
            if t == 0 or not self.prob.links[t - 1] or t in self.uncadenced:
                continue
            if t == self.T - 1 and self.prolonged is not None:
                t = self.prolonged  # the final cadence arrived on the downbeat before
            kind = cadence_kind(keys[t], chords[t - 1], chords[t])
            cads.append({"slot": t, "type": kind,
                         "key": str(cadence_key(keys[t], chords[t - 1], chords[t]))})
        mods = []
        for t in range(1, self.T):
            if kidx[t] == kidx[t - 1]:
                continue
            entry = {"slot": t, "from": str(keys[t - 1]), "to": str(keys[t])}
            if self.prob.links[t - 1]:
                old, new = keys[t - 1].m21_name, keys[t].m21_name
                fig = self.reading(chords[t], kidx[t - 1])
                g = self.graphs[kidx[t - 1]]
                if fig is not None and g.has_edge(chords[t - 1].figure, fig):
                    entry["pivot"] = f"{old}: {fig} = {new}: {chords[t].figure}"
                    entry["pivot_slot"] = t
                else:  # the chord before, read in the new key
                    entry["pivot"] = (f"{old}: {chords[t - 1].figure} = {new}: "
                                      f"{self.reading(chords[t - 1], kidx[t])}")
                    entry["pivot_slot"] = t - 1
            mods.append(entry)
        return ChoraleSolution(stats["status"], pitches, chords, labels, cads, stats,
                               keys=keys, local_labels=local, modulations=mods,
                               style=self.prob.style)
