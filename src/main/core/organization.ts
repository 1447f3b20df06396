/**
 * Reads the organisation configuration (src/shared/organization.ts) once, when the core is
 * built. A missing file is the normal case; a bad file is reported (log, Help, the diagnostics
 * bundle) and ignored as a whole, so the app runs as if there were none: a broken file must
 * never keep anyone from messaging, and half a file could mean something its author did not.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import {
  OrganizationConfigSchema,
  type OrganizationConfig,
  type OrganizationStatus,
} from '../../shared/organization';

export const ORGANIZATION_CONFIG_ENV = 'NOVA_ORG_CONFIG';
export const ORGANIZATION_CONFIG_FILE = 'organization.json';
/** An organisation file is a few lines; anything this big is not one. */
const MAX_FILE_BYTES = 256 * 1024;

export type Organization = Readonly<{
  /** The parsed file, or `{}` when there is none or it was invalid. */
  config: OrganizationConfig;
  status: OrganizationStatus;
}>;

/** The option wins, then NOVA_ORG_CONFIG, then `<dataDir>/organization.json`. */
export function resolveOrganizationConfigPath(
  option: string | undefined,
  environment: string | undefined,
  dataDir: string,
): Pick<OrganizationStatus, 'path' | 'source'> {
  if (option !== undefined) return { path: path.resolve(option), source: 'option' };
  if (environment !== undefined && environment.trim() !== '') return { path: path.resolve(environment.trim()), source: 'environment' };
  return { path: path.join(dataDir, ORGANIZATION_CONFIG_FILE), source: 'default' };
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') return `${where}: unknown setting ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    return `${where}: ${issue.message}`;
  });
}

/** Never throws: every failure becomes a problem line in the status. */
export function loadOrganizationConfig(location: Pick<OrganizationStatus, 'path' | 'source'>): Organization {
  const invalid = (problems: string[]): Organization => ({ config: {}, status: { ...location, status: 'invalid', problems } });
  let text: string;
  try {
    const stat = fs.statSync(location.path);
    if (!stat.isFile()) return invalid(['this path is not a file']);
    if (stat.size > MAX_FILE_BYTES) return invalid([`the file is ${stat.size} bytes; an organisation file is at most ${MAX_FILE_BYTES}`]);
    text = fs.readFileSync(location.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Nobody placed a file: the normal case. A path someone named explicitly must exist.
    if (code === 'ENOENT' && location.source === 'default') return { config: {}, status: { ...location, status: 'absent', problems: [] } };
    if (code === 'ENOENT') return invalid([`no such file (named by ${location.source === 'environment' ? ORGANIZATION_CONFIG_ENV : 'the app options'})`]);
    return invalid([`the file could not be read: ${code ?? String(error)}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return invalid([`not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const parsed = OrganizationConfigSchema.safeParse(json);
  if (!parsed.success) return invalid(describeIssues(parsed.error.issues));
  return { config: parsed.data, status: { ...location, status: 'loaded', problems: [] } };
}

/** The host a URL points at, for "this goes to …" lines; never the path or query (they may hold keys). */
export function destinationOf(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
