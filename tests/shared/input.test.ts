import { describe, expect, it } from 'vitest';
import { invokeChannels } from '../../src/shared/contract';
import { IdSchema, MESSAGE_TEXT_MAX_BYTES, MessageTextSchema, isWellFormedId } from '../../src/shared/input';

describe('input limits at the IPC edge', () => {
  it('accepts UUIDs, server ids and short test ids', () => {
    for (const id of ['0b6f8f9e-3c1a-4c36-9d3e-1f2a3b4c5d6e', 'c1', 'team', 'E-0A1B2C3D', 'conv_42', 'a.b:c-d']) {
      expect(isWellFormedId(id), id).toBe(true);
    }
  });

  it('refuses path steps, separators, queries and anything odd', () => {
    for (const id of ['', '..', 'a..b', '../etc', 'a/b', 'a\\\\b', 'a?b=1', 'a#b', '%2e%2e', ' a', 'a b', 'a\\n', '.hidden', '-x', 'é', 'x'.repeat(201)]) {
      expect(isWellFormedId(id), JSON.stringify(id)).toBe(false);
      expect(IdSchema.safeParse(id).success).toBe(false);
    }
    expect(isWellFormedId('x'.repeat(200))).toBe(true);
  });

  it('caps message text at 256 KiB of UTF-8, counting bytes, not characters', () => {
    expect(MESSAGE_TEXT_MAX_BYTES).toBe(262_144);
    expect(MessageTextSchema.safeParse('a'.repeat(MESSAGE_TEXT_MAX_BYTES)).success).toBe(true);
    expect(MessageTextSchema.safeParse('a'.repeat(MESSAGE_TEXT_MAX_BYTES + 1)).success).toBe(false);
    // 'é' is 2 bytes: half the characters fill the cap
    expect(MessageTextSchema.safeParse('é'.repeat(MESSAGE_TEXT_MAX_BYTES / 2)).success).toBe(true);
    expect(MessageTextSchema.safeParse('é'.repeat(MESSAGE_TEXT_MAX_BYTES / 2 + 1)).success).toBe(false);
    expect(MessageTextSchema.safeParse('').success).toBe(false);
  });

  it('applies both to every channel that takes a conversation id or message key', () => {
    const send = invokeChannels['messages:send'].req;
    expect(send.safeParse({ conversationId: 'c1', text: 'hi' }).success).toBe(true);
    expect(send.safeParse({ conversationId: '../c1', text: 'hi' }).success).toBe(false);
    expect(send.safeParse({ conversationId: 'c1', text: 'a'.repeat(MESSAGE_TEXT_MAX_BYTES + 1) }).success).toBe(false);
    expect(invokeChannels['messages:list'].req.safeParse({ conversationId: 'c1?limit=1' }).success).toBe(false);
    expect(invokeChannels['messages:markRead'].req.safeParse({ conversationId: 'a/b' }).success).toBe(false);
    expect(invokeChannels['conversations:view'].req.safeParse({ conversationId: null }).success).toBe(true);
    expect(invokeChannels['conversations:view'].req.safeParse({ conversationId: '..' }).success).toBe(false);
    expect(invokeChannels['outbox:retry'].req.safeParse({ key: null }).success).toBe(true);
    expect(invokeChannels['outbox:retry'].req.safeParse({ key: 'k/../x' }).success).toBe(false);
    expect(invokeChannels['outbox:discard'].req.safeParse({ key: 'a?b' }).success).toBe(false);
    expect(invokeChannels['outbox:confirm'].req.safeParse({ key: '..', send: true }).success).toBe(false);
  });
});
