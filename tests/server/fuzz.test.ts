/** Random frames and bodies must never crash the server nor close the socket. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CLIENT_FRAME_TYPES, ServerFrameSchema } from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { api, login, openUserSocket, startTestServer } from './helpers';
import type { TestSocket } from './helpers';

describe('fuzz', () => {
  let server: ServerHandle;
  let token: string;
  let direct: string;

  beforeAll(async () => {
    server = await startTestServer({ maxPayloadSize: 64 * 1024 });
    token = (await login(server, 'alice@nova.local')).access_token;
    direct = server.seed?.conversations.direct ?? '';
  });
  afterAll(() => server.close());

  const scalar = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(-1),
    fc.constant(Number.MAX_SAFE_INTEGER + 2),
  );
  const fieldValue = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }));

  function frameArb(conversationId: string): fc.Arbitrary<string> {
    const typed = fc
      .record(
        {
          type: fc.oneof(fc.constantFrom(...CLIENT_FRAME_TYPES), fc.string({ maxLength: 12 })),
          conversation_id: fc.oneof(fc.constant(conversationId), fc.uuid(), fieldValue),
          idempotency_key: fc.oneof(fc.uuid(), fieldValue),
          plaintext: fc.oneof(fc.string({ maxLength: 200 }), fieldValue),
          after_seq: fc.oneof(fc.nat(50), fieldValue),
          limit: fc.oneof(fc.integer({ min: -5, max: 600 }), fieldValue),
          client_seq: fc.oneof(fc.integer({ min: -2, max: 5 }), fieldValue),
          device_id: fieldValue,
          last_read_seq: fc.oneof(fc.nat(100), fieldValue),
          sequence_number: fc.oneof(fc.nat(100), fieldValue),
          conversation_ids: fc.oneof(fc.array(fc.oneof(fc.constant(conversationId), fc.uuid()), { maxLength: 3 }), fieldValue),
          is_typing: fieldValue,
          ts: fieldValue,
        },
        { requiredKeys: ['type'] },
      )
      .map((o) => JSON.stringify(o));
    return fc.oneof(
      { weight: 5, arbitrary: typed },
      { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
    );
  }

  it('survives 200 random frames on one socket, answering only with valid server frames', async () => {
    const s: TestSocket = await openUserSocket(server, token);
    await fc.assert(
      fc.asyncProperty(frameArb(direct), async (frame) => {
        s.send(frame);
        await s.roundTrip();
        expect(s.ws.readyState).toBe(s.ws.OPEN);
      }),
      { numRuns: 200 },
    );
    for (const raw of s.raw) expect(ServerFrameSchema.safeParse(JSON.parse(raw)).success).toBe(true);
    s.close();
    expect((await api(server, 'GET', '/health')).status).toBe(200);
  });

  it('answers random REST bodies with 2xx/4xx, never 5xx', async () => {
    const paths = [
      `/conversations/${direct}/messages`,
      '/conversations',
      `/conversations/${direct}/read`,
      '/api/v1/auth/login',
      '/api/v1/auth/refresh',
      '/api/v1/auth/2fa/verify',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 80 })), async (path, body) => {
        const r = await api(server, 'POST', path, { token, rawBody: body });
        expect(r.status).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });
});
