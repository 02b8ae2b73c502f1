#!/usr/bin/env bash
# Re-vendor the front-end assets from the npm registry. Pages load these files from /static/vendor;
# nothing is fetched from a CDN at run time. Run from anywhere; review `git diff --stat` afterwards.
set -euo pipefail
LEAFLET=${LEAFLET:-1.9.4}
MARKERCLUSTER=${MARKERCLUSTER:-1.5.3}
AXE=${AXE:-4.14.1}
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts \
  "leaflet@$LEAFLET" "leaflet.markercluster@$MARKERCLUSTER" "axe-core@$AXE" >/dev/null
nm="$tmp/node_modules"

rm -rf "$here/leaflet" "$here/leaflet.markercluster" "$here/axe-core"
mkdir -p "$here/leaflet/images" "$here/leaflet.markercluster" "$here/axe-core"

cp "$nm/leaflet/dist/leaflet.js" "$nm/leaflet/dist/leaflet.css" "$nm/leaflet/LICENSE" "$here/leaflet/"
cp "$nm/leaflet/dist/images/"*.png "$here/leaflet/images/"

cp "$nm/leaflet.markercluster/dist/leaflet.markercluster.js" \
   "$nm/leaflet.markercluster/dist/MarkerCluster.css" \
   "$nm/leaflet.markercluster/dist/MarkerCluster.Default.css" "$here/leaflet.markercluster/"
cp "$nm/leaflet.markercluster/MIT-LICENCE.txt" "$here/leaflet.markercluster/LICENSE"

cp "$nm/axe-core/axe.min.js" "$nm/axe-core/LICENSE" "$nm/axe-core/LICENSE-3RD-PARTY.txt" "$here/axe-core/"

# The minified files end with a sourceMappingURL comment; the maps are not vendored, so strip the
# comment to keep browser consoles free of 404s for them.
sed -i '/^\/\/# sourceMappingURL=/d' "$here/leaflet/leaflet.js" "$here/leaflet.markercluster/leaflet.markercluster.js"

for p in leaflet leaflet.markercluster axe-core; do
  printf '%s %s\n' "$p" "$(node -p "require('$nm/$p/package.json').version")"
done > "$here/VERSIONS"
cat "$here/VERSIONS"
