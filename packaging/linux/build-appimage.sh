#!/usr/bin/env bash
# Lay out build/appimage/Tallylight.AppDir from the frozen app in dist/tallylight/ and, when
# APPIMAGETOOL names an appimagetool, make dist/Tallylight-<version>-x86_64.AppImage of it.
#   AppRun                          a link to usr/lib/tallylight/tallylight (the onedir app;
#                                   it finds its folder through the link, as /usr/bin's does)
#   org.tallylight.Tallylight.desktop, tallylight.svg, .DirIcon     what the AppImage shows
#   usr/share/{applications,metainfo,icons}                         as in the .deb
# appimagetool is in no registry this project installs from (Debian, PyPI, npm), so only the
# release workflow makes the image (it downloads a pinned, checksummed appimagetool there);
# `make package-test` checks the AppDir here by running its AppRun --self-test.
set -euo pipefail
cd "$(dirname "$0")/../.."
app=dist/tallylight
version=${1:?usage: build-appimage.sh VERSION}
appdir=build/appimage/Tallylight.AppDir
[ -x "$app/tallylight" ] || { echo "build-appimage: $app/tallylight is missing (run pyinstaller first)" >&2; exit 1; }

rm -rf "$appdir"
mkdir -p "$appdir/usr/lib" "$appdir/usr/share/applications" "$appdir/usr/share/metainfo" \
  "$appdir/usr/share/icons/hicolor/scalable/apps"
cp -a "$app" "$appdir/usr/lib/tallylight"
ln -s usr/lib/tallylight/tallylight "$appdir/AppRun"
install -m 0644 resources/linux/org.tallylight.Tallylight.desktop "$appdir/usr/share/applications/"
ln -s usr/share/applications/org.tallylight.Tallylight.desktop "$appdir/org.tallylight.Tallylight.desktop"
python3 packaging/linux/metainfo.py "$appdir/usr/share/metainfo/org.tallylight.Tallylight.metainfo.xml" \
  --homepage "${TALLYLIGHT_HOMEPAGE:-}" --screenshots "${TALLYLIGHT_SCREENSHOTS_URL:-}"
install -m 0644 resources/icons/tallylight.svg "$appdir/usr/share/icons/hicolor/scalable/apps/tallylight.svg"
for png in resources/icons/png/tallylight-*.png; do
  size=$(basename "$png" .png); size=${size#tallylight-}
  mkdir -p "$appdir/usr/share/icons/hicolor/${size}x${size}/apps"
  install -m 0644 "$png" "$appdir/usr/share/icons/hicolor/${size}x${size}/apps/tallylight.png"
done
install -m 0644 resources/icons/tallylight.svg "$appdir/tallylight.svg"
ln -s tallylight.svg "$appdir/.DirIcon"
find "$appdir" -name __pycache__ -prune -exec rm -rf {} +
echo "build-appimage: $appdir"

if [ -n "${APPIMAGETOOL:-}" ]; then
  out=dist/Tallylight-${version}-x86_64.AppImage
  rm -f "$out"
  ARCH=x86_64 VERSION=$version "$APPIMAGETOOL" --no-appstream "$appdir" "$out"
  echo "build-appimage: $out ($(du -h "$out" | cut -f1))"
fi
