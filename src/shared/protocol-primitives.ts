/** Field shapes shared by the REST and WebSocket parts of the wire contract (protocol.ts). */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------
// Primitives
// ---------------------------------------------------------------------------------------
export const Id = z.string().min(1).max(128);
export const Seq = z.number().int().nonnegative();
/** Per device, per conversation, 1, 2, 3… (outbox ordering extension). */
export const ClientSeq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const DeviceId = z.string().min(1).max(128);
export const Timestamp = z.string();
export const MAX_PLAINTEXT_LENGTH = 65_536;
export const Plaintext = z.string().max(MAX_PLAINTEXT_LENGTH);
