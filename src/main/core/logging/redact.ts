/**
 * The one place that decides what a log line or a diagnostics file may contain. Everything the
 * logger writes passes through here before any transport sees it, and the diagnostics bundle
 * runs every file through it again on the way into the zip.
 *
 * Masked values become `[masked:<kind>]`, so a reader sees that something was there, and the
 * bundle can count what was masked by kind. The user's home folder becomes `~`.
 */

export const MASK_KINDS = [
  'jwt',
  'bearer_token',
  'authorization',
  'cookie',
  'password',
  'token',
  'secret',
  'code',
  'email',
  'phone',
  'url_credentials',
  'message_text',
  'home_path',
] as const;
export type MaskKind = (typeof MASK_KINDS)[number];
export type MaskCounts = Partial<Record<MaskKind, number>>;

export type RedactOptions = Readonly<{
  /** The user's home folder; paths under it are written with `~`. Empty or "/" disables this. */
  homeDir?: string;
}>;

export type Redactor = Readonly<{
  /** Redacts free text (a log message, a stack trace, a line of an old log file). */
  text(input: string): string;
  /** Redacts a logged object by key (password, token, text…) and every string inside it. */
  value(input: unknown): unknown;
  /** What was masked since creation (or the last reset), by kind. */
  counts(): MaskCounts;
  reset(): void;
}>;

const PLACEHOLDER = /\[masked:([a-z_]+)\]/g;
const NOT_MASKED_YET = '(?!\\[masked:)';

export function placeholder(kind: MaskKind): string {
  return `[masked:${kind}]`;
}

/** Counts placeholders already in a text, e.g. in a log file that was redacted when written. */
export function countPlaceholders(text: string, into: MaskCounts = {}): MaskCounts {
  for (const match of text.matchAll(PLACEHOLDER)) {
    const kind = match[1] as MaskKind;
    if ((MASK_KINDS as readonly string[]).includes(kind)) into[kind] = (into[kind] ?? 0) + 1;
  }
  return into;
}

export function addCounts(into: MaskCounts, more: MaskCounts): MaskCounts {
  for (const [kind, count] of Object.entries(more) as [MaskKind, number][]) {
    into[kind] = (into[kind] ?? 0) + count;
  }
  return into;
}

/**
 * Logs must never hold what a person wrote. Services log a message by its key and length.
 * The key is the client id (a UUID) or the server id, neither of which says anything about content.
 */
export function describeMessage(key: string, text: string): string {
  return `message ${key} (${[...text].length} chars)`;
}

// ---- Keys of logged objects ----------------------------------------------------------------

const MESSAGE_TEXT_KEYS = new Set(['text', 'body', 'content', 'preview', 'draft', 'messagetext', 'plaintext']);
const CODE_KEYS = new Set([
  'code',
  'backupcode',
  'backupcodes',
  'otp',
  'totp',
  'twofactorcode',
  'verificationcode',
  'recoverycode',
]);

/** Which kind of secret a key names, or null when its value is an ordinary value. */
export function classifyKey(key: string): MaskKind | null {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (k.includes('password') || k.includes('passwd') || k.includes('passphrase') || k === 'pwd') return 'password';
  if (k === 'authorization' || k === 'proxyauthorization') return 'authorization';
  if (k.includes('cookie')) return 'cookie';
  if (k.endsWith('token') || k.endsWith('tokens') || k === 'jwt' || k === 'sessionid') return 'token';
  if (k.includes('secret') || k === 'apikey' || k === 'privatekey') return 'secret';
  if (CODE_KEYS.has(k)) return 'code';
  if (MESSAGE_TEXT_KEYS.has(k)) return 'message_text';
  return null;
}

/**
 * A `code` is a secret when it is a one-time or backup code, and an ordinary fact when it is an
 * error code (TOKEN_EXPIRED, ECONNRESET) or a status or close code (401, 4001). Support needs the
 * second kind, so it stays.
 */
function isHarmlessCode(value: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(value) || /^\d{1,4}$/.test(value);
}

// ---- Patterns in free text -----------------------------------------------------------------

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]+):([^\s/@]+)@/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const AUTHORIZATION = new RegExp(
  `\\b((?:proxy-)?authorization["']?\\s*[:=]\\s*["']?(?:(?:Bearer|Basic|Token|Digest)\\s+)?)(?!\\[masked:|(?:Bearer|Basic|Token|Digest)\\s)([^\\s"',;}]+)`,
  'gi',
);
const COOKIE = new RegExp(`\\b((?:set-)?cookie["']?\\s*[:=]\\s*["']?)${NOT_MASKED_YET}([^"'\\n]+)`, 'gi');
const BEARER = new RegExp(`\\b(Bearer\\s+)${NOT_MASKED_YET}([A-Za-z0-9._~+/-]+=*)`, 'g');
/**
 * `password=…`, `"refresh_token": "…"`, `code: 123456`, and `"text": "…"` in a raw frame logged as a
 * string; a quoted value is masked up to its closing quote.
 */
const KEY_VALUE = new RegExp(
  '(?<![A-Za-z0-9])' +
    '([A-Za-z0-9_-]*(?:password|passwd|passphrase|secret|token|api_?key)|backup_?codes?|code|otp|totp|' +
    'text|body|content|preview|draft|plaintext)' +
    // A bare value ends at a space or punctuation; `&` ends it only where a query parameter follows.
    `(["']?\\s*[:=]\\s*)(?:"((?:[^"\\\\]|\\\\.)*)"|'([^']*)'|((?:[^\\s"'&,;}\\])]|&(?![A-Za-z0-9_.-]+=))+))`,
  'gi',
);
const KEY_HINT = /pass|secret|token|api_?key|code|otp|text|body|content|preview|draft/;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** International numbers: a leading + is a strong signal, so 8 to 15 digits in any grouping. */
const PHONE_INTERNATIONAL = /(?<![\w+])\+\d[\d ().-]{6,20}\d(?![\w])/g;
/** National numbers in the common grouped forms: (555) 010-4477, 555-010-4477, 555.010.4477. */
const PHONE_NATIONAL = /(?<![\w.+-])(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])/g;
/** Opaque tokens: long runs mixing upper case, lower case and digits (UUIDs and hashes do not). */
const OPAQUE = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function homePattern(homeDir: string | undefined): RegExp | null {
  if (!homeDir || homeDir.length < 2) return null;
  const trimmed = homeDir.replace(/[\\/]+$/, '');
  // The path may appear as written, with forward slashes, or JSON-escaped (C:\\Users\\ann).
  const variants = new Set([trimmed, trimmed.replace(/\\/g, '/'), trimmed.replace(/\\/g, '\\\\')]);
  const alternatives = [...variants].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(`(?:${alternatives.join('|')})(?![A-Za-z0-9_-])`, 'g');
}

export function createRedactor(options: RedactOptions = {}): Redactor {
  let counts: MaskCounts = {};
  const home = homePattern(options.homeDir);
  // The last path segment (the user name) is in every spelling of the home folder.
  const homeHint = options.homeDir?.split(/[\\/]/).filter(Boolean).at(-1) ?? '';
  const count = (kind: MaskKind): void => {
    counts[kind] = (counts[kind] ?? 0) + 1;
  };
  const mask = (kind: MaskKind): string => {
    count(kind);
    return placeholder(kind);
  };

  // Each pattern runs only when a cheap check says it could match: most log lines hold no
  // secret at all, and redaction runs on every line written and every line bundled.
  function text(input: string): string {
    if (input.length === 0) return input;
    let out = input;
    if (home && homeHint && out.includes(homeHint)) out = out.replace(home, () => (count('home_path'), '~'));
    if (out.includes('://')) {
      out = out.replace(URL_CREDENTIALS, (_m, scheme: string) => `${scheme}${mask('url_credentials')}@`);
    }
    if (out.includes('eyJ')) out = out.replace(JWT, () => mask('jwt'));
    const lower = out.toLowerCase();
    if (lower.includes('authoriz')) {
      out = out.replace(AUTHORIZATION, (_m, prefix: string) => `${prefix}${mask('authorization')}`);
    }
    if (lower.includes('cookie')) out = out.replace(COOKIE, (_m, prefix: string) => `${prefix}${mask('cookie')}`);
    if (lower.includes('bearer')) out = out.replace(BEARER, (_m, prefix: string) => `${prefix}${mask('bearer_token')}`);
    if (KEY_HINT.test(lower)) {
      out = out.replace(
        KEY_VALUE,
        (whole, key: string, separator: string, double?: string, single?: string, bare?: string) => {
          const value = double ?? single ?? bare ?? '';
          const kind = classifyKey(key) ?? 'secret';
          if (value === '' || value.startsWith('[masked:')) return whole;
          if (kind === 'code' && isHarmlessCode(value)) return whole;
          const quote = double !== undefined ? '"' : single !== undefined ? "'" : '';
          return `${key}${separator}${quote}${mask(kind)}${quote}`;
        },
      );
    }
    if (out.includes('@')) out = out.replace(EMAIL, () => mask('email'));
    if (out.includes('+')) {
      out = out.replace(PHONE_INTERNATIONAL, (whole) => {
        const digits = whole.replace(/\D/g, '').length;
        return digits >= 8 && digits <= 15 ? mask('phone') : whole;
      });
    }
    out = out.replace(PHONE_NATIONAL, () => mask('phone'));
    out = out.replace(OPAQUE, (whole) =>
      /[a-z]/.test(whole) && /[A-Z]/.test(whole) && /\d/.test(whole) ? mask('token') : whole,
    );
    return out;
  }

  function value(input: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
    if (typeof input === 'string') return text(input);
    if (input === null || typeof input !== 'object') return input;
    if (input instanceof Error) return text(input.stack ?? `${input.name}: ${input.message}`);
    if (input instanceof Date) return input.toISOString();
    if (seen.has(input)) return '[circular]';
    if (depth >= 6) return Array.isArray(input) ? '[array]' : '[object]';
    seen.add(input);
    if (Array.isArray(input)) return input.map((item) => value(item, depth + 1, seen));
    const entries: Iterable<[unknown, unknown]> =
      input instanceof Map ? input.entries() : input instanceof Set ? [...input].entries() : Object.entries(input);
    const out: Record<string, unknown> = {};
    for (const [rawKey, item] of entries) {
      const key = String(rawKey);
      const kind = classifyKey(key);
      const isKept = kind === 'code' && typeof item === 'string' && isHarmlessCode(item);
      if (kind && !isKept && item !== null && item !== undefined && item !== '') {
        out[text(key)] = mask(kind);
      } else {
        out[text(key)] = value(item, depth + 1, seen);
      }
    }
    return out;
  }

  return {
    text,
    value: (input) => value(input),
    counts: () => ({ ...counts }),
    reset: () => {
      counts = {};
    },
  };
}

/** One-shot redaction of a text, with what was masked. */
export function redactText(input: string, options: RedactOptions = {}): { text: string; counts: MaskCounts } {
  const redactor = createRedactor(options);
  return { text: redactor.text(input), counts: redactor.counts() };
}
