import { describe, expect, it } from 'vitest';
import type { EventPayload, MessageView } from '../../src/shared/contract';
import { ChangeWindow, CoreEventBus } from '../../src/main/core/events';
import { ManualClock } from '../support/clock';

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

describe('ChangeWindow, the one place change events are coalesced', () => {
  it('flushes a burst of marks once, at the end of the window, with only the latest version of each row', () => {
    const clock = new ManualClock();
    const window = new ChangeWindow(clock, 16);
    // A producer as delivery's change batch is one: it keeps the latest change per key.
    const latest = new Map<string, MessageView>();
    const batches: MessageView[][] = [];
    const flush = (): void => {
      batches.push([...latest.values()]);
      latest.clear();
    };
    for (let i = 0; i < 500; i++) {
      latest.set(`m${i % 100}`, message(`m${i % 100}`, `v${i}`));
      window.mark(flush);
    }
    clock.advance(15);
    expect(batches).toHaveLength(0);
    clock.advance(1);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(100);
    expect(batches[0]?.[0]).toMatchObject({ key: 'm0', text: 'v400' });
    expect(batches[0]?.[99]).toMatchObject({ key: 'm99', text: 'v499' });
  });

  it('runs at most once per window; a mark after a flush opens the next window', () => {
    const clock = new ManualClock();
    const window = new ChangeWindow(clock, 16);
    const started = clock.now();
    const at: number[] = [];
    const flush = (): void => void at.push(clock.now() - started);
    window.mark(flush);
    clock.advance(5);
    window.mark(flush);
    window.mark(flush);
    clock.advance(11);
    expect(at).toEqual([16]);
    clock.advance(100);
    window.mark(flush);
    clock.advance(16);
    expect(at).toEqual([16, 132]);
    expect(clock.pending()).toBe(0);
  });

  it('flushes each marked producer once, in the order they were first marked', () => {
    const clock = new ManualClock();
    const window = new ChangeWindow(clock, 16);
    const seen: string[] = [];
    const outbox = (): void => void seen.push('outbox');
    const connection = (): void => void seen.push('connection');
    window.mark(outbox);
    window.mark(connection);
    window.mark(outbox);
    clock.advance(16);
    expect(seen).toEqual(['outbox', 'connection']);
  });

  it('drops what is marked when disposed, and runs nothing later', () => {
    const clock = new ManualClock();
    const window = new ChangeWindow(clock, 16);
    let runs = 0;
    window.mark(() => void (runs += 1));
    window.dispose();
    window.mark(() => void (runs += 1));
    clock.advance(100);
    expect(runs).toBe(0);
    expect(clock.pending()).toBe(0);
  });
});

describe('CoreEventBus', () => {
  it('delivers at once and in emit order across channels, and forgets its listeners on clear', () => {
    const bus = new CoreEventBus();
    const seen: string[] = [];
    const off = bus.on('messages:changed', ({ messages }) => seen.push(`messages:${messages.length}`));
    bus.on('connection:changed', ({ state }) => seen.push(`connection:${state}`));
    bus.emit('messages:changed', { messages: [message('a', 'x'), message('b', 'y')] });
    bus.emit('connection:changed', connected);
    expect(seen).toEqual(['messages:2', 'connection:CONNECTED']);
    expect(bus.listenerCount()).toBe(2);
    off();
    expect(bus.listenerCount()).toBe(1);
    bus.clear();
    bus.emit('connection:changed', connected);
    expect(seen).toHaveLength(2);
    expect(bus.listenerCount()).toBe(0);
  });
});
