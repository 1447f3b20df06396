/**
 * The core's public entry: what the Electron shell imports. `createCore` gives it the `Core`
 * facade; tests that need the services behind it use `createCoreForTests` (`testing.ts`).
 */
import { composeCore, type Core } from './compose';
import type { CoreOptions } from './options';

export type { Core } from './compose';
export type { CoreOptions, Timing, AppInfo, OutboxLimits } from './options';
export type { Handlers, SystemEvent } from './context';
export type { CoreEvents } from './events';
export type { Metrics } from './metrics';
export type { IncomingNotice, ViewState } from './attention';
export type { PreferencesService } from './preferences';

export function createCore(options: CoreOptions): Core {
  return composeCore(options).core;
}
