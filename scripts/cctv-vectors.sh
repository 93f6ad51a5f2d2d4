#!/usr/bin/env bash
# Fetch the C2SP CCTV age test vectors (npm package cctv-age 0.2.0; 0BSD / CC0 / Unlicense)
# into build/ and write each vector out as a file, for tests/share/test_bundle.py.
#   scripts/cctv-vectors.sh [DEST]     (default build/cctv-age; the vectors land in DEST/vectors)
# Nothing fetched is committed. The tarball is checked against the SHA-256 pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-build/cctv-age}
version=0.2.0
sha256=94a2a220a95b158a69997e84405bb5d4ef84adf05d15bf341b83ec3ba9dd846e
[ -f "$dest/vectors/.complete" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "cctv-vectors: npm is missing (scripts/system-deps.sh test installs it)" >&2; exit 1; }
rm -rf "$dest"
mkdir -p "$dest/vectors"
(cd "$dest" && npm pack "cctv-age@$version" --silent >/dev/null)
echo "$sha256  $dest/cctv-age-$version.tgz" | sha256sum -c --quiet -
tar -xzf "$dest/cctv-age-$version.tgz" -C "$dest"
# index.js is an ES module exporting every vector as a Uint8Array named after it
node --input-type=module -e '
const [src, out] = process.argv.slice(1);
const { writeFileSync } = await import("node:fs");
const vectors = await import(src);
let n = 0;
for (const [name, bytes] of Object.entries(vectors)) {
  if (bytes instanceof Uint8Array && /^[a-z0-9_]+$/.test(name)) { writeFileSync(`${out}/${name}`, bytes); n++; }
}
console.log(`cctv-vectors: ${n} vectors in ${out}`);
' "$(pwd)/$dest/package/index.js" "$dest/vectors"
touch "$dest/vectors/.complete"
