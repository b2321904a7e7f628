"""The two kinds of project, behind one protocol: a species exercise (the species CP-SAT model,
:mod:`stretto.solver.species.edit`) and a harmonization or composition (the chorale model,
:mod:`stretto.solver.tonal.chorale_edit`). Everything that differs between them lives here, so the
operations of :mod:`stretto.app.edit` never ask which kind a project is."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol

from stretto.errors import BadInput

if TYPE_CHECKING:
    from stretto.pitch import Pitch
    from stretto.project import Project
    from stretto.solver.cpsat.variants import RegenerateOutcome


class ProjectKind(Protocol):
    """What an edit needs to know of a project's kind."""

    #: what the given voice is called in messages ("cantus", "melody")
    given_name: str
    #: the rules ``constrain`` takes on this kind
    rules: tuple[str, ...]
    #: a pin on the given voice changes it (species, with permission) rather than asking
    #: the solver for that note as a wish (a harmonization: a conflict unless it agrees)
    pin_edits_given: bool

    def given_voice(self, project: "Project") -> int | None:
        """The voice nobody edits (the cantus firmus, a harmonization's melody), or None."""

    def check_place(self, project: "Project", bar: int, beat: Fraction) -> None:
        """BadInput unless a note of the piece sounds at ``bar``/``beat``."""

    def edit_given(self, project: "Project", bar: int, beat: Fraction,
                   pitch: "Pitch") -> tuple["Project", str]:
        """The project with its given voice changed at ``bar`` (a pin with
        ``allow_cantus_edit``), and what changed; BadInput where the kind forbids it."""

    def resolve(self, project: "Project", settings, *, run_id: str, region=None,
                budget: int = 0):
        """The solver's edit outcome (``result``, ``changed``, ``total``, ``moves``): a
        re-solve that may change ``budget`` notes more than the fewest where that lowers the
        objective, or the best new passage for ``region``."""

    def regenerate(self, project: "Project", settings, *, run_id: str, region,
                   ask) -> "RegenerateOutcome":
        """Alternatives for ``region`` (a :class:`RegenerateAsk`: the share of free notes
        to change, how many options, the variants seen), best first."""


class SpeciesKind:
    """A species exercise: the cantus firmus may be edited on request, every rule applies."""

    given_name = "cantus"
    pin_edits_given = True
    rules = ("range", "climax", "max-leap", "contour", "require-interval", "forbid-interval",
             "weight", "crossing", "max-range")

    @staticmethod
    def spec(project: "Project"):
        from stretto.solver.species.spec import SpeciesSpec
        return SpeciesSpec.from_dict(project.spec)

    def given_voice(self, project: "Project") -> int | None:
        return self.spec(project).cantus_voice

    def check_place(self, project: "Project", bar: int, beat: Fraction) -> None:
        from stretto.solver.species.edit import position
        position(bar, beat, project.piece.bars)

    def edit_given(self, project: "Project", bar: int, beat: Fraction,
                   pitch: "Pitch") -> tuple["Project", str]:
        from stretto.solver.species.spec import SpeciesSpec

        if beat != 1:
            raise BadInput("the cantus has one note per bar: pin it on beat 1")
        cantus = list(self.spec(project).cantus)
        cantus[bar - 1] = pitch
        new = SpeciesSpec.from_dict({**project.spec, "cantus": [p.name for p in cantus]})
        return replace(project, spec=new.to_dict()), f"cantus bar {bar} = {pitch.name}"

    def resolve(self, project: "Project", settings, *, run_id: str, region=None,
                budget: int = 0):
        from stretto.solver.species import edit

        if region is not None:
            return self.regenerate(project, settings, run_id=run_id, region=region, ask=None)
        return edit.resolve(self.spec(project), project.constraints, project.piece, settings,
                            run_id=run_id, budget=budget)

    def regenerate(self, project: "Project", settings, *, run_id: str, region, ask):
        from stretto.solver.cpsat.variants import RegenerateAsk
        from stretto.solver.species import edit

        return edit.regenerate(self.spec(project), project.constraints, project.piece, region,
                               settings, run_id=run_id, ask=ask or RegenerateAsk())


class ChoraleKind:
    """A harmonization (its melody is given and never changes) or a composition."""

    given_name = "melody"
    pin_edits_given = False

    @property
    def rules(self) -> tuple[str, ...]:
        from stretto.solver.tonal.chorale_task import CHORALE_RULES
        return CHORALE_RULES

    def given_voice(self, project: "Project") -> int | None:
        return 0 if project.kind == "harmonize" else None

    def check_place(self, project: "Project", bar: int, beat: Fraction) -> None:
        from stretto.solver.tonal.chorale_task import task_of
        task_of(project.kind, project.spec).slot_at(bar, beat)

    def edit_given(self, project: "Project", bar: int, beat: Fraction,
                   pitch: "Pitch") -> tuple["Project", str]:
        v = self.given_voice(project)
        raise BadInput(f"voice {v + 1} is the given melody of the harmonization: it never "
                       "changes (harmonize the new melody instead)")

    def resolve(self, project: "Project", settings, *, run_id: str, region=None,
                budget: int = 0):
        from stretto.solver.tonal import chorale_edit as edit

        if region is not None:
            return self.regenerate(project, settings, run_id=run_id, region=region, ask=None)
        return edit.resolve(project.kind, project.spec, project.constraints, project.piece,
                            settings, run_id=run_id, budget=budget)

    def regenerate(self, project: "Project", settings, *, run_id: str, region, ask):
        from stretto.solver.cpsat.variants import RegenerateAsk
        from stretto.solver.tonal import chorale_edit as edit

        return edit.regenerate(project.kind, project.spec, project.constraints, project.piece,
                               region, settings, run_id=run_id, ask=ask or RegenerateAsk())


def kind_of(project: "Project") -> ProjectKind:
    """The kind of ``project``: species, or the chorale model's (harmonize, compose)."""
    return SpeciesKind() if project.kind == "species" else ChoraleKind()


def describe_kind(project: "Project") -> str:
    """'species exercise', 'harmonization' or 'composition', for messages."""
    return {"species": "species exercise", "harmonize": "harmonization"}.get(
        project.kind, "composition")


__all__ = ["ChoraleKind", "ProjectKind", "SpeciesKind", "describe_kind", "kind_of"]
