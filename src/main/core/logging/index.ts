import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import electronLog from 'electron-log/node';
import type { LogMessage } from 'electron-log';
import type { Logger, LogLevel } from './logger';
import { createRedactor, type MaskCounts } from './redact';

export type { Logger, LogLevel, LogRecord } from './logger';
export { createMemoryLogger } from './logger';
export {
  MASK_KINDS,
  addCounts,
  countPlaceholders,
  createRedactor,
  describeMessage,
  redactText,
  type MaskCounts,
  type MaskKind,
  type Redactor,
} from './redact';
export { createRendererLogWriter, type RendererLogWriter } from './renderer-log';

export const LOG_FILE_NAME = 'main.log';
/** The renderer's lines have their own file, so a flood of them cannot rotate main.log away. */
export const RENDERER_LOG_FILE_NAME = 'renderer.log';
export const RENDERER_LOG_MAX_BYTES = 1024 * 1024;
export const RENDERER_LOG_FILES = 3;
export const DEFAULT_LOG_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_LOG_FILES = 5;

export type FileLoggerOptions = Readonly<{
  /** Folder for main.log and its rotated siblings. */
  dir: string;
  /** Console output is for `npm start`; packaged apps and tests keep the console quiet. */
  console?: boolean;
  level?: LogLevel;
  /** A distinct id keeps two cores in one process (tests) from sharing a transport. */
  logId?: string;
  /** Defaults to main.log. */
  fileName?: string;
  /** main.log rotates when it grows past this size. */
  maxBytes?: number;
  /** How many files to keep in all: main.log plus main.1.log … main.(n-1).log. */
  maxFiles?: number;
  /** Paths under this folder are logged as `~/…`; defaults to the OS home folder. */
  homeDir?: string;
}>;

export type FileLogger = Logger &
  Readonly<{
    filePath: string;
    /** What redaction masked since this logger was created, by kind. */
    redactionCounts(): MaskCounts;
  }>;

const ERROR_ID = /\bE-[0-9A-F]{8}\b/;

/** `main.log` → `main.1.log` → … → `main.(n-1).log`; the oldest falls off the end. */
export function rotateLogFiles(filePath: string, maxFiles: number): void {
  const { dir, name, ext } = path.parse(filePath);
  const numbered = (index: number): string => path.join(dir, `${name}.${index}${ext}`);
  fs.rmSync(numbered(maxFiles - 1), { force: true });
  for (let index = maxFiles - 2; index >= 1; index -= 1) {
    if (fs.existsSync(numbered(index))) fs.renameSync(numbered(index), numbered(index + 1));
  }
  if (maxFiles > 1) fs.renameSync(filePath, numbered(1));
  else fs.rmSync(filePath, { force: true });
}

/**
 * One line per event, whatever was logged: newlines inside a message or a stack trace are
 * escaped, so `grep` and line counts work on the file.
 */
function toSingleLine(parts: readonly unknown[]): string {
  return parts
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(part) ?? String(part)))
    .join(' ')
    .replace(/\r?\n/g, '\\n');
}

function formatLine(message: LogMessage): string {
  const level = `[${message.level}]`.padEnd(7);
  const processType = String(message.variables?.['processType'] ?? 'main');
  const scope = message.scope ? ` (${message.scope})` : '';
  const errorId = message.variables?.['errorId'];
  const id = typeof errorId === 'string' && errorId ? ` [${errorId}]` : '';
  return `[${message.date.toISOString()}] ${level} [${processType}]${scope}${id} ${String(message.data[0] ?? '')}`;
}

let loggersCreated = 0;

/**
 * electron-log's node flavour, not its main flavour: the main flavour requires `electron`
 * at import time, which would stop the core from running in plain Node.
 */
export function createFileLogger(options: FileLoggerOptions): FileLogger {
  loggersCreated += 1;
  const log = electronLog.create({ logId: options.logId ?? `nova-${process.pid}-${Date.now()}-${loggersCreated}` });
  const filePath = path.join(options.dir, options.fileName ?? LOG_FILE_NAME);
  const maxFiles = Math.max(1, options.maxFiles ?? DEFAULT_LOG_FILES);
  const redactor = createRedactor({ homeDir: options.homeDir ?? os.homedir() });
  fs.mkdirSync(options.dir, { recursive: true });

  log.transports.file.resolvePathFn = () => filePath;
  log.transports.file.level = options.level ?? 'info';
  log.transports.file.maxSize = options.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
  log.transports.file.archiveLogFn = (file) => {
    try {
      rotateLogFiles(file.toString(), maxFiles);
    } catch {
      // A locked or vanished file must not stop logging: start the current file over instead.
      file.clear();
    }
  };
  log.transports.file.transforms = [({ message }) => formatLine(message)];
  log.transports.console.level = options.console === true ? (options.level ?? 'info') : false;
  log.variables['processType'] = 'main';
  log.scope.labelPadding = false;

  // Hooks run once per transport with the same message; redact it once so counts stay true.
  const redacted = new WeakMap<LogMessage, LogMessage>();
  log.hooks.push((message) => {
    const cached = redacted.get(message);
    if (cached) return cached;
    const text = toSingleLine(message.data.map((part) => redactor.value(part)));
    const errorId =
      message.level === 'error' || message.level === 'warn' ? (ERROR_ID.exec(text)?.[0] ?? '') : '';
    const result: LogMessage = {
      ...message,
      data: [text],
      ...(message.scope !== undefined ? { scope: redactor.text(message.scope) } : {}),
      variables: { ...message.variables, processType: message.variables?.['processType'] ?? 'main', errorId },
    };
    redacted.set(message, result);
    return result;
  });

  const wrap = (fns: Pick<typeof log, 'error' | 'warn' | 'info' | 'debug'>, scope: string): Logger => ({
    error: (m, ...d) => fns.error(m, ...d),
    warn: (m, ...d) => fns.warn(m, ...d),
    info: (m, ...d) => fns.info(m, ...d),
    debug: (m, ...d) => fns.debug(m, ...d),
    scope: (name) => {
      const full = scope ? `${scope}.${name}` : name;
      return wrap(log.scope(full), full);
    },
  });
  return Object.assign(wrap(log, ''), { filePath, redactionCounts: () => redactor.counts() });
}
