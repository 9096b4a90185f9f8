#!/usr/bin/env bash
# The "Run pgfence" step of action.yml: builds the command line from the INPUT_* variables
# (or, with INPUT_MERGE, merges a matrix's JSON reports), prints GitHub annotations, writes
# JSON, SARIF, Markdown and HTML reports, and records the exit code as a step output (the
# action fails in its last step, after the uploads).
set -uo pipefail

out="${RUNNER_TEMP:-/tmp}/pgfence"
mkdir -p "$out"

command=analyze
[ "${INPUT_DRYRUN:-false}" = "true" ] && command=dryrun

args=(--format github
      --output "json=$out/pgfence.json"
      --output "sarif=$out/pgfence.sarif"
      --output "markdown=$out/pgfence.md"
      --output "html=$out/pgfence.html")
if [ -n "${INPUT_MERGE:-}" ]; then
    # The last job of a matrix: the shards' JSON reports, merged, reported once. The
    # pattern is the one place where bash expands globs (nullglob: none is an error of
    # pgfence's, not a literal name).
    shopt -s nullglob
    # shellcheck disable=SC2206
    reports=(${INPUT_MERGE})
    shopt -u nullglob
    if [ "${#reports[@]}" -eq 0 ]; then
        echo "pgfence: error: merge: no report matches ${INPUT_MERGE} (did the matrix's jobs upload their json output?)" >&2
        code=2
    else
        set -x
        pgfence report merge "${reports[@]}" "${args[@]}"
        code=$?
        set +x
    fi
fi
[ -n "${INPUT_SHARD:-}" ] && args+=(--shard "$INPUT_SHARD")
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

if [ -z "${INPUT_MERGE:-}" ]; then
    set -x
    pgfence "$command" "${args[@]}" "${extra[@]}" "${paths[@]}"
    code=$?
    set +x
fi

{
    echo "exit-code=$code"
    if [ -s "$out/pgfence.json" ]; then echo "json=$out/pgfence.json"; fi
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
