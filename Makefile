# The two commands of the README: `make run` and `make test`. Everything else is a helper.
# `make run` installs what serving needs (requirements.lock); the tests and gates add the development
# tools (requirements-dev.lock, compiled against the same pins).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test check e2e bench lock clean

$(RUN_STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(DEV_STAMP)

run: $(RUN_STAMP)
	$(BIN)/booking serve

# Unit tests first (seconds), then the e2e suite against the real server process.
test: $(DEV_STAMP)
	$(BIN)/python -m pytest tests/unit tests/e2e $(PYTEST_ARGS)

check: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(DEV_STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.webhooks

lock:
	uv pip compile pyproject.toml --extra build --generate-hashes --universal --python-version 3.11 -o requirements.lock
	uv pip compile pyproject.toml --extra build --extra dev -c requirements.lock --generate-hashes --universal --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) .booking
