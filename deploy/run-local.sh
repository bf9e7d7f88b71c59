#!/usr/bin/env bash
# Runs the four services, one process each, against the RabbitMQ in AMQP_URI (default:
# local) on the embedded SQLite default under DATA_DIR (default: ./data). Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
NAMEKO="${NAMEKO:-nameko}"
pids=()
stop() {  # once: a second SIGTERM would start a second shutdown in each service
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM
for service in registration application review funding; do
  "$NAMEKO" run --config deploy/config.yaml "services.${service}.service" &
  pids+=("$!")
done
wait -n "${pids[@]}"   # if any service dies, stop the rest and report it
echo "a service exited; stopping the others" >&2
exit 1
