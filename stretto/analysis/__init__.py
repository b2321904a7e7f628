"""Benchmark metrics for any polyphony: rule compliance, voice independence, melodic integrity,
harmonic validity, structural coherence and distribution closeness to Bach.

Every metric is a pure function over :class:`stretto.score.Piece` with its definition and source
in its docstring. :func:`analyse` runs them all and returns one flat ``{name: value}`` dict
(floats, None where a metric is undefined for the piece). Importing this package is cheap (numpy
at most); music21 is imported only by the loaders in :mod:`stretto.analysis.suites`.

Modules: :mod:`~stretto.analysis.view` (sounding lines, pair successions, beats),
:mod:`~stretto.analysis.rules`, :mod:`~stretto.analysis.independence`,
:mod:`~stretto.analysis.melody`, :mod:`~stretto.analysis.harmony`,
:mod:`~stretto.analysis.structure`, :mod:`~stretto.analysis.distribution`,
:mod:`~stretto.analysis.reference` (Bach's statistics), :mod:`~stretto.analysis.suites` (inputs and
baselines), :mod:`~stretto.analysis.bench` (jobs, local pool or Ray, the report).
"""

from __future__ import annotations

from stretto.analysis.metrics import HEADLINE, analyse

__all__ = ["HEADLINE", "analyse"]
