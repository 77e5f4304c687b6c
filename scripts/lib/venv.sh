# Sourced by scripts/lib/osmem.sh and scripts/lib/client.sh: makes sure the
# gitignored .venv-test exists (installing Debian's python3-venv when
# python3 cannot make one) and sets $venv to it. Needs $root, log() and
# apt_install (scripts/lib/apt.sh).
venv="$root/.venv-test"
if [ ! -x "$venv/bin/pip" ] && ! python3 -m venv "$venv" >/dev/null 2>&1; then
  log "python3 cannot make a virtualenv; installing Debian's python3-venv"
  rm -rf "$venv"
  apt_install python3-venv
  python3 -m venv "$venv"
fi
