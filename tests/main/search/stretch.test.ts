/**
 * A thread far back and the order of search results, through the core's handlers on real SQLite:
 * a conversation of 2,400 cached messages is paged both ways from a jumped-to stretch, and from
 * the first unread message, and meets its ends with no message missing or repeated.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import type { MessageView } from '../../../src/shared/contract';
import { openDatabase } from '../../../src/main/core/store/database';
import { markConversationRead, upsertIncoming } from '../../../src/main/core/store/messages';
import { makeTempDir } from '../../support/core';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { startDemoServer } from '../../support/real-core';

const CACHED = 2_400;
let server: ServerHandle;
let rig: DeliveryRig | null = null;

beforeEach(async () => {
  server = await startDemoServer();
});

afterEach(async () => {
  await rig?.cleanup();
  rig = null;
  await server.close();
});

/** A cache as a long-used client has it: `texts` in order, every tenth written by the user. */
async function cachedRig(conversationId: string, texts: readonly string[], readSeq = 0): Promise<DeliveryRig> {
  const dataDir = makeTempDir('nova-stretch-');
  const ownerId = server.control.userId('alice@nova.local') ?? '';
  const db = openDatabase(path.join(dataDir, 'nova.db'));
  db.transaction(() => {
    texts.forEach((text, index) => {
      const seq = index + 1;
      const senderId = seq % 10 === 0 ? ownerId : 'someone-else';
      upsertIncoming(db, ownerId, { conversationId, serverId: `srv-${seq}`, senderId, seq, text, createdAt: 1_700_000_000_000 + seq * 60_000, idempotencyKey: null }, 0);
    });
  })();
  if (readSeq > 0) {
    db.prepare('UPDATE conversations SET read_seq = ? WHERE owner_id = ? AND id = ?').run(readSeq, ownerId, conversationId);
  } else markConversationRead(db, ownerId, conversationId);
  db.close();
  rig = await makeDeliveryRig(server, { dataDir, keepData: true });
  return rig;
}

function seqs(messages: readonly MessageView[]): Array<number | null> {
  return messages.map((m) => m.seq);
}

/** Pages older and newer from a stretch until both cursors run out: the whole conversation, in order. */
async function walkBothWays(
  r: DeliveryRig,
  conversationId: string,
  stretch: Readonly<{ messages: MessageView[]; olderCursor: string | null; newerCursor: string | null }>,
): Promise<MessageView[]> {
  let all = [...stretch.messages];
  let older = stretch.olderCursor;
  while (older !== null) {
    const page = await r.core.handlers['messages:list']({ conversationId, olderCursor: older, limit: 100 });
    all = [...page.messages, ...all];
    older = page.olderCursor;
  }
  let newer = stretch.newerCursor;
  let pages = 0;
  while (newer !== null) {
    const page = await r.core.handlers['messages:newer']({ conversationId, newerCursor: newer, limit: 100 });
    expect(page.messages.length).toBeGreaterThan(0);
    all = [...all, ...page.messages];
    newer = page.newerCursor;
    pages += 1;
  }
  expect(pages).toBeGreaterThan(0);
  return all;
}

describe('a stretch far back pages both ways', () => {
  it('a jump 2,395 messages back meets the start and the newest message with nothing missing or repeated', async () => {
    const direct = server.seed?.conversations.direct ?? '';
    const texts = Array.from({ length: CACHED }, (_, i) => (i === 4 ? 'the harbour invoice' : `message ${i + 1}`));
    const r = await cachedRig(direct, texts);
    const hit = (await r.core.handlers['search:messages']({ query: 'harbour invoice' })).hits[0];
    expect(hit?.seq).toBe(5);
    const stretch = await r.core.handlers['messages:around']({ conversationId: direct, key: hit?.key ?? '' });
    expect(stretch.reachesNewest).toBe(false);
    expect(stretch.newerCursor).not.toBeNull();
    expect(stretch.messages.map((m) => m.key)).toContain(hit?.key);
    const all = await walkBothWays(r, direct, stretch);
    expect(seqs(all)).toEqual(Array.from({ length: CACHED }, (_, i) => i + 1));
    expect(new Set(all.map((m) => m.key)).size).toBe(CACHED);

    // A message stored after the stretch was read is in the last newer page, once.
    const again = await r.core.handlers['messages:around']({ conversationId: direct, key: hit?.key ?? '' });
    const sent = await r.core.handlers['messages:send']({ conversationId: direct, text: 'written while reading far back' });
    const walked = await walkBothWays(r, direct, again);
    expect(walked.at(-1)?.key).toBe(sent.key);
    expect(walked.filter((m) => m.key === sent.key)).toHaveLength(1);
    expect(walked).toHaveLength(CACHED + 1);

    await expect(r.core.handlers['messages:newer']({ conversationId: direct, newerCursor: 'not a cursor' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('opens at the first unread message from others when unread spans many pages, and pages on to the newest', async () => {
    const direct = server.seed?.conversations.direct ?? '';
    const texts = Array.from({ length: CACHED }, (_, i) => `message ${i + 1}`);
    // Read up to 99; 100 is the user's own, so the first unread from others is 101: 2,300 unread.
    const r = await cachedRig(direct, texts, 99);
    const unread = await r.core.handlers['messages:unread']({ conversationId: direct, afterSeq: 99 });
    const first = unread.messages.find((m) => m.key === unread.firstUnreadKey);
    expect(first?.seq).toBe(101);
    expect(unread.messages[0]?.seq).toBe(101 - 25);
    expect(unread.reachesNewest).toBe(false);
    const all = await walkBothWays(r, direct, unread);
    expect(seqs(all)).toEqual(Array.from({ length: CACHED }, (_, i) => i + 1));

    // Nothing unread from others: no key, no stretch.
    const none = await r.core.handlers['messages:unread']({ conversationId: direct, afterSeq: CACHED });
    expect(none).toMatchObject({ firstUnreadKey: null, messages: [], reachesNewest: true });
  });
});

describe('the order of search results', () => {
  it('best match first, the newer first among alike; newest first on request; scoped search ranks too', async () => {
    const direct = server.seed?.conversations.direct ?? '';
    const texts = [
      'harbour', // 1: the whole message is the word: the best match, although the oldest
      'harbour news today', // 2: alike with 4 …
      'lunch at the Café',
      'harbour news today', // 4: … and newer, so before 2
      'we talked about many things on the phone and somewhere in between the harbour came up once', // 5: weakest, newest
    ];
    const r = await cachedRig(direct, texts);
    const keyOf = (seq: number): string => `srv-${seq}`;
    const best = await r.core.handlers['search:messages']({ query: 'harbour' });
    expect(best.hits.map((h) => h.key)).toEqual([keyOf(1), keyOf(4), keyOf(2), keyOf(5)]);
    expect(best.hits[0]?.snippet).toEqual([{ text: 'harbour', hit: true }]);
    const newest = await r.core.handlers['search:messages']({ query: 'harbour', order: 'newest' });
    expect(newest.hits.map((h) => h.key)).toEqual([keyOf(5), keyOf(4), keyOf(2), keyOf(1)]);
    const scoped = await r.core.handlers['search:messages']({ query: 'harb', conversationId: direct, limit: 2 });
    expect(scoped.hits.map((h) => h.key)).toEqual([keyOf(1), keyOf(4)]);
    expect(scoped.hasMore).toBe(true);
    // Snippets mark the words in the text as written; a long message is cut around its hit.
    const long = best.hits.find((h) => h.key === keyOf(5));
    expect(long?.snippet.filter((part) => part.hit).map((part) => part.text)).toEqual(['harbour']);
    expect(long?.snippet.map((part) => part.text).join('')).toMatch(/^….*harbour came up once$/);
    const cafe = await r.core.handlers['search:messages']({ query: 'cafe' });
    expect(cafe.hits[0]?.snippet).toEqual([{ text: 'lunch at the ', hit: false }, { text: 'Café', hit: true }]);
  });
});
