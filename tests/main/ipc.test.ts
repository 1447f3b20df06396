import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INVOKE_CHANNELS } from '../../src/shared/contract';
import { AppError } from '../../src/shared/errors';
import type { Core } from '../../src/main/core';
import { registerIpc } from '../../src/main/ipc';
import { createUrlTrust } from '../../src/main/shell/window';
import { makeTestCore } from '../support/core';
import { FakeIpcMain, TRUSTED_URL, trustedFrame } from '../support/ipc';
import { appHandlers } from '../support/updates';

describe('registerIpc', () => {
  let core: Core;
  let cleanup: () => Promise<void>;
  let records: ReturnType<typeof makeTestCore>['records'];
  let ipc: FakeIpcMain;
  let dispose: () => void;

  beforeEach(() => {
    ({ core, cleanup, records } = makeTestCore());
    ipc = new FakeIpcMain();
    dispose = registerIpc(ipc, appHandlers(core), createUrlTrust(TRUSTED_URL), core.log.scope('ipc'));
  });
  afterEach(async () => {
    dispose();
    await cleanup();
  });

  it('registers every contract channel once, and removes them on dispose', () => {
    expect([...ipc.listeners.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    dispose();
    expect(ipc.listeners.size).toBe(0);
  });

  it('answers a malformed payload with INVALID_REQUEST, logs it, and keeps working', async () => {
    const bad = await ipc.invoke('log:write', { level: 'shout', scope: 'x', message: 1 }, trustedFrame);
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    const badId = (bad as { error: { id: string } }).error.id;
    expect(badId).toMatch(/^E-[0-9A-F]{8}$/);
    // The id the user is shown is in the log line support will search for.
    expect(records.some((r) => r.level === 'warn' && r.message.includes(badId))).toBe(true);
    expect(await ipc.invoke('auth:status', undefined, trustedFrame)).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });

    const good = await ipc.invoke('auth:status', {}, trustedFrame);
    expect(good).toEqual({
      ok: true,
      value: { signedIn: false, user: null, serverUrl: 'http://127.0.0.1:9', isDemoServer: false },
    });
  });

  it('refuses calls from a foreign page, a subframe, or no frame', async () => {
    for (const frame of [
      { url: 'https://evil.example/', parent: null },
      { url: TRUSTED_URL, parent: {} },
      null,
    ]) {
      const result = await ipc.invoke('auth:status', {}, frame);
      expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
  });

  it('turns an expected failure into data with an id, and an unexpected one into INTERNAL', async () => {
    const notYet = await ipc.invoke('diagnostics:save', { bundleId: 'b1' }, trustedFrame);
    expect(notYet).toMatchObject({ ok: false, error: { code: 'NOT_IMPLEMENTED' } });

    const handlers = {
      ...appHandlers(core),
      'auth:status': () => Promise.reject(new Error('/home/someone/secret path')),
      'auth:logout': () => Promise.reject(new AppError('TOKEN_REVOKED')),
    };
    const other = new FakeIpcMain();
    registerIpc(other, handlers, createUrlTrust(TRUSTED_URL), core.log);
    const internal = (await other.invoke('auth:status', {}, trustedFrame)) as { ok: false; error: { code: string; message: string; id: string } };
    expect(internal.error.code).toBe('INTERNAL');
    expect(internal.error.message).not.toContain('/home/someone');
    expect(records.some((r) => r.level === 'error' && r.message.includes(internal.error.id))).toBe(true);
    expect(await other.invoke('auth:logout', {}, trustedFrame)).toMatchObject({ ok: false, error: { code: 'TOKEN_REVOKED' } });
  });

  it('trusts a dev server by origin and the app page by its app://nova origin', () => {
    const dev = createUrlTrust('http://localhost:5173/');
    expect(dev('http://localhost:5173/index.html')).toBe(true);
    expect(dev('http://localhost:5174/')).toBe(false);
    const packaged = createUrlTrust(TRUSTED_URL);
    expect(packaged('app://nova/index.html')).toBe(true);
    expect(packaged('file:///app/out/renderer/index.html')).toBe(false);
    expect(packaged('app://evil/index.html')).toBe(false);
    expect(packaged('not a url')).toBe(false);
  });
});
