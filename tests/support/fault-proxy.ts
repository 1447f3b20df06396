import net from 'node:net';

/**
 * A small TCP fault proxy (toxiproxy is not available here): forwards 127.0.0.1:port to a
 * target, and on demand cuts every connection, blackholes them (stops forwarding, closes
 * nothing, like a dead NAT or a pulled cable), or refuses new ones.
 */
export type FaultProxy = Readonly<{
  port: number;
  /** http://127.0.0.1:port, to use as the server URL. */
  url: string;
  /** Destroys every proxied connection now (the client sees 1006). Returns how many. */
  cutAll: () => number;
  /** While on, bytes in both directions are dropped and no connection is closed. */
  blackhole: (on: boolean) => void;
  /** While on, new connections are reset at once; existing ones are untouched. */
  refuse: (on: boolean) => void;
  /**
   * While set, new connections get this canned HTTP answer instead of the server, as a
   * gateway in front of it would (429 with Retry-After, 503…). Null forwards again.
   */
  answerNew: (response: Readonly<{ status: number; headers?: Readonly<Record<string, string>> }> | null) => void;
  /**
   * While on, what the server sends is dropped and what the client sends still arrives: a request
   * lands, its answer is lost (a lost ack).
   */
  dropReplies: (on: boolean) => void;
  /** Connections accepted so far (including refused ones). */
  accepted: () => number;
  open: () => number;
  close: () => Promise<void>;
}>;

export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let isBlackholed = false;
  let isRefusing = false;
  let isDroppingReplies = false;
  let acceptedCount = 0;
  let cannedAnswer: Readonly<{ status: number; headers?: Readonly<Record<string, string>> }> | null = null;

  const server = net.createServer((client) => {
    acceptedCount += 1;
    client.on('error', () => undefined);
    if (isRefusing) {
      client.resetAndDestroy();
      return;
    }
    if (cannedAnswer !== null) {
      const { status, headers = {} } = cannedAnswer;
      const body = JSON.stringify({ error: 'refused by the fault proxy', code: status === 429 ? 'RATE_LIMITED' : 'SERVICE_UNAVAILABLE' });
      const lines = [
        `HTTP/1.1 ${status} Refused`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        ...Object.entries(headers).map(([key, value]) => `${key}: ${value}`),
      ];
      // Answer once the request has arrived, as a real gateway would.
      client.once('data', () => client.end(`${lines.join('\r\n')}\r\n\r\n${body}`));
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    upstream.on('error', () => undefined);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (!isBlackholed) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!isBlackholed && !isDroppingReplies) client.write(chunk);
    });
    // A half-close is forwarded only when not blackholed; a dead path carries no FIN either.
    client.on('end', () => {
      if (!isBlackholed) upstream.end();
    });
    upstream.on('end', () => {
      if (!isBlackholed) client.end();
    });
    client.on('close', () => {
      if (!isBlackholed) end();
    });
    upstream.on('close', () => {
      if (!isBlackholed) end();
      else pairs.delete(pair);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const destroyAll = (): number => {
    const count = pairs.size;
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      pair.client.destroy();
      pair.upstream.destroy();
    }
    return count;
  };

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    cutAll: destroyAll,
    blackhole: (on) => {
      isBlackholed = on;
    },
    refuse: (on) => {
      isRefusing = on;
    },
    dropReplies: (on) => {
      isDroppingReplies = on;
    },
    answerNew: (response) => {
      cannedAnswer = response;
    },
    accepted: () => acceptedCount,
    open: () => pairs.size,
    close: async () => {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
