/**
 * Data shapes of the support features: sending a diagnostics bundle, the connection doctor and
 * fleet metrics. The channels that carry them are in contract.ts.
 */
import { z } from 'zod';
import { OrganizationStatusSchema } from './organization';

/** The largest description a user can attach to a report. */
export const SUPPORT_DESCRIPTION_MAX = 5_000;

export const SupportStatusSchema = z.object({
  /** True when the organisation configured a support URL: only then is "Send to support" shown. */
  canSend: z.boolean(),
  /** The host the bundle goes to, shown before sending. */
  destination: z.string().nullable(),
  organization: OrganizationStatusSchema,
});
export type SupportStatus = z.infer<typeof SupportStatusSchema>;

export const SUPPORT_STAGES = ['preparing', 'uploading', 'waiting', 'sent', 'failed', 'cancelled'] as const;

export const SupportProgressSchema = z.object({
  bundleId: z.string(),
  stage: z.enum(SUPPORT_STAGES),
  /** 1-based attempt number and how many attempts an upload gets. */
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  sentBytes: z.number().int(),
  totalBytes: z.number().int(),
  /** While waiting: when the next attempt starts (epoch ms). */
  retryAt: z.number().nullable(),
  /** While waiting: why the last attempt failed. */
  lastError: z.string().nullable(),
});
export type SupportProgress = z.infer<typeof SupportProgressSchema>;

export const SupportSendResultSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('sent'),
    bundleId: z.string(),
    /** Where the report can be followed, when the support server gives one. */
    reportUrl: z.string().nullable(),
    sizeBytes: z.number().int(),
  }),
  z.object({ status: z.literal('cancelled'), bundleId: z.string() }),
]);
export type SupportSendResult = z.infer<typeof SupportSendResultSchema>;

// ---- Connection doctor -----------------------------------------------------------------------

export const DOCTOR_STEP_IDS = [
  'network',
  'dns',
  'tcp',
  'tls',
  'health',
  'websocket',
  'handshake',
  'ping',
  'clock',
  'token',
] as const;
export type DoctorStepId = (typeof DOCTOR_STEP_IDS)[number];

export const DOCTOR_STEP_STATUSES = ['pending', 'running', 'pass', 'warn', 'fail', 'skip'] as const;
export type DoctorStepStatus = (typeof DOCTOR_STEP_STATUSES)[number];

export const DoctorStepSchema = z.object({
  id: z.enum(DOCTOR_STEP_IDS),
  title: z.string(),
  status: z.enum(DOCTOR_STEP_STATUSES),
  /** The plain verdict, one sentence. */
  summary: z.string(),
  /** Facts found on the way: addresses, certificate subject and expiry, features. */
  details: z.array(z.string()),
  /** When it failed or warned: the likely cause, and the next thing to try. */
  cause: z.string().nullable(),
  nextStep: z.string().nullable(),
  durationMs: z.number().nullable(),
});
export type DoctorStep = z.infer<typeof DoctorStepSchema>;

export const DoctorReportSchema = z.object({
  runId: z.string(),
  serverUrl: z.string(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  /** 'running' until every step has a verdict; then the worst verdict. */
  outcome: z.enum(['running', 'pass', 'warn', 'fail']),
  summary: z.string(),
  steps: z.array(DoctorStepSchema),
});
export type DoctorReport = z.infer<typeof DoctorReportSchema>;

// ---- Fleet metrics ---------------------------------------------------------------------------

export const FleetStatusSchema = z.object({
  /** The organisation configured a metrics URL; without one nothing can be sent. */
  configured: z.boolean(),
  /** Pushing now. */
  enabled: z.boolean(),
  /** Who decided: the organisation's file, or the user (when the file lets them choose). */
  decidedBy: z.enum(['organization', 'user']).nullable(),
  userMayChoose: z.boolean(),
  destination: z.string().nullable(),
  intervalMs: z.number().int().nullable(),
  /** A random id for this install, not derived from the user or the machine; the user may reset it. */
  installId: z.string().nullable(),
  lastPushAt: z.number().nullable(),
  lastError: z.string().nullable(),
  /** Samples waiting while the metrics store is unreachable, and how many were dropped (oldest first). */
  bufferedPushes: z.number().int(),
  droppedPushes: z.number().int(),
  /** The metric families sent, so the user can see what leaves the computer. */
  families: z.array(z.string()),
});
export type FleetStatus = z.infer<typeof FleetStatusSchema>;
