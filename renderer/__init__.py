"""stretto.renderer: turns a fixed score into audio (per-voice stems and a mix).

Placeholder package: the built-in renderer arrives with the rendering issue. It will never change
the notes; its output is checked against the score.
"""
