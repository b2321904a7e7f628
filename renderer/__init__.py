"""stretto.renderer: turns a fixed score into audio (per-voice stems and a mix).

It never changes the notes, and its output is checked against the score:

* :mod:`~stretto.renderer.synth` - the built-in instruments (numpy wavetable synthesis);
* :mod:`~stretto.renderer.soundfont` - optional playback through the user's SoundFont;
* :mod:`~stretto.renderer.render` - stems, mix and writing them into a project folder;
* :mod:`~stretto.renderer.verify` - the pitch-tracking fidelity check.

Nothing heavy is imported here: numpy, librosa and soundfile load inside the functions.
"""
