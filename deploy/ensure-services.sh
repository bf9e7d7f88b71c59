#!/usr/bin/env bash
# Makes sure the local infrastructure is up: RabbitMQ and its management API (always) and
# PostgreSQL (with --for-tests). Starts what is installed but stopped; installs from the
# distribution's packages where we are root on Debian/Ubuntu; otherwise says what is missing.
set -euo pipefail
for_tests=false
[[ "${1:-}" == "--for-tests" ]] && for_tests=true

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # port, what, seconds
  for _ in $(seq "$3"); do port_open "$1" && return 0; sleep 1; done
  echo "$2 did not come up on port $1 within $3 s" >&2; return 1
}
can_install() { [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; }

if ! port_open 5672; then
  if ! command -v rabbitmq-server >/dev/null; then
    can_install || { echo "RabbitMQ is not running and not installed; install rabbitmq-server (needs root)" >&2; exit 1; }
    echo "installing rabbitmq-server from the distribution's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  echo "starting RabbitMQ"
  rabbitmq-server -detached 2>/dev/null || service rabbitmq-server start
  wait_port 5672 RabbitMQ 90
fi

# The management API: provisioning the broker accounts goes through it (shared/messaging/accounts.py),
# and the integration tests make a throwaway vhost per module with it.
if ! port_open 15672; then
  echo "enabling the RabbitMQ management plugin"
  rabbitmq-plugins enable rabbitmq_management >/dev/null
  wait_port 15672 "RabbitMQ management API" 60
fi

if $for_tests; then
  if ! port_open 5432; then
    if ! ls /etc/postgresql >/dev/null 2>&1; then
      can_install || { echo "PostgreSQL is not running and not installed; install postgresql (needs root)" >&2; exit 1; }
      echo "installing postgresql from the distribution's packages"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    wait_port 5432 PostgreSQL 60
  fi

  # A headless browser for the case-file test (tests/integration/test_case_file_in_a_browser.py renders
  # the auditor's page in it), and a small CJK font so its screenshot shows the Chinese text; tests
  # only: the services never need them.
  if ! command -v chromium >/dev/null; then
    if can_install; then
      echo "installing chromium from the distribution's packages (for the case-file browser test)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
    else
      echo "chromium is not installed: the case-file browser test will be skipped (install chromium, needs root)" >&2
    fi
  fi
fi
