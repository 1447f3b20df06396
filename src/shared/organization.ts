/**
 * The organisation configuration: one JSON file an administrator places next to the app (see
 * docs/install.md, "Organisation configuration"). Each feature an organisation can configure
 * is one optional top-level section; a new feature adds a section here. The schema is strict,
 * so a misspelt key is an error that names it rather than a setting silently ignored.
 */
import { z } from 'zod';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * https, or http on loopback only: what these URLs receive (diagnostics, usage counts) must not
 * cross a network in clear text, and a loopback server is what tests and demos run.
 */
export const OrganizationUrlSchema = z
  .string()
  .max(2048)
  .superRefine((value, context) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      context.addIssue({ code: 'custom', message: `"${value}" is not a URL` });
      return;
    }
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return;
    context.addIssue({
      code: 'custom',
      message: url.protocol === 'http:' ? 'must use https (http is allowed only for 127.0.0.1 and localhost)' : 'must be an https URL',
    });
  });

/** Extra request headers for a metrics store: a tenant id (Mimir's X-Scope-OrgID), an API key. */
const HeadersSchema = z
  .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'header names are letters, digits and hyphens'), z.string().max(1024))
  .refine((headers) => Object.keys(headers).length <= 16, 'at most 16 headers');

export const FleetMetricsConfigSchema = z
  .object({
    /** The Prometheus remote-write URL (Prometheus, Grafana Mimir, Thanos Receive, VictoriaMetrics). */
    url: OrganizationUrlSchema,
    /** On for every user of this install unless `userMayChoose` lets them turn it off. */
    enabled: z.boolean().default(false),
    /** The user may turn it on or off in Help; otherwise `enabled` decides alone. */
    userMayChoose: z.boolean().default(false),
    /** Time between pushes (each is jittered by ±10 %). */
    intervalMs: z.number().int().min(1_000).max(3_600_000).default(60_000),
    headers: HeadersSchema.optional(),
  })
  .strict();
export type FleetMetricsConfig = z.infer<typeof FleetMetricsConfigSchema>;

export const UpdatesConfigSchema = z
  .object({
    /**
     * The update feed: the folder holding `latest-linux.yml`, `latest.yml`, `latest-mac.yml` (and
     * `beta*.yml`) with the installers next to them, as `npm run dist` writes them.
     */
    url: OrganizationUrlSchema,
    /** Install a feed's version even when it is older than the running one (a rollback). */
    allowDowngrade: z.boolean().default(false),
    /** Hours between checks (each spread by ±10 %, so installs do not all ask at once). */
    checkIntervalHours: z.number().min(1).max(168).default(4),
  })
  .strict();
export type UpdatesConfig = z.infer<typeof UpdatesConfigSchema>;

export const OrganizationConfigSchema = z
  .object({
    /** Where "Send to support" posts: a rageshake server's submit URL, e.g. https://rageshake.example.org/api/submit. */
    supportUrl: OrganizationUrlSchema.optional(),
    fleetMetrics: FleetMetricsConfigSchema.optional(),
    /** Where Nova looks for new versions; without it Nova does not update itself. */
    updates: UpdatesConfigSchema.optional(),
  })
  .strict();
export type OrganizationConfig = z.infer<typeof OrganizationConfigSchema>;

/** What the app made of the file, for the user (Help) and for support (the bundle). */
export const OrganizationStatusSchema = z.object({
  /** The file that was (or would be) read. */
  path: z.string(),
  /** How the path was chosen: the NOVA_ORG_CONFIG variable, a core option, or the default place. */
  source: z.enum(['environment', 'option', 'default']),
  status: z.enum(['absent', 'loaded', 'invalid']),
  /** Why an invalid file was ignored, one line per problem. */
  problems: z.array(z.string()),
});
export type OrganizationStatus = z.infer<typeof OrganizationStatusSchema>;
