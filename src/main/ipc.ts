/**
 * The only place that registers IPC handlers. It takes an ipcMain-like object so tests (and the
 * e2e bridge) drive it without Electron. Every call is checked for sender and payload, and every
 * answer is data: `{ ok: true, value }` or `{ ok: false, error }`.
 */
import { INVOKE_CHANNELS, invokeChannels, type InvokeChannel, type ParsedReq, type Res } from '../shared/contract';
import type { IpcResult } from '../shared/result';
import { newErrorId, toErrorData } from './core/errors';
import type { Logger } from './core/logging';

export type SenderFrameLike = Readonly<{ url: string; parent: unknown }> | null | undefined;
export type IpcEventLike = Readonly<{ senderFrame?: SenderFrameLike }>;

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export type TrustPolicy = (frameUrl: string) => boolean;

/** Every channel of the contract: the core's handlers and the shell's (the updater) together. */
export type AppHandlers = { [C in InvokeChannel]: (req: ParsedReq<C>) => Promise<Res<C>> };

/** Only our own top-level page may call in: a subframe or a navigated-away page may not. */
export function isTrustedSender(frame: SenderFrameLike, isTrustedUrl: TrustPolicy): boolean {
  if (!frame || frame.parent) return false;
  return isTrustedUrl(frame.url);
}

export function registerIpc(
  ipc: IpcMainLike,
  handlers: AppHandlers,
  isTrustedUrl: TrustPolicy,
  log: Logger,
): () => void {
  for (const channel of INVOKE_CHANNELS) {
    ipc.handle(channel, (event, raw) => dispatch(channel, event, raw, handlers, isTrustedUrl, log));
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipc.removeHandler(channel);
  };
}

async function dispatch(
  channel: InvokeChannel,
  event: IpcEventLike,
  raw: unknown,
  handlers: AppHandlers,
  isTrustedUrl: TrustPolicy,
  log: Logger,
): Promise<IpcResult<unknown>> {
  if (!isTrustedSender(event.senderFrame, isTrustedUrl)) {
    const id = newErrorId();
    log.warn(`${channel}: refused call from untrusted frame [${id}]`, event.senderFrame?.url ?? 'unknown');
    return { ok: false, error: { code: 'FORBIDDEN', message: 'This caller may not use Nova.', id } };
  }
  const parsed = invokeChannels[channel].req.safeParse(raw);
  if (!parsed.success) {
    const id = newErrorId();
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    log.warn(`${channel}: INVALID_REQUEST [${id}] ${issues}`);
    return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid request: ${issues}`, id } };
  }
  try {
    const handler = handlers[channel] as (req: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    return { ok: false, error: toErrorData(error, log, channel) };
  }
}
