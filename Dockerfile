# syntax=docker/dockerfile:1
# sms-mockserver: docker build -t sms-mockserver . && docker run --rm -p 8080:8080 sms-mockserver
# The Python minor of CI and the benchmarks; the dependencies are the pins of docker/requirements.lock.
ARG PYTHON_VERSION=3.11

# -- build: a wheel of the project and of every dependency ---------------------------------------
FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY docker/requirements.lock ./docker/requirements.lock
COPY mockserver ./mockserver
COPY scenarios ./scenarios
RUN pip wheel --no-cache-dir --wheel-dir /wheels --constraint docker/requirements.lock .

# -- runtime: the wheels installed from the build stage, nothing else -----------------------------
FROM python:${PYTHON_VERSION}-slim
LABEL org.opencontainers.image.title="sms-mockserver" \
      org.opencontainers.image.description="Mock server for Thai and Vietnamese SMS provider APIs"
COPY --from=build /wheels /wheels
COPY --from=build /src/docker/requirements.lock /wheels/requirements.lock
RUN pip install --no-cache-dir --no-index --find-links=/wheels \
        --requirement /wheels/requirements.lock /wheels/sms_mockserver-*.whl \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 mockserver \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin mockserver \
    && mkdir -p /config /scenarios /data \
    && chown mockserver:mockserver /config /scenarios /data

# Every `mockserver serve` option has a variable (see `mockserver serve --help`). Mount a config at
# /config and set MOCKSERVER_CONFIG=/config/config.yaml; mount scenario files at /scenarios (a
# /scenarios/default.yaml replaces the shipped default; MOCKSERVER_SCENARIO=name picks another).
# /data is there for a volume and MOCKSERVER_DATA_DIR=/data (owned by the server's user, so that a
# new named volume mounted there is writable: examples/docker-compose).
ENV MOCKSERVER_HOST=0.0.0.0 \
    MOCKSERVER_PORT=8080 \
    MOCKSERVER_SCENARIOS_DIR=/scenarios \
    MOCKSERVER_LOG_FORMAT=text \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

USER 10001:10001
WORKDIR /config
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["mockserver", "health"]
CMD ["mockserver", "serve"]
