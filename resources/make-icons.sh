#!/usr/bin/env bash
# Renders resources/icon.svg into every icon the installers need. The outputs are committed, so
# only whoever changes the logo runs this (Debian: apt-get install librsvg2-bin icoutils).
set -euo pipefail
cd "$(dirname "$0")"

rm -rf icons && mkdir -p icons
for size in 16 24 32 48 64 128 256 512 1024; do
  rsvg-convert --width "$size" --height "$size" icon.svg --output "icons/${size}x${size}.png"
done
cp icons/1024x1024.png icon.png

# Windows keeps 256 px as an embedded PNG (-r) and the small sizes as bitmaps for old shells.
icotool --create --output icon.ico \
  icons/16x16.png icons/24x24.png icons/32x32.png icons/48x48.png icons/64x64.png icons/128x128.png \
  --raw=icons/256x256.png

node write-icns.mjs icon.icns icons
