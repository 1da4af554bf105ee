#!/usr/bin/env bash
# Installs (if needed) and starts a local PostgreSQL, creates the test role and
# database, and prints the SQLAlchemy URL for AGENTKIT_TEST_POSTGRES_URL.
# Everything listens on loopback only.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')

psql_admin() { su postgres -c "psql -p $port -qtAX -v ON_ERROR_STOP=1 $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = 'agentkit'\"")" != "1" ]; then
  psql_admin "-c \"CREATE ROLE agentkit LOGIN PASSWORD 'agentkit'\"" >&2
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = 'agentkit_test'\"")" != "1" ]; then
  psql_admin "-c \"CREATE DATABASE agentkit_test OWNER agentkit\"" >&2
fi
echo "postgresql+psycopg://agentkit:agentkit@127.0.0.1:${port}/agentkit_test"
