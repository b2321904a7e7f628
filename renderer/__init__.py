"""stretto.renderer: turns a fixed score into audio (per-voice stems and a mix).

It never changes the notes, and its output is checked against the score:

* :mod:`~stretto.renderer.engine` - the renderer interface (render a voice, list instruments,
  verify) and its built-in implementations;
* :mod:`~stretto.renderer.synth` - the built-in instruments (numpy wavetable synthesis);
* :mod:`~stretto.renderer.soundfont` - optional playback through the user's SoundFont;
* :mod:`~stretto.renderer.neural` - the neural renderer (needs torch: the ``neural`` extra):
  :mod:`~stretto.renderer.features` (score features), :mod:`~stretto.renderer.lelm` (LeLM),
  :mod:`~stretto.renderer.flow` (flow-matching mel decoder), :mod:`~stretto.renderer.vocoder`
  (F0-driven harmonic-plus-noise vocoder), trained by :mod:`~stretto.renderer.train` on
  :mod:`~stretto.renderer.teacher` data;
* :mod:`~stretto.renderer.render` - stems, mix and writing them into a project folder;
* :mod:`~stretto.renderer.verify` - the pitch-tracking fidelity check.

Nothing heavy is imported here: numpy, torch, librosa and soundfile load inside the functions
(the torch model files import torch at their top, and are imported only by the neural engine).
"""
