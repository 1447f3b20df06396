import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerHandle } from '../../server/index';
import { api, expectErrorBody, login, openUserSocket, startTestServer } from './helpers';
import type { TestSocket } from './helpers';

describe('sequence numbers', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('stay gap-free and unique under concurrent senders over WS and REST', async () => {
    const team = server.seed?.conversations.team ?? '';
    const before = server.control.listMessages(team).length;
    const emails = ['alice@nova.local', 'bob@nova.local'];
    const tokens = await Promise.all(emails.map(async (e) => (await login(server, e)).access_token));
    const sockets = await Promise.all([...tokens, ...tokens].map((t) => openUserSocket(server, t)));
    const perSocket = 40;
    const wsSends = sockets.map(async (s) => {
      const keys = Array.from({ length: perSocket }, () => randomUUID());
      for (const k of keys) s.send({ type: 'send', conversation_id: team, idempotency_key: k, plaintext: k });
      const acks = new Set<string>();
      while (acks.size < perSocket) acks.add((await s.nextOfType('ack', 10_000))['idempotency_key'] as string);
    });
    const restSends = tokens.map(async (t) => {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          api(server, 'POST', `/conversations/${team}/messages`, {
            token: t,
            body: { plaintext: 'rest', idempotency_key: randomUUID() },
          }),
        ),
      );
    });
    await Promise.all([...wsSends, ...restSends]);
    const all = server.control.listMessages(team);
    expect(all).toHaveLength(before + sockets.length * perSocket + tokens.length * 20);
    expect(all.map((m) => m.sequence_number)).toEqual(all.map((_, i) => i + 1));
    expect(new Set(all.map((m) => m.id)).size).toBe(all.length);
    for (const s of sockets) s.close();
  });
});

describe('client_seq (outbox ordering extension)', () => {
  let server: ServerHandle;
  let s: TestSocket;
  let token: string;
  let direct: string;
  let team: string;
  beforeAll(async () => {
    server = await startTestServer();
    token = (await login(server, 'alice@nova.local')).access_token;
    s = await openUserSocket(server, token);
    direct = server.seed?.conversations.direct ?? '';
    team = server.seed?.conversations.team ?? '';
  });
  afterAll(() => server.close());

  const send = (conversation: string, key: string, clientSeq: number, device = 'dev-1'): void =>
    s.send({ type: 'send', conversation_id: conversation, idempotency_key: key, plaintext: key, client_seq: clientSeq, device_id: device });
  const reply = (key: string): Promise<Record<string, unknown>> =>
    s.next((f) => (f['type'] === 'ack' || f['type'] === 'nack') && f['idempotency_key'] === key);

  it('accepts only last+1, answers repeats as duplicate and gaps as retryable OUT_OF_ORDER', async () => {
    send(direct, 'k1', 1);
    expect(await reply('k1')).toMatchObject({ type: 'ack', status: 'accepted', client_seq: 1, device_id: 'dev-1' });
    send(direct, 'k3', 3);
    expect(await reply('k3')).toMatchObject({
      type: 'nack',
      code: 'OUT_OF_ORDER',
      retryable: true,
      client_seq: 3,
      expected_client_seq: 2,
    });
    send(direct, 'k2', 2);
    expect(await reply('k2')).toMatchObject({ type: 'ack', status: 'accepted', client_seq: 2 });
    send(direct, 'k3', 3);
    expect(await reply('k3')).toMatchObject({ type: 'ack', status: 'accepted', client_seq: 3 });
    // a retry of an accepted key is a duplicate whatever client_seq it carries
    send(direct, 'k1', 1);
    expect(await reply('k1')).toMatchObject({ type: 'ack', status: 'duplicate', client_seq: 1 });
    // a new key reusing a spent number is out of order, and says where the server is
    send(direct, 'k-stale', 2);
    expect(await reply('k-stale')).toMatchObject({ type: 'nack', code: 'OUT_OF_ORDER', expected_client_seq: 4 });
    const stored = server.control.listMessages(direct).filter((m) => m.client_seq !== null);
    expect(stored.map((m) => [m.idempotency_key, m.client_seq])).toEqual([
      ['k1', 1],
      ['k2', 2],
      ['k3', 3],
    ]);
  });

  it('keeps a separate counter per device and per conversation', async () => {
    send(direct, 'd2-1', 1, 'dev-2');
    expect(await reply('d2-1')).toMatchObject({ type: 'ack', status: 'accepted' });
    send(team, 't-1', 1, 'dev-1');
    expect(await reply('t-1')).toMatchObject({ type: 'ack', status: 'accepted' });
    // no device_id: one shared "default" device per user
    s.send({ type: 'send', conversation_id: team, idempotency_key: 'nodev', plaintext: 'x', client_seq: 1 });
    expect(await reply('nodev')).toMatchObject({ type: 'ack', device_id: 'default' });
  });

  it('is enforced on REST too (409 OUT_OF_ORDER with expected_client_seq)', async () => {
    const r = await api(server, 'POST', `/conversations/${direct}/messages`, {
      token,
      body: { plaintext: 'x', idempotency_key: 'rest-9', client_seq: 9, device_id: 'dev-1' },
    });
    expect(r.status).toBe(409);
    expectErrorBody(r.body, 'OUT_OF_ORDER');
    expect(r.body).toMatchObject({ expected_client_seq: 4 });
    const ok = await api(server, 'POST', `/conversations/${direct}/messages`, {
      token,
      body: { plaintext: 'x', idempotency_key: 'rest-4', client_seq: 4, device_id: 'dev-1' },
    });
    expect(ok.body).toMatchObject({ client_seq: 4, duplicate: false });
  });

  it('does not advance when a send fails for another reason', async () => {
    server.control.failNextSends(1, { status: 503 });
    send(direct, 'k5', 5);
    expect(await reply('k5')).toMatchObject({ type: 'nack', code: 'SERVICE_UNAVAILABLE', retryable: true });
    send(direct, 'k5', 5);
    expect(await reply('k5')).toMatchObject({ type: 'ack', status: 'accepted', client_seq: 5 });
  });
});

describe('persistence across restart', () => {
  it('keeps messages, idempotency keys, client_seq state and sessions in the data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nova-server-'));
    const server = await startTestServer({ dataFile: join(dir, 'db.sqlite'), jwtSecret: 'test-secret' });
    try {
      const direct = server.seed?.conversations.direct ?? '';
      const token = (await login(server, 'alice@nova.local')).access_token;
      const s1 = await openUserSocket(server, token);
      s1.send({ type: 'send', conversation_id: direct, idempotency_key: 'p1', plaintext: 'x', client_seq: 1, device_id: 'd' });
      const ack = await s1.nextOfType('ack');
      const port = server.port;
      await server.control.restart();
      expect((await s1.closed).code).toBe(1001);
      expect(server.port).toBe(port);
      const s2 = await openUserSocket(server, token);
      s2.send({ type: 'send', conversation_id: direct, idempotency_key: 'p1', plaintext: 'x', client_seq: 1, device_id: 'd' });
      expect(await s2.nextOfType('ack')).toMatchObject({ status: 'duplicate', message: { id: ack['message'].id } });
      s2.send({ type: 'send', conversation_id: direct, idempotency_key: 'p3', plaintext: 'x', client_seq: 3, device_id: 'd' });
      expect(await s2.nextOfType('nack')).toMatchObject({ expected_client_seq: 2 });
      s2.close();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
