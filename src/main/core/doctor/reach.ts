/**
 * The doctor's steps that reach the server, layer by layer: this computer's network, the name
 * (DNS), a connection (TCP), the secure channel (TLS, with the certificate described even when it
 * is not trusted) and the server's /health answer. A layer that fails marks the server unreachable,
 * so the steps after it are skipped with that reason rather than left to time out too.
 */
import net from 'node:net';
import os from 'node:os';
import { ProbeError, httpGet, tcpConnect, tlsProbe } from './probes';
import { codeOf, seconds, span, type StepContext, type Steps } from './step';

const CERT_WARN_DAYS = 14;

export function reachSteps(context: StepContext): Pick<Steps, 'network' | 'dns' | 'tcp' | 'tls' | 'health'> {
  const { input, facts, lookup, isLoopback, timeout } = context;
  return {
    async network() {
      if (input.isOsOffline()) {
        return {
          status: 'fail',
          summary: 'This computer reports that it is offline.',
          cause: 'No network connection: Wi-Fi is off or not joined, the cable is out, or airplane mode is on.',
          nextStep: 'Connect to a network, then run this check again.',
        };
      }
      const interfaces = (input.networkInterfaces ?? os.networkInterfaces)();
      const up = Object.entries(interfaces)
        .filter(([, list]) => (list ?? []).some((entry) => !entry.internal))
        .map(([name]) => name);
      if (up.length === 0 && !isLoopback) {
        return {
          status: 'fail',
          summary: 'No network adapter is connected.',
          cause: 'Only this computer itself is reachable: no Wi-Fi, cable or VPN adapter has an address.',
          nextStep: 'Connect to a network, then run this check again.',
        };
      }
      return { status: 'pass', summary: up.length > 0 ? `Online (${up.length} network adapter${up.length === 1 ? '' : 's'} up).` : 'Online (the server is on this computer).', details: up.map((name) => `adapter ${name}`) };
    },

    async dns() {
      if (net.isIP(facts.host) !== 0) {
        facts.addresses = [{ address: facts.host, family: net.isIPv6(facts.host) ? 6 : 4 }];
        return { status: 'pass', summary: `The server address is a number (${facts.host}): no name to look up.` };
      }
      try {
        const found = await Promise.race([
          input.resolver(facts.host),
          new Promise<never>((_resolve, reject) => setTimeout(() => reject(new ProbeError('TIMEOUT', 'no answer')), timeout).unref()),
        ]);
        if (found.length === 0) throw new ProbeError('ENOTFOUND', 'no addresses');
        facts.addresses = found;
        return { status: 'pass', summary: `${facts.host} is at ${found.map((a) => a.address).join(', ')}.` };
      } catch (error) {
        const code = codeOf(error);
        facts.unreachable = 'the server could not be found';
        if (code === 'ENOTFOUND' || code === 'ENODATA') {
          return {
            status: 'fail',
            summary: `The name ${facts.host} could not be found (${code}).`,
            cause: 'A typo in the server address, a DNS server that does not know the name, or a network that hides it until you sign in to it or connect a VPN.',
            nextStep: 'Check the server address; open any web page to see whether the network asks you to sign in; connect your organisation’s VPN if it has one.',
          };
        }
        return {
          status: 'fail',
          summary: `The name server did not answer for ${facts.host} (${code}).`,
          cause: 'DNS cannot be reached: the network is down, filtered, or very slow.',
          nextStep: 'Try again in a minute, or another network (a phone hotspot tells a network problem from a server problem).',
        };
      }
    },

    async tcp() {
      const target = facts.addresses[0];
      if (facts.unreachable !== null || !target) return { status: 'skip', summary: `Skipped: ${facts.unreachable ?? 'no address'}.` };
      const where = `${target.family === 6 ? `[${target.address}]` : target.address}:${facts.port}`;
      try {
        await tcpConnect(target.address, facts.port, timeout);
        return { status: 'pass', summary: `Connected to ${where}.` };
      } catch (error) {
        const code = codeOf(error);
        facts.unreachable = 'the server could not be reached';
        if (code === 'ECONNREFUSED') {
          return {
            status: 'fail',
            summary: `Nothing answered on ${where} (connection refused).`,
            cause: 'The server is down, restarting, or the port in the server address is wrong.',
            nextStep: 'Wait a minute and check again; if it stays, ask your administrator whether the service is running and the address is right.',
          };
        }
        if (code === 'TIMEOUT') {
          return {
            status: 'fail',
            summary: `No answer from ${where} within ${seconds(timeout)}.`,
            cause: 'A firewall, proxy or VPN silently drops the connection, or the server cannot be reached from this network.',
            nextStep: `Try another network; ask your administrator whether port ${facts.port} is allowed from where you are.`,
          };
        }
        return {
          status: 'fail',
          summary: `The connection to ${where} failed (${code}).`,
          cause: code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'This network has no route to the server (a VPN that is needed but not connected?).' : 'The network refused or reset the connection.',
          nextStep: 'Connect the VPN if your organisation uses one, or try another network.',
        };
      }
    },

    async tls() {
      const target = facts.addresses[0];
      if (!facts.isHttps) {
        if (isLoopback) return { status: 'skip', summary: 'Not used: the server runs on this computer over plain http.' };
        return {
          status: 'warn',
          summary: 'The connection is not encrypted (the server address starts with http:).',
          cause: 'Anyone on the network path can read the traffic, sign-in included.',
          nextStep: 'Ask your administrator for the https address of the server.',
        };
      }
      if (facts.unreachable !== null || !target) return { status: 'skip', summary: `Skipped: ${facts.unreachable ?? 'no address'}.` };
      try {
        const tlsFacts = await tlsProbe(target.address, facts.port, facts.host, timeout);
        const left = tlsFacts.validTo - input.now();
        const details = [
          `subject ${tlsFacts.subject}`,
          `issuer ${tlsFacts.issuer}`,
          `valid until ${new Date(tlsFacts.validTo).toISOString()}`,
          ...(tlsFacts.protocol ? [`protocol ${tlsFacts.protocol}`] : []),
        ];
        if (left <= 0 || tlsFacts.chainError === 'CERT_HAS_EXPIRED') {
          facts.secureFailed = true;
          return {
            status: 'fail',
            summary: `The server’s certificate expired ${span(left)} ago.`,
            details,
            cause: 'The server’s certificate was not renewed in time (or this computer’s date is far off).',
            nextStep: 'Check this computer’s date; if it is right, tell your administrator that the certificate expired.',
          };
        }
        if (tlsFacts.chainError !== null) {
          facts.secureFailed = true;
          return {
            status: 'fail',
            summary: `The server’s certificate is not trusted by this computer (${tlsFacts.chainError}).`,
            details,
            cause: 'Something between you and the server presents its own certificate (a proxy that inspects traffic, a hotel or captive portal), or the server uses a certificate from an authority this computer does not know.',
            nextStep: 'Try another network; on a company network ask your administrator to install the company’s certificate authority.',
          };
        }
        if (tlsFacts.nameError !== null) {
          facts.secureFailed = true;
          return {
            status: 'fail',
            summary: `The certificate is not for ${facts.host}.`,
            details: [...details, tlsFacts.nameError],
            cause: 'A wrong server address, or a proxy or portal answering in the server’s place.',
            nextStep: 'Check the server address; try another network.',
          };
        }
        if (left < CERT_WARN_DAYS * 86_400_000) {
          return {
            status: 'warn',
            summary: `Secure, but the certificate expires in ${span(left)}.`,
            details,
            cause: 'The certificate is due for renewal.',
            nextStep: 'Nothing to do now; tell your administrator if it is not renewed soon.',
          };
        }
        return { status: 'pass', summary: `Secure (${tlsFacts.subject}, valid for ${span(left)}).`, details };
      } catch (error) {
        facts.secureFailed = true;
        const code = codeOf(error);
        return {
          status: 'fail',
          summary: code === 'TIMEOUT' ? `The secure handshake did not finish within ${seconds(timeout)}.` : `The secure handshake failed (${code}).`,
          cause: 'A proxy or firewall interferes with encrypted connections, or the server does not speak TLS on this port.',
          nextStep: 'Try another network; check that the server address uses the right port.',
        };
      }
    },

    async health() {
      if (facts.unreachable !== null) return { status: 'skip', summary: `Skipped: ${facts.unreachable}.` };
      if (facts.secureFailed) return { status: 'skip', summary: 'Skipped: the secure connection failed.' };
      try {
        const answer = await httpGet(new URL('/health', input.serverUrl).toString(), { lookup, timeoutMs: timeout, now: input.now });
        facts.health = answer;
        if (answer.status === 200) {
          let detail = 'it answered OK';
          try {
            const body = JSON.parse(answer.body) as { protocol_version?: unknown; mode?: unknown };
            if (typeof body.protocol_version === 'string') detail = `protocol ${body.protocol_version}, ${String(body.mode ?? 'nova-compat')}`;
          } catch {
            // an older Nova server answers plain text
          }
          return { status: 'pass', summary: `The server is up (${detail}).` };
        }
        if (answer.status === 401) return { status: 'pass', summary: 'The server is up (it asks for a sign-in even here, as older Nova servers do).' };
        const retryAfter = answer.headers['retry-after'];
        const details = typeof retryAfter === 'string' ? [`Retry-After: ${retryAfter} s`] : [];
        if (answer.status === 503) {
          return {
            status: 'fail',
            summary: 'The server says it is temporarily unavailable (503).',
            details,
            cause: 'Maintenance, a restart, or more load than it can take right now. Your computer and network are fine.',
            nextStep: 'Wait a few minutes: Nova keeps retrying by itself and sends your messages when the server is back.',
          };
        }
        if (answer.status >= 500) {
          return {
            status: 'fail',
            summary: `The server reported an error (${answer.status}).`,
            details,
            cause: 'A problem on the server or a gateway in front of it.',
            nextStep: 'Tell your administrator and attach this report (Help → Collect diagnostics).',
          };
        }
        return {
          status: 'fail',
          summary: `The address answers, but not like a Nova server (/health gave ${answer.status}).`,
          cause: 'A wrong server address, or a proxy or sign-in page answering instead of the server.',
          nextStep: 'Check the server address; open a web page to see whether the network wants you to sign in.',
        };
      } catch (error) {
        const code = codeOf(error);
        facts.unreachable = 'the server did not answer';
        return {
          status: 'fail',
          summary: code === 'TIMEOUT' ? `The server took the connection but did not answer within ${seconds(timeout)}.` : `The request failed (${code}).`,
          cause:
            code === 'TIMEOUT'
              ? 'Something on the way swallows the traffic (a firewall, proxy or broken VPN that lets connections open but passes no data), or the server is stuck.'
              : 'The connection was cut while talking to the server.',
          nextStep: 'Disconnect and reconnect the VPN, or try another network; if colleagues see the same, tell your administrator.',
        };
      }
    },
  };
}
