#!/usr/bin/env bash
# The logic of the sms-mockserver GitHub Action (action.yml), runnable anywhere:
#   mockserver.sh start    install (unless MOCKSERVER_SKIP_INSTALL=1), start in the background,
#                          wait for /_mock/health, export MOCKSERVER_URL (to $GITHUB_ENV when set)
#   mockserver.sh finish   save the journal (messages, requests, callbacks, violations) to
#                          $MOCKSERVER_ARTIFACTS, stop the server, exit 1 on contract violations
# Inputs come as environment variables: INPUT_PORT (8080), INPUT_CONFIG, INPUT_SCENARIOS (one per
# line or comma-separated), INPUT_SEED, INPUT_STRICT (true/false), INPUT_PACKAGE (what pip
# installs; default: the action's own checkout), INPUT_HEALTH_TIMEOUT (seconds, default 30).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state="${MOCKSERVER_STATE:-${RUNNER_TEMP:-/tmp}/sms-mockserver}"
artifacts="${MOCKSERVER_ARTIFACTS:-$state/journal}"
python="${MOCKSERVER_PYTHON:-python3}"

fail() { echo "::error::sms-mockserver: $*" >&2; exit 1; }

start() {
  mkdir -p "$state"
  if [[ "${MOCKSERVER_SKIP_INSTALL:-}" != "1" ]]; then
    "$python" -m pip install --quiet "${INPUT_PACKAGE:-$here/../..}"
  fi
  local port="${INPUT_PORT:-8080}"
  local args=(serve --host 127.0.0.1 --port "$port")
  [[ -n "${INPUT_CONFIG:-}" ]] && args+=(--config "$INPUT_CONFIG")
  [[ -n "${INPUT_SEED:-}" ]] && args+=(--seed "$INPUT_SEED")
  case "${INPUT_STRICT:-false}" in
    true|1|yes) args+=(--strict) ;;
    false|0|no|"") ;;
    *) fail "strict must be true or false, got '${INPUT_STRICT}'" ;;
  esac
  local scenario
  while IFS= read -r scenario; do
    scenario="${scenario#"${scenario%%[![:space:]]*}"}"; scenario="${scenario%"${scenario##*[![:space:]]}"}"
    [[ -n "$scenario" ]] && args+=(--scenario "$scenario")
  done < <(printf '%s\n' "${INPUT_SCENARIOS:-}" | tr ',' '\n')

  "$python" -m mockserver "${args[@]}" >"$state/server.log" 2>&1 &
  echo $! >"$state/pid"
  local url="http://127.0.0.1:$port"
  local deadline=$((SECONDS + ${INPUT_HEALTH_TIMEOUT:-30}))
  until "$python" -m mockserver health --url "$url" --timeout 1 >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      cat "$state/server.log" >&2
      fail "the server exited before it was healthy"
    fi
    ((SECONDS < deadline)) || { cat "$state/server.log" >&2; fail "not healthy at $url after ${INPUT_HEALTH_TIMEOUT:-30}s"; }
    sleep 0.2
  done
  echo "$url" >"$state/url"
  if [[ -n "${GITHUB_ENV:-}" ]]; then echo "MOCKSERVER_URL=$url" >>"$GITHUB_ENV"; fi
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "url=$url" >>"$GITHUB_OUTPUT"; fi
  echo "MOCKSERVER_URL=$url"
}

finish() {
  [[ -f "$state/url" ]] || fail "not started (no $state/url): run 'mockserver.sh start' first"
  local url; url="$(cat "$state/url")"
  mkdir -p "$artifacts"
  local what
  for what in messages requests callbacks violations; do
    curl -sS --fail "$url/_mock/$what?limit=100000" -o "$artifacts/$what.json" || fail "could not save $what"
  done
  local total
  total="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$artifacts/violations.json")"
  local pid; pid="$(cat "$state/pid")"
  kill -INT "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))  # pending callbacks get their grace period
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  cp "$state/server.log" "$artifacts/server.log"
  echo "sms-mockserver: journal saved to $artifacts"
  if ((total > 0)); then
    "$python" - "$artifacts/violations.json" <<'PY' >&2
import json, sys
for v in json.load(open(sys.argv[1]))["violations"][:20]:
    print(f"::error::contract violation: {v['vendor']} {v['operation']} {v['location']}.{v['field']}: "
          f"expected {v['expected']}, got {v['got']} (request {v['request_id']})")
PY
    fail "$total contract violation(s) recorded (see $artifacts/violations.json)"
  fi
}

case "${1:-}" in
  start) start ;;
  finish) finish ;;
  *) echo "usage: $0 start|finish" >&2; exit 2 ;;
esac
