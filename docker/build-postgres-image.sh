#!/usr/bin/env bash
# Build a postgres:<major> Docker image from Debian packages, without any image registry.
#
#   docker/build-postgres-image.sh 15            # tags postgres:15
#   docker/build-postgres-image.sh 17 my/pg:17   # Debian trixie carries PostgreSQL 17
#
# For air-gapped machines and for pgfence's own tests (`--backend docker`). The image
# honours POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB like the official one, runs as
# the postgres user, and passes its arguments to the server (`postgres -c key=value …`).
# Needs root, debootstrap and a running Docker engine. Packages come from the Debian mirror
# apt already uses on this machine.
set -euo pipefail

major=${1:?usage: $0 MAJOR [TAG]}
tag=${2:-postgres:$major}
case "$major" in
  15) suite=bookworm ;;
  17) suite=trixie ;;
  *) echo "no Debian release carries PostgreSQL $major: use 15 (bookworm) or 17 (trixie)" >&2; exit 2 ;;
esac

mirror=$(grep -hoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
  | awk '{print $2}' | grep -v security | head -n 1 || true)
if [ -z "$mirror" ]; then
  echo "cannot find the Debian mirror apt uses (/etc/apt/sources.list*)" >&2
  exit 2
fi

rootfs=$(mktemp -d /var/tmp/pgfence-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include="postgresql-$major" "$suite" "$rootfs" "$mirror" >/dev/null

# The package's own cluster and caches are not wanted in the image.
rm -rf "$rootfs/var/lib/postgresql/$major" "$rootfs/etc/postgresql/$major" \
       "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
mkdir -p "$rootfs/var/lib/postgresql/data"
chroot "$rootfs" chown -R postgres:postgres /var/lib/postgresql

cat > "$rootfs/usr/local/bin/docker-entrypoint.sh" <<ENTRYPOINT
#!/bin/sh
set -e
BIN=/usr/lib/postgresql/$major/bin
PGDATA=\${PGDATA:-/var/lib/postgresql/data}
user=\${POSTGRES_USER:-postgres}
if [ ! -s "\$PGDATA/PG_VERSION" ]; then
  pwfile=\$(mktemp)
  printf '%s\n' "\${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}" > "\$pwfile"
  "\$BIN/initdb" -D "\$PGDATA" -U "\$user" --pwfile="\$pwfile" --auth-host=scram-sha-256 \\
    --auth-local=trust -E UTF8 --locale=C >/dev/null
  rm -f "\$pwfile"
  echo "host all all all scram-sha-256" >> "\$PGDATA/pg_hba.conf"
  if [ -n "\${POSTGRES_DB:-}" ] && [ "\$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"\$POSTGRES_DB\" OWNER \"\$user\";" \\
      | "\$BIN/postgres" --single -D "\$PGDATA" -j postgres >/dev/null
  fi
fi
[ "\${1:-}" = postgres ] && shift
exec "\$BIN/postgres" -D "\$PGDATA" -c unix_socket_directories=/tmp "\$@"
ENTRYPOINT
chmod 755 "$rootfs/usr/local/bin/docker-entrypoint.sh"

tar -C "$rootfs" -c . | docker import \
  --change 'USER postgres' \
  --change "ENV PATH=/usr/lib/postgresql/$major/bin:/usr/local/bin:/usr/bin:/bin" \
  --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  --change 'CMD ["postgres"]' \
  - "$tag" >/dev/null
echo "built $tag (PostgreSQL $major from Debian $suite)"
