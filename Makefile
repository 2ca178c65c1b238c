# Two commands set everything up on a fresh machine with Python 3.11+:
#   make demo   analyse a bundled sample run, then a simulated runner's 15 weeks: report, HTML, PNG
#   make test   run the test suite
# Also: make bench (benchmarks), make fuzz (a long campaign of damaged FIT files through the CLI).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

PLUGINS = plugins/local plugins/strava plugins/garmin plugins/service
EDITABLE = -e '.[test]' $(foreach p,$(wildcard $(PLUGINS)),-e $(p))

.PHONY: demo test bench fuzz install clean

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(PYTHON) -c 'import sys; sys.exit("pose-sync needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(EDITABLE)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/pose-sync analyze samples/fit/jimmykane_fit-parser/running-with-developer-data.fit
	$(BIN)/python -m sim.demo --out demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

# A long seeded fuzz campaign over samples/fit through the real CLI (CI runs a slice: tests/fit/test_fuzz.py).
# FUZZ_ARGS="--mutants 20000 --seed 7 --keep /tmp/failing" for more; see python -m fuzz --help.
FUZZ_ARGS ?= --mutants 5000
fuzz: $(STAMP)
	$(BIN)/python -m fuzz $(FUZZ_ARGS)

clean:
	rm -rf $(VENV)
