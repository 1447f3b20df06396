/**
 * The live parts of the diagnostics bundle (metrics, connection history, outbox summary, the
 * doctor's last report, notifications) exist only in the running core's memory. The core
 * writes them to `<dataDir>/diagnostics-state.json` every minute and when it stops, so
 * `--collect-logs`, which runs without a core (and often after a crash or while the app hangs),
 * bundles the same parts as the in-app bundle, each saying when it was captured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppNotification } from '../../../shared/contract';
import { createRedactor } from '../logging';
import type { BundleResult } from './bundle';
import { collectDiagnostics, type CollectOptions } from './collect';
import type { DiagnosticsSource } from './sources';

export const STATE_FILE = 'diagnostics-state.json';
const PART_TIMEOUT_MS = 5_000;

export type StateReason = 'periodic' | 'stop';

type StateFile = Readonly<{
  format: 1;
  writtenAt: string;
  reason: StateReason;
  parts: Record<string, unknown>;
  notifications: AppNotification[];
}>;

async function readPart(source: DiagnosticsSource): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      source(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PART_TIMEOUT_MS} ms`)), PART_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
  } catch (error) {
    return { unavailable: true, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Writes the state file atomically (a crash mid-write leaves the previous one), redacted like the logs. */
export async function writeStateFile(
  dataDir: string,
  input: Readonly<{ sources: ReadonlyArray<readonly [string, DiagnosticsSource]>; notifications: readonly AppNotification[]; reason: StateReason; now: number; homeDir?: string }>,
): Promise<void> {
  const redactor = createRedactor({ homeDir: input.homeDir ?? os.homedir() });
  const parts: Record<string, unknown> = {};
  for (const [name, source] of input.sources) {
    const content = await readPart(source);
    parts[name] = typeof content === 'string' ? redactor.text(content) : redactor.value(content);
  }
  const state: StateFile = {
    format: 1,
    writtenAt: new Date(input.now).toISOString(),
    reason: input.reason,
    parts,
    notifications: redactor.value(input.notifications) as AppNotification[],
  };
  const target = path.join(dataDir, STATE_FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  await fs.promises.writeFile(temporary, JSON.stringify(state));
  await fs.promises.rename(temporary, target);
}

function readStateFile(dataDir: string): StateFile | { missing: string } {
  const file = path.join(dataDir, STATE_FILE);
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StateFile>;
    if (parsed.format !== 1 || typeof parsed.parts !== 'object' || parsed.parts === null) return { missing: `${STATE_FILE} has an unknown format` };
    return parsed as StateFile;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { missing: code === 'ENOENT' ? 'the app has not saved its state in this data folder yet' : `${STATE_FILE} could not be read (${code ?? 'invalid JSON'})` };
  }
}

function captured(state: StateFile): string {
  return `captured ${state.writtenAt} (${state.reason === 'stop' ? 'when the app last stopped' : 'by the running app, at most a minute old'})`;
}

/**
 * Bundles a data folder without a running core, with the parts the core last saved. Text parts
 * (metrics) get a comment line saying when they were captured; data parts are wrapped with it.
 */
export function collectFromStateFile(options: Omit<CollectOptions, 'sources' | 'notifications'>): Promise<BundleResult> {
  const state = readStateFile(options.dataDir);
  let sources: Array<[string, DiagnosticsSource]>;
  let notifications: AppNotification[] = [];
  if ('missing' in state) {
    // The expected parts still appear, each saying why it is empty.
    sources = ['metrics', 'connection-history', 'outbox-summary'].map((name) => [name, () => Promise.resolve(`Unavailable: ${state.missing}.`)]);
  } else {
    const when = captured(state);
    sources = Object.entries(state.parts).map(([name, content]) => [
      name,
      () => Promise.resolve(typeof content === 'string' ? `# ${when}\n${content}` : { captured: when, value: content }),
    ]);
    notifications = state.notifications;
  }
  return collectDiagnostics({ ...options, sources, notifications });
}
