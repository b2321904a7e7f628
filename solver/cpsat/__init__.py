"""The shared CP-SAT layer every stretto model stands on: :mod:`.model` (the score's variables,
public :meth:`~.model.ScoreModel.domain_of`), :mod:`.settings` (time limit, seed, workers; the
result), :mod:`.solving` (one reproducible solver, the objective), :mod:`.region` (what a
regenerate rewrites; who owns each note) and :mod:`.conflicts` (minimal-conflict search).
Import the modules themselves; this package loads nothing."""
