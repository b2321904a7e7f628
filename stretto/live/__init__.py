"""The live link: a score played to a MIDI port in time (:mod:`stretto.live.player`, over the
port protocol of :mod:`stretto.live.ports`), and edits taken by Open Sound Control
(:mod:`stretto.live.osc`). python-rtmidi and python-osc (the ``live`` extra) are imported only
when a real port or socket is opened."""

from stretto.live.player import PlayReport, Schedule, play, play_project, schedule
from stretto.live.ports import FakeClock, MemoryOutput, MonotonicClock, OutputPort, \
    open_output, output_names

__all__ = ["FakeClock", "MemoryOutput", "MonotonicClock", "OutputPort", "PlayReport",
           "Schedule", "open_output", "output_names", "play", "play_project", "schedule"]
