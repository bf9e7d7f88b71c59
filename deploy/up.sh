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
# The demo's business time belongs to its data folder (docs/guide.md, "Business time"). The only released
# 昌聚 call is 2024's, so a new data folder starts inside that call's registration window and later runs
# carry on from there at real speed. An exported CLOCK_START wins (empty: wall time).
data=${DATA_DIR:-./data}; mkdir -p "$data"
[[ -e "$data/clock.env" ]] || printf '# business time of the stores in this folder (deploy/up.sh)\nCLOCK_START=2024-09-20T09:00:00+08:00\nCLOCK_EPOCH=%s\n' "$(date +%s)" > "$data/clock.env"
if [[ -z "${CLOCK_START+x}" ]]; then set -a; . "$data/clock.env"; set +a; fi
echo "starting registration, application, review and funding (Ctrl-C stops them); data in $data, business time from ${CLOCK_START:-the wall clock}"
NAMEKO=.venv/bin/nameko exec deploy/run-local.sh
