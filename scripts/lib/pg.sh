# Sourced by scripts/test and scripts/bench-postgres: installs PostgreSQL if
# missing, starts a throwaway TLS-enabled cluster on a free loopback port,
# stops it on exit, and exports LETHE_TEST_DATABASE_URL and LETHE_TEST_PG_CA.
# Expects `log` to be defined by the caller.

# --- PostgreSQL: a throwaway cluster on a free loopback port -----------------
pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

if ! bindir=$(pg_bin); then
  log "PostgreSQL is not installed; installing Debian's postgresql"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  bindir=$(pg_bin)
fi

pgdir=$(mktemp -d /tmp/lethe-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_pg() {
  # initdb refuses to run as root: run the cluster as the postgres user.
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
cleanup() {
  run_pg "$bindir/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
run_pg "$bindir/initdb" -D "$pgdir/data" -A trust -U postgres >"$pgdir/initdb.log" 2>&1 \
  || { cat "$pgdir/initdb.log" >&2; exit 1; }
# TLS: a throwaway CA and a server certificate for 127.0.0.1/localhost, so the
# postgres connector's sslmode tests (require, verify-full) meet a real
# handshake. Plaintext (`host`) and TLS (`hostssl`) connections are both
# accepted; the client's sslmode decides.
tls="$pgdir/tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lethe test CA" \
  -keyout "$tls/ca.key" -out "$tls/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
  -days 2 -extfile "$tls/ext.cnf" -out "$tls/server.pem" >/dev/null 2>&1
chmod 600 "$tls/server.key"
[ "$(id -u)" = 0 ] && chown -R postgres "$tls"
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhostssl all all 127.0.0.1/32 trust\n' >"$pgdir/data/pg_hba.conf"
run_pg "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir -c fsync=off -c max_connections=200 -c ssl=on -c ssl_cert_file=$tls/server.pem -c ssl_key_file=$tls/server.key" start >/dev/null
export LETHE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
export LETHE_TEST_PG_CA="$tls/ca.pem"
# The same certificate serves the tests' other TLS servers (an HTTPS front
# for osmem-server): CA in LETHE_TEST_PG_CA, certificate and key here.
export LETHE_TEST_TLS_CERT="$tls/server.pem" LETHE_TEST_TLS_KEY="$tls/server.key"
log "PostgreSQL on 127.0.0.1:$port (TLS offered, CA $LETHE_TEST_PG_CA)"

