/**
 * Server throughput bench: 200 sockets on loopback, each sending 50 messages (one in flight
 * per socket, as the outbox does), into 20 group conversations of 10 members.
 *
 *   npx tsx bench/server.bench.ts [--sockets 200] [--messages 50] [--group 10]
 *
 * Client and server share one process (and so one event loop), so the figures are a floor
 * for what a dedicated server process would do. `npm run bench -- server --runs N` records the
 * server_* figures in bench/results/latest.json.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startServer } from '../server/index';
import { hashSecret } from '../server/auth';
import { createConversation, insertUser } from '../server/db';
import type { TokenPair } from '../src/shared/protocol';
import { percentile, recordBenchResults } from './results';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '200' },
    messages: { type: 'string', default: '50' },
    group: { type: 'string', default: '10' },
  },
});
const SOCKETS = Number(values.sockets);
const MESSAGES = Number(values.messages);
const GROUP = Number(values.group);
const PASSWORD = 'bench-password';
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

type Client = {
  ws: WebSocket;
  conversationId: string;
  acks: Map<string, number>;
  received: number;
  latencies: number[];
  nacks: number;
};

async function mapLimit<T, R>(items: ReadonlyArray<T>, limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i] as T);
      }
    }),
  );
  return results;
}

async function main(): Promise<void> {
  const server = await startServer({ bcryptRounds: 4 });
  try {
    const db = server.control.db();
    const hash = hashSecret(PASSWORD, 4);
    const now = new Date().toISOString();
    const users = Array.from({ length: SOCKETS }, (_, i) =>
      insertUser(db, { email: `bench${i}@nova.local`, username: `bench${i}`, passwordHash: hash, now }),
    );
    const conversations: string[] = [];
    for (let g = 0; g * GROUP < SOCKETS; g += 1) {
      const members = users.slice(g * GROUP, (g + 1) * GROUP).map((u) => u.id);
      conversations.push(createConversation(db, { type: 'group', name: `bench ${g}`, memberIds: members, now }).id);
    }

    const tokens = await mapLimit(users, 20, async (u) => {
      const r = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: u.email, password: PASSWORD }),
      });
      if (r.status !== 200) throw new Error(`login ${u.email}: ${r.status}`);
      return ((await r.json()) as TokenPair).access_token;
    });

    const clients = await mapLimit(tokens, 50, (token, ) => openClient(server.wsUrl, token));
    clients.forEach((c, i) => {
      c.conversationId = conversations[Math.floor(i / GROUP)] ?? '';
    });

    const t0 = performance.now();
    await Promise.all(clients.map((c, i) => runClient(c, i)));
    const elapsedS = (performance.now() - t0) / 1000;

    // every member socket should eventually see every message of its conversation
    const expectedPerSocket = GROUP * MESSAGES;
    const deadline = Date.now() + 30_000;
    while (clients.some((c) => c.received < expectedPerSocket) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }

    const total = SOCKETS * MESSAGES;
    const allAckedOnce = clients.every((c) => c.acks.size === MESSAGES && [...c.acks.values()].every((n) => n === 1));
    let gapFree = true;
    for (const id of conversations) {
      const seqs = server.control.listMessages(id).map((m) => m.sequence_number);
      if (seqs.length !== GROUP * MESSAGES || seqs.some((s, i) => s !== i + 1)) gapFree = false;
    }
    const latencies = clients.flatMap((c) => c.latencies).sort((a, b) => a - b);
    const figures = {
      server_sockets: SOCKETS,
      server_messages: total,
      server_msgs_per_s: Math.round(total / elapsedS),
      server_ack_p50_ms: Number(percentile(latencies, 50).toFixed(2)),
      server_ack_p99_ms: Number(percentile(latencies, 99).toFixed(2)),
      server_all_acked_once: allAckedOnce,
      server_gap_free: gapFree,
      server_all_delivered: clients.every((c) => c.received === expectedPerSocket),
      server_nacks: clients.reduce((n, c) => n + c.nacks, 0),
      server_bench_at: new Date().toISOString(),
    };
    for (const c of clients) c.ws.close();
    recordBenchResults(figures);
    out(JSON.stringify(figures, null, 2));
    if (!allAckedOnce || !gapFree || !figures.server_all_delivered) process.exitCode = 1;
  } finally {
    await server.close();
  }
}

function openClient(wsUrl: string, token: string): Promise<Client> {
  const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${token}` } });
  const client: Client = { ws, conversationId: '', acks: new Map(), received: 0, latencies: [], nacks: 0 };
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', function first(data) {
      const f = JSON.parse(String(data)) as { type: string };
      if (f.type === 'protocol_handshake') {
        ws.off('message', first);
        resolve(client);
      }
    });
  });
}

function runClient(c: Client, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let n = 0;
    let sentAt = 0;
    let currentKey = '';
    const sendNext = (): void => {
      if (n === MESSAGES) {
        resolve();
        return;
      }
      n += 1;
      currentKey = `bench-${index}-${n}`;
      sentAt = performance.now();
      c.ws.send(
        JSON.stringify({
          type: 'send',
          conversation_id: c.conversationId,
          idempotency_key: currentKey,
          plaintext: `message ${n} from socket ${index}`,
          client_seq: n,
          device_id: `bench-device-${index}`,
        }),
      );
    };
    c.ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as { type: string; idempotency_key?: string };
      if (f.type === 'message') {
        c.received += 1;
      } else if (f.type === 'ack' && f.idempotency_key) {
        c.acks.set(f.idempotency_key, (c.acks.get(f.idempotency_key) ?? 0) + 1);
        if (f.idempotency_key === currentKey) {
          c.latencies.push(performance.now() - sentAt);
          sendNext();
        }
      } else if (f.type === 'nack') {
        c.nacks += 1;
        reject(new Error(`nack: ${String(data)}`));
      }
    });
    sendNext();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
