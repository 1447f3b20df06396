// Writes an Apple .icns whose entries are plain PNGs (supported since macOS 10.7). Debian's
// png2icns would store the large sizes as lossy JPEG 2000, so the container is written here.
// Usage: node write-icns.mjs <out.icns> <dir holding NxN.png files>
import fs from 'node:fs';
import path from 'node:path';

// OSType → pixel size; the @2x types reuse the same bitmap at double density.
const ENTRIES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['ic12', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
];

const [output, folder] = process.argv.slice(2);
if (!output || !folder) throw new Error('usage: node write-icns.mjs <out.icns> <png folder>');

const chunks = ENTRIES.map(([type, size]) => {
  const png = fs.readFileSync(path.join(folder, `${size}x${size}.png`));
  const header = Buffer.alloc(8);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(png.length + 8, 4);
  return Buffer.concat([header, png]);
});
const body = Buffer.concat(chunks);
const header = Buffer.alloc(8);
header.write('icns', 0, 'latin1');
header.writeUInt32BE(body.length + 8, 4);
fs.writeFileSync(output, Buffer.concat([header, body]));
