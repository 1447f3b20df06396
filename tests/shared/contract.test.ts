import { describe, expect, it } from 'vitest';
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  buildApi,
  eventMethodName,
  invokeChannels,
  methodName,
} from '../../src/shared/contract';
import { ERROR_CODES, ERROR_INFO, classifyHttpStatus, describeError } from '../../src/shared/errors';

describe('IPC contract', () => {
  it('names every invoke channel domain:verb', () => {
    for (const channel of INVOKE_CHANNELS) expect(channel).toMatch(/^[a-z]+:[a-zA-Z0-9]+$/);
  });

  it('declares the channels the foundation promises', () => {
    expect(INVOKE_CHANNELS).toEqual(
      expect.arrayContaining([
        'auth:login', 'auth:logout', 'auth:verify2fa', 'auth:status', 'conversations:list',
        'messages:list', 'messages:send', 'outbox:list', 'outbox:retry', 'outbox:discard',
        'outbox:confirm', 'connection:get', 'connection:retryNow', 'diagnostics:collect', 'log:write',
      ]),
    );
    expect(EVENT_CHANNELS).toEqual(
      expect.arrayContaining(['connection:changed', 'messages:changed', 'outbox:changed', 'notification']),
    );
  });

  it('derives one api function per channel and per event, and nothing else', () => {
    const invoked: string[] = [];
    const api = buildApi({
      invoke: (channel) => {
        invoked.push(channel);
        return Promise.resolve(null);
      },
      subscribe: () => () => undefined,
    });
    const expected = [...INVOKE_CHANNELS.map(methodName), ...EVENT_CHANNELS.map(eventMethodName)].sort();
    expect(Object.keys(api).sort()).toEqual(expected);
    expect(methodName('connection:retryNow')).toBe('connectionRetryNow');
    expect(eventMethodName('notification')).toBe('onNotification');
    expect(eventMethodName('connection:changed')).toBe('onConnectionChanged');
    void api.outboxRetry({ key: null });
    expect(invoked).toEqual(['outbox:retry']);
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('rejects a send without text and accepts a well-formed one', () => {
    const schema = invokeChannels['messages:send'].req;
    expect(schema.safeParse({ conversationId: 'c1', text: '' }).success).toBe(false);
    expect(schema.safeParse({ conversationId: 'c1', text: 'hi', extra: 1 }).success).toBe(false);
    expect(schema.safeParse({ conversationId: 'c1', text: 'hi' }).success).toBe(true);
  });
});

describe('error taxonomy', () => {
  it('has Nova twelve types plus ours, each with text, a retry flag and a severity', () => {
    expect(ERROR_CODES).toHaveLength(new Set(ERROR_CODES).size);
    for (const code of ERROR_CODES) {
      expect(ERROR_INFO[code].message.length).toBeGreaterThan(10);
      expect(['info', 'warning', 'error', 'critical']).toContain(ERROR_INFO[code].severity);
    }
    expect(ERROR_INFO.TOKEN_REVOKED.sticky).toBe(true);
  });

  it('shows the real rate-limit wait', () => {
    expect(describeError('RATE_LIMITED', 12_300)).toBe('Too many requests. Retrying in 13 s.');
  });

  it('classifies HTTP statuses', () => {
    expect([400, 401, 403, 404, 409, 413, 429, 500, 503].map(classifyHttpStatus)).toEqual([
      'BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'MESSAGE_TOO_LARGE',
      'RATE_LIMITED', 'SERVER_ERROR', 'SERVICE_UNAVAILABLE',
    ]);
  });
});
