# Sourced by scripts/test and scripts/bench-elasticsearch: makes sure
# osmem-server (PyPI, an in-memory Elasticsearch-compatible server) is
# installed in the gitignored .venv-test and exports LETHE_TEST_OSMEM_BIN.
# Needs $root (the checkout), log() and apt_install (scripts/lib/apt.sh).
# shellcheck source=scripts/lib/venv.sh
. "$root/scripts/lib/venv.sh"
if ! "$venv/bin/python" -c 'import osmem_server' >/dev/null 2>&1; then
  log "installing osmem-server 0.1.6 into .venv-test"
  "$venv/bin/pip" install -q --disable-pip-version-check osmem-server==0.1.6
fi
LETHE_TEST_OSMEM_BIN=$("$venv/bin/python" -c 'import osmem_server; print(osmem_server.resolve_binary())')
export LETHE_TEST_OSMEM_BIN
