/** Members with display names, and people search under its visibility rule (protocol.md §3.6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  ConversationListSchema,
  ConversationSchema,
  USER_SEARCH_QUERY_MAX,
  UserSearchResponseSchema,
} from '../../src/shared/protocol';
import type { UserSearchResponse } from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { insertUser } from '../../server/db';
import { DEMO_DISPLAY_NAMES, DEMO_EMAILS, DEMO_ORG_ID } from '../../server/seed';
import { api, expectErrorBody, login, signInAny, startTestServer } from './helpers';

describe('people', () => {
  let server: ServerHandle;
  let alice: string;
  let carol: string;
  let ids: Record<keyof typeof DEMO_EMAILS, string>;

  const search = async (token: string, query: string): Promise<UserSearchResponse> => {
    const r = await api(server, 'GET', `/users/search?${query}`, { token });
    expect(r.status, r.text).toBe(200);
    return UserSearchResponseSchema.parse(r.body);
  };
  const names = (r: UserSearchResponse): string[] => r.users.map((u) => u.display_name);

  beforeAll(async () => {
    server = await startTestServer();
    if (!server.seed) throw new Error('no seed');
    ids = server.seed.users;
    alice = (await login(server, DEMO_EMAILS.alice)).access_token;
    carol = await signInAny(server, DEMO_EMAILS.carol);
  });
  afterAll(() => server.close());

  it('conversations list their members with display names and read markers, and the caller’s marker', async () => {
    const bob = (await login(server, DEMO_EMAILS.bob)).access_token;
    const team = server.seed?.conversations.team ?? '';
    expect((await api(server, 'POST', `/conversations/${team}/read`, { token: bob, body: { last_read_seq: 2 } })).status).toBe(204);
    const list = ConversationListSchema.parse((await api(server, 'GET', '/conversations', { token: alice })).body);
    const t = list.conversations.find((c) => c.id === team);
    // members come in member_ids order (join time, then id); compared by name here
    expect([...(t?.members ?? [])].sort((x, y) => x.display_name.localeCompare(y.display_name))).toEqual([
      { user_id: ids.alice, display_name: DEMO_DISPLAY_NAMES.alice, last_read_seq: 0 },
      { user_id: ids.bob, display_name: DEMO_DISPLAY_NAMES.bob, last_read_seq: 2 },
      { user_id: ids.carol, display_name: DEMO_DISPLAY_NAMES.carol, last_read_seq: 0 },
    ]);
    expect(t?.member_ids).toEqual(t?.members?.map((m) => m.user_id));
    expect(t).toMatchObject({ last_read_seq: 0, unread_count: 2 });
    const asBob = ConversationSchema.parse((await api(server, 'GET', `/conversations/${team}`, { token: bob })).body);
    expect(asBob).toMatchObject({ last_read_seq: 2, unread_count: 0 });
    // members carry names and markers, never e-mails or hashes
    expect(JSON.stringify(list)).not.toMatch(/@nova\.local|\$2[aby]\$/);
  });

  it('finds colleagues by first name, by any word of the name, by username and by e-mail prefix', async () => {
    expect(names(await search(alice, 'q=bo'))).toEqual([DEMO_DISPLAY_NAMES.bob]);
    expect(names(await search(alice, 'q=CHEN'))).toEqual([DEMO_DISPLAY_NAMES.bob]);
    expect(names(await search(alice, 'q=dave'))).toEqual([DEMO_DISPLAY_NAMES.dave]);
    const byMail = await search(alice, `q=${encodeURIComponent('carol@nova')}`);
    expect(byMail.users).toEqual([
      { id: ids.carol, display_name: DEMO_DISPLAY_NAMES.carol, username: 'carol', email: DEMO_EMAILS.carol },
    ]);
    // a prefix, not a substring: "ob" is in "Bob" but starts no word
    expect(names(await search(alice, 'q=ob'))).toEqual([]);
    // the caller is never in their own results
    expect(names(await search(alice, 'q=alice'))).toEqual([]);
  });

  it('compares case- and accent-blind, and treats LIKE wildcards as plain characters', async () => {
    insertUser(server.control.db(), {
      email: 'zoe@nova.local',
      username: 'zoe',
      displayName: 'Zoë Ångström',
      orgId: DEMO_ORG_ID,
      passwordHash: 'x',
      now: new Date().toISOString(),
    });
    expect(names(await search(alice, 'q=angstr'))).toEqual(['Zoë Ångström']);
    expect(names(await search(alice, `q=${encodeURIComponent('ZOË')}`))).toEqual(['Zoë Ångström']);
    expect(names(await search(alice, `q=${encodeURIComponent('%')}`))).toEqual([]);
    expect(names(await search(alice, `q=${encodeURIComponent('_ob')}`))).toEqual([]);
  });

  it('shows someone from another organisation only to those who share a conversation, by name only', async () => {
    // Alice shares nothing with Erin: no name, no e-mail, no id
    expect((await search(alice, 'q=erin')).users).toEqual([]);
    expect((await search(alice, `q=${encodeURIComponent('erin@partner')}`)).users).toEqual([]);
    expect((await search(alice, 'q=walsh')).users).toEqual([]);
    // Carol shares "Design review" with her: found by name, without her e-mail
    expect((await search(carol, 'q=erin')).users).toEqual([
      { id: ids.erin, display_name: DEMO_DISPLAY_NAMES.erin, username: 'erin' },
    ]);
    // and an e-mail Carol may not see cannot be probed by prefix either
    expect((await search(carol, `q=${encodeURIComponent('erin@')}`)).users).toEqual([]);
  });

  it('creates conversations only with people the caller may see; others are answered as unknown', async () => {
    const refused = await api(server, 'POST', '/conversations', { token: alice, body: { type: 'direct', participant_ids: [ids.erin] } });
    expect(refused.status).toBe(404);
    expectErrorBody(refused.body, 'NOT_FOUND');
    const unknown = await api(server, 'POST', '/conversations', { token: alice, body: { type: 'direct', participant_ids: [randomUUID()] } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: (refused.body as { error: string }).error });
    const ok = await api(server, 'POST', '/conversations', { token: carol, body: { type: 'direct', participant_ids: [ids.erin] } });
    expect(ok.status).toBe(200);
    expect(ConversationSchema.parse(ok.body).members?.map((m) => m.display_name).sort()).toEqual([
      DEMO_DISPLAY_NAMES.carol,
      DEMO_DISPLAY_NAMES.erin,
    ]);
  });

  it('bounds the query and the result count, and says when there are more', async () => {
    for (const q of ['', 'q=', 'q=%20%20', `q=${'a'.repeat(USER_SEARCH_QUERY_MAX + 1)}`, 'q=a&limit=0', 'q=a&limit=51', 'q=a&limit=x']) {
      const r = await api(server, 'GET', `/users/search?${q}`, { token: alice });
      expect(r.status, q).toBe(400);
      expectErrorBody(r.body, 'INVALID_INPUT');
    }
    expect((await search(alice, `q=${'a'.repeat(USER_SEARCH_QUERY_MAX)}`)).users).toEqual([]);
    const db = server.control.db();
    for (let i = 0; i < 7; i += 1) {
      insertUser(db, {
        email: `sam${i}@nova.local`,
        username: `sam${i}`,
        displayName: `Sam Number${i}`,
        orgId: DEMO_ORG_ID,
        passwordHash: 'x',
        now: new Date().toISOString(),
      });
    }
    const first = await search(alice, 'q=sam&limit=5');
    expect(first.users).toHaveLength(5);
    expect(first.has_more).toBe(true);
    const all = await search(alice, 'q=sam');
    expect(all.users.map((u) => u.username)).toEqual(['sam0', 'sam1', 'sam2', 'sam3', 'sam4', 'sam5', 'sam6']);
    expect(all.has_more).toBe(false);
  });

  it('wants a token', async () => {
    const r = await api(server, 'GET', '/users/search?q=bob');
    expect(r.status).toBe(401);
    expectErrorBody(r.body, 'UNAUTHORIZED');
  });
});

describe('people search under a request budget', () => {
  it('counts against the same per-user budget as every other route', async () => {
    const server = await startTestServer({ rateLimit: { limit: 3, windowMs: 60_000 } });
    try {
      const token = (await login(server, DEMO_EMAILS.alice)).access_token;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await api(server, 'GET', '/users/search?q=b', { token })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await server.close();
    }
  });
});

