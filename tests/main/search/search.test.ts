/**
 * Search through the core's handlers: a real core on real SQLite, the reference server for
 * messages, edits and deletes. Searching reads the local cache only, so it answers offline.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerHandle } from '../../../server/index';
import { migrate } from '../../../src/main/core/store/database';
import { upsertIncoming } from '../../../src/main/core/store/messages';
import { MIGRATIONS } from '../../../src/main/core/store/migrations';
import { makeTempDir } from '../../support/core';
import { makeDeliveryRig, type DeliveryRig } from '../../support/delivery';
import { BOB, startDemoServer } from '../../support/real-core';
import { api, login } from '../../server/helpers';

let server: ServerHandle;
let rig: DeliveryRig | null = null;
let bobToken: string;
let direct: string;
let team: string;

beforeEach(async () => {
  server = await startDemoServer();
  bobToken = (await login(server, BOB)).access_token;
  direct = server.seed?.conversations.direct ?? '';
  team = server.seed?.conversations.team ?? '';
});

afterEach(async () => {
  await rig?.cleanup();
  rig = null;
  await server.close();
});

async function bobSends(conversationId: string, text: string): Promise<string> {
  const r = await api(server, 'POST', `/conversations/${conversationId}/messages`, { token: bobToken, body: { plaintext: text } });
  expect(r.status).toBe(200);
  return (r.body as { id: string }).id;
}

function texts(result: { hits: ReadonlyArray<{ snippet: ReadonlyArray<{ text: string }> }> }): string[] {
  return result.hits.map((hit) => hit.snippet.map((part) => part.text).join(''));
}

describe('search through the core', () => {
  it('finds messages offline, across conversations or in one, highlighted; edits and deletes made while away change what is found', async () => {
    const r = await makeDeliveryRig(server);
    rig = r;
    await r.link.connect();
    await r.core.delivery.whenSynced();
    const pizza = await bobSends(direct, 'Pizza on Friday at Luigi’s?');
    const gone = await bobSends(direct, 'pizza is off, my card number is 4111');
    await bobSends(team, 'Team pizza party next week');
    await vi.waitFor(async () => expect((await r.core.handlers['search:messages']({ query: 'pizza' })).hits).toHaveLength(3));
    r.link.disconnect();

    const all = await r.core.handlers['search:messages']({ query: 'pizz' });
    expect(all.hits.map((hit) => hit.conversationId).sort()).toEqual([direct, direct, team].sort());
    expect(all.hits[0]?.snippet.some((part) => part.hit && /pizza/i.test(part.text))).toBe(true);
    expect(all.index.done).toBe(true);
    const inDirect = await r.core.handlers['search:messages']({ query: 'pizza', conversationId: team });
    expect(texts(inDirect)).toEqual(['Team pizza party next week']);
    const phrase = await r.core.handlers['search:messages']({ query: '"on friday"' });
    expect(phrase.hits.map((hit) => hit.key)).toEqual([pizza]);
    const limited = await r.core.handlers['search:messages']({ query: 'pizza', limit: 2 });
    expect(limited).toMatchObject({ hasMore: true });
    expect(limited.hits).toHaveLength(2);
    expect((await r.core.handlers['search:messages']({ query: '" * ' })).hits).toEqual([]);

    // The stretch around a result, for the thread to jump to (offline as well).
    const around = await r.core.handlers['messages:around']({ conversationId: direct, key: pizza });
    expect(around.messages.map((m) => m.key)).toContain(pizza);
    expect(around.messages.at(-1)?.key).toBe(gone);
    expect(around.reachesNewest).toBe(true);
    await expect(r.core.handlers['messages:around']({ conversationId: direct, key: 'no-such-key' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Bob edits one and deletes the other while we are away; the reconnect updates the index.
    expect((await api(server, 'PUT', `/messages/${pizza}`, { token: bobToken, body: { plaintext: 'Sushi on Friday instead' } })).status).toBe(204);
    expect((await api(server, 'DELETE', `/messages/${gone}`, { token: bobToken })).status).toBe(204);
    await r.link.connect();
    await r.core.delivery.whenSynced();
    expect(texts(await r.core.handlers['search:messages']({ query: 'pizza' }))).toEqual(['Team pizza party next week']);
    expect((await r.core.handlers['search:messages']({ query: 'sushi' })).hits.map((hit) => hit.key)).toEqual([pizza]);
    expect((await r.core.handlers['search:messages']({ query: '4111' })).hits).toEqual([]);
  });

  it('a cache from before the index is indexed once in the background at start, with progress events', async () => {
    const dataDir = makeTempDir('nova-search-');
    const aliceId = server.control.userId('alice@nova.local') ?? '';
    const old = new Database(path.join(dataDir, 'nova.db'));
    migrate(old, MIGRATIONS, 8);
    old.transaction(() => {
      for (let seq = 1; seq <= 5_000; seq += 1) {
        const text = seq % 100 === 0 ? `old note ${seq} mentions giraffes` : `old note ${seq}`;
        upsertIncoming(old, aliceId, { conversationId: direct, serverId: `old-${seq}`, senderId: 'someone', seq, text, createdAt: seq, idempotencyKey: null }, 0);
      }
    })();
    old.close();
    const r = await makeDeliveryRig(server, { dataDir, keepData: true });
    rig = r;
    await vi.waitFor(() => expect(r.eventsOf('search:progress').at(-1)?.done).toBe(true));
    const progress = r.eventsOf('search:progress');
    // Batches of 2,000: three steps, rising to the whole cache.
    expect(progress.map((p) => p.indexed)).toEqual([2_000, 4_000, 5_000]);
    expect(progress.every((p) => p.total === 5_000)).toBe(true);
    expect(await r.core.handlers['search:status']({})).toEqual({ indexed: 5_000, total: 5_000, done: true });
    const found = await r.core.handlers['search:messages']({ query: 'giraffes', limit: 100 });
    expect(found.hits).toHaveLength(50);
    // A restart finds nothing left to index.
    await r.cleanup();
    rig = null;
    const again = await makeDeliveryRig(server, { dataDir });
    rig = again;
    expect(await again.core.handlers['search:status']({})).toEqual({ indexed: 5_000, total: 5_000, done: true });
    expect(again.eventsOf('search:progress')).toEqual([]);
  });
});
