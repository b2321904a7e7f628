# Signatures of stretto's public API for editors and type checkers; the names load lazily at
# run time (see __init__.py).
from stretto.app import EditResult as EditResult
from stretto.app import choose as choose
from stretto.app import constrain as constrain
from stretto.app import engrave as engrave
from stretto.app import export as export
from stretto.app import history as history
from stretto.app import import_edits as import_edits
from stretto.app import licence_of as licence_of
from stretto.app import lock as lock
from stretto.app import new_project as new_project
from stretto.app import pin as pin
from stretto.app import provenance as provenance
from stretto.app import redo as redo
from stretto.app import regenerate as regenerate
from stretto.app import render as render
from stretto.app import undo as undo
from stretto.app import unlock as unlock
from stretto.app import unpin as unpin
from stretto.app import unwaive as unwaive
from stretto.app import waive as waive
from stretto.app import write_provenance as write_provenance
from stretto.app import write_statement as write_statement
from stretto.errors import BadInput as BadInput
from stretto.errors import Unsatisfiable as Unsatisfiable
from stretto.io import read_score as read_score
from stretto.io import write_project as write_project
from stretto.io import write_score as write_score
from stretto.io.melody import read_melody as read_melody
from stretto.modes import Mode as Mode
from stretto.pitch import Pitch as Pitch
from stretto.pitch import parse_pitches as parse_pitches
from stretto.project import Project as Project
from stretto.score import Note as Note
from stretto.score import Piece as Piece
from stretto.score import Voice as Voice
from stretto.solver.species.engine import solve_species as solve_species
from stretto.solver.tonal.form import compose as compose
from stretto.solver.tonal.form import load_form as load_form
from stretto.solver.tonal.harmonize import harmonize as harmonize
from stretto.solver.cpsat.settings import SolveResult as SolveResult
from stretto.solver.cpsat.settings import SolveSettings as SolveSettings
from stretto.solver.species.spec import SpeciesSpec as SpeciesSpec

__version__: str

def check(piece: Piece, **options: object) -> list: ...
