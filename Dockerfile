# TinBáo API image. NOT BUILT on the machine this was written on (no Docker engine there):
# build and scan it in your own pipeline before use.
#
# Stage 1 installs the locked dependencies (uv.lock, `uv sync --frozen --no-dev`) and the
# project itself, non-editable, into /opt/venv. Stage 2 copies only that venv: no compiler,
# no uv, no source tree beside the installed package. Runs as uid 10001.
#
# Base pinned by exact version and digest (python 3.11.10, Debian 12 "bookworm", slim).
ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install "uv==0.13.9"
WORKDIR /src
# Dependencies first (cached while only the code changes), exactly as locked.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
# Then the project, as a regular (non-editable) install.
COPY README.md LICENSE ./
COPY app ./app
RUN uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    TINBAO_MODE=production \
    TINBAO_LOG_FORMAT=json \
    TINBAO_MEDIA_DIR=/data/media \
    TINBAO_VAR_DIR=/data
RUN groupadd --system --gid 10001 tinbao \
 && useradd --system --uid 10001 --gid tinbao --home-dir /srv/tinbao --shell /usr/sbin/nologin tinbao \
 && mkdir -p /data/media /srv/tinbao && chown -R tinbao:tinbao /data && chmod 0700 /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/LICENSE /srv/tinbao/
WORKDIR /srv/tinbao
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"]
STOPSIGNAL SIGTERM
# Every replica migrates at start-up: `tinbao migrate` takes an advisory lock, so one
# migrates and the others wait and find nothing to do. Reference data loading is idempotent.
CMD ["sh", "-c", "tinbao migrate && tinbao load-reference-data && exec tinbao serve --host 0.0.0.0 --port 8000 --workers ${TINBAO_WORKERS:-2}"]
