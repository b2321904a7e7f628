"""The tonal side: four-part chorale harmonization and form.

:mod:`.chorale` is the chorale model, composed of its parts: the problem (:mod:`.chorale_problem`),
the voicing table (:mod:`.chorale_voicing`), the rules (:mod:`.chorale_rules`), the style
(:mod:`.chorale_style`) and the solve (:mod:`.chorale_solve`, with the dynamic programme of
:mod:`.chain`). :mod:`.harmonize` sets a melody, :mod:`.form_plan`, :mod:`.fugue` and
:mod:`.form` compose from a plan, :mod:`.rhythm` gives free voices rhythms of their own;
:mod:`.chorale_task`, :mod:`.chorale_edit`, :mod:`.chorale_explain` and :mod:`.chain_edit`
edit them. The music theory is the core's
:mod:`stretto.harmony`. Import the modules themselves; this package loads nothing."""
