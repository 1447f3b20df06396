/**
 * What a message may weigh: the server's advertised limits, remembered across runs, so a message
 * written offline is checked as the last server would check it.
 */
import type { ServerCapabilities } from '../link';
import { getSetting, setSetting, type DB } from '../store/database';

/** Room the `send` frame's own fields take around the text, inside the server's frame limit. */
export const FRAME_ENVELOPE_BYTES = 1024;

export type MessageLimits = Readonly<{
  /** UTF-8 bytes of text the server accepts. */
  textBytes: number;
  /** Bytes the text may take once JSON-escaped inside a `send` frame (null: not known yet). */
  frameTextBytes: number | null;
}>;

/**
 * What `messages:send` accepts: the server's advertised message limit, else the default (64 KB),
 * and never more than fits in one frame beside the envelope.
 */
export function messageLimits(capabilities: ServerCapabilities, defaultTextBytes: number): MessageLimits {
  const frameTextBytes = Math.max(0, capabilities.maxPayloadBytes - FRAME_ENVELOPE_BYTES);
  return { textBytes: Math.min(capabilities.maxMessageBytes ?? defaultTextBytes, frameTextBytes), frameTextBytes };
}

/** Over the limits: the UTF-8 size, or the escaped size in the frame (control characters grow 6×). */
export function exceedsLimits(text: string, sizeBytes: number, limits: MessageLimits): boolean {
  if (sizeBytes > limits.textBytes) return true;
  // Escaping can at most sextuple the text, so short texts skip the measurement.
  if (limits.frameTextBytes === null || sizeBytes * 6 + 2 <= limits.frameTextBytes) return false;
  return Buffer.byteLength(JSON.stringify(text), 'utf8') > limits.frameTextBytes;
}

function readLimits(db: DB, defaultTextBytes: number): MessageLimits {
  try {
    const stored = JSON.parse(getSetting(db, 'message_limits') ?? 'null') as Partial<MessageLimits> | null;
    if (stored && typeof stored.textBytes === 'number' && (typeof stored.frameTextBytes === 'number' || stored.frameTextBytes === null)) {
      return { textBytes: stored.textBytes, frameTextBytes: stored.frameTextBytes };
    }
  } catch {
    // unreadable: the default until the next handshake
  }
  return { textBytes: defaultTextBytes, frameTextBytes: null };
}

/** The limits in force: the last server's, learnt at each connect and kept in the settings table. */
export class ServerLimits {
  private limits: MessageLimits;

  constructor(
    private readonly db: DB,
    private readonly defaultTextBytes: number,
  ) {
    this.limits = readLimits(db, defaultTextBytes);
  }

  get current(): MessageLimits {
    return this.limits;
  }

  learn(capabilities: ServerCapabilities): void {
    const next = messageLimits(capabilities, this.defaultTextBytes);
    if (next.textBytes === this.limits.textBytes && next.frameTextBytes === this.limits.frameTextBytes) return;
    this.limits = next;
    setSetting(this.db, 'message_limits', JSON.stringify(this.limits));
  }
}
