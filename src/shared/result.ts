import type { AppErrorData } from './errors';

/** Every IPC answer is data: errors never cross the process boundary as thrown objects. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: AppErrorData };

export function ok<T>(value: T): IpcResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(error: AppErrorData): IpcResult<T> {
  return { ok: false, error };
}
