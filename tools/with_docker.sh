#!/usr/bin/env bash
# Run a command with a Docker engine and pgfence's test image available, when possible.
#
#   tools/with_docker.sh .venv/bin/python -m pytest -q
#
# Uses a running engine if there is one. Otherwise, as root, installs Debian's docker.io
# (and debootstrap), starts dockerd without touching the machine's network rules
# (--bridge=none --iptables=false --ip-masq=false), and stops it by its pid when the
# command ends. Builds postgres:15 from Debian packages if the engine lacks it (no image
# registry is needed). When none of that is possible the command still runs, and the tests
# marked `docker` skip with their reason.
set -uo pipefail

started=""
cleanup() {
  if [ -n "$started" ]; then
    kill "$started" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$started" 2>/dev/null || break; sleep 0.2; done
  fi
}
trap cleanup EXIT

have_engine() { docker info >/dev/null 2>&1; }

if ! have_engine && [ "$(id -u)" = 0 ]; then
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends docker.io debootstrap) >/dev/null 2>&1 \
      || echo "with_docker: could not install docker.io" >&2
  fi
  if command -v dockerd >/dev/null 2>&1; then
    dockerd --bridge=none --iptables=false --ip-masq=false >/var/tmp/pgfence-dockerd.log 2>&1 &
    started=$!
    for _ in $(seq 100); do have_engine && break; sleep 0.2; done
  fi
fi

if have_engine; then
  export TESTCONTAINERS_RYUK_DISABLED=true  # the Ryuk image cannot be pulled here
  if ! docker image inspect postgres:15 >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v debootstrap >/dev/null 2>&1; then
      "$(dirname "$0")/../docker/build-postgres-image.sh" 15 \
        || echo "with_docker: could not build postgres:15" >&2
    fi
  fi
  docker image inspect postgres:15 >/dev/null 2>&1 && export PGFENCE_TEST_DOCKER_IMAGE=postgres:15
else
  echo "with_docker: no Docker engine: tests marked docker will skip" >&2
fi

"$@"
