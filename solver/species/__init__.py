"""Fux's species counterpoint (1-5, 2-4 voices, the cantus in any voice): :mod:`.spec` (the
problem), the rules as textbook chapters (:mod:`.lines` ranges and grid, :mod:`.melodic`,
:mod:`.vertical`, :mod:`.dissonance`, :mod:`.cadence`, :mod:`.style` preferences),
:mod:`.engine` (build and solve; :mod:`.bounds` proves the florid species optimal), :mod:`.edit` (pins, locks, regenerate, explanations) and
:mod:`.first_conflicts` (why a first solve has no score). Import the modules themselves; this
package loads nothing."""
