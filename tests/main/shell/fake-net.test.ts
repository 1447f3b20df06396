/**
 * The fake Electron's `net.request` keeps the rules of Electron's ClientRequest that
 * electron-updater relies on (tests/support/fake-electron/README.md), against a local server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installFakeElectron, uninstallFakeElectron, type FakeClientRequest, type FakeElectron } from '../../support/fake-electron';
import { makeTempDir } from '../../support/core';

let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((request, response) => {
    if (request.url === '/moved') response.writeHead(302, { location: '/feed.yml' }).end();
    else if (request.url === '/feed.yml') response.writeHead(200, { 'content-type': 'text/yaml', 'x-Custom': 'A' }).end(`version: 1.0.0\nua: ${request.headers['user-agent']}\n`);
    else response.writeHead(404).end('missing');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let fake: FakeElectron;
afterEach(() => uninstallFakeElectron());

function ready(): FakeElectron {
  fake = installFakeElectron({ userData: makeTempDir('nova-fake-net-') });
  fake.app.emitReady();
  return fake;
}

function body(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
  });
}

function responseOf(request: FakeClientRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request.on('response', resolve);
    request.on('error', reject);
    request.end();
  });
}

describe('the fake net.request', () => {
  it('refuses to work before ready, as Electron does', () => {
    fake = installFakeElectron({ userData: makeTempDir('nova-fake-net-') });
    expect(() => fake.net.request(`${base}/feed.yml`)).toThrow('net module can only be used after app is ready');
  });

  it('answers every status with a readable response and lower-cased headers; sends the headers it was given', async () => {
    const net = ready().net;
    const ok = await responseOf(net.request({ url: `${base}/feed.yml`, headers: { 'User-Agent': 'electron-builder' } }));
    expect([ok.statusCode, ok.headers['x-custom']]).toEqual([200, 'A']);
    expect(await body(ok)).toBe('version: 1.0.0\nua: electron-builder\n');
    const missing = await responseOf(net.request({ protocol: 'http:', hostname: '127.0.0.1', port: new URL(base).port, path: '/nothing' }));
    expect(missing.statusCode).toBe(404);
  });

  it('follows redirects, or in manual mode waits for followRedirect()', async () => {
    const net = ready().net;
    expect((await responseOf(net.request(`${base}/moved`))).statusCode).toBe(200);
    const manual = net.request({ url: `${base}/moved`, redirect: 'manual' });
    const redirected = new Promise<string>((resolve) => manual.on('redirect', (_status: number, _method: string, url: string) => resolve(url)));
    const answered = new Promise<IncomingMessage>((resolve) => manual.on('response', resolve));
    manual.end();
    expect(await redirected).toBe(`${base}/feed.yml`);
    manual.followRedirect();
    expect((await answered).statusCode).toBe(200);
  });

  it('fails with Chromium’s message and no Node error code; abort() emits abort then close', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const net = ready().net;
    const error = await responseOf(net.request(`http://127.0.0.1:${port}/`)).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('net::ERR_CONNECTION_REFUSED');
    expect((error as { code?: string }).code).toBeUndefined();

    const request = net.request(`${base}/feed.yml`);
    const events: string[] = [];
    request.on('abort', () => events.push('abort'));
    request.on('close', () => events.push('close'));
    request.abort();
    expect(events).toEqual(['abort', 'close']);
    expect(net.requests).toHaveLength(2);
  });
});
