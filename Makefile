# The two commands of the README: `make dev` runs Clarion, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: dev test install lint chaos

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch .stamp-install

install: .stamp-install

dev: .stamp-install
	$(BIN)/clarion dev

lint: .stamp-install
	$(BIN)/ruff check .
	$(BIN)/mypy core api clarion store channels templates workflows activities

test: lint
	$(BIN)/pytest -n 2 --dist loadfile

# Not part of `make test`: a few minutes of load with workers, the API, Temporal and PostgreSQL killed.
chaos: .stamp-install
	$(BIN)/python bench/chaos.py --runs 3
