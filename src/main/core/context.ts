/**
 * The types every service is built from, kept apart from the composition root (`index.ts`) so
 * that no service imports the file that imports it.
 */
import type { CoreInvokeChannel, ParsedReq, Res } from '../../shared/contract';
import type { Clock } from './clock';
import type { ChangeWindow, CoreEventBus } from './events';
import type { Logger } from './logging';
import type { Metrics } from './metrics';
import type { NotificationCenter } from './notifications';
import type { CoreOptions, Timing } from './options';
import type { SecretStore } from './secret-store';
import type { DB } from './store/database';

/** One async function per invoke channel; each throws AppError for expected failures. */
export type Handlers = { [C in CoreInvokeChannel]: (req: ParsedReq<C>) => Promise<Res<C>> };

/** What the OS tells the shell, forwarded so the connection can react (sleep, network). */
export type SystemEvent = 'suspend' | 'resume' | 'online' | 'offline';

/** The context services are built from; one object so adding a service does not ripple. */
export type CoreContext = Readonly<{
  options: CoreOptions;
  timing: Timing;
  clock: Clock;
  random: () => number;
  secretStore: SecretStore;
  log: Logger;
  events: CoreEventBus;
  db: DB;
  metrics: Metrics;
  notifications: NotificationCenter;
  /** The one coalescing window the renderer-facing change events go through. */
  changes: ChangeWindow;
}>;
