/**
 * Label hygiene, asserted on the exposition itself: no user id, conversation id, e-mail address
 * or message text can reach a label, whatever a caller passes.
 */
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/main/core/metrics';
import { makeTestCore } from '../../support/core';
import { parseExposition } from './exposition';
import { DEMO_PASSWORD } from '../../../src/shared/demo';

const USER_ID = '3f0b9a52-5f1e-4c39-9d8e-2a7c1b4e6d01';
const CONVERSATION_ID = '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f';
const EMAIL = 'alice@nova.local';
const TEXT = 'meet me at the usual place';
const SECRETS = [USER_ID, CONVERSATION_ID, EMAIL, TEXT];

/** Label names any family may use; anything else is a new label someone must review. */
const ALLOWED_LABEL_NAMES = new Set([
  'state', 'to', 'status', 'reason', 'error_type', 'message_type', 'event', 'queue_type', 'transport', 'outcome',
  'source', 'result', 'endpoint', 'status_class', 'channel', 'level', 'code', 'severity', 'via', 'le',
  'version', 'electron', 'chrome',
]);
const SAFE_VALUE = /^[A-Za-z0-9_.:+-]{1,64}$/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function assertClean(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  const offenders = parseExposition(text)
    .filter((sample) => !/^(process|nodejs)_/.test(sample.name))
    .flatMap((sample) => Object.entries(sample.labels).map(([name, value]) => ({ metric: sample.name, name, value })))
    .filter(({ name, value }) => !ALLOWED_LABEL_NAMES.has(name) || !SAFE_VALUE.test(value) || UUID.test(value) || value.includes('@'));
  expect(offenders).toEqual([]);
}

describe('label hygiene', () => {
  it('records any value outside the closed lists as "other"', async () => {
    const metrics = new Metrics({ defaultMetrics: false, appInfo: { name: 'Nova', version: TEXT, electron: EMAIL, chrome: USER_ID } });
    const hostile = [USER_ID, CONVERSATION_ID, EMAIL, TEXT] as never[];
    for (const value of hostile) {
      metrics.connectionState(value);
      metrics.socketEvent(value);
      metrics.reconnect(value, 1);
      metrics.socketError(value);
      metrics.frameSent(value);
      metrics.frameReceived(value);
      metrics.systemEvent(value);
      metrics.authEvent(value);
      metrics.outboxDepth({ [value]: 3 } as never);
      metrics.sendAttempt(value, value);
      metrics.sendAckLatency(1, value);
      metrics.deliveryFailed(value);
      metrics.duplicateDropped(value);
      metrics.resync(value, 1);
      metrics.httpRequest(value, 200, 1);
      metrics.httpRetry(value);
      metrics.ipcCall(value, value, 1);
      metrics.logLine(value);
      metrics.notificationShown(value, value);
      metrics.coreEvent(value);
      metrics.diagnosticsBundle(value);
      metrics.updateStep({ step: 'check', result: value });
      metrics.updateStep({ step: 'download', result: value });
      metrics.updateStep({ step: 'restart', result: value });
      metrics.updateStep({ step: value, result: value });
    }
    const text = await metrics.snapshot();
    assertClean(text);
    expect(text).toContain('message_type="other"');
    expect(text).toContain('channel="other",result="other"');
  });

  it('keeps user data out of the exposition when the core handles it', async () => {
    const { core, cleanup } = makeTestCore();
    try {
      await core.start();
      await core.handlers['messages:send']({ conversationId: CONVERSATION_ID, text: TEXT }).catch(() => undefined);
      await core.handlers['auth:login']({ email: EMAIL, password: DEMO_PASSWORD }).catch(() => undefined);
      await core.handlers['log:write']({ level: 'info', scope: 'composer', message: `${EMAIL} ${TEXT}` });
      core.log.warn(`user ${USER_ID} in ${CONVERSATION_ID}`);
      core.notifications.raise('MESSAGE_REJECTED', 'message', { message: TEXT, messageKey: USER_ID });
      assertClean(await core.metricsSnapshot());
    } finally {
      await cleanup();
    }
  });
});
