/**
 * Limits on what the renderer may hand the main process, checked by the contract before any
 * handler runs. The core still applies the server's own advertised limits after these.
 */
import { z } from 'zod';

/** The most text one message may carry through IPC, in UTF-8 bytes, whatever the server allows. */
export const MESSAGE_TEXT_MAX_BYTES = 256 * 1024;

/**
 * Conversation ids, message keys and other ids from the renderer: letters, digits and `_ . : -`,
 * starting with a letter or digit, at most 200 characters, never `..`. Ids end up in URL paths and
 * log lines, so `/`, `?`, `%`, `#`, whitespace and path steps are refused here, at the edge.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

export function isWellFormedId(value: string): boolean {
  return ID_PATTERN.test(value) && !value.includes('..');
}

export const IdSchema = z.string().refine(isWellFormedId, { message: 'not a well-formed id' });

const encoder = new TextEncoder();

/** A UTF-16 unit is at most 3 UTF-8 bytes, so short text is decided without encoding it. */
export function fitsTextCap(text: string): boolean {
  return text.length * 3 <= MESSAGE_TEXT_MAX_BYTES || encoder.encode(text).length <= MESSAGE_TEXT_MAX_BYTES;
}

export const MessageTextSchema = z
  .string()
  .min(1)
  // Checked on characters first, so a huge string is refused without being encoded.
  .max(MESSAGE_TEXT_MAX_BYTES)
  .refine(fitsTextCap, {
    message: `over ${MESSAGE_TEXT_MAX_BYTES} bytes`,
  });
