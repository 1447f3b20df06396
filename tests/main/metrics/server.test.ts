import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Metrics,
  MetricsServer,
  isLoopbackHost,
  resolveMetricsPort,
} from '../../../src/main/core/metrics';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { makeTestCore } from '../../support/core';
import { familyNames, sampleValue } from './exposition';
import { connectOutcome, rawStatusLine, request } from './http';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startedCore(overrides: Parameters<typeof makeTestCore>[0] = {}) {
  const test = makeTestCore({ metricsPort: 0, ...overrides });
  cleanups.push(test.cleanup);
  await test.core.start();
  return test;
}

function listeningPort(core: { metricsPort(): number | null }): number {
  const port = core.metricsPort();
  if (port === null) throw new Error('the metrics endpoint is not listening');
  return port;
}

describe('metrics endpoint', () => {
  it('serves the exposition on GET /metrics with at least 25 application families that moved', async () => {
    const { core } = await startedCore();
    await core.handlers['auth:status']({});
    core.notifySystem('offline');
    const port = listeningPort(core);
    const answer = await request(port);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = familyNames(answer.body).filter((name) => !/^(process|nodejs)_/.test(name));
    expect(families.length).toBeGreaterThanOrEqual(25);
    expect(sampleValue(answer.body, 'ipc_requests_total', { channel: 'auth:status', result: 'ok' })).toBe(1);
    expect(sampleValue(answer.body, 'os_online')).toBe(0);
    expect(sampleValue(answer.body, 'metrics_scrapes_total', { via: 'http' })).toBe(1);
  });

  it('accepts loopback Host names with any port and refuses every other name (DNS rebinding)', async () => {
    const { core } = await startedCore();
    const port = listeningPort(core);
    const allowed = ['127.0.0.1', `127.0.0.1:${port}`, 'localhost', 'LOCALHOST:80', `[::1]:${port}`, '[::1]'];
    const refused = ['evil.example', `evil.example:${port}`, '127.0.0.1.evil.example', '127.0.0.2', '0.0.0.0', '[::2]', 'localhost.', '::1', 'localhost:99999x'];
    const statuses = async (hosts: string[]) =>
      Promise.all(hosts.map(async (host) => [host, (await request(port, { host })).status] as const));
    expect(await statuses(allowed)).toEqual(allowed.map((host) => [host, 200]));
    expect(await statuses(refused)).toEqual(refused.map((host) => [host, 403]));
    expect(await rawStatusLine(port, 'GET /metrics HTTP/1.0\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
  });

  it('answers 404 for any other path and 405 for any other method', async () => {
    const { core } = await startedCore();
    const port = listeningPort(core);
    expect((await request(port, { path: '/' })).status).toBe(404);
    expect((await request(port, { path: '/metrics/x' })).status).toBe(404);
    expect((await request(port, { path: '/api/v1/query' })).status).toBe(404);
    expect((await request(port, { path: '/metrics?name[]=up' })).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']) {
      const answer = await request(port, { method });
      expect([method, answer.status, answer.headers['allow']]).toEqual([method, 405, 'GET']);
    }
  });

  it('listens on 127.0.0.1 only: other loopback and interface addresses are refused', async () => {
    const { core } = await startedCore();
    const port = listeningPort(core);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((entry) => entry !== undefined && !entry.internal)
      .map((entry) => entry?.address ?? '')
      .filter((address) => !address.startsWith('fe80'));
    const addresses = ['127.0.0.2', '::1', ...external];
    const outcomes = await Promise.all(addresses.map(async (address) => [address, await connectOutcome(port, address)]));
    expect(outcomes).toEqual(addresses.map((address) => [address, 'ECONNREFUSED']));
    expect(await connectOutcome(port, '127.0.0.1')).toBe('connected');
  });

  it('refuses any host but 127.0.0.1 in its options, with a clear error', () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const log = createMemoryLogger();
    for (const host of ['0.0.0.0', '::', 'localhost', '192.0.2.2']) {
      expect(() => new MetricsServer({ metrics, log, port: 0, host })).toThrow(/listens on 127\.0\.0\.1 only/);
    }
    expect(() => new MetricsServer({ metrics, log, port: 0, host: '127.0.0.1' })).not.toThrow();
  });

  it('gives two cores with port 0 two different free ports', async () => {
    const first = await startedCore();
    const second = await startedCore();
    expect(listeningPort(first.core)).not.toBe(listeningPort(second.core));
  });

  it("opens no port with 'off', yet the snapshot still works", async () => {
    const { core } = await startedCore({ metricsPort: 'off' });
    expect(core.metricsPort()).toBeNull();
    await core.handlers['auth:status']({});
    const snapshot = await core.metricsSnapshot();
    expect(sampleValue(snapshot, 'ipc_requests_total', { channel: 'auth:status', result: 'ok' })).toBe(1);
    expect(sampleValue(snapshot, 'metrics_scrapes_total', { via: 'snapshot' })).toBe(1);
  });

  it('starts the core anyway when the port is taken, and says so in the log', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const { core, records } = await startedCore({ metricsPort: port });
    expect(core.metricsPort()).toBeNull();
    expect(records.some((r) => r.level === 'warn' && r.message.includes(`metrics: endpoint not started on port ${port}`))).toBe(true);
    expect((await core.handlers['auth:status']({})).signedIn).toBe(false);
  });

  it('stops with the core, closing kept-alive scrape connections, and keeps the snapshot readable', async () => {
    const test = makeTestCore({ metricsPort: 0 });
    await test.core.start();
    const port = listeningPort(test.core);
    const agent = new http.Agent({ keepAlive: true });
    expect((await request(port, { agent })).status).toBe(200);
    await test.cleanup();
    agent.destroy();
    expect(test.core.metricsPort()).toBeNull();
    expect(await connectOutcome(port, '127.0.0.1')).toBe('ECONNREFUSED');
    expect(familyNames(await test.core.metricsSnapshot())).toContain('ws_connection_state');
  });
});

describe('resolveMetricsPort', () => {
  it('takes the option, else NOVA_METRICS_PORT, else 9464', () => {
    expect(resolveMetricsPort(undefined, undefined)).toBe(9464);
    expect(resolveMetricsPort(undefined, '')).toBe(9464);
    expect(resolveMetricsPort(undefined, '0')).toBe(0);
    expect(resolveMetricsPort(undefined, ' 9500 ')).toBe(9500);
    expect(resolveMetricsPort(undefined, 'off')).toBe('off');
    expect(resolveMetricsPort(0, '9500')).toBe(0);
    expect(resolveMetricsPort('off', '9500')).toBe('off');
  });

  it('rejects anything that is not a port or "off", naming where it came from', () => {
    expect(() => resolveMetricsPort(undefined, 'abc')).toThrow(/NOVA_METRICS_PORT must be a port from 0 to 65535/);
    expect(() => resolveMetricsPort(undefined, '70000')).toThrow(/NOVA_METRICS_PORT/);
    expect(() => resolveMetricsPort(-1, undefined)).toThrow(/metricsPort must be/);
    expect(() => resolveMetricsPort(1.5, undefined)).toThrow(/metricsPort must be/);
    expect(() => makeTestCore({ metricsPort: 65_536 })).toThrow(/metricsPort must be a port/);
  });
});

describe('isLoopbackHost', () => {
  it('knows the loopback names and nothing else', () => {
    expect(['127.0.0.1', 'localhost:1', '[::1]:9464'].map(isLoopbackHost)).toEqual([true, true, true]);
    expect([undefined, '', 'localhost:', 'localhost:abc', '127.1', 'a.localhost'].map(isLoopbackHost)).toEqual([
      false, false, false, false, false, false,
    ]);
  });
});
