# syntax=docker/dockerfile:1
# Multi-stage: build a locked virtualenv, then copy it into a slim runtime that runs as an unprivileged user.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN python -m venv /opt/venv
COPY requirements.lock pyproject.toml README.md ./
# The lock pins every package by hash (the build backend included, so nothing unpinned is fetched).
RUN /opt/venv/bin/pip install --require-hashes -r requirements.lock
COPY src ./src
COPY migrations ./migrations
# Install the project, then drop the test and quality tools the lock also carries.
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation . \
 && /opt/venv/bin/pip uninstall -y pytest pytest-asyncio hypothesis polyfactory schemathesis ruff mypy \
      import-linter pyinstrument py-spy hatchling editables

FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin booking
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BOOKING_MIGRATIONS_DIR=/app/migrations \
    APP_ENV=production
USER booking
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
ENTRYPOINT ["booking"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
