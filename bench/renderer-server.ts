/**
 * The reference server for bench/renderer.bench.ts, in its own process, as a real server would
 * be: the burst it pushes must not share an event loop with the core that receives it.
 * Protocol (process messages): → {history} seeds; ← {ready, url, conversationId};
 * → {burst, perSecond, seconds}; ← {burstDone, sent, sendMs}.
 */
import { startServer } from '../server/index';
import { sendMessage } from '../server/db';

type Command =
  | Readonly<{ kind: 'start'; history: number }>
  | Readonly<{ kind: 'burst'; perSecond: number; seconds: number }>
  | Readonly<{ kind: 'stop' }>;

async function main(): Promise<void> {
  const server = await startServer({ seed: true, bcryptRounds: 4 });
  const conversationId = server.seed?.conversations.direct ?? '';
  const send = (message: unknown): void => {
    process.send?.(message);
  };
  process.on('message', (raw: Command) => {
    void (async () => {
      if (raw.kind === 'start') {
        const alice = server.control.userId('alice@nova.local') ?? '';
        const bob = server.control.userId('bob@nova.local') ?? '';
        const db = server.control.db();
        const start = Date.now() - raw.history * 60_000;
        db.transaction(() => {
          for (let i = 0; i < raw.history; i++) {
            sendMessage(db, {
              conversationId,
              senderId: i % 3 === 0 ? alice : bob,
              plaintext: `history message ${i} — ${'lorem ipsum '.repeat(1 + (i % 7))}`,
              idempotencyKey: null,
              clientSeq: null,
              deviceId: null,
              now: new Date(start + i * 60_000).toISOString(),
            });
          }
        })();
        const lastSeq = server.control.listMessages(conversationId).at(-1)?.sequence_number ?? 0;
        send({ kind: 'ready', url: server.url, conversationId, lastSeq });
      } else if (raw.kind === 'burst') {
        // 10 ms ticks: 20 messages each at 2,000/s, stamped with the time they leave.
        const perTick = Math.round(raw.perSecond / 100);
        const started = Date.now();
        let sent = 0;
        for (let tick = 0; tick < raw.seconds * 100; tick++) {
          const wait = started + tick * 10 - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          for (let i = 0; i < perTick; i++) {
            server.control.sendAs('bob@nova.local', conversationId, `burst ${sent} ${Date.now()}`);
            sent += 1;
          }
        }
        send({ kind: 'burstDone', sent, sendMs: Date.now() - started });
      } else {
        await server.close();
        process.exit(0);
      }
    })();
  });
  send({ kind: 'listening' });
}

void main();
