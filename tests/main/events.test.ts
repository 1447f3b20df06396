import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventPayload, MessageView } from '../../src/shared/contract';
import { CoreEventBus } from '../../src/main/core/events';

function message(key: string, text: string): MessageView {
  return {
    key,
    serverId: null,
    conversationId: 'c1',
    senderId: 'u1',
    isOwn: true,
    text,
    seq: null,
    composedAt: 1,
    state: 'saved',
    error: null,
  };
}

const connected: EventPayload<'connection:changed'> = {
  state: 'CONNECTED',
  reason: 'handshake complete',
  since: 1,
  attempt: 0,
  nextAttemptAt: null,
  lastRttMs: 5,
  isOsOffline: false,
  pendingCount: 0,
};

describe('CoreEventBus coalescing', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers a burst of message upserts as one batch per window, latest version of each row', () => {
    const bus = new CoreEventBus({ batchMs: 16 });
    const batches: MessageView[][] = [];
    bus.on('messages:changed', ({ messages }) => batches.push(messages));

    for (let i = 0; i < 500; i++) bus.emit('messages:changed', { messages: [message(`m${i % 100}`, `v${i}`)] });
    expect(batches).toHaveLength(0);

    vi.advanceTimersByTime(16);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(100);
    expect(batches[0]?.[0]).toMatchObject({ key: 'm0', text: 'v400' });
    expect(batches[0]?.[99]).toMatchObject({ key: 'm99', text: 'v499' });

    bus.emit('messages:changed', { messages: [message('m1', 'later')] });
    vi.advanceTimersByTime(16);
    expect(batches).toHaveLength(2);
  });

  it('sends the first change after a quiet window on the next turn, and at most one batch per window', () => {
    const bus = new CoreEventBus({ batchMs: 16 });
    const at: number[] = [];
    const started = Date.now();
    bus.on('messages:changed', () => at.push(Date.now() - started));

    bus.emit('messages:changed', { messages: [message('a', 'x')] });
    expect(at).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(at).toEqual([0]);

    vi.advanceTimersByTime(5);
    bus.emit('messages:changed', { messages: [message('b', 'y')] });
    bus.emit('messages:changed', { messages: [message('c', 'z')] });
    vi.advanceTimersByTime(10);
    expect(at).toEqual([0]);
    vi.advanceTimersByTime(1);
    expect(at).toEqual([0, 16]);

    vi.advanceTimersByTime(100);
    bus.emit('messages:changed', { messages: [message('d', 'w')] });
    vi.advanceTimersByTime(0);
    expect(at).toEqual([0, 16, 116]);
  });

  it('flushes pending batches before an immediate event, so order across channels holds', () => {
    const bus = new CoreEventBus({ batchMs: 16 });
    const seen: string[] = [];
    bus.on('outbox:changed', ({ items }) => seen.push(`outbox:${items.length}`));
    bus.on('messages:changed', ({ messages }) => seen.push(`messages:${messages.length}`));
    bus.on('connection:changed', ({ state }) => seen.push(`connection:${state}`));

    bus.emit('messages:changed', { messages: [message('a', 'x'), message('b', 'y')] });
    bus.emit('connection:changed', connected);
    expect(seen).toEqual(['messages:2', 'connection:CONNECTED']);
    vi.advanceTimersByTime(100);
    expect(seen).toHaveLength(2);
  });

  it('delivers at once without a window, and drops pending batches on clear', () => {
    const immediate = new CoreEventBus();
    const received: number[] = [];
    immediate.on('messages:changed', ({ messages }) => received.push(messages.length));
    immediate.emit('messages:changed', { messages: [message('a', 'x')] });
    expect(received).toEqual([1]);

    const batched = new CoreEventBus({ batchMs: 16 });
    batched.on('messages:changed', ({ messages }) => received.push(messages.length));
    batched.emit('messages:changed', { messages: [message('a', 'x')] });
    batched.clear();
    vi.advanceTimersByTime(100);
    expect(received).toEqual([1]);
  });
});
