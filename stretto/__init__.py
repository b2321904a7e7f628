"""stretto: counterpoint a composer can trust and steer.

The core (score model, pitches, modes, checker) imports nothing heavy; the CP-SAT engine lives in
:mod:`stretto.solver`, exports in :mod:`stretto.io`.
"""

__version__ = "0.1.0"
