/**
 * Edit or delete "the message with this key" whether or not its send has landed, exactly once
 * (protocol.md §3.8): one message at most, its final text the last edit, a withdrawn send never
 * delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageByKeyResponseSchema } from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { DEMO_EMAILS } from '../../server/seed';
import { api, expectErrorBody, login, openUserSocket, rawRequest, startTestServer } from './helpers';
import type { HttpResult, TestSocket } from './helpers';

describe('edit and delete by idempotency key', () => {
  let server: ServerHandle;
  let alice: string;
  let bob: string;
  let direct: string;
  let team: string;

  const byKey = (method: 'PUT' | 'DELETE', key: string, plaintext?: string, conversation = direct, token = alice): Promise<HttpResult> =>
    api(server, method, `/conversations/${conversation}/messages/by-key/${encodeURIComponent(key)}`, {
      token,
      ...(plaintext !== undefined ? { body: { plaintext } } : {}),
    });
  const send = (key: string, plaintext: string, extra: Record<string, unknown> = {}, conversation = direct): Promise<HttpResult> =>
    api(server, 'POST', `/conversations/${conversation}/messages`, {
      token: alice,
      body: { plaintext, idempotency_key: key, ...extra },
    });
  const stored = (key: string, conversation = direct) =>
    server.control.listMessages(conversation).filter((m) => m.idempotency_key === key);
  /** Every text Bob's socket was shown for a message, live or by edit. */
  const textsSeen = async (s: TestSocket): Promise<string[]> => {
    await s.roundTrip();
    return s.frames.flatMap((f) =>
      f['type'] === 'message' ? [String(f['message'].plaintext)] : f['type'] === 'message_edited' ? [String(f['plaintext'])] : [],
    );
  };

  beforeAll(async () => {
    server = await startTestServer();
    if (!server.seed) throw new Error('no seed');
    direct = server.seed.conversations.direct;
    team = server.seed.conversations.team;
    alice = (await login(server, DEMO_EMAILS.alice)).access_token;
    bob = (await login(server, DEMO_EMAILS.bob)).access_token;
  });
  afterAll(() => server.close());

  it('DELETE ?if=absent withdraws a key that has not landed, and leaves a landed message as it is (present)', async () => {
    const absent = (key: string): Promise<HttpResult> =>
      api(server, 'DELETE', `/conversations/${direct}/messages/by-key/${encodeURIComponent(key)}?if=absent`, { token: alice });
    const landed = randomUUID();
    const sent = await send(landed, 'already here');
    const b = await openUserSocket(server, bob);
    const kept = await absent(landed);
    expect(kept.status).toBe(200);
    expect(MessageByKeyResponseSchema.parse(kept.body)).toMatchObject({
      outcome: 'present',
      message: { id: (sent.body as { id: string }).id, plaintext: 'already here' },
    });
    expect(stored(landed)).toMatchObject([{ plaintext: 'already here', deleted_at: null }]);
    await b.roundTrip();
    expect(b.frames.filter((f) => f['type'] !== 'pong')).toEqual([]);
    b.close();
    const never = randomUUID();
    expect((await absent(never)).body).toMatchObject({ outcome: 'withdrawn' });
    const late = await send(never, 'too late');
    expect(late.status).toBe(410);
    expect(stored(never)).toEqual([]);
  });

  it('a landed message is edited, then deleted, like by id; repeats are answered the same and tell nobody', async () => {
    const key = randomUUID();
    const sent = await send(key, 'first');
    const id = (sent.body as { id: string }).id;
    const b = await openUserSocket(server, bob);
    const edited = await byKey('PUT', key, 'second');
    expect(edited.status).toBe(200);
    expect(MessageByKeyResponseSchema.parse(edited.body)).toMatchObject({
      outcome: 'edited',
      conversation_id: direct,
      idempotency_key: key,
      message: { id, plaintext: 'second', edited_at: expect.any(String) },
    });
    expect(await b.nextOfType('message_edited')).toMatchObject({ message_id: id, plaintext: 'second' });
    const deleted = await byKey('DELETE', key);
    expect(deleted.status).toBe(200);
    expect(MessageByKeyResponseSchema.parse(deleted.body)).toMatchObject({ outcome: 'deleted', message: { id, plaintext: '' } });
    expect(await b.nextOfType('message_deleted')).toMatchObject({ message_id: id });
    expect((await byKey('DELETE', key)).body).toMatchObject({ outcome: 'deleted' });
    const late = await byKey('PUT', key, 'third');
    expect(late.status).toBe(410);
    expectErrorBody(late.body, 'MESSAGE_DELETED');
    await b.roundTrip();
    expect(b.frames.filter((f) => f['type'] !== 'pong')).toEqual([]);
    b.close();
  });

  it('an edit before the send lands: the message lands once, with the new text only', async () => {
    const key = randomUUID();
    const b = await openUserSocket(server, bob);
    const pending = await byKey('PUT', key, 'draft 2');
    expect(pending.status).toBe(202);
    expect(MessageByKeyResponseSchema.parse(pending.body)).toEqual({ outcome: 'pending', conversation_id: direct, idempotency_key: key });
    expect((await byKey('PUT', key, 'draft 3')).status).toBe(202);
    const landed = await send(key, 'draft 1');
    expect(landed.status).toBe(200);
    expect(landed.body).toMatchObject({ duplicate: false });
    const again = await send(key, 'draft 1');
    expect(again.body).toMatchObject({ duplicate: true, id: (landed.body as { id: string }).id });
    expect(stored(key).map((m) => [m.plaintext, m.edited_at])).toEqual([['draft 3', null]]);
    expect(await textsSeen(b)).toEqual(['draft 3']);
    b.close();
  });

  it('a withdrawal before the send lands: nothing is ever created or delivered, over REST or WS', async () => {
    const key = randomUUID();
    const b = await openUserSocket(server, bob);
    const head = server.control.listMessages(direct).at(-1)?.sequence_number ?? 0;
    const withdrawn = await byKey('DELETE', key);
    expect(withdrawn.status).toBe(200);
    expect(MessageByKeyResponseSchema.parse(withdrawn.body)).toEqual({ outcome: 'withdrawn', conversation_id: direct, idempotency_key: key });
    expect((await byKey('DELETE', key)).body).toMatchObject({ outcome: 'withdrawn' });
    const rest = await send(key, 'never');
    expect(rest.status).toBe(410);
    expectErrorBody(rest.body, 'MESSAGE_DELETED');
    const a = await openUserSocket(server, alice);
    a.send({ type: 'send', conversation_id: direct, idempotency_key: key, plaintext: 'never' });
    expect(await a.nextOfType('nack')).toMatchObject({ idempotency_key: key, code: 'MESSAGE_DELETED', retryable: false });
    const revive = await byKey('PUT', key, 'back?');
    expect(revive.status).toBe(410);
    expect(stored(key)).toEqual([]);
    expect(await textsSeen(b)).toEqual([]);
    // no sequence number was spent
    const next = server.control.sendAs(DEMO_EMAILS.alice, direct, 'after');
    expect(next.sequence_number).toBe(head + 1);
    a.close();
    b.close();
  });

  it('a pending edit then a withdrawal: withdrawn', async () => {
    const key = randomUUID();
    await byKey('PUT', key, 'edited first');
    expect((await byKey('DELETE', key)).body).toMatchObject({ outcome: 'withdrawn' });
    expect((await send(key, 'orig')).status).toBe(410);
    expect(stored(key)).toEqual([]);
  });

  it('a send whose message was deleted by id is answered MESSAGE_DELETED, not as a duplicate', async () => {
    const key = randomUUID();
    const id = ((await send(key, 'x')).body as { id: string }).id;
    expect((await api(server, 'DELETE', `/messages/${id}`, { token: alice })).status).toBe(204);
    const retry = await send(key, 'x');
    expect(retry.status).toBe(410);
    expectErrorBody(retry.body, 'MESSAGE_DELETED');
  });

  it('a withdrawn send uses up its client_seq once, like a send that landed and was deleted', async () => {
    const a = await openUserSocket(server, alice);
    const device = `dev-${randomUUID()}`;
    const reply = (key: string): Promise<Record<string, unknown>> =>
      a.next((f) => (f['type'] === 'ack' || f['type'] === 'nack') && f['idempotency_key'] === key);
    const wsSend = (key: string, clientSeq: number): void =>
      a.send({ type: 'send', conversation_id: team, idempotency_key: key, plaintext: key, client_seq: clientSeq, device_id: device });
    wsSend('cs-1', 1);
    expect(await reply('cs-1')).toMatchObject({ type: 'ack', client_seq: 1 });
    const withdrawnKey = `cs-2-${randomUUID()}`;
    await byKey('DELETE', withdrawnKey, undefined, team);
    // out of order, it waits its turn like any send
    wsSend(withdrawnKey, 3);
    expect(await reply(withdrawnKey)).toMatchObject({ type: 'nack', code: 'OUT_OF_ORDER', expected_client_seq: 2 });
    wsSend(withdrawnKey, 2);
    expect(await reply(withdrawnKey)).toMatchObject({ type: 'nack', code: 'MESSAGE_DELETED', retryable: false, client_seq: 2 });
    // its repeat, whatever number it carries, gets the same answer and moves nothing
    wsSend(withdrawnKey, 7);
    expect(await reply(withdrawnKey)).toMatchObject({ type: 'nack', code: 'MESSAGE_DELETED' });
    wsSend('cs-3', 3);
    expect(await reply('cs-3')).toMatchObject({ type: 'ack', status: 'accepted', client_seq: 3 });
    expect(stored(withdrawnKey, team)).toEqual([]);
    a.close();
  });

  it('a key of another conversation is a conflict; another sender’s key is not yours to change', async () => {
    const key = randomUUID();
    await send(key, 'in direct');
    const elsewhere = await byKey('PUT', key, 'x', team);
    expect(elsewhere.status).toBe(409);
    expectErrorBody(elsewhere.body, 'CONFLICT');
    const pendingKey = randomUUID();
    await byKey('DELETE', pendingKey, undefined, team);
    expect((await send(pendingKey, 'x')).status).toBe(409);
    // Bob's DELETE of "his" message with Alice's key touches only his own key space
    expect((await byKey('DELETE', key, undefined, direct, bob)).body).toMatchObject({ outcome: 'withdrawn' });
    expect(stored(key).map((m) => [m.plaintext, m.deleted_at])).toEqual([['in direct', null]]);
  });

  it('checks membership, the key and the text', async () => {
    const created = await api(server, 'POST', '/conversations', {
      token: alice,
      body: { type: 'group', participant_ids: [server.seed?.users.carol] },
    });
    const notBobs = (created.body as { id: string }).id;
    const nm = await byKey('DELETE', 'k', undefined, notBobs, bob);
    expect(nm.status).toBe(403);
    expectErrorBody(nm.body, 'NOT_MEMBER');
    expect((await byKey('DELETE', 'k'.repeat(129))).status).toBe(400);
    const malformed = await api(server, 'DELETE', `/conversations/${direct}/messages/by-key/%E0%A4%A`, { token: alice });
    expect(malformed.status).toBe(400);
    expectErrorBody(malformed.body, 'INVALID_INPUT');
    expect((await byKey('PUT', randomUUID(), 'x'.repeat(70_000))).status).toBe(413);
    expect((await api(server, 'PUT', `/conversations/${direct}/messages/by-key/k`, { token: alice, body: { text: 'x' } })).status).toBe(400);
    expect((await api(server, 'DELETE', `/conversations/${direct}/messages/by-key/k`)).status).toBe(401);
  });

  it('a send racing its edit or its withdrawal ends the same whichever lands first', async () => {
    const b = await openUserSocket(server, bob);
    const editKeys = Array.from({ length: 15 }, () => randomUUID());
    const withdrawKeys = Array.from({ length: 15 }, () => randomUUID());
    await Promise.all([
      ...editKeys.flatMap((k) => [send(k, `old ${k}`), byKey('PUT', k, `new ${k}`)]),
      ...withdrawKeys.flatMap((k) => [send(k, `gone ${k}`), byKey('DELETE', k)]),
      // the client's retry of each send, after its outcome was lost
      ...editKeys.map((k) => send(k, `old ${k}`)),
      ...withdrawKeys.map((k) => send(k, `gone ${k}`)),
    ]);
    for (const k of editKeys) expect(stored(k).map((m) => m.plaintext)).toEqual([`new ${k}`]);
    for (const k of withdrawKeys) {
      // either never created, or created and deleted: never a live message
      expect(stored(k).filter((m) => m.deleted_at === null)).toEqual([]);
      expect(stored(k).length).toBeLessThanOrEqual(1);
    }
    const seen = await textsSeen(b);
    // Bob may have seen an old text that landed before its edit, but always ends on the new one
    for (const k of editKeys) expect([...seen].reverse().find((t) => t.endsWith(k))).toBe(`new ${k}`);
    for (const k of withdrawKeys) expect(seen.filter((t) => t.endsWith(k)).length).toBeLessThanOrEqual(1);
    b.close();
  });
});

describe('by-key intents across a restart', () => {
  it('are kept in the data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nova-server-'));
    const server = await startTestServer({ dataFile: join(dir, 'db.sqlite'), jwtSecret: 'test-secret' });
    try {
      const token = (await login(server, DEMO_EMAILS.alice)).access_token;
      const direct = server.seed?.conversations.direct ?? '';
      const request = (method: string, path: string, body?: unknown): ReturnType<typeof rawRequest> =>
        rawRequest(server, {
          method,
          path,
          headers: {
            Authorization: `Bearer ${token}`,
            Connection: 'close',
            ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      expect((await request('PUT', `/conversations/${direct}/messages/by-key/e1`, { plaintext: 'new' })).status).toBe(202);
      expect((await request('DELETE', `/conversations/${direct}/messages/by-key/w1`)).status).toBe(200);
      await server.control.restart();
      expect((await request('POST', `/conversations/${direct}/messages`, { plaintext: 'old', idempotency_key: 'e1' })).status).toBe(200);
      expect((await request('POST', `/conversations/${direct}/messages`, { plaintext: 'old', idempotency_key: 'w1' })).status).toBe(410);
      expect(server.control.listMessages(direct).filter((m) => m.idempotency_key === 'e1').map((m) => m.plaintext)).toEqual(['new']);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
