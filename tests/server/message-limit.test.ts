import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PLAINTEXT_LENGTH, ProtocolHandshakeFrameSchema } from '../../src/shared/protocol';
import type { ServerHandle } from '../../server/index';
import { TestSocket, api, expectErrorBody, login, openUserSocket, startTestServer } from './helpers';

let server: ServerHandle | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('the message size limit the server advertises is the one it applies', () => {
  it('advertises max_message_bytes (65,536 by default) next to max_payload_size', async () => {
    server = await startTestServer();
    const token = (await login(server, 'alice@nova.local')).access_token;
    const socket = await TestSocket.open(server.wsUrl, { token });
    const handshake = ProtocolHandshakeFrameSchema.parse(await socket.next());
    expect(handshake.server_capabilities.max_message_bytes).toBe(MAX_PLAINTEXT_LENGTH);
    expect(handshake.server_capabilities.max_payload_size).toBe(1_048_576);
    socket.close();
  });

  it('counts UTF-8 bytes: at the limit accepted; one byte over refused with PAYLOAD_TOO_LARGE over WS and REST', async () => {
    server = await startTestServer({ maxMessageBytes: 1_000 });
    const token = (await login(server, 'alice@nova.local')).access_token;
    const direct = server.seed?.conversations.direct ?? '';
    const socket = await TestSocket.open(server.wsUrl, { token });
    expect(ProtocolHandshakeFrameSchema.parse(await socket.next()).server_capabilities.max_message_bytes).toBe(1_000);
    const atLimit = 'é'.repeat(500); // 500 characters, 1,000 bytes
    const over = `${atLimit}x`;
    socket.send({ type: 'send', conversation_id: direct, idempotency_key: randomUUID(), plaintext: atLimit });
    expect(await socket.nextOfType('ack')).toMatchObject({ status: 'accepted' });
    const key = randomUUID();
    socket.send({ type: 'send', conversation_id: direct, idempotency_key: key, plaintext: over });
    expect(await socket.nextOfType('nack')).toMatchObject({ idempotency_key: key, code: 'PAYLOAD_TOO_LARGE', retryable: false });
    socket.close();
    const rest = await api(server, 'POST', `/conversations/${direct}/messages`, { token, body: { plaintext: over } });
    expect(rest.status).toBe(413);
    expectErrorBody(rest.body, 'PAYLOAD_TOO_LARGE');
    expect(server.control.listMessages(direct).filter((m) => m.plaintext === over)).toEqual([]);
  });

  it('text over the character cap is PAYLOAD_TOO_LARGE too, not a schema error', async () => {
    server = await startTestServer();
    const token = (await login(server, 'alice@nova.local')).access_token;
    const direct = server.seed?.conversations.direct ?? '';
    const socket = await openUserSocket(server, token);
    const key = randomUUID();
    socket.send({ type: 'send', conversation_id: direct, idempotency_key: key, plaintext: 'x'.repeat(MAX_PLAINTEXT_LENGTH + 1) });
    expect(await socket.nextOfType('nack')).toMatchObject({ idempotency_key: key, code: 'PAYLOAD_TOO_LARGE', retryable: false });
    socket.close();
    const rest = await api(server, 'POST', `/conversations/${direct}/messages`, { token, body: { plaintext: 'x'.repeat(MAX_PLAINTEXT_LENGTH + 1) } });
    expect(rest.status).toBe(413);
  });
});
