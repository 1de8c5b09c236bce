#!/usr/bin/env bash
# Make sure a local PostgreSQL cluster runs and has a role for the test suite; print its URL.
set -euo pipefail

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

line=$(pg_lsclusters --no-header | head -n 1 || true)
if [ -z "$line" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  as_root pg_createcluster "$version" main >/dev/null
  line=$(pg_lsclusters --no-header | head -n 1)
fi
read -r version cluster port status _rest <<<"$line"
if [ "$status" != "online" ]; then
  as_root pg_ctlcluster "$version" "$cluster" start >&2
fi
for _ in $(seq 1 30); do
  as_postgres pg_isready -q -p "$port" && break
  sleep 1
done
as_postgres psql -q -p "$port" -tAc "SELECT 1 FROM pg_roles WHERE rolname='schulhof_test'" | grep -q 1 \
  || as_postgres psql -q -p "$port" -c "CREATE ROLE schulhof_test LOGIN CREATEDB PASSWORD 'schulhof_test'" >&2
as_postgres psql -q -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname='schulhof_test'" | grep -q 1 \
  || as_postgres createdb -p "$port" -O schulhof_test schulhof_test >&2
echo "postgresql://schulhof_test:schulhof_test@127.0.0.1:${port}/schulhof_test"
