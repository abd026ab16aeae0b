#!/usr/bin/env bash
# The run step of action.yml, kept in a file so that it can be tested outside GitHub
# (tests/github_action.rs runs it with a fake GITHUB_OUTPUT and GITHUB_STEP_SUMMARY).
#
# In:  CITECHECK_BIN, INPUT_ARGS, INPUT_FORMATS, INPUT_OUTPUT_DIR, INPUT_CHANGED_SINCE,
#      INPUT_FAIL_ON; GITHUB_OUTPUT (and GITHUB_STEP_SUMMARY, read by citecheck itself).
# Out: exit-code, report-dir, reports (one path per line), sarif in GITHUB_OUTPUT.
# Always exits 0: the fail policy is the action's next step.
set -uo pipefail

bin="${CITECHECK_BIN:?CITECHECK_BIN is not set}"
dir="${INPUT_OUTPUT_DIR:-citecheck-reports}"
mkdir -p "$dir"

read -r -a args <<< "${INPUT_ARGS:-check reports/}"
if [ -n "${INPUT_CHANGED_SINCE:-}" ]; then
  args+=(--changed-since "$INPUT_CHANGED_SINCE")
fi
if [ -n "${INPUT_FAIL_ON:-}" ]; then
  args+=(--fail-on "$INPUT_FAIL_ON")
fi
args+=(--no-progress)

reports=()
sarif=""
IFS=',' read -r -a formats <<< "${INPUT_FORMATS:-github,sarif,html}"
for f in "${formats[@]}"; do
  f="$(echo "$f" | tr -d '[:space:]')"
  case "$f" in
    "") continue ;;
    github) args+=(--report "github=-") ;;
    json | jsonl | csv | html | sarif)
      path="$dir/citecheck.$f"
      args+=(--report "$f=$path"); reports+=("$path")
      if [ "$f" = sarif ]; then sarif="$path"; fi ;;
    markdown) path="$dir/citecheck.md"; args+=(--report "markdown=$path"); reports+=("$path") ;;
    junit) path="$dir/citecheck.junit.xml"; args+=(--report "junit=$path"); reports+=("$path") ;;
    *) echo "::error title=citecheck::unknown format '$f' in formats"; echo "exit-code=2" >> "$GITHUB_OUTPUT"; exit 0 ;;
  esac
done
# With no stdout format, the summary line on stderr is all the log shows.
if [ "${#args[@]}" -gt 0 ] && ! printf '%s\n' "${args[@]}" | grep -qx 'github=-'; then
  args+=(--report "markdown=-")
fi

"$bin" "${args[@]}"
code=$?

{
  echo "exit-code=$code"
  echo "report-dir=$dir"
  echo "sarif=$sarif"
  echo "reports<<CITECHECK_EOF"
  for r in "${reports[@]}"; do echo "$r"; done
  echo "CITECHECK_EOF"
} >> "$GITHUB_OUTPUT"
exit 0
