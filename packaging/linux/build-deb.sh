#!/usr/bin/env bash
# Build dist/tallylight_<version>_amd64.deb from the frozen app in dist/tallylight/ (make package).
#   /opt/tallylight/            the onedir build (Qt stays separate shared libraries: LGPL)
#   /usr/bin/tallylight         a link to it (the frozen app finds its folder through the link)
#   /usr/share/applications, /usr/share/icons/hicolor, /usr/share/metainfo   from resources/
#   /usr/share/doc/tallylight   copyright (DEP-5), changelog
# lintian's remaining tags are overridden, each with its reason (lintian-overrides below).
# TALLYLIGHT_HOMEPAGE and TALLYLIGHT_SCREENSHOTS_URL (set by the release workflow: where the
# project is published) add the homepage and the screenshots; without them the package
# names no address (packaging/linux/metainfo.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
app=dist/tallylight
version=${1:?usage: build-deb.sh VERSION}
arch=amd64
stage=build/deb/tallylight_${version}_${arch}
out=dist/tallylight_${version}_${arch}.deb
[ -x "$app/tallylight" ] || { echo "build-deb: $app/tallylight is missing (run pyinstaller first)" >&2; exit 1; }

rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
  "$stage/usr/share/metainfo" "$stage/usr/share/doc/tallylight" "$stage/usr/share/lintian/overrides" \
  "$stage/usr/share/icons/hicolor/scalable/apps"
cp -a "$app" "$stage/opt/tallylight"
ln -s /opt/tallylight/tallylight "$stage/usr/bin/tallylight"
install -m 0644 resources/linux/org.tallylight.Tallylight.desktop "$stage/usr/share/applications/"
python3 packaging/linux/metainfo.py "$stage/usr/share/metainfo/org.tallylight.Tallylight.metainfo.xml" \
  --homepage "${TALLYLIGHT_HOMEPAGE:-}" --screenshots "${TALLYLIGHT_SCREENSHOTS_URL:-}"
chmod 0644 "$stage/usr/share/metainfo/org.tallylight.Tallylight.metainfo.xml"
homepage=${TALLYLIGHT_HOMEPAGE:+Homepage: ${TALLYLIGHT_HOMEPAGE}
}
install -m 0644 resources/icons/tallylight.svg "$stage/usr/share/icons/hicolor/scalable/apps/tallylight.svg"
for png in resources/icons/png/tallylight-*.png; do
  size=$(basename "$png" .png); size=${size#tallylight-}
  mkdir -p "$stage/usr/share/icons/hicolor/${size}x${size}/apps"
  install -m 0644 "$png" "$stage/usr/share/icons/hicolor/${size}x${size}/apps/tallylight.png"
done

doc=$stage/usr/share/doc/tallylight
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: Tallylight"
  echo "Comment: /opt/tallylight bundles Python and the libraries Tallylight runs on (Qt for"
  echo " Python under the LGPL-3.0 as separate shared libraries, pynput, cryptography, numpy and"
  echo " others). Their licence texts are in"
  echo " /opt/tallylight/_internal/tallylight/_resources/licenses/THIRD-PARTY-LICENSES.txt."
  echo
  echo "Files: *"
  echo "Copyright: The Tallylight developers"
  echo "License: MIT"
  sed 's/^$/./; s/^/ /' LICENSE
} > "$doc/copyright"
printf 'tallylight (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- The Tallylight developers <tallylight@users.noreply.github.com>  %s\n' \
  "$version" "$version" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" \
  | gzip -9n > "$doc/changelog.gz"
install -m 0644 packaging/linux/lintian-overrides "$stage/usr/share/lintian/overrides/tallylight"

# permissions as dpkg expects; no Python caches written by a test run
find "$stage" -name __pycache__ -prune -exec rm -rf {} +
find "$stage" -type d -exec chmod 0755 {} +
find "$stage/opt" -type f -exec chmod u+rw,go+r,go-w {} +

# the newest glibc symbol version any bundled binary needs is the oldest glibc it runs on
glibc=$(find "$stage/opt" -type f \( -name '*.so*' -o -perm -u+x \) -exec objdump -T {} + 2>/dev/null \
  | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
# Qt's xcb platform and the system libraries PyInstaller leaves to the system (as scripts/system-deps.sh run)
depends="libc6 (>= ${glibc}), libegl1, libgl1, libfontconfig1, libfreetype6, libglib2.0-0, libdbus-1-3,
 libx11-6, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0,
 libxcb-render0, libxcb-render-util0, libxcb-shape0, libxcb-shm0, libxcb-sync1, libxcb-util1, libxcb-xfixes0,
 libxcb-xkb1, libxkbcommon0, libxkbcommon-x11-0, fonts-dejavu-core"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: tallylight
Version: ${version}
Architecture: ${arch}
Maintainer: The Tallylight developers <tallylight@users.noreply.github.com>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $(echo "$depends" | tr -d '\n')
Section: science
Priority: optional
${homepage}Description: record keyboard and mouse timing for research studies
 Tallylight records the timing of typing and pointer movements for a research
 study the participant chose to join, only during sessions the participant
 starts, with a tally light in the system tray on while it records. Recordings
 are encrypted on the computer from the first byte and leave it only when the
 participant shares them, after a preview.
 .
 Data lives in the participant's own folders (~/.local/share/tallylight);
 removing the package leaves it: use "Delete all my Tallylight data" in
 Settings first to remove it too.
CONTROL
mkdir -p dist
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "build-deb: $out ($(du -h "$out" | cut -f1))"
