# syntax=docker/dockerfile:1
# The prediction API: the FastAPI service (stored weather forecasts, credit default scoring), its runtime
# dependencies only (no TensorFlow, Keras, statsmodels, DVC…; scikit-learn, XGBoost and SHAP for the credit
# model) and the artefacts it serves. Those are pipeline outputs, not files in git: build the image AFTER
# `dvc repro` (or `dvc pull`) has produced data/db/weather.sqlite, models/weather/model_card.json and
# models/credit/{model.joblib,model_card.json,shap_background.csv.gz,missing_value_grid.json} and
# models/cars/ and models/freelance/{model.joblib,model_card.json}
# (`dvc repro weather_batch credit_register cars_register freelance_register`).
#
#   docker build --build-arg APP_VERSION="$(git rev-parse HEAD)" -t weather-api .
#   docker run --rm -p 8000:8000 weather-api        # then: curl http://127.0.0.1:8000/version
#
# Layers run from the least to the most often changed: base image, dependencies (requirements-api.txt),
# the artefacts, the code, the version. Changing code or data never reinstalls dependencies.
# More in docs/api.md.

# Base image: pinned by tag, not yet by digest. The digest must be read from the registry
# (`docker buildx imagetools inspect python:3.11-slim-bookworm`), which the machine this was written on could
# not reach (PyPI, Debian and npm only); a digest nobody could verify would be worse than the tag. To pin:
# `FROM python:3.11-slim-bookworm@sha256:<digest>` in both stages, and let Dependabot's docker ecosystem
# bump it.

# --- 1. dependencies, in a virtual environment copied whole into the runtime stage ---------------------
FROM python:3.11-slim-bookworm AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
# requirements-api.lock: requirements-api.txt's pins with the SHA-256 of every PyPI file of each version
# (pip-compile --generate-hashes); --require-hashes refuses any file whose hash is not listed, --no-deps
# installs nothing the lock does not name.
COPY requirements-api.lock /tmp/requirements-api.lock
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements-api.lock

# --- 2. runtime: same base, no pip cache, no build leftovers, a non-root user ---------------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_LEVEL=INFO \
    MAX_PERIOD_DAYS=31
RUN groupadd --system --gid 10001 api \
    && useradd --system --uid 10001 --gid api --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin api
WORKDIR /app
COPY --from=deps /opt/venv /opt/venv

# What the service serves, read-only: files stay owned by root, the service runs as `api` and opens the
# SQLite file in read-only mode. WEATHER_DATABASE_URL (e.g. PostgreSQL) overrides the file at run time;
# CREDIT_MODEL_DIR / CARS_MODEL_DIR another registered credit / cars model (e.g. a mounted volume).
COPY data/db/weather.sqlite data/db/weather.sqlite
COPY models/weather/model_card.json models/weather/model_card.json
COPY models/credit/model.joblib models/credit/model_card.json models/credit/shap_background.csv.gz \
     models/credit/missing_value_grid.json models/credit/
# The monitoring summary of the recorded traffic, until the monitor writes a newer one (CREDIT_MONITORING_SUMMARY).
COPY reports/credit/monitoring.json reports/credit/monitoring.json
COPY models/cars/model.joblib models/cars/model_card.json models/cars/
COPY models/freelance/model.joblib models/freelance/model_card.json models/freelance/

# The code: the API (with its form page, api/static/) and the library it imports, `pipelines/` (the weather
# database layer and its migrations, credit scoring and the modules the pickled model is made of). The
# stage commands (`stages/`) never enter the image; neither do the training libraries (requirements-api.txt).
COPY pipelines/ pipelines/
COPY api/ api/

# The one thing the service writes: every scoring request and its answer (api/events.py), in a SQLite file
# of a folder the `api` user owns; mount a volume there to keep them, or point CREDIT_EVENTS_URL at PostgreSQL.
RUN mkdir -p /var/lib/credit-events && chown 10001:10001 /var/lib/credit-events
ENV CREDIT_EVENTS_URL=sqlite:////var/lib/credit-events/credit_events.sqlite
VOLUME ["/var/lib/credit-events"]

# "0.0.0" unless CI passes the commit id; last, so a new commit rebuilds only this layer.
ARG APP_VERSION=0.0.0
ENV APP_VERSION=${APP_VERSION}
LABEL org.opencontainers.image.title="weather-api" \
      org.opencontainers.image.description="Stored day-ahead temperature forecasts and credit default scoring over HTTP (FastAPI)" \
      org.opencontainers.image.revision="${APP_VERSION}"

# Numeric, so that runtimes (Kubernetes runAsNonRoot…) can verify it is not root.
USER 10001:10001
EXPOSE 8000
# Healthy = /health answers status "ok" (database readable with predictions, model card found); the credit
# model's state is in /health's "credit" and does not change it. Python's standard library: no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import json, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4); sys.exit(0 if json.load(r)['status'] == 'ok' else 1)"]
# WEB_CONCURRENCY=N (read by uvicorn) runs N worker processes. Stalled or idle clients hold nothing for long:
# api.server's protocol closes a connection without complete request headers after HEADER_TIMEOUT_S (10 s),
# the app answers 408 to a body not received within BODY_TIMEOUT_S (10 s), idle keep-alive connections close
# after 5 s, and beyond 200 open connections uvicorn answers 503 at once instead of queueing.
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000", "--no-server-header", \
     "--http", "api.server:HeaderTimeoutProtocol", "--timeout-keep-alive", "5", "--limit-concurrency", "200", \
     "--timeout-graceful-shutdown", "10"]
