#!/usr/bin/env bash
# Exercises a running pgferry end to end and prints one line per step:
#   OK   <step>  <detail>
#   FAIL <step>  <reason>
#   SKIP <step>  <reason>      (the feature is not in this pgferry, or an input is missing)
#
# usage: scripts/verify-deployment.sh URL TOKEN
#   URL    base URL of pgferry, e.g. http://127.0.0.1:7910
#   TOKEN  an API token (admin, or operator for runs on existing jobs); also read from
#          PGFERRY_TOKEN when the argument is empty
#
# Optional environment (URLs as the pgferry SERVER sees them; the script itself also uses
# them with psql, when psql is installed, to compare row counts):
#   VERIFY_SOURCE_URL       database with data to sync and back up
#   VERIFY_DEST_URL         empty database the sync writes into (never a production database)
#   VERIFY_RESTORE_URL      empty database the backup is restored into
#   VERIFY_STORAGE_DIR      directory on the server for a local backup storage
#                           (default: /tmp/pgferry-verify-backups)
#   VERIFY_RUN_TIMEOUT      seconds to wait for each run (default: 300)
#   VERIFY_STRICT=1         a SKIP counts as a failure (for CI once every feature exists)
#   VERIFY_KEEP=1           keep what the script created (default: delete it at the end)
#
# Exit code: 0 when no step failed, 1 when one did, 2 on bad usage or a missing tool.
set -uo pipefail

usage() {
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[ $# -ge 1 ] || usage
case "$1" in -h | --help) usage ;; esac
BASE=${1%/}
TOKEN=${2:-${PGFERRY_TOKEN:-}}
RUN_TIMEOUT=${VERIFY_RUN_TIMEOUT:-300}
STORAGE_DIR=${VERIFY_STORAGE_DIR:-/tmp/pgferry-verify-backups}

for tool in curl jq; do
  command -v "$tool" >/dev/null 2>&1 || { echo "verify-deployment: $tool is required (apt-get install $tool)" >&2; exit 2; }
done
HAVE_PSQL=0
command -v psql >/dev/null 2>&1 && HAVE_PSQL=1

WORK=$(mktemp -d)
SUFFIX="$(date +%s)-$$"
PASSED=0 FAILED=0 SKIPPED=0
CLEANUP=() # "METHOD PATH [JSON]" calls, made in reverse order at exit

ok() { PASSED=$((PASSED + 1)); printf 'OK   %-24s %s\n' "$1" "${2:-}"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %-24s %s\n' "$1" "${2:-}"; }
skip() { SKIPPED=$((SKIPPED + 1)); printf 'SKIP %-24s %s\n' "$1" "${2:-}"; }

# api METHOD PATH [JSON] → sets STATUS; the body is in $WORK/body. Never prints the token.
api() {
  local method=$1 path=$2 data=${3:-}
  local args=(-sS -o "$WORK/body" -w '%{http_code}' -X "$method" --max-time 60 -H 'accept: application/json')
  [ -n "$TOKEN" ] && args+=(-H "authorization: Bearer $TOKEN")
  [ -n "$data" ] && args+=(-H 'content-type: application/json' --data "$data")
  STATUS=$(curl "${args[@]}" "$BASE$path" 2>"$WORK/curl.err") || STATUS=000
}
body() { cat "$WORK/body"; }
json() { jq -r "$1" "$WORK/body" 2>/dev/null; }
# The error message pgferry put in its JSON error body, or the raw start of the body.
reason() {
  local message
  message=$(jq -r '.error.message // empty' "$WORK/body" 2>/dev/null)
  if [ -n "$message" ]; then echo "HTTP $STATUS: $message"; elif [ "$STATUS" = 000 ]; then echo "no answer: $(head -c 200 "$WORK/curl.err")"; else echo "HTTP $STATUS: $(head -c 200 "$WORK/body")"; fi
}
is_2xx() { [[ $STATUS == 2* ]]; }

# has_route METHOD /api/v1/x/{id} — whether the server's OpenAPI document declares it.
has_route() {
  jq -e --arg path "$2" --arg method "$(echo "$1" | tr '[:upper:]' '[:lower:]')" '.paths[$path][$method] != null' "$WORK/openapi.json" >/dev/null 2>&1
}

# wait_run RUN_ID STEP — polls /api/v1/runs/ID until it ends; OK when it succeeded.
wait_run() {
  local id=$1 step=$2 deadline=$((SECONDS + RUN_TIMEOUT)) status=""
  while [ $SECONDS -lt "$deadline" ]; do
    api GET "/api/v1/runs/$id"
    if ! is_2xx; then fail "$step" "run $id: $(reason)"; return 1; fi
    status=$(json '.status // .run.status')
    case "$status" in
      succeeded) ok "$step" "run $id succeeded ($(json '(.total_rows // .run.total_rows // 0 | tostring) + " rows"'))"; return 0 ;;
      failed | cancelled) fail "$step" "run $id $status: $(json '.error_message // .run.error_message // "no message"')"; return 1 ;;
    esac
    sleep 2
  done
  if [ "$status" = queued ]; then
    fail "$step" "run $id still queued after ${RUN_TIMEOUT}s: no worker took it (are \`pgferry worker\` processes, or \`pgferry serve\` without --no-worker, running?)"
  else
    fail "$step" "run $id still '$status' after ${RUN_TIMEOUT}s (VERIFY_RUN_TIMEOUT)"
  fi
  return 1
}

# Exact row count of every user table, one "schema.table count" line each, sorted.
row_counts() {
  psql "$1" -X -q -A -t -v ON_ERROR_STOP=1 -c "
    SELECT table_schema || '.' || table_name || ' ' ||
           (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text
    FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg_toast%'
    ORDER BY 1" 2>"$WORK/psql.err"
}

# compare_counts STEP URL_A URL_B — same tables with the same exact row counts.
compare_counts() {
  local step=$1
  if [ $HAVE_PSQL = 0 ]; then skip "$step" "psql is not installed here"; return; fi
  if ! row_counts "$2" >"$WORK/a.txt" || ! row_counts "$3" >"$WORK/b.txt"; then
    skip "$step" "cannot reach the databases from here: $(head -c 200 "$WORK/psql.err")"
    return
  fi
  if [ ! -s "$WORK/a.txt" ]; then fail "$step" "the source has no tables"; return; fi
  if diff -q "$WORK/a.txt" "$WORK/b.txt" >/dev/null; then
    ok "$step" "$(wc -l <"$WORK/a.txt" | tr -d ' ') tables, $(awk '{s += $2} END {print s}' "$WORK/a.txt") rows, identical counts"
  else
    fail "$step" "row counts differ: $(diff "$WORK/a.txt" "$WORK/b.txt" | grep '^[<>]' | head -3 | tr '\n' ' ')"
  fi
}

cleanup() {
  if [ "${VERIFY_KEEP:-0}" != 1 ]; then
    for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do
      # shellcheck disable=SC2086
      api ${CLEANUP[$i]}
    done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "pgferry deployment check of $BASE"

# ---- process and store --------------------------------------------------------------------
api GET /health
if [ "$STATUS" = 200 ] && [ "$(json .status)" = ok ]; then ok health "process alive"; else fail health "$(reason)"; fi

api GET /ready
if [ "$STATUS" = 200 ]; then ok ready "store reachable, schema at $(json '.migration // "?"')"; else fail ready "$(reason)"; fi

api GET /api/v1/openapi.json
if [ "$STATUS" = 200 ] && cp "$WORK/body" "$WORK/openapi.json" && jq -e '.paths' "$WORK/openapi.json" >/dev/null 2>&1; then
  ok openapi "$(jq '.paths | length' "$WORK/openapi.json") paths"
else
  fail openapi "$(reason)"
  echo '{"paths":{}}' >"$WORK/openapi.json"
fi

if has_route GET /api/v1/auth/me; then
  api GET /api/v1/auth/me
  if [ "$STATUS" = 200 ]; then ok token "accepted ($(json '(.user.username // .username // "?") + ", role " + (.role // .user.role // "?")'))"
  else fail token "$(reason) — pass an API token as the second argument"; fi
else
  skip token "this pgferry has no authentication routes"
fi

# ---- connections --------------------------------------------------------------------------
SOURCE_ID="" DEST_ID="" RESTORE_ID=""
create_connection() { # create_connection VAR STEP URL ROLE
  local var=$1 step=$2 url=$3 role=$4
  api POST /api/v1/connections "$(jq -nc --arg name "verify-$step-$SUFFIX" --arg url "$url" '{name: $name, url: $url, description: "created by scripts/verify-deployment.sh"}')"
  if is_2xx && [ -n "$(json '.id // empty')" ]; then
    printf -v "$var" '%s' "$(json .id)"
    CLEANUP+=("DELETE /api/v1/connections/$(json .id)")
    api POST "/api/v1/connections/$(json .id)/test" "{\"as\":\"$role\"}"
    if is_2xx && [ "$(json '.ok')" = true ]; then ok "connection $step" "created and tested as $role: PostgreSQL $(json '.server_version // "?"'), $(json '.latency_ms // "?"') ms"
    elif is_2xx; then fail "connection $step" "created, but the test as $role says: $(json '.error.message // ([.source.missing[]?, .destination.missing[]?] | join("; "))' | head -c 300)"
    else fail "connection $step" "created, test failed: $(reason)"; fi
  else
    fail "connection $step" "$(reason)"
  fi
}
if ! has_route POST /api/v1/connections; then
  skip connections "this pgferry has no /api/v1/connections"
else
  if [ -n "${VERIFY_SOURCE_URL:-}" ]; then create_connection SOURCE_ID source "$VERIFY_SOURCE_URL" source; else skip "connection source" "VERIFY_SOURCE_URL is not set"; fi
  if [ -n "${VERIFY_DEST_URL:-}" ]; then create_connection DEST_ID destination "$VERIFY_DEST_URL" destination; else skip "connection destination" "VERIFY_DEST_URL is not set"; fi
  if [ -n "${VERIFY_RESTORE_URL:-}" ]; then create_connection RESTORE_ID restore "$VERIFY_RESTORE_URL" destination; else skip "connection restore" "VERIFY_RESTORE_URL is not set"; fi
  api GET '/api/v1/connections?page_size=200'
  if is_2xx && [ "$(json '[.items[]? | select(.name | startswith("verify-"))] | length')" -ge 1 ] 2>/dev/null; then ok "connections list" "$(json '.total // (.items | length)') connection(s)"
  elif [ -n "$SOURCE_ID$DEST_ID$RESTORE_ID" ]; then fail "connections list" "$(reason)"; fi
  if [ -n "$SOURCE_ID" ]; then
    api GET "/api/v1/connections/$SOURCE_ID/schemas"
    if is_2xx; then ok browse "$(json '"\(.items | length) schemas, \([.items[].table_count // 0] | add // 0) tables on the source"')"; else fail browse "$(reason)"; fi
  fi
fi

# ---- sync job -----------------------------------------------------------------------------
SYNC_OK=0
if ! has_route POST /api/v1/sync-jobs || ! has_route POST '/api/v1/sync-jobs/{id}/run'; then
  skip "sync run" "this pgferry has no /api/v1/sync-jobs/{id}/run yet"
elif [ -z "$SOURCE_ID" ] || [ -z "$DEST_ID" ]; then
  skip "sync run" "needs VERIFY_SOURCE_URL and VERIFY_DEST_URL"
else
  api POST /api/v1/sync-jobs "$(jq -nc --arg name "verify-sync-$SUFFIX" --arg s "$SOURCE_ID" --arg d "$DEST_ID" \
    '{name: $name, source_connection_id: $s, destination_connection_id: $d, default_mode: "full", verify: true}')"
  if is_2xx && [ -n "$(json '.id // empty')" ]; then
    JOB_ID=$(json .id)
    CLEANUP+=("DELETE /api/v1/sync-jobs/$JOB_ID")
    ok "sync job" "created $JOB_ID"
    api POST "/api/v1/sync-jobs/$JOB_ID/run" '{}'
    RUN_ID=$(json '.run_id // .id // .run.id // empty')
    if is_2xx && [ -n "$RUN_ID" ]; then
      CLEANUP+=("POST /api/v1/runs/$RUN_ID/cancel {}") # a no-op once it ended; frees the job for deletion
      wait_run "$RUN_ID" "sync run" && SYNC_OK=1
      [ $SYNC_OK = 1 ] && compare_counts "sync rows" "$VERIFY_SOURCE_URL" "$VERIFY_DEST_URL"
    else
      fail "sync run" "$(reason)"
    fi
  else
    fail "sync job" "$(reason)"
  fi
fi

# ---- backup, verify, download, restore ----------------------------------------------------
BACKUP_ID=""
if ! has_route POST /api/v1/storages || ! has_route POST /api/v1/backup-jobs || ! has_route POST '/api/v1/backup-jobs/{id}/run'; then
  skip "backup run" "this pgferry has no /api/v1/storages or /api/v1/backup-jobs/{id}/run yet"
elif [ -z "$SOURCE_ID" ]; then
  skip "backup run" "needs VERIFY_SOURCE_URL"
else
  api POST /api/v1/storages "$(jq -nc --arg name "verify-storage-$SUFFIX" --arg path "$STORAGE_DIR/$SUFFIX" \
    '{name: $name, kind: "local", config: {path: $path}, create: true}')"
  if is_2xx && [ -n "$(json '.id // empty')" ]; then
    STORAGE_ID=$(json .id)
    CLEANUP+=("DELETE /api/v1/storages/$STORAGE_ID")
    ok storage "local directory $STORAGE_DIR/$SUFFIX"
    api POST /api/v1/backup-jobs "$(jq -nc --arg name "verify-backup-$SUFFIX" --arg c "$SOURCE_ID" --arg s "$STORAGE_ID" \
      '{name: $name, connection_id: $c, storage_ids: [$s], format: "native"}')"
    if is_2xx && [ -n "$(json '.id // empty')" ]; then
      BJOB_ID=$(json .id)
      CLEANUP+=("DELETE /api/v1/backup-jobs/$BJOB_ID")
      api POST "/api/v1/backup-jobs/$BJOB_ID/run" '{}'
      RUN_ID=$(json '.run_id // .id // .run.id // empty')
      [ -n "$RUN_ID" ] && CLEANUP+=("POST /api/v1/runs/$RUN_ID/cancel {}")
      if is_2xx && [ -n "$RUN_ID" ] && wait_run "$RUN_ID" "backup run"; then
        api GET "/api/v1/backups?backup_job_id=$BJOB_ID&limit=1"
        BACKUP_ID=$(json '.items[0].id // empty')
        if [ -n "$BACKUP_ID" ]; then ok backup "artifact $BACKUP_ID, $(json '.items[0].size_bytes // "?"') bytes"; else fail backup "no backup recorded for run $RUN_ID: $(reason)"; fi
      elif [ -z "$RUN_ID" ]; then
        fail "backup run" "$(reason)"
      fi
    else
      fail "backup job" "$(reason)"
    fi
  else
    fail storage "$(reason)"
  fi
fi

if [ -z "$BACKUP_ID" ]; then
  skip verify "no backup to verify (see above)"
  skip download "no backup to download (see above)"
  skip restore "no backup to restore (see above)"
else
  if has_route POST '/api/v1/backups/{id}/verify'; then
    api POST "/api/v1/backups/$BACKUP_ID/verify" '{}'
    VRUN=$(json 'select(.status == "queued" or .status == "running") | .id // empty')
    if ! is_2xx; then fail verify "$(reason)"
    elif [ -n "$VRUN" ]; then wait_run "$VRUN" verify
    elif [ "$(json '.ok // .valid // (.state == "verified")')" = true ]; then ok verify "every checksum matches the manifest"
    else fail verify "$(body | head -c 300)"; fi
  else
    skip verify "this pgferry has no /api/v1/backups/{id}/verify yet"
  fi

  if has_route GET '/api/v1/backups/{id}/download'; then
    # -L follows a 302 to a presigned S3 URL; curl does not forward the token to another host.
    code=$(curl -sS -L -o "$WORK/archive" -w '%{http_code}' --max-time 600 -H "authorization: Bearer $TOKEN" "$BASE/api/v1/backups/$BACKUP_ID/download" 2>"$WORK/curl.err") || code=000
    size=$(wc -c <"$WORK/archive" 2>/dev/null | tr -d ' ')
    if [ "$code" = 200 ] && [ "${size:-0}" -gt 0 ]; then
      # A native archive comes as a tar: check every file against the manifest's sha256.
      mkdir -p "$WORK/x"
      if tar -xf "$WORK/archive" -C "$WORK/x" 2>/dev/null && [ -f "$WORK/x/manifest.json" ]; then
        bad=$(cd "$WORK/x" && jq -r '.files[] | "\(.sha256)  \(.path)"' manifest.json | sha256sum -c --quiet 2>&1 | head -3 | tr '\n' ' ')
        files=$(jq '.files | length' "$WORK/x/manifest.json")
        if [ -z "$bad" ]; then ok download "$size bytes, tar of $files files, every sha256 matches manifest.json"
        else fail download "the downloaded archive does not match its manifest: $bad"; fi
      else
        ok download "$size bytes"
      fi
    else
      fail download "HTTP $code, ${size:-0} bytes $(head -c 200 "$WORK/curl.err")"
    fi
  else
    skip download "this pgferry has no /api/v1/backups/{id}/download yet"
  fi

  if ! has_route POST '/api/v1/backups/{id}/restore'; then
    skip restore "this pgferry has no /api/v1/backups/{id}/restore yet"
  elif [ -z "$RESTORE_ID" ]; then
    skip restore "needs VERIFY_RESTORE_URL (an empty database)"
  elif [ $HAVE_PSQL = 1 ] && row_counts "$VERIFY_RESTORE_URL" >"$WORK/r.txt" && [ -s "$WORK/r.txt" ]; then
    # Never load into a database that holds tables: it may not be the scratch database meant.
    fail restore "VERIFY_RESTORE_URL is not empty ($(wc -l <"$WORK/r.txt" | tr -d ' ') tables); point it at an empty database"
  else
    # Body of POST /api/v1/backups/{id}/restore: neither create nor clean, i.e. load into the
    # connection's own (empty) database; a 202 answers {id, run_id, kind: "restore", status}.
    api POST "/api/v1/backups/$BACKUP_ID/restore" "$(jq -nc --arg c "$RESTORE_ID" '{connection_id: $c}')"
    RUN_ID=$(json 'select(.kind == "restore") | .run_id // empty')
    if [ "$STATUS" = 202 ] && [ -n "$RUN_ID" ]; then
      CLEANUP+=("POST /api/v1/runs/$RUN_ID/cancel {}")
      wait_run "$RUN_ID" restore && compare_counts "restore rows" "$VERIFY_SOURCE_URL" "$VERIFY_RESTORE_URL"
    else
      fail restore "$(reason)"
    fi
  fi
fi

# ---- metrics ------------------------------------------------------------------------------
api GET /metrics
if [ "$STATUS" = 200 ] && grep -q '^pgferry_store_up 1' "$WORK/body"; then
  detail="$(grep -c '^pgferry_' "$WORK/body") series, store up"
  if [ $SYNC_OK = 1 ]; then
    if grep -Eq '^pgferry_runs\{kind="sync",status="succeeded"\} [1-9]' "$WORK/body"; then ok metrics "$detail, succeeded sync runs counted"
    else fail metrics "the succeeded sync run is missing from pgferry_runs"; fi
  else
    ok metrics "$detail"
  fi
elif [ "$STATUS" = 200 ]; then
  fail metrics "pgferry_store_up is not 1: the API cannot read its store"
else
  fail metrics "$(reason)"
fi

echo "summary: $PASSED OK, $FAILED FAIL, $SKIPPED SKIP"
if [ $FAILED -gt 0 ]; then exit 1; fi
if [ "${VERIFY_STRICT:-0}" = 1 ] && [ $SKIPPED -gt 0 ]; then echo "VERIFY_STRICT=1: skipped steps count as failures"; exit 1; fi
exit 0
