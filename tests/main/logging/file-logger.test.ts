import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileLogger, rotateLogFiles } from '../../../src/main/core/logging';
import { makeTempDir } from '../../support/core';
import { ACCESS_JWT, EMAIL, HOME, SECRETS, secretLogCalls } from '../../support/secrets';

const dirs: string[] = [];
function tempDir(): string {
  const dir = makeTempDir('nova-log-');
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

let loggerCount = 0;
function logger(dir: string, extra: { maxBytes?: number; maxFiles?: number } = {}): ReturnType<typeof createFileLogger> {
  loggerCount += 1;
  return createFileLogger({ dir, homeDir: HOME, logId: `file-logger-test-${loggerCount}`, level: 'debug', ...extra });
}

describe('file logger', () => {
  it('writes none of a 50+ line corpus of secrets to the file, and counts what it masked', () => {
    const dir = tempDir();
    const log = logger(dir);
    const calls = secretLogCalls();
    expect(calls.length).toBeGreaterThanOrEqual(50);
    const scoped = log.scope('auth');
    for (const [message, ...details] of calls) scoped.info(message, ...details);
    log.error('fatal', new Error(`boom ${EMAIL}`));

    const text = fs.readFileSync(log.filePath, 'utf8');
    for (const secret of SECRETS) expect(text, `leaked ${secret}`).not.toContain(secret);
    // The same number of lines as events: multi-line messages and stacks are escaped.
    expect(text.trimEnd().split('\n')).toHaveLength(calls.length + 1);
    expect(text).toContain('Authorization: Bearer [masked:jwt]');
    expect(text).toContain('~/.config/Nova/nova.db');
    const counts = log.redactionCounts();
    for (const kind of ['jwt', 'bearer_token', 'authorization', 'password', 'code', 'email', 'phone', 'home_path', 'message_text', 'secret', 'token', 'cookie', 'url_credentials'] as const) {
      expect(counts[kind], kind).toBeGreaterThan(0);
    }
  });

  it('writes time, level, process, scope and the error id of an error on one line', () => {
    const dir = tempDir();
    const log = logger(dir);
    log.scope('ipc').error('messages:send: INTERNAL [E-1A2B3C4D]', new Error('disk on fire'));
    log.scope('outbox').info('sent message k-1 (12 chars)');
    const [errorLine, infoLine] = fs.readFileSync(log.filePath, 'utf8').trimEnd().split('\n');
    expect(errorLine).toMatch(
      /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] \[error\] \[main\] \(ipc\) \[E-1A2B3C4D\] messages:send: INTERNAL .*Error: disk on fire\\n\s+at /,
    );
    expect(infoLine).toMatch(/^\[[^\]]+\] \[info\] {2}\[main\] \(outbox\) sent message k-1 \(12 chars\)$/);
  });

  it('rotates by size into main.1.log … main.4.log and keeps five files at most', () => {
    const dir = tempDir();
    const log = logger(dir, { maxBytes: 2_000 });
    const line = 'x'.repeat(190);
    for (let index = 0; index < 200; index += 1) log.info(`line ${index} ${line}`);
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['main.1.log', 'main.2.log', 'main.3.log', 'main.4.log', 'main.log']);
    for (const file of files) expect(fs.statSync(path.join(dir, file)).size).toBeLessThan(2_000 + 400);
    // Newest in main.log, then main.1.log: the last line written is in main.log.
    expect(fs.readFileSync(path.join(dir, 'main.log'), 'utf8')).toContain('line 199 ');
    const newestInOne = Number(/line (\d+) /.exec(fs.readFileSync(path.join(dir, 'main.1.log'), 'utf8').trimEnd().split('\n').at(-1) ?? '')?.[1]);
    const oldestInMain = Number(/line (\d+) /.exec(fs.readFileSync(path.join(dir, 'main.log'), 'utf8').split('\n')[0] ?? '')?.[1]);
    expect(newestInOne + 1).toBe(oldestInMain);
  });

  it('rotateLogFiles shifts numbered files and drops the oldest', () => {
    const dir = tempDir();
    const file = path.join(dir, 'main.log');
    for (const [name, body] of [['main.log', '0'], ['main.1.log', '1'], ['main.2.log', '2'], ['main.3.log', '3'], ['main.4.log', '4']] as const) {
      fs.writeFileSync(path.join(dir, name), body);
    }
    rotateLogFiles(file, 5);
    expect(fs.existsSync(file)).toBe(false);
    expect(['main.1.log', 'main.2.log', 'main.3.log', 'main.4.log'].map((n) => fs.readFileSync(path.join(dir, n), 'utf8'))).toEqual(['0', '1', '2', '3']);
  });

  it('keeps error codes, status codes and ids that support needs', () => {
    const dir = tempDir();
    const log = logger(dir);
    log.warn('send: failed', { code: 'NETWORK_ERROR', status: 503, closeCode: 4001, key: '3f2b8c4e-1234-4abc-9def-0123456789ab' });
    log.info(`ws: close code=4001 reason token_expired after 1700000000000 ms on 127.0.0.1:8787`);
    const text = fs.readFileSync(log.filePath, 'utf8');
    expect(text).toContain('"code":"NETWORK_ERROR"');
    expect(text).toContain('3f2b8c4e-1234-4abc-9def-0123456789ab');
    expect(text).toContain('code=4001 reason token_expired after 1700000000000 ms on 127.0.0.1:8787');
    expect(text).not.toContain(ACCESS_JWT);
  });
});
