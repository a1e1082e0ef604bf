#!/usr/bin/env bash
# Development helper while the schema is young: rebuild 0001 from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/0001_initial_schema.py
TINBAO_DATABASE_URL="sqlite:///$tmp/gen.db" .venv/bin/alembic revision --autogenerate --rev-id 0001 -m "initial schema" >/dev/null
rm -rf "$tmp"
.venv/bin/ruff check --fix -q migrations/versions/0001_initial_schema.py || true
.venv/bin/ruff format -q migrations/versions/0001_initial_schema.py
echo "regenerated migrations/versions/0001_initial_schema.py"
