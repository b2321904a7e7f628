"""Import and export: MusicXML (through music21) and MIDI (through mido)."""
