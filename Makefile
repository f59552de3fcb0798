# The README's commands. `make bench` and `make test` both set up first.
VENV := .venv
PII := $(VENV)/bin/pii
PYTEST := $(VENV)/bin/python -m pytest
# MLX on Linux needs a fast BLAS preloaded; `pii` arranges it itself, pytest needs it here.
BLAS = $(shell $(VENV)/bin/python -m pii.engine.blas 2>/dev/null)

.PHONY: setup bench test test-fast fuzz speed lint golden clean

setup: $(VENV)/.done

$(VENV)/.done: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

# Every classifier the set-up installs (presidio included); apple-fm needs macOS 26: ask by name.
bench: setup
	$(PII) doctor || true
	$(PII) bench --classifiers fewshot,adapter,probe,rules,tfidf,presidio

# Everything: fast tests on tiny models, then the few slow ones on the embedded model.
test: setup
	LD_PRELOAD="$(BLAS)" $(PYTEST) -q -m "not fuzz"

# Scoring speed against the compute floor (issue 17): run on an idle machine.
speed: setup
	LD_PRELOAD="$(BLAS)" $(VENV)/bin/python bench/speed.py --out bench/results/speed-smollm2-135m.json

# Every reader fed 10,000 generated files (issue 15); about ten minutes on 2 cores.
fuzz: setup
	PII_FUZZ=1 LD_PRELOAD="$(BLAS)" $(PYTEST) -q -s -m fuzz tests/test_fuzz_readers.py

test-fast: setup
	LD_PRELOAD="$(BLAS)" $(PYTEST) -q

lint: setup
	$(VENV)/bin/ruff check pii tests scripts
	$(VENV)/bin/ruff format --check pii tests scripts

golden: setup
	$(VENV)/bin/python scripts/make_golden.py
	$(PII) golden check

clean:
	rm -rf $(VENV) .pytest_cache
