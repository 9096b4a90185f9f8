#!/usr/bin/env bash
# The "Run pgfence" step of action.yml: builds the command line from the INPUT_* variables,
# prints GitHub annotations, writes SARIF, Markdown and HTML reports, and records the exit
# code as a step output (the action fails in its last step, after the uploads).
set -uo pipefail

out="${RUNNER_TEMP:-/tmp}/pgfence"
mkdir -p "$out"

command=analyze
[ "${INPUT_DRYRUN:-false}" = "true" ] && command=dryrun

args=(--format github
      --output "sarif=$out/pgfence.sarif"
      --output "markdown=$out/pgfence.md"
      --output "html=$out/pgfence.html")
[ -n "${INPUT_SCHEMA:-}" ] && args+=(--schema "$INPUT_SCHEMA")
[ -n "${INPUT_PG:-}" ] && args+=(--pg "$INPUT_PG")
[ -n "${INPUT_FAIL_ON:-}" ] && args+=(--fail-on "$INPUT_FAIL_ON")
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")

changed="${INPUT_CHANGED_SINCE:-}"
if [ -z "$changed" ] && [ -n "${BASE_REF:-}" ]; then
    changed="origin/$BASE_REF"
fi
if [ -n "$changed" ] && [ "$changed" != "none" ]; then
    args+=(--changed-since "$changed")
fi

# Word-splitting is wanted here: several paths, several extra options. Globbing is not:
# pgfence expands `db/**/*.sql` itself (bash would stop at one level without globstar).
set -f
# shellcheck disable=SC2206
extra=(${INPUT_ARGS:-})
# shellcheck disable=SC2206
paths=(${INPUT_PATHS:-})
set +f

set -x
pgfence "$command" "${args[@]}" "${extra[@]}" "${paths[@]}"
code=$?
set +x

{
    echo "exit-code=$code"
    if [ -s "$out/pgfence.sarif" ]; then echo "sarif=$out/pgfence.sarif"; fi
    if [ -s "$out/pgfence.md" ]; then echo "markdown=$out/pgfence.md"; fi
    if [ -s "$out/pgfence.html" ]; then echo "html=$out/pgfence.html"; fi
} >> "${GITHUB_OUTPUT:-/dev/null}"

# 0 and 1 are verdicts (the last step of the action fails on 1, after the uploads);
# 2 (bad input) and 3 (no server) are errors of the run itself.
if [ "$code" -gt 1 ]; then
    exit "$code"
fi
exit 0
