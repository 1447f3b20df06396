import { randomUUID } from 'node:crypto';
import type { DoctorReport } from '../../../shared/support';
import type { Handlers } from '../context';
import type { CoreEventBus } from '../events';
import type { Logger } from '../logging';
import { runDoctor, type DoctorInput } from './run';

export { systemResolver, lookupFrom, type Resolver, type ResolvedAddress } from './resolver';
export { runDoctor, type DoctorInput } from './run';

export type DoctorOptions = Omit<DoctorInput, 'runId' | 'onUpdate'> &
  Readonly<{ events: CoreEventBus; log: Logger }>;

export type Doctor = Readonly<{
  handlers: Pick<Handlers, 'doctor:run'>;
  /** The last finished report of this session (for the diagnostics bundle), or null. */
  lastReport(): DoctorReport | null;
}>;

/** One run at a time: a second request joins the run under way. */
export function createDoctor(options: DoctorOptions): Doctor {
  const { events, log, ...input } = options;
  let running: Promise<DoctorReport> | null = null;
  let last: DoctorReport | null = null;

  const run = async (): Promise<DoctorReport> => {
    const runId = `D-${randomUUID().slice(0, 8).toUpperCase()}`;
    log.info(`run ${runId}: started`);
    const report = await runDoctor({ ...input, runId, onUpdate: (update) => events.emit('doctor:progress', update) });
    last = report;
    const verdicts = report.steps.map((step) => `${step.id}=${step.status}`).join(' ');
    log.info(`run ${runId}: ${report.outcome} (${verdicts})`);
    return report;
  };

  return {
    handlers: {
      'doctor:run': () => {
        running ??= run().finally(() => {
          running = null;
        });
        return running;
      },
    },
    lastReport: () => last,
  };
}
