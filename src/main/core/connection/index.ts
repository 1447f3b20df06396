/** The connection's public entry: the service, its options and the pure parts tests and benchmarks use. */
export { ConnectionService } from './service';
export type { ConnectionServiceOptions, ConnectionTiming, LinkAuth, ConnectionStats, ConnectionNotice } from './types';
export { CONNECTION_TRANSITIONS, ConnectionStateMachine, isAllowedTransition } from './states';
export { backoffCeilingMs, reconnectDelayMs, serverDelayMs, type BackoffPolicy } from './backoff';
export { Heartbeat } from './heartbeat';
