import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

const out = path.join(__dirname, '../../out');

test('the sandboxed preload requires nothing but electron', () => {
  const preload = fs.readFileSync(path.join(out, 'preload/index.js'), 'utf8');
  const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
  expect([...new Set(required)]).toEqual(['electron']);
});

test('the renderer page carries a CSP without inline or eval script', () => {
  const html = fs.readFileSync(path.join(out, 'renderer/index.html'), 'utf8');
  expect(html).toMatch(/Content-Security-Policy[^>]*script-src 'self'/);
  expect(html).not.toMatch(/unsafe-(inline|eval)/);
  expect(html).not.toMatch(/<script>(?!\s*<\/script>)/);
});
