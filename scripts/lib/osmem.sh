# Sourced by scripts/test and scripts/bench-elasticsearch: makes sure
# osmem-server (PyPI, an in-memory Elasticsearch-compatible server) is
# installed in the gitignored .venv-test and exports LETHE_TEST_OSMEM_BIN.
# Needs $root (the checkout), log() and apt_install (scripts/lib/apt.sh).
venv="$root/.venv-test"
if ! "$venv/bin/python" -c 'import osmem_server' >/dev/null 2>&1; then
  log "installing osmem-server 0.1.6 into .venv-test"
  if [ ! -x "$venv/bin/pip" ] && ! python3 -m venv "$venv" >/dev/null 2>&1; then
    log "python3 cannot make a virtualenv; installing Debian's python3-venv"
    rm -rf "$venv"
    apt_install python3-venv
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check osmem-server==0.1.6
fi
LETHE_TEST_OSMEM_BIN=$("$venv/bin/python" -c 'import osmem_server; print(osmem_server.resolve_binary())')
export LETHE_TEST_OSMEM_BIN
