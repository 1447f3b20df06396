/**
 * The connection doctor against the real reference server, with faults: DNS failure through the
 * resolver seam, a blackholed link, 503, an expired sign-in, a skewed clock, an untrusted TLS
 * certificate, and a computer that says it is offline.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../../../server';
import type { Core } from '../../../src/main/core';
import { systemClock } from '../../../src/main/core/clock';
import type { Resolver } from '../../../src/main/core/doctor';
import type { DoctorReport, DoctorStepId } from '../../../src/shared/support';
import { makeTempDir, makeTestCore } from '../../support/core';
import { startFaultProxy } from '../../support/fault-proxy';
import { DEMO_PASSWORD } from '../../../src/shared/demo';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const HOST = 'localhost';
const STEP_TIMEOUT_MS = 400;

/** The seam: `localhost` resolves to the loopback address, or fails the way a DNS server does. */
function resolverFor(state: { fails: boolean }): Resolver {
  return (hostname) => {
    if (state.fails) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
  };
}

async function server(clockOffset: { ms: number } = { ms: 0 }): Promise<ServerHandle> {
  const handle = await startServer({ seed: true, bcryptRounds: 4, clock: () => Date.now() + clockOffset.ms });
  cleanups.push(() => handle.close());
  return handle;
}

function doctorCore(port: number, options: { dns?: { fails: boolean }; clockAheadMs?: number } = {}): { core: Core; updates: DoctorReport[] } {
  const dataDir = makeTempDir('nova-doctor-');
  const ahead = options.clockAheadMs ?? 0;
  const { core, cleanup } = makeTestCore({
    dataDir,
    serverUrl: `http://${HOST}:${port}`,
    resolver: resolverFor(options.dns ?? { fails: false }),
    timing: { doctorStepTimeoutMs: STEP_TIMEOUT_MS, handshakeWaitMs: 1_000 },
    ...(ahead !== 0 ? { clock: { ...systemClock, now: () => Date.now() + ahead } } : {}),
  });
  cleanups.push(cleanup);
  const updates: DoctorReport[] = [];
  core.events.on('doctor:progress', (report) => updates.push(report));
  return { core, updates };
}

async function signIn(core: Core): Promise<void> {
  const result = await core.handlers['auth:login']({ email: 'alice@nova.local', password: DEMO_PASSWORD });
  expect(result.status).toBe('signed_in');
}

function verdicts(report: DoctorReport): Record<DoctorStepId, string> {
  return Object.fromEntries(report.steps.map((step) => [step.id, step.status])) as Record<DoctorStepId, string>;
}

function step(report: DoctorReport, id: DoctorStepId): DoctorReport['steps'][number] {
  const found = report.steps.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no step ${id}`);
  return found;
}

describe('the connection doctor', () => {
  it('passes every step against a healthy server, showing each step as it runs', async () => {
    const handle = await server();
    const { core, updates } = doctorCore(handle.port);
    await signIn(core);
    const report = await core.handlers['doctor:run']({});

    expect(verdicts(report)).toEqual({
      network: 'pass',
      dns: 'pass',
      tcp: 'pass',
      tls: 'skip',
      health: 'pass',
      websocket: 'pass',
      handshake: 'pass',
      ping: 'pass',
      clock: 'pass',
      token: 'pass',
    });
    expect(report.outcome).toBe('pass');
    expect(report.summary).toBe('Everything checked out: Nova can reach the server.');
    expect(step(report, 'dns').summary).toBe('localhost is at 127.0.0.1.');
    expect(step(report, 'tcp').summary).toBe(`Connected to 127.0.0.1:${handle.port}.`);
    expect(step(report, 'health').summary).toBe('The server is up (protocol 1.0, nova-compat).');
    expect(step(report, 'handshake').details[0]).toMatch(/^features: .*json_ping/);
    expect(step(report, 'ping').summary).toMatch(/^Round trip \d+ ms\.$/);
    expect(step(report, 'token').summary).toMatch(/^Valid for (59|60) min; Nova renews it before it expires\.$/);
    for (const done of report.steps.filter((s) => s.status !== 'skip')) expect(done.durationMs).toBeGreaterThanOrEqual(0);

    // Every step was shown running before its verdict, in order, and the last update is the report.
    for (const [index, id] of report.steps.map((s) => s.id).entries()) {
      const running = updates.findIndex((update) => step(update, id).status === 'running');
      const decided = updates.findIndex((update) => !['pending', 'running'].includes(step(update, id).status));
      expect(running, id).toBeGreaterThanOrEqual(index);
      expect(decided, id).toBeGreaterThan(running);
    }
    expect(updates.at(-1)).toEqual(report);
    expect(updates[0]?.outcome).toBe('running');

    // The report is in the diagnostics bundle.
    const preview = await core.handlers['diagnostics:collect']({});
    expect(preview.files.map((file) => file.name)).toContain('connection-doctor.json');
  });

  it('names DNS when the name cannot be resolved, and skips what depends on it', async () => {
    const handle = await server();
    const dns = { fails: false };
    const { core } = doctorCore(handle.port, { dns });
    await signIn(core);
    dns.fails = true;
    const report = await core.handlers['doctor:run']({});

    const failed = step(report, 'dns');
    expect(failed).toMatchObject({ status: 'fail', summary: 'The name localhost could not be found (ENOTFOUND).' });
    expect(failed.cause).toMatch(/typo in the server address/);
    expect(failed.nextStep).toMatch(/Check the server address/);
    expect(verdicts(report)).toMatchObject({ tcp: 'skip', tls: 'skip', health: 'skip', websocket: 'skip', handshake: 'skip', ping: 'skip', clock: 'skip', token: 'pass' });
    expect(step(report, 'health').summary).toBe('Skipped: the server could not be found.');
    expect(report.outcome).toBe('fail');
    expect(report.summary).toBe('Problem found at “Find the server (DNS)”: The name localhost could not be found (ENOTFOUND).');
  });

  it('tells a blackholed link from a dead server: the connection opens, nothing comes back', async () => {
    const handle = await server();
    const proxy = await startFaultProxy(handle.port);
    cleanups.push(() => proxy.close());
    const { core } = doctorCore(proxy.port);
    await signIn(core);
    proxy.blackhole(true);
    const report = await core.handlers['doctor:run']({});

    expect(verdicts(report)).toMatchObject({ dns: 'pass', tcp: 'pass', health: 'fail', websocket: 'skip', ping: 'skip' });
    const health = step(report, 'health');
    expect(health.summary).toBe('The server took the connection but did not answer within 400 ms.');
    expect(health.cause).toMatch(/swallows the traffic/);
    expect(health.nextStep).toMatch(/VPN/);

    await proxy.close();
    const refused = await core.handlers['doctor:run']({});
    expect(step(refused, 'tcp')).toMatchObject({ status: 'fail', summary: `Nothing answered on 127.0.0.1:${proxy.port} (connection refused).` });
    expect(step(refused, 'tcp').cause).toMatch(/server is down/);
  });

  it('reports a 503 as the server being unavailable, not the network', async () => {
    const handle = await server();
    const { core } = doctorCore(handle.port);
    await signIn(core);
    handle.control.unavailable(60_000);
    const report = await core.handlers['doctor:run']({});

    const health = step(report, 'health');
    expect(health).toMatchObject({ status: 'fail', summary: 'The server says it is temporarily unavailable (503).' });
    expect(health.details).toEqual(['Retry-After: 60 s']);
    expect(health.cause).toMatch(/Your computer and network are fine/);
    expect(step(report, 'websocket')).toMatchObject({ status: 'fail', summary: 'The server is turning new connections away for now (503 SERVICE_UNAVAILABLE).' });
    expect(verdicts(report)).toMatchObject({ network: 'pass', dns: 'pass', tcp: 'pass', clock: 'pass', token: 'pass' });
  });

  it('finds an expired sign-in the server refuses while this computer thinks it valid', async () => {
    const serverClock = { ms: 0 };
    const handle = await server(serverClock);
    const { core } = doctorCore(handle.port);
    await signIn(core);
    serverClock.ms = 2 * 3_600_000;
    const report = await core.handlers['doctor:run']({});

    expect(step(report, 'websocket')).toMatchObject({ status: 'fail', summary: 'The server refused the sign-in token as expired (401 TOKEN_EXPIRED).' });
    const token = step(report, 'token');
    expect(token.status).toBe('fail');
    expect(token.summary).toMatch(/^The server says your sign-in has expired, but by this computer’s clock it is valid for (59|60) min\.$/);
    expect(token.nextStep).toMatch(/date and time settings/);
    expect(verdicts(report)).toMatchObject({ health: 'pass', handshake: 'skip', ping: 'skip' });
  });

  it('measures clock skew against the server’s Date, and judges the token by this clock', async () => {
    const handle = await server();
    const farAhead = doctorCore(handle.port, { clockAheadMs: 2 * 3_600_000 });
    await signIn(farAhead.core);
    const report = await farAhead.core.handlers['doctor:run']({});
    const clock = step(report, 'clock');
    expect(clock).toMatchObject({ status: 'fail', summary: 'This computer’s clock is 2 h ahead of the server’s.' });
    expect(clock.nextStep).toBe('Turn on automatic date and time in the system settings.');
    // Issued by the server's clock for an hour: by this clock it ran out an hour ago.
    expect(step(report, 'token')).toMatchObject({ status: 'fail', summary: 'Your sign-in expired 60 min ago.' });

    const slightly = doctorCore(handle.port, { clockAheadMs: -3 * 60_000 });
    await signIn(slightly.core);
    const warned = await slightly.core.handlers['doctor:run']({});
    expect(step(warned, 'clock')).toMatchObject({ status: 'warn', summary: 'This computer’s clock is 3 min behind the server’s.' });
    expect(warned.outcome).toBe('warn');
    expect(warned.summary).toBe('Nova can reach the server, with 1 warning.');
  });

  it('says the computer is offline when the OS says so', async () => {
    const handle = await server();
    const { core } = doctorCore(handle.port);
    await core.start();
    core.notifySystem('offline');
    const report = await core.handlers['doctor:run']({});
    expect(step(report, 'network')).toMatchObject({ status: 'fail', summary: 'This computer reports that it is offline.' });
    expect(verdicts(report)).toMatchObject({ websocket: 'skip', token: 'skip' });
    expect(step(report, 'token').summary).toBe('Not signed in.');
  });

  it('describes an untrusted TLS certificate: subject, expiry, and why the app refuses it', async () => {
    const dir = makeTempDir('nova-doctor-tls-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost/O=Nova Test', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`this test makes a self-signed certificate with the openssl command (Debian package "openssl"): ${String(error)}`);
    }
    const tlsServer = tls.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (socket) => socket.end());
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => tlsServer.close(() => resolve())));
    const port = (tlsServer.address() as AddressInfo).port;
    const { core, cleanup } = makeTestCore({ serverUrl: `https://${HOST}:${port}`, resolver: resolverFor({ fails: false }), timing: { doctorStepTimeoutMs: 2_000 } });
    cleanups.push(cleanup);

    const report = await core.handlers['doctor:run']({});
    const secure = step(report, 'tls');
    expect(secure.status).toBe('fail');
    expect(secure.summary).toBe('The server’s certificate is not trusted by this computer (DEPTH_ZERO_SELF_SIGNED_CERT).');
    expect(secure.details[0]).toBe('subject CN=localhost, O=Nova Test');
    expect(secure.details[2]).toMatch(/^valid until \d{4}-\d{2}-\d{2}T/);
    expect(secure.cause).toMatch(/proxy that inspects traffic/);
    expect(step(report, 'health')).toMatchObject({ status: 'skip', summary: 'Skipped: the secure connection failed.' });
  });
});
