"""The application layer: what a composer does to a project, as typed keyword-only functions
that the command line, the studio and the DAW import all call (:mod:`stretto.app.edit`,
:mod:`stretto.app.rules`). Each returns a result object and raises
:class:`~stretto.errors.BadInput` or :class:`~stretto.errors.Unsatisfiable`; the two kinds of
project (species, chorale model) sit behind one protocol (:mod:`stretto.app.kinds`)."""

from stretto.app.audio import RenderResult, engrave, render
from stretto.app.create import NewProject, new_project
from stretto.app.daw_import import ImportResult, import_edits
from stretto.app.export import ExportResult, export
from stretto.app.edit import Choice, History, RegenerateResult, StepResult, choose, history, \
    lock, pin, provenance, redo, regenerate, undo, unlock, unpin, write_provenance
from stretto.app.kinds import ProjectKind, kind_of
from stretto.app.licence import LicenceReport, check_use, licence_of
from stretto.app.rules import constrain
from stretto.app.session import EditResult
from stretto.app.statement import Statement, write_statement
from stretto.app.waivers import unwaive, waive

__all__ = ["Choice", "EditResult", "ExportResult", "History", "ImportResult", "LicenceReport", "NewProject",
           "ProjectKind", "RegenerateResult", "RenderResult", "Statement", "StepResult",
           "check_use", "choose", "constrain", "engrave", "export", "history", "import_edits", "kind_of",
           "licence_of", "lock", "new_project", "pin", "provenance", "redo", "regenerate",
           "render", "undo", "unlock", "unpin", "unwaive", "waive", "write_provenance",
           "write_statement"]
