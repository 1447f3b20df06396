/**
 * Secrets a test seeds into logs and data, and the lines that carry them. Tests assert that none
 * of `secrets` appears in a log file or a diagnostics bundle.
 */
export const HOME = '/home/ann.example';

/** A JWT-shaped token (header.payload.signature), as the reference server issues them. */
export const ACCESS_JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsInRva2VuX3R5cGUiOiJhY2Nlc3MifQ.c2lnbmF0dXJlLXRlc3QtYWNjZXNz';
export const REFRESH_JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsInRva2VuX3R5cGUiOiJyZWZyZXNoIn0.c2lnbmF0dXJlLXRlc3QtcmVmcmVzaA';
export const OPAQUE_TOKEN = 'q8Zr2LwX7nVb4KpT9sYd3HgF6jMc1RaE5uNo0';
export const PASSWORD = 'Tr0ub4dor&3-horse';
export const PASSWORD_WITH_SPACES = 'correct horse battery staple';
export const TOTP_CODE = '493027';
export const BACKUP_CODE = '9f3a2b1c';
export const EMAIL = 'ann.example+nova@mail.example.org';
export const EMAIL_2 = 'bob@nova.local';
export const PHONE = '+1 555 010 9999';
export const PHONE_2 = '(555) 010-4477';
export const PHONE_3 = '+447700900123';
export const SECRET_KEY = 'sk_live_51Hq2v8Yb7Xz3W4';
export const BASIC_CREDENTIALS = 'YW5uOmh1bnRlcjI=';
export const MESSAGE_TEXT = 'Meet me at the north gate at 7, bring the blue folder';

export const SECRETS: readonly string[] = [
  ACCESS_JWT,
  REFRESH_JWT,
  OPAQUE_TOKEN,
  PASSWORD,
  PASSWORD_WITH_SPACES,
  TOTP_CODE,
  BACKUP_CODE,
  EMAIL,
  EMAIL_2,
  PHONE,
  PHONE_2,
  PHONE_3,
  SECRET_KEY,
  BASIC_CREDENTIALS,
  MESSAGE_TEXT,
  HOME,
  // Fragments that must not survive either: the signature part of a JWT, the horse.
  'c2lnbmF0dXJlLXRlc3Q',
  'horse battery',
];

/** Log calls (message plus details) as services might make them, each carrying at least one secret. */
export function secretLogCalls(): Array<[string, ...unknown[]]> {
  const calls: Array<[string, ...unknown[]]> = [
    [`auth: signed in, access_token=${ACCESS_JWT}`],
    [`auth: refresh_token=${REFRESH_JWT}`],
    [`http: GET /api/v1/conversations Authorization: Bearer ${ACCESS_JWT}`],
    [`http: headers`, { Authorization: `Bearer ${OPAQUE_TOKEN}`, Accept: 'application/json' }],
    [`http: basic auth`, { authorization: `Basic ${BASIC_CREDENTIALS}` }],
    [`ws: upgrade with Bearer ${OPAQUE_TOKEN}`],
    [`ws: url ws://127.0.0.1:8787/ws?token=${ACCESS_JWT}&v=1`],
    [`auth: login request`, { email: EMAIL, password: PASSWORD }],
    [`auth: login request body {"email":"${EMAIL}","password":"${PASSWORD_WITH_SPACES}"}`],
    [`auth: 2fa verify`, { challengeId: 'c1', code: TOTP_CODE }],
    [`auth: 2fa verify code=${TOTP_CODE}`],
    [`auth: backup code used`, { backup_code: BACKUP_CODE }],
    [`auth: backup_code: ${BACKUP_CODE}`],
    [`auth: token pair`, { access_token: ACCESS_JWT, refresh_token: REFRESH_JWT, token_type: 'Bearer' }],
    [`auth: tokens`, { accessToken: ACCESS_JWT, refreshToken: REFRESH_JWT }],
    [`config: loaded`, { apiKey: SECRET_KEY, clientSecret: SECRET_KEY }],
    [`config: secret=${SECRET_KEY}`],
    [`contacts: ${EMAIL} invited ${EMAIL_2}`],
    [`contacts: phone ${PHONE} and ${PHONE_2} and ${PHONE_3}`],
    [`profile: updated`, { user: { email: EMAIL_2, phone: PHONE } }],
    [`store: opened ${HOME}/.config/Nova/nova.db`],
    [`store: paths`, { dataDir: `${HOME}/.config/Nova`, logs: `${HOME}/.config/Nova/logs` }],
    [`send: failed`, { key: 'k-1', text: MESSAGE_TEXT, conversationId: 'c-1' }],
    [`send: message view`, { message: { key: 'k-2', body: MESSAGE_TEXT, preview: MESSAGE_TEXT } }],
    [`draft: restored`, { draft: MESSAGE_TEXT }],
    [`crash: unexpected`, new Error(`failed for ${EMAIL} with token ${ACCESS_JWT} at ${HOME}/x.js`)],
    [`auth: cookie: session=${OPAQUE_TOKEN}; path=/`],
    [`net: proxy http://ann:${PASSWORD}@proxy.example.org:3128`],
    [`ipc: auth:login: INVALID_REQUEST [E-1A2B3C4D] password: Too small`, { password: PASSWORD }],
    [`nested`, { a: { b: { c: { password: PASSWORD, list: [EMAIL, PHONE] } } } }],
  ];
  // Repeat with varied framing so the corpus exceeds 50 lines and hits each pattern in context.
  const framed: Array<[string, ...unknown[]]> = [];
  for (const [index, secret] of [ACCESS_JWT, EMAIL, PHONE, PASSWORD, TOTP_CODE].entries()) {
    framed.push([`retry ${index}: password="${PASSWORD}" email ${EMAIL}`]);
    framed.push([`retry ${index}: {"refresh_token": "${REFRESH_JWT}"}`]);
    framed.push([`retry ${index}: Authorization=Bearer ${secret === ACCESS_JWT ? ACCESS_JWT : OPAQUE_TOKEN}`]);
    framed.push([`retry ${index}: call ${PHONE_2}, mail ${EMAIL_2}, code: ${TOTP_CODE}`]);
    framed.push([`retry ${index}: multi-line\nsecond line has ${EMAIL}\nthird has ${HOME}/Documents`]);
  }
  return [...calls, ...framed];
}
