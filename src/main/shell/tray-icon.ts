/**
 * The tray icon and the Windows taskbar overlay, drawn as raw pixels so they need no image files
 * in the package and can carry any count: a disc in the connection's colour with a mark that
 * differs by state (not colour alone), and a red badge with the unread count. The shell turns
 * the bitmap into an image with `nativeImage.createFromBitmap`.
 */
import type { LinkState } from './status';

export type Bitmap = Readonly<{
  width: number;
  height: number;
  /** Device pixels per point: a 32 px bitmap at 2 is a 16 pt icon, sharp on high-DPI screens. */
  scaleFactor: number;
  /** BGRA, premultiplied alpha: what Electron's `toBitmap()` gives and `createFromBitmap()` takes. */
  bitmap: Buffer;
}>;

type Rgb = readonly [number, number, number];

export const LINK_COLOURS: Readonly<Record<LinkState, Rgb>> = {
  connected: [40, 150, 80],
  reconnecting: [205, 130, 0],
  offline: [120, 126, 136],
  'signed-out': [120, 126, 136],
};
const BADGE_RED: Rgb = [214, 48, 49];
const WHITE: Rgb = [255, 255, 255];

// 3×5 glyphs, rows top to bottom, three bits each.
const GLYPHS: Readonly<Record<string, readonly number[]>> = {
  '0': [0b111, 0b101, 0b101, 0b101, 0b111],
  '1': [0b010, 0b110, 0b010, 0b010, 0b111],
  '2': [0b111, 0b001, 0b111, 0b100, 0b111],
  '3': [0b111, 0b001, 0b111, 0b001, 0b111],
  '4': [0b101, 0b101, 0b111, 0b001, 0b001],
  '5': [0b111, 0b100, 0b111, 0b001, 0b111],
  '6': [0b111, 0b100, 0b111, 0b101, 0b111],
  '7': [0b111, 0b001, 0b010, 0b010, 0b010],
  '8': [0b111, 0b101, 0b111, 0b101, 0b111],
  '9': [0b111, 0b101, 0b111, 0b001, 0b111],
  '+': [0b000, 0b010, 0b111, 0b010, 0b000],
};

/** Straight-alpha RGBA canvas; converted to premultiplied BGRA at the end. */
class Canvas {
  readonly rgba: Float64Array;

  constructor(readonly size: number) {
    this.rgba = new Float64Array(size * size * 4);
  }

  /** Source-over blend of one colour at coverage `alpha` (0..1). */
  blend(x: number, y: number, [r, g, b]: Rgb, alpha: number): void {
    if (alpha <= 0 || x < 0 || y < 0 || x >= this.size || y >= this.size) return;
    const i = (y * this.size + x) * 4;
    const a = Math.min(1, alpha);
    const below = this.rgba[i + 3] ?? 0;
    const out = a + below * (1 - a);
    const mix = (channel: number, value: number): number =>
      out === 0 ? 0 : (value * a + (this.rgba[i + channel] ?? 0) * below * (1 - a)) / out;
    this.rgba[i] = mix(0, r);
    this.rgba[i + 1] = mix(1, g);
    this.rgba[i + 2] = mix(2, b);
    this.rgba[i + 3] = out;
  }

  /** Anti-aliased disc (coverage from the distance to the edge), optionally a ring of `width`. */
  disc(cx: number, cy: number, radius: number, colour: Rgb, ringWidth = 0): void {
    for (let y = 0; y < this.size; y += 1) {
      for (let x = 0; x < this.size; x += 1) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        let coverage = Math.max(0, Math.min(1, radius - d + 0.5));
        if (ringWidth > 0) coverage = Math.min(coverage, Math.max(0, Math.min(1, d - (radius - ringWidth) + 0.5)));
        this.blend(x, y, colour, coverage);
      }
    }
  }

  rect(x0: number, y0: number, width: number, height: number, colour: Rgb): void {
    for (let y = y0; y < y0 + height; y += 1) for (let x = x0; x < x0 + width; x += 1) this.blend(x, y, colour, 1);
  }

  /** Text in the 3×5 font, each font pixel `scale` device pixels, centred on (cx, cy). */
  text(value: string, cx: number, cy: number, scale: number, colour: Rgb): void {
    const glyphs = [...value].map((c) => GLYPHS[c]).filter((g): g is readonly number[] => g !== undefined);
    const width = (glyphs.length * 4 - 1) * scale;
    const left = Math.round(cx - width / 2);
    const top = Math.round(cy - (5 * scale) / 2);
    glyphs.forEach((rows, index) => {
      rows.forEach((bits, row) => {
        for (let column = 0; column < 3; column += 1) {
          if (bits & (0b100 >> column)) this.rect(left + (index * 4 + column) * scale, top + row * scale, scale, scale, colour);
        }
      });
    });
  }

  toBitmap(scaleFactor: number): Bitmap {
    const out = Buffer.alloc(this.size * this.size * 4);
    for (let i = 0; i < this.size * this.size; i += 1) {
      const a = this.rgba[i * 4 + 3] ?? 0;
      const premultiply = (channel: number): number => Math.round((this.rgba[i * 4 + channel] ?? 0) * a);
      out[i * 4] = premultiply(2);
      out[i * 4 + 1] = premultiply(1);
      out[i * 4 + 2] = premultiply(0);
      out[i * 4 + 3] = Math.round(a * 255);
    }
    return { width: this.size, height: this.size, scaleFactor, bitmap: out };
  }
}

/** The tray icon: state disc with its mark, and the unread badge when `badgeText` is not empty. */
export function drawTrayIcon(link: LinkState, badgeText: string, size = 32): Bitmap {
  const canvas = new Canvas(size);
  const centre = size / 2;
  const radius = size * 0.4;
  canvas.disc(centre, centre, radius, LINK_COLOURS[link]);
  if (link === 'connected') canvas.disc(centre, centre, radius * 0.42, WHITE);
  else if (link === 'reconnecting') canvas.disc(centre, centre, radius * 0.55, WHITE, Math.max(1.5, size / 16));
  else canvas.rect(Math.round(centre - radius * 0.5), Math.round(centre - size / 32), Math.round(radius), Math.max(2, Math.round(size / 16)), WHITE);
  if (badgeText !== '') {
    const badgeRadius = size * 0.3;
    const bx = size - badgeRadius - 0.5;
    const by = badgeRadius + 0.5;
    canvas.disc(bx, by, badgeRadius + Math.max(1, size / 32), WHITE);
    canvas.disc(bx, by, badgeRadius, BADGE_RED);
    canvas.text(badgeText, bx, by, Math.max(1, Math.floor(size / 32)) * (badgeText.length > 1 ? 1 : 2), WHITE);
  }
  return canvas.toBitmap(size / 16);
}

/** The Windows taskbar overlay: the unread badge alone (Windows shows it over the app icon). */
export function drawBadgeOverlay(badgeText: string, size = 32): Bitmap {
  const canvas = new Canvas(size);
  canvas.disc(size / 2, size / 2, size / 2 - 0.5, BADGE_RED);
  canvas.text(badgeText, size / 2, size / 2, Math.max(1, Math.floor(size / 16)) * (badgeText.length > 1 ? 1 : 2), WHITE);
  return canvas.toBitmap(size / 16);
}
