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
# pgvector, for agentkit.memory's search in SQL: Debian bookworm does not package it, so
# it is built from its source kept in .ci/vendor (PostgreSQL license) against the headers
# of exactly the installed server (a newer postgresql-server-dev would upgrade the server
# package under the running cluster, and its libraries would no longer load).
if [ ! -f "/usr/share/postgresql/$version/extension/vector.control" ]; then
  export DEBIAN_FRONTEND=noninteractive
  server=$(dpkg-query -W -f='${Version}' "postgresql-$version")
  apt-get update -qq >&2
  if apt-get install -y -qq "postgresql-server-dev-$version=$server" build-essential >&2; then
    build=$(mktemp -d)
    tar xzf "$(dirname "$0")/vendor/pgvector-0.8.6.tar.gz" -C "$build"
    make -s -C "$build/pgvector-0.8.6" with_llvm=no \
      PG_CONFIG="/usr/lib/postgresql/$version/bin/pg_config" install >&2
    rm -rf "$build"
  else
    echo "pgvector not built: no postgresql-server-dev-$version=$server to build it with" >&2
  fi
fi

port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')

psql_admin() { su postgres -c "psql -p $port -qtAX -v ON_ERROR_STOP=1 $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = 'agentkit'\"")" != "1" ]; then
  psql_admin "-c \"CREATE ROLE agentkit LOGIN PASSWORD 'agentkit'\"" >&2
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = 'agentkit_test'\"")" != "1" ]; then
  psql_admin "-c \"CREATE DATABASE agentkit_test OWNER agentkit\"" >&2
fi
# The agentkit role may not create it (pgvector is not a trusted extension): made here.
if [ -f "/usr/share/postgresql/$version/extension/vector.control" ]; then
  psql_admin "-d agentkit_test -c \"CREATE EXTENSION IF NOT EXISTS vector\"" >&2
fi
echo "postgresql+psycopg://agentkit:agentkit@127.0.0.1:${port}/agentkit_test"
