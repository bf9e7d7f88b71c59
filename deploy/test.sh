#!/usr/bin/env bash
# Set up and run the tests: RabbitMQ (with its management API) and PostgreSQL up, a
# virtualenv with the project and its test extras, then pytest. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/ensure-services.sh --for-tests
deploy/venv.sh --test
exec .venv/bin/python -m pytest "$@"
