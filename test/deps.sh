#!/usr/bin/env bash
# Install what building and testing negsamp needs on Debian 12, when it is
# missing: the PostgreSQL 15 server headers and PGXS.  Run as root; does
# nothing when pg_config is already there.
set -euo pipefail

if command -v pg_config >/dev/null 2>&1 && [ -f "$(pg_config --pgxs)" ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "pg_config is missing: run this script as root, or install postgresql-server-dev-15" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql-15 postgresql-server-dev-15 make gcc python3 >/dev/null
