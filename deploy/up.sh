#!/usr/bin/env bash
# Set up and run: RabbitMQ up, a virtualenv with the project, the broker accounts and topology
# provisioned, the four services on SQLite under ./data, each connecting as its own broker account.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-services.sh
deploy/venv.sh
deploy/broker-secrets.sh                                   # development passwords in .env (git-ignored)
.venv/bin/python -m shared.messaging.accounts provision   # vhost, users, permissions, topology (idempotent)
set -a; . ./.env; set +a
echo "starting registration, application, review and funding (Ctrl-C stops them); data in ${DATA_DIR:-./data}"
NAMEKO=.venv/bin/nameko exec deploy/run-local.sh
