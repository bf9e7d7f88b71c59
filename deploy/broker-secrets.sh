#!/usr/bin/env bash
# Development passwords for the broker accounts (README, "Broker accounts"): appends to .env at
# the repository root each BROKER_* password it does not hold yet, generated at random. Idempotent.
# .env is git-ignored: never commit it. up.sh, test.sh and docker compose read it.
set -euo pipefail
cd "$(dirname "$0")/.."
file=.env
[[ -e "$file" ]] || { echo "# Broker passwords for development, generated; never commit this file." > "$file"; chmod 600 "$file"; }
for variable in BROKER_PASSWORD_REGISTRATION BROKER_PASSWORD_APPLICATION BROKER_PASSWORD_REVIEW \
                BROKER_PASSWORD_FUNDING BROKER_PASSWORD_PORTAL BROKER_PASSWORD_FUNDING_OFFICE BROKER_ADMIN_PASSWORD; do
  grep -q "^${variable}=" "$file" || echo "${variable}=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> "$file"
done
