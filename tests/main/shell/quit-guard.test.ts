import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { QuitGuard, SEND_FIRST_WAIT_MS, type QuitChoice, type SendingChoice } from '../../../src/main/shell/quit-guard';
import { ManualClock } from '../../support/clock';

type Box<T> = { pending: number; signal: AbortSignal; answer: (choice: T) => void };

function rig(initialPending: number) {
  const clock = new ManualClock();
  const state = { pending: initialPending, quits: 0, shows: 0 };
  const listeners = new Set<() => void>();
  const questions: Box<QuitChoice>[] = [];
  const sendings: Box<SendingChoice>[] = [];
  const guard = new QuitGuard({
    pendingCount: () => state.pending,
    onOutboxChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ask: (pending, signal) => new Promise((resolve) => questions.push({ pending, signal, answer: resolve })),
    showSending: (pending, _waitMs, signal) =>
      new Promise((resolve) => {
        sendings.push({ pending, signal, answer: resolve });
        // Like Electron: an aborted box answers as if cancelled.
        signal.addEventListener('abort', () => resolve('stay'));
      }),
    showWindow: () => (state.shows += 1),
    quit: () => (state.quits += 1),
    clock,
    log: createMemoryLogger(),
  });
  const sent = (remaining: number): void => {
    state.pending = remaining;
    for (const listener of [...listeners]) listener();
  };
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return { clock, state, guard, questions, sendings, listeners, sent, settle };
}

describe('quit guard', () => {
  it('lets a quit through at once when nothing waits', () => {
    const { guard, questions } = rig(0);
    expect(guard.mayQuit()).toBe(true);
    expect(questions).toHaveLength(0);
  });

  it('asks once however often the quit is retried, and "Quit anyway" quits', async () => {
    const { guard, questions, state, settle } = rig(3);
    expect(guard.mayQuit()).toBe(false);
    expect(guard.mayQuit()).toBe(false);
    expect(questions.map((q) => q.pending)).toEqual([3]);
    questions[0]?.answer('quit-anyway');
    await settle();
    expect(state.quits).toBe(1);
    expect(guard.mayQuit()).toBe(true);
  });

  it('"Stay" shows the window and asks again next time', async () => {
    const { guard, questions, state, settle } = rig(1);
    guard.mayQuit();
    questions[0]?.answer('stay');
    await settle();
    expect(state).toMatchObject({ shows: 1, quits: 0 });
    expect(guard.state).toBe('idle');
    expect(guard.mayQuit()).toBe(false);
    expect(questions).toHaveLength(2);
  });

  it('"Send first" quits by itself as soon as the outbox is empty, closing its notice', async () => {
    const { guard, questions, sendings, state, listeners, sent, settle } = rig(2);
    guard.mayQuit();
    questions[0]?.answer('send-first');
    await settle();
    expect(sendings.map((s) => s.pending)).toEqual([2]);
    sent(1);
    expect(state.quits).toBe(0);
    sent(0);
    expect(state.quits).toBe(1);
    expect(sendings[0]?.signal.aborted).toBe(true);
    expect(listeners.size).toBe(0);
    await settle();
    expect(state.shows).toBe(0);
    expect(guard.mayQuit()).toBe(true);
  });

  it('"Send first" gives up after the bounded wait and quits; the messages stay saved', async () => {
    const { clock, guard, questions, sendings, state, settle } = rig(2);
    guard.mayQuit();
    questions[0]?.answer('send-first');
    await settle();
    clock.advance(SEND_FIRST_WAIT_MS - 1);
    expect(state.quits).toBe(0);
    clock.advance(1);
    expect(state.quits).toBe(1);
    expect(sendings[0]?.signal.aborted).toBe(true);
  });

  it('"Don\'t quit" during the wait stays, and the timer no longer fires', async () => {
    const { clock, guard, questions, sendings, state, settle, listeners } = rig(2);
    guard.mayQuit();
    questions[0]?.answer('send-first');
    await settle();
    sendings[0]?.answer('stay');
    await settle();
    expect(state).toMatchObject({ shows: 1, quits: 0 });
    clock.advance(SEND_FIRST_WAIT_MS * 2);
    expect(state.quits).toBe(0);
    expect(clock.pending()).toBe(0);
    expect(listeners.size).toBe(0);
  });

  it('closes the question and lets every quit through when the OS ends the session', async () => {
    const { guard, questions, state, settle } = rig(4);
    guard.mayQuit();
    guard.systemEnding();
    expect(questions[0]?.signal.aborted).toBe(true);
    expect(guard.mayQuit()).toBe(true);
    questions[0]?.answer('stay');
    await settle();
    expect(state).toMatchObject({ shows: 0, quits: 0 });
  });

  it('quits without waiting for an answer when everything is sent while the question is open', async () => {
    const { guard, questions, state, sent } = rig(1);
    guard.mayQuit();
    sent(0);
    expect(state.quits).toBe(1);
    expect(questions[0]?.signal.aborted).toBe(true);
  });
});
