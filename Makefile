# Two commands on a fresh machine with Python 3.11:
#   make pipeline   set up the environment and rebuild every artefact (dvc repro)
#   make test       set up the environment and run the test suite
#   make dashboard  the credit officer's dashboard on http://127.0.0.1:8501 (and the API it talks to)
#   make api        the API alone on http://127.0.0.1:8000
VENV ?= .venv
PYTHON ?= python3.11
BIN := $(VENV)/bin
export DVC_NO_ANALYTICS := 1
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup pipeline test e2e-test image-test lint lock clean-venv dashboard api

$(BIN)/.installed: requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

setup: $(BIN)/.installed

pipeline: setup
	$(BIN)/dvc repro

test: setup
	$(BIN)/ruff check stages pipelines tests api bench dashboard
	$(BIN)/hadolint Dockerfile
	$(BIN)/actionlint
	$(BIN)/python -m pytest -m "not container and not e2e"

# The tiny end-to-end `dvc repro` of each pipeline in a copy of the project (tests marked e2e, ~10 min on 2
# cores): every stage really runs, its deps and params are right, a second repro is a no-op. CI runs it.
e2e-test: setup
	$(BIN)/python -m pytest -m e2e

# The API image built from the Dockerfile, run on 127.0.0.1 and tested from outside (tests/container, a few
# minutes): Docker, or podman (runc; debootstrap and root for a local base image when none can be pulled).
image-test: setup
	$(BIN)/python -m pytest -m container tests/container

# The credit officer's dashboard (Streamlit, dashboard/app.py) on 127.0.0.1:$(DASHBOARD_PORT). It talks to the
# credit API over HTTP only: with CREDIT_API_URL set, the API already running there; otherwise this starts the
# API (uvicorn on 127.0.0.1:$(API_PORT), the registered models of `make pipeline`) and stops it on exit.
API_PORT ?= 8000
DASHBOARD_PORT ?= 8501
API := $(BIN)/uvicorn api.main:app --host 127.0.0.1 --port $(API_PORT)
# The API alone on 127.0.0.1:$(API_PORT) (after make pipeline), e.g. for a dashboard started elsewhere.
api: setup
	$(API)

dashboard: setup
	@if [ -n "$$CREDIT_API_URL" ]; then \
	  $(BIN)/python -m streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port $(DASHBOARD_PORT); \
	else \
	  $(API) & api=$$!; trap 'kill $$api 2>/dev/null' EXIT INT TERM; \
	  CREDIT_API_URL=http://127.0.0.1:$(API_PORT) $(BIN)/python -m streamlit run dashboard/app.py \
	    --server.address 127.0.0.1 --server.port $(DASHBOARD_PORT); \
	fi

lint: setup
	$(BIN)/ruff check stages pipelines tests api bench dashboard
	$(BIN)/ruff format --check stages pipelines tests api bench dashboard

# Re-resolve the lock from requirements.txt in a throw-away venv.
lock:
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet -r requirements.txt
	{ echo "# Generated from requirements.txt with 'pip freeze' in a clean Python 3.11 venv (make lock)."; \
	  /tmp/lock-venv/bin/pip freeze; } > requirements.lock

clean-venv:
	rm -rf $(VENV)
