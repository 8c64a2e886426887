# The two commands of the README: `make run` and `make test`. Everything else is a helper.
# `make run` installs what serving needs (requirements.lock); the tests and gates add the development
# tools (requirements-dev.lock, compiled against the same pins).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test check e2e bench lock clean browser

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

# Unit tests first (seconds), then the e2e suite against the real server process (the page journeys in
# Chromium among them; their screenshots land in artifacts/screenshots/).
test: $(DEV_STAMP) browser
	$(BIN)/python -m pytest tests/unit tests/e2e $(PYTEST_ARGS)

# A Chromium for the page journeys: Debian's package where apt can install it, else Playwright's own.
browser: $(DEV_STAMP)
	@if [ -n "$$BROWSER_EXECUTABLE" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
	  true; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
	  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
	  $(BIN)/playwright install chromium; \
	fi

check: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

# wrk drives the load where it can be installed (Debian's package); otherwise bench.load, and the report
# says which ran. BENCH_LOAD=python forces the Python generator.
bench: $(DEV_STAMP)
	@command -v wrk >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; } || echo "wrk not installed: the Python generator drives the load"
	$(BIN)/python -m bench
	$(BIN)/python -m bench.webhooks

lock:
	uv pip compile pyproject.toml --extra build --generate-hashes --universal --python-version 3.11 -o requirements.lock
	uv pip compile pyproject.toml --extra build --extra dev -c requirements.lock --generate-hashes --universal --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) .booking artifacts
