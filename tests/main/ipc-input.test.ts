import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src/main/core';
import { registerIpc } from '../../src/main/ipc';
import { createUrlTrust } from '../../src/main/shell/window';
import { MESSAGE_TEXT_MAX_BYTES } from '../../src/shared/input';
import { makeTestCore } from '../support/core';
import { FakeIpcMain, TRUSTED_URL, trustedFrame } from '../support/ipc';
import { appHandlers } from '../support/updates';

describe('bad input from the renderer, through IPC to the real core', () => {
  let core: Core;
  let cleanup: () => Promise<void>;
  let ipc: FakeIpcMain;
  let dispose: () => void;

  beforeEach(() => {
    ({ core, cleanup } = makeTestCore());
    ipc = new FakeIpcMain();
    dispose = registerIpc(ipc, appHandlers(core), createUrlTrust(TRUSTED_URL), core.log.scope('ipc'));
  });
  afterEach(async () => {
    dispose();
    await cleanup();
  });

  it('refuses ids with path steps or separators and text over 256 KiB, queuing nothing', async () => {
    for (const conversationId of ['../../etc', 'c1/messages', 'c1?x=1', '..']) {
      const answer = await ipc.invoke('messages:send', { conversationId, text: 'hi' }, trustedFrame);
      expect(answer, conversationId).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    }
    const huge = await ipc.invoke('messages:send', { conversationId: 'c1', text: 'a'.repeat(MESSAGE_TEXT_MAX_BYTES + 1) }, trustedFrame);
    expect(huge).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await ipc.invoke('messages:list', { conversationId: 'c1/../c2' }, trustedFrame)).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await ipc.invoke('outbox:discard', { key: '../k' }, trustedFrame)).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(core.getPendingCount()).toBe(0);
  });
});
