/**
 * Which server URLs the app accepts. A packaged app talks to a remote server only over TLS
 * (https:, and so wss: for the socket, which the core derives from it); plain http: is allowed
 * for a server on this computer (the bundled reference server, a local proxy) and in development.
 */
export const SERVER_URL_SETTING = 'NOVA_SERVER_URL';
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8787';

export type ServerUrlCheck = Readonly<{ ok: true; url: string } | { ok: false; message: string }>;

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\./.test(host)) return true;
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

export function checkServerUrl(raw: string, options: Readonly<{ isPackaged: boolean }>): ServerUrlCheck {
  const setting = `${SERVER_URL_SETTING} (the server address Nova connects to)`;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, message: `${setting} is not a valid URL: "${raw}". Use the server's address, e.g. https://chat.example.org.` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, message: `${setting} must not carry a user name or password; Nova signs in with its own form.` };
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') {
    return {
      ok: false,
      message: `${setting} is ${url.protocol}//…; give the server's https:// address instead (Nova derives the socket address from it).`,
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, message: `${setting} must be an https:// address, not ${url.protocol}//.` };
  }
  if (url.protocol === 'http:' && options.isPackaged && !isLoopbackHost(url.hostname)) {
    return {
      ok: false,
      message:
        `${setting} is ${url.origin}, an unencrypted http:// address on another computer. ` +
        `Nova sends passwords and messages only over https:// (and wss://) unless the server runs on this computer. ` +
        `Set ${SERVER_URL_SETTING} to the server's https:// address.`,
    };
  }
  return { ok: true, url: url.toString().replace(/\/$/, '') };
}
