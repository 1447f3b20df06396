/**
 * The delivery stack in a child process for the crash test: a real core (SQLite in `dataDir`)
 * behind a real link to the reference server. The parent SIGKILLs it at random moments.
 *
 * argv: dataDir url wsUrl conversationA conversationB firstNumber mode(compose|drain)
 * Reports over IPC: `ready`, then `saved` after each durable messages:send, or `drained`.
 */
import { createCore } from '../../../src/main/core';
import { createMemoryLogger } from '../../../src/main/core/logging';
import { TestLink } from '../../support/link';
import { DEMO_PASSWORD } from '../../../src/shared/demo';

const [dataDir = '', url = '', wsUrl = '', conversationA = '', conversationB = '', first = '0', mode = 'compose'] =
  process.argv.slice(2);

function report(message: Readonly<Record<string, unknown>>): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const link = new TestLink({ url, wsUrl, email: 'alice@nova.local', password: DEMO_PASSWORD });
  await link.signIn();
  const core = createCore({
    dataDir,
    serverUrl: url,
    link,
    logger: createMemoryLogger(),
    timing: { retryBaseMs: 10, retryCapMs: 100, ackTimeoutMs: 300, eventBatchMs: 5 },
  });
  await core.start();
  report({ type: 'ready' });
  const connecting = link.connect().catch(() => undefined);
  if (mode === 'drain') {
    await connecting;
    for (let i = 0; i < 2_000 && core.getPendingCount() > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    report({ type: 'drained', pending: core.getPendingCount() });
    link.disconnect();
    await core.stop();
    process.exit(0);
  }
  let number = Number(first);
  for (;;) {
    const inA = Math.random() < 0.5;
    const text = `${inA ? 'A' : 'B'}-${number}`;
    number += 1;
    await core.handlers['messages:send']({ conversationId: inA ? conversationA : conversationB, text });
    report({ type: 'saved', conversation: inA ? 'A' : 'B', text });
    if (Math.random() < 0.3) await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
  }
}

void main();
