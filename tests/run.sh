#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what the tests need
# (redis-server, PostgreSQL) when missing, sets up .venv, then runs pytest, ruff and
# import-linter (the layers in pyproject.toml); fails if any of the three fails.
# Extra arguments go to pytest, e.g.  bash tests/run.sh -k sync -x
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
# The linters first (seconds), the suite last: its summary is the run's closing line.
status=0
echo "ruff check src tests bench"
.venv/bin/ruff check --no-cache src tests bench || status=1
echo "lint-imports (pyproject.toml [tool.importlinter])"
(cd src && ../.venv/bin/lint-imports --no-logo --no-cache ../pyproject.toml) || status=1
.venv/bin/python -m pytest "$@" || status=$?
exit $status
