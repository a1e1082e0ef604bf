# TinBáo API image: non-root, migrates and loads reference data on start, then serves.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TINBAO_MODE=production \
    TINBAO_DATABASE_URL=sqlite:////data/tinbao.db \
    TINBAO_MEDIA_DIR=/data/media \
    TINBAO_VAR_DIR=/data

RUN groupadd --system --gid 10001 tinbao \
 && useradd --system --uid 10001 --gid tinbao --home-dir /app --shell /usr/sbin/nologin tinbao

WORKDIR /app
# The locked dependencies (uv.lock) and the app itself (migrations included) in /opt/tinbao.
ENV UV_PROJECT_ENVIRONMENT=/opt/tinbao UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=0 \
    PATH=/opt/tinbao/bin:$PATH
COPY pyproject.toml uv.lock README.md ./
COPY app ./app
RUN pip install "uv==0.13.9" \
 && uv sync --locked --no-editable --no-cache \
 && pip uninstall -y uv \
 && mkdir -p /data/media && chown -R tinbao:tinbao /data

USER tinbao
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz'); sys.exit(0)"

# Workers are stateless; run several behind a load balancer with PostgreSQL and Redis.
CMD ["sh", "-c", "tinbao migrate && tinbao load-reference-data && exec tinbao serve --host 0.0.0.0 --port 8000 --workers ${TINBAO_WORKERS:-2}"]
