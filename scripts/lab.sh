# Sourced by demo.sh and first-run.sh: a temporary folder ($work) removed on
# exit, and start_lab, which starts bin/mscs-lab from a scenario and waits for
# its ready file ($work/lab.json); the lab is stopped on exit too.
work=$(mktemp -d "${TMPDIR:-/tmp}/mscs-$1.XXXXXX")
lab_pid=
cleanup() {
  if [ -n "$lab_pid" ] && kill -0 "$lab_pid" 2>/dev/null; then
    kill -TERM "$lab_pid" && wait "$lab_pid" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# start_lab SCENARIO: the lab's log goes to $work/lab.log.
start_lab() {
  "$BIN/mscs-lab" serve --scenario "$1" --dir "$work/lab" --ready-file "$work/lab.json" 2>"$work/lab.log" &
  lab_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$work/lab.json" ] && return 0
    kill -0 "$lab_pid" 2>/dev/null || { cat "$work/lab.log"; echo "the lab exited" >&2; exit 1; }
    sleep 0.1
  done
  cat "$work/lab.log"
  echo "the lab did not become ready" >&2
  exit 1
}
