#!/usr/bin/env bash
# Runs every example of docs/api/README.md against a real sluiced and checks
# each curl's HTTP status against the one the README writes beside it.
#
#   docs/api/examples.sh [SLUICED]    (default: $SLUICED, else build/dataplane/sluiced)
#
# What it takes from the README:
#   - blocks fenced ```sh run in order, in one bash shell, in a scratch
#     directory, with S set to the URL of a switch started as the README
#     starts it (ports p1=null, p2=null, loop=ring:loop), and NF_PLUGINS
#     set to the build's nf/firewall directory;
#   - blocks fenced ```sh with-token run afterwards against a second switch
#     started with --token-file "$TOKEN_FILE";
#   - every command line that calls curl ends with "# NNN", the status each
#     of its curl calls must get. Other blocks (console, json, ...) are not run.
# Each switch runs with --no-huge, --no-pci, its own --file-prefix and a free
# loopback port; both are stopped by PID on exit, whatever happens.
#
# Exits 0 when every documented curl ran and got its status; else prints what
# differed and exits 1 (2 when a switch does not start).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly ROOT README="$ROOT/docs/api/README.md"
SLUICED=$(realpath "${1:-${SLUICED:-$ROOT/build/dataplane/sluiced}}")
readonly SLUICED
# The build's firewall plugin (the NF plugin examples load it).
NF_PLUGINS=$(realpath -m "$(dirname "$SLUICED")/../nf/firewall")
readonly NF_PLUGINS
export NF_PLUGINS
readonly PORTS=(--port p1=null --port p2=null --port loop=ring:loop)
readonly STARTUP_TIMEOUT=60

WORK=$(mktemp -d /tmp/sluice-apidoc.XXXXXX)
readonly WORK
export WORK  # for prologue.sh
PIDS=()
PREFIXES=()

log() { printf 'examples: %s\n' "$*" >&2; }

cleanup() {
  local pid prefix _
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for prefix in "${PREFIXES[@]}"; do rm -rf "/var/run/dpdk/$prefix" "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$prefix"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_switch NAME ARGS...: starts sluiced on a free loopback port and sets
# URL to its address once the agent listens.
start_switch() {
  local name=$1 prefix="sluice-apidoc-$1-$$" line _
  shift
  PREFIXES+=("$prefix")
  "$SLUICED" "${PORTS[@]}" "$@" --listen 127.0.0.1:0 \
    --eal "--no-huge -m 512 --no-pci --file-prefix $prefix -l 0-1" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq $((STARTUP_TIMEOUT * 10))); do
    line=$(grep -o 'REST agent on http://[^ ]*/v1' "$WORK/$name.log" || true)
    if [[ -n $line ]]; then
      URL=${line#REST agent on }
      URL=${URL%/v1}
      log "$name switch at $URL"
      return
    fi
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  log "$name switch did not start; its output:"
  cat "$WORK/$name.log" >&2
  exit 2
}

# script_for FENCE: a bash script with the README's lines inside blocks fenced
# "```FENCE" and blank lines elsewhere, so that its line numbers are the
# README's; its first line loads prologue.sh.
script_for() {
  awk -v fence="$1" '
    NR == 1 { print "source \"$WORK/prologue.sh\""; next }
    /^```/ { if (inside) inside = 0; else if (substr($0, 4) == fence) inside = 1; print ""; next }
    { print (inside ? $0 : "") }' "$README"
}

# expected_for FENCE: "LINE STATUS" for every line of those blocks that calls
# curl, and "LINE -" for one that has no "# NNN".
expected_for() {
  awk -v fence="$1" '
    /^```/ { if (inside) inside = 0; else if (substr($0, 4) == fence) inside = 1; next }
    inside && /(^|[;&|(] *)curl / {
      if (match($0, /# [0-9][0-9][0-9]([^0-9]|$)/)) print NR, substr($0, RSTART + 2, 3)
      else print NR, "-"
    }' "$README"
}

# The curl the examples call: the real one, then its status logged with the
# README line it was called from; its output (minus the status) as usual.
cat >"$WORK/prologue.sh" <<'EOF'
curl() {
  local out status
  out=$(command curl --max-time 10 "$@" -w '\n%{http_code}') || true
  status=${out##*$'\n'}
  out=${out%"$status"}
  out=${out%$'\n'}
  [[ -z $out ]] || printf '%s\n' "$out"
  echo "${BASH_LINENO[0]} $status" >>"$WORK/statuses"
  printf '>>> README line %s: HTTP %s\n' "${BASH_LINENO[0]}" "$status" >&2
}
EOF

# run FENCE URL: runs the blocks; prints every mismatch and returns 1 if any.
run() {
  local fence=$1 url=$2 line want got failed=0
  script_for "$fence" >"$WORK/examples-$fence.sh"
  : >"$WORK/statuses"
  log "running the \`\`\`$fence blocks of $README against $url"
  (cd "$WORK" && S=$url TOKEN_FILE=$WORK/token bash "$WORK/examples-$fence.sh") ||
    { log "the \`\`\`$fence blocks failed (status $?)"; failed=1; }
  while read -r line want; do
    got=$(awk -v l="$line" '$1 == l { print $2 }' "$WORK/statuses" | sort -u | tr '\n' ' ')
    got=${got% }
    if [[ $want == - ]]; then
      log "README line $line: a curl without \"# NNN\" (the status it must get)"
      failed=1
    elif [[ -z $got ]]; then
      log "README line $line: never ran"
      failed=1
    elif [[ $got != "$want" ]]; then
      log "README line $line: HTTP $got, the README says $want"
      failed=1
    fi
  done < <(expected_for "$fence")
  return "$failed"
}

[[ -x $SLUICED ]] || { log "no sluiced at $SLUICED (build it: ninja -C build)"; exit 2; }
head -c 24 /dev/urandom | base64 >"$WORK/token"
status=0
start_switch main
run sh "$URL" || status=1
start_switch token --token-file "$WORK/token"
run 'sh with-token' "$URL" || status=1
if ((status == 0)); then log "every example got its documented status"; fi
exit "$status"
