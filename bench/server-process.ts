/**
 * The reference server in a process of its own, as a peer on loopback would be, for the benches
 * that share two cores between client and server: seeded, in memory, on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export type ServerProcess = Readonly<{ url: string; wsUrl: string; port: number; child: ChildProcess }>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** `nodeArgs` go before the script (e.g. --cpu-prof); resolves once the server prints its address. */
export async function startServerProcess(nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(__dirname, '../server/cli.ts'), '--port', String(port), '--data', ':memory:', '--seed'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += String(chunk);
      if (text.includes('websocket:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, port, child };
}
