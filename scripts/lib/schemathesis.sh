# Sourced by scripts/test: makes sure schemathesis (PyPI, property-based
# testing of the API from openapi/openapi.json; tests/it/schema_fuzz.rs runs
# it against `lethe demo`) is installed in the gitignored .venv-test, and
# exports LETHE_TEST_SCHEMATHESIS (its `st` executable). Needs $root, log()
# and apt_install (scripts/lib/apt.sh).
# shellcheck source=scripts/lib/venv.sh
. "$root/scripts/lib/venv.sh"
schemathesis=4.32.5
if ! "$venv/bin/st" --version 2>/dev/null | grep -qx "st, version $schemathesis"; then
  log "installing schemathesis $schemathesis into .venv-test"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$schemathesis"
fi
export LETHE_TEST_SCHEMATHESIS="$venv/bin/st"
