/** The CLI as an operator runs it: what it prints, and what it refuses to start. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/seed';

const CLI = path.join(__dirname, '../../server/cli.ts');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGTERM');
});

function run(args: ReadonlyArray<string>): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--data', ':memory:', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += String(c)));
  child.stderr?.on('data', (c: Buffer) => (err += String(c)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function lineMatching(stdout: () => string, re: RegExp, exited: Promise<unknown>): Promise<RegExpExecArray> {
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    const m = re.exec(stdout());
    if (m) return m;
    if (done) throw new Error(`the server exited; output:\n${stdout()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('server CLI', () => {
  it('prints a fresh faults token at start, which /__faults wants; --rate-limit off turns throttling off', async () => {
    const server = run(['--port', '0', '--seed', '--faults', '--rate-limit', 'off']);
    const url = (await lineMatching(server.stdout, /on (http:\/\/127\.0\.0\.1:\d+)/, server.exited))[1] ?? '';
    const token = (await lineMatching(server.stdout, /faults token \(this run only\): (\S+)/, server.exited))[1] ?? '';
    expect(token).toMatch(/^[\w-]{32}$/);
    expect(server.stdout()).toContain('sign-in throttling OFF');
    expect((await fetch(`${url}/__faults/state`)).status).toBe(401);
    expect((await fetch(`${url}/__faults/state`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    const signIn = (password: string): Promise<Response> =>
      fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'alice@nova.local', password }),
      });
    for (let i = 0; i < 8; i += 1) expect((await signIn('wrong')).status).toBe(401);
    expect((await signIn(DEMO_PASSWORD)).status).toBe(200);
  }, 30_000);

  it('--legacy-nova with a non-loopback --host exits 1 and says why', async () => {
    const server = run(['--port', '0', '--legacy-nova', '--host', '0.0.0.0']);
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toMatch(/--legacy-nova listens on loopback only \(got host 0\.0\.0\.0\)/);
    expect(server.stdout()).not.toContain('listening');
  }, 30_000);
});
