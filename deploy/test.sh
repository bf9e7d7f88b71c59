#!/usr/bin/env bash
# Set up and run the tests: RabbitMQ (with its management API) and PostgreSQL up, a
# virtualenv with the project and its test extras, the broker accounts provisioned as up.sh
# does, then pytest. Arguments go to pytest. The tests make their own throwaway vhosts and
# accounts (tests/support/broker.py) as guest, the local administrator.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-services.sh --for-tests
deploy/venv.sh --test
deploy/broker-secrets.sh
.venv/bin/python -m shared.messaging.accounts provision
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "Node.js >= 20 and npm are missing: tests/integration/test_node_client.py (clients/node) will fail" >&2
fi
exec .venv/bin/python -m pytest "$@"
