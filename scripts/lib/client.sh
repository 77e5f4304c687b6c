# Sourced by scripts/test: makes sure openapi-python-client (PyPI, the
# generator of the Python client tests/it/generated_client.rs builds from
# openapi/openapi.json on every run) and mypy (which type-checks what it
# generates) are installed in the gitignored .venv-test, and exports
# LETHE_TEST_PY_VENV. Needs $root, log() and apt_install (scripts/lib/apt.sh).
# shellcheck source=scripts/lib/venv.sh
. "$root/scripts/lib/venv.sh"
generator=0.29.1 mypy=2.4.1
if ! "$venv/bin/openapi-python-client" --version 2>/dev/null | grep -qx "openapi-python-client version: $generator" \
  || ! "$venv/bin/mypy" --version 2>/dev/null | grep -q "^mypy $mypy "; then
  log "installing openapi-python-client $generator and mypy $mypy into .venv-test"
  "$venv/bin/pip" install -q --disable-pip-version-check "openapi-python-client==$generator" "mypy==$mypy"
fi
export LETHE_TEST_PY_VENV="$venv"
