# Sourced by scripts: installs Debian packages, as root or through sudo
# (apt-get update only when the first try fails).
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq "$@" >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
  else
    sudo apt-get install -y -qq "$@" >/dev/null 2>&1 \
      || { sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
  fi
}

