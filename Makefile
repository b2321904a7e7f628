# The two set-up commands of the README. Each creates .venv when missing and installs stretto.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: demo test test-fast bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,render,bench,ray,neural,studio,c2pa,plugin,live]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/stretto species --cantus-name fux-dorian --species 1 --cantus-voice bottom --out out/demo
	$(VENV)/bin/stretto render out/demo --verify
	$(VENV)/bin/stretto engrave out/demo
	@echo "out/demo: stems in out/demo/stems/, mix out/demo/mix.wav, MIDI out/demo/score.mid,"
	@echo "          MusicXML out/demo/score.musicxml, PDF out/demo/score.pdf, SVG out/demo/score.svg"

test: $(VENV)/.installed
	$(PY) -m pytest -q

test-fast: $(VENV)/.installed  # everything but the tests marked slow
	$(PY) -m pytest -q -m "not slow"

bench: $(VENV)/.installed
	$(PY) bench/species_bench.py

clean:
	rm -rf out .pytest_cache
