#!/usr/bin/env bash
# Creates (or updates) ./.venv with Python 3.11 and installs the project; with --test, the test extras too.
set -euo pipefail
cd "$(dirname "$0")/.."
python=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python="$candidate"; break
  fi
done
[[ -n "$python" ]] || { echo "Python 3.11 is required (python3.11 not found)" >&2; exit 1; }
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
extras=""
[[ "${1:-}" == "--test" ]] && extras="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
# Development signing keys, made on first run (never committed: /keys/ is in .gitignore); existing keys are kept.
.venv/bin/python -m shared.keys generate --dir "${KEYS_DIR:-keys}"
