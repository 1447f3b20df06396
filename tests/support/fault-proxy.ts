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
  /**
   * Adds this much round-trip time: every chunk (and half-close) waits half of it in each
   * direction, in order. Set it before the traffic it should slow; 0 forwards at once.
   */
  latency: (roundTripMs: number) => void;
  /**
   * Stalls the uplink of every WebSocket open now: their bytes from the client are dropped from
   * here on, while the server's bytes and every half-close still pass, so the client's frames go
   * nowhere but what the server says (a close included) still arrives. HTTP connections (kept
   * alive for the next request) and new connections are untouched. Returns how many stalled.
   */
  stallSocketUplinks: () => number;
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
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; isWebSocket: boolean | null; uplinkStalled: boolean }>();
  let isBlackholed = false;
  let isRefusing = false;
  let isDroppingReplies = false;
  let acceptedCount = 0;
  let oneWayMs = 0;
  /** Same-duration timers fire in the order they were set, so the byte stream keeps its order. */
  const later = (action: () => void): void => {
    if (oneWayMs === 0) action();
    else setTimeout(action, oneWayMs);
  };
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
    const pair = { client, upstream, isWebSocket: null as boolean | null, uplinkStalled: false };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      // The first bytes are the request line and headers: an upgrade asks for a WebSocket.
      pair.isWebSocket ??= /^upgrade:\s*websocket/im.test(chunk.toString('latin1'));
      if (!isBlackholed && !pair.uplinkStalled) later(() => upstream.destroyed || upstream.write(chunk));
    });
    upstream.on('data', (chunk) => {
      if (!isBlackholed && !isDroppingReplies) later(() => client.destroyed || client.write(chunk));
    });
    // A half-close is forwarded only when not blackholed; a dead path carries no FIN either.
    client.on('end', () => {
      if (!isBlackholed) later(() => upstream.end());
    });
    upstream.on('end', () => {
      if (!isBlackholed) later(() => client.end());
    });
    // After the bytes still on their way: a close must not overtake them.
    client.on('close', () => {
      if (!isBlackholed) later(end);
    });
    upstream.on('close', () => {
      if (!isBlackholed) later(end);
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
    latency: (roundTripMs) => {
      oneWayMs = Math.max(0, roundTripMs / 2);
    },
    stallSocketUplinks: () => {
      let count = 0;
      for (const pair of pairs) {
        if (pair.isWebSocket !== true) continue;
        pair.uplinkStalled = true;
        count += 1;
      }
      return count;
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
