export { ConnectionService, type ConnectionServiceOptions, type ConnectionTiming, type LinkAuth, type ConnectionStats, type ConnectionNotice } from './service';
export { CONNECTION_TRANSITIONS, ConnectionStateMachine, isAllowedTransition } from './states';
export { backoffCeilingMs, fullJitterDelayMs, serverDelayMs, type BackoffPolicy } from './backoff';
export { Heartbeat } from './heartbeat';
