#!/usr/bin/env bash
# Runs the four services, one process each, on the embedded SQLite default under DATA_DIR
# (default: ./data). Each service connects as its own broker account when its password is set
# (BROKER_PASSWORD_<SERVICE>, as up.sh does from .env; on BROKER_HOST, BROKER_VHOST), else to
# AMQP_URI (default: config.yaml's). Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
NAMEKO="${NAMEKO:-nameko}"
vhost="${BROKER_VHOST:-/}"
[[ "$vhost" == "/" ]] && vhost=""
pids=()
stop() {  # once: a second SIGTERM would start a second shutdown in each service
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM
for service in registration application review funding; do
  password_variable="BROKER_PASSWORD_${service^^}"
  if [[ -n "${!password_variable:-}" ]]; then
    AMQP_URI="pyamqp://${service}:${!password_variable}@${BROKER_HOST:-127.0.0.1}:5672/${vhost}" \
      "$NAMEKO" run --config deploy/config.yaml "services.${service}.service" &
  else
    "$NAMEKO" run --config deploy/config.yaml "services.${service}.service" &
  fi
  pids+=("$!")
done
wait -n "${pids[@]}"   # if any service dies, stop the rest and report it
echo "a service exited; stopping the others" >&2
exit 1
