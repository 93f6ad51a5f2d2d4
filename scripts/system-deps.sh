#!/usr/bin/env bash
# Install the Debian/Ubuntu packages Tallylight needs, when missing.
#   scripts/system-deps.sh run    Qt's xcb libraries (to show the app)
#   scripts/system-deps.sh package  those plus what `make package` uses (dpkg-deb, lintian, objdump, xvfb-run)
#   scripts/system-deps.sh test   those plus Xvfb, xdotool, trayer, age, a D-Bus daemon, node and npm (the test suite's real components)
# As root it installs with apt-get; otherwise it prints the exact command and fails.
set -euo pipefail
what=${1:-test}

run_pkgs=(libegl1 libgl1 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3 libx11-6 libx11-xcb1
  libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0
  libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
  libxkbcommon0 libxkbcommon-x11-0 fonts-dejavu-core python3-venv)
test_pkgs=(xvfb xauth xdotool trayer age x11-utils dbus-daemon)
# the desktop entry and AppStream checks of resources/ (tests/test_resources.py)
test_pkgs+=(desktop-file-utils appstream)
# node and npm fetch the C2SP CCTV age vectors (scripts/cctv-vectors.sh); a node that bundles
# npm (NodeSource) needs no Debian npm package
test_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || test_pkgs+=(npm)
# gio launch: the .deb's menu entry started as a desktop menu starts it (tests/packaging)
test_pkgs+=(libglib2.0-bin)
# a headless Wayland compositor: the task window on Wayland (tests/test_wayland.py)
test_pkgs+=(weston)

pkgs=("${run_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")
[ "$what" = package ] && pkgs+=(dpkg-dev binutils lintian xvfb xauth desktop-file-utils appstream)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; install the equivalents of: ${pkgs[*]}" >&2
  exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system-deps: missing packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
