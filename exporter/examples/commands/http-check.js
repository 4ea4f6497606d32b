#!/usr/bin/env node
// Checks that a URL answers with the expected status within a time limit; exit 0 when it does.
//
//   http-check.js [--allow-exporter] [--allow <origin or origin+path prefix> …] [--expect 200] [--timeout 10] -- <url>
//
// An empty <url> checks the exporter that runs this command: RUNBOARD_URL + /api/v1/health.
//
// --allow-exporter allows the origin of the exporter that runs this command (RUNBOARD_URL, which
// the exporter sets), and its `localhost` name when that is a loopback address.
// Only URLs under an --allow entry are requested: the URL comes from a user, the allow-list from
// the exporter's config (README "Commands"), so a user cannot make the host probe other addresses.
// Redirects are reported, never followed: a redirect could lead off the allowed origins.
'use strict';
const { parseArgs } = require('node:util');

function usage(message) {
  console.error(`http-check: ${message}`);
  process.exit(2);
}

let parsed;
try {
  // Options stop at `--`: the URL after it is never read as one.
  parsed = parseArgs({
    options: {
      allow: { type: 'string', multiple: true, default: [] },
      'allow-exporter': { type: 'boolean', default: false },
      expect: { type: 'string', default: '200' },
      timeout: { type: 'string', default: '10' },
    },
    allowPositionals: true,
  });
} catch (err) {
  usage(err.message);
}
const { values, positionals } = parsed;
if (positionals.length !== 1) usage('expected exactly one URL after --');
const expected = Number(values.expect);
const timeoutSeconds = Number(values.timeout);
if (!Number.isInteger(expected) || expected < 100 || expected > 599) usage(`--expect ${values.expect} is not an HTTP status`);
if (!(timeoutSeconds > 0)) usage(`--timeout ${values.timeout} is not a positive number`);

/** An http(s) URL without user info, or a reason. */
function parseHttpUrl(text) {
  let u;
  try {
    u = new URL(text);
  } catch {
    return { reason: 'is not a valid URL' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { reason: `uses ${u.protocol}, only http: and https: are allowed` };
  // `http://allowed@elsewhere/` names the host after the @: user info is refused, not interpreted.
  if (u.username !== '' || u.password !== '') return { reason: 'must not contain a user name or password' };
  return { url: u };
}

const allowList = [...values.allow];
if (values['allow-exporter']) {
  const self = process.env.RUNBOARD_URL;
  if (!self) usage('--allow-exporter: RUNBOARD_URL is not set (the exporter sets it for the commands it runs)');
  allowList.push(self);
  const u = parseHttpUrl(self).url;
  if (u && (u.hostname === '127.0.0.1' || u.hostname === '[::1]')) allowList.push(`${u.protocol}//localhost:${u.port}`);
}

const allowed = allowList.map((entry) => {
  const r = parseHttpUrl(entry);
  if (!r.url) usage(`--allow ${entry} ${r.reason}`);
  if (r.url.search !== '' || r.url.hash !== '') usage(`--allow ${entry} must be an origin or an origin with a path prefix`);
  // `--allow http://h/api/` allows /api/ and below; `--allow http://h/api` allows /api and /api/….
  return { origin: r.url.origin, prefix: r.url.pathname };
});

/** Why `u` is outside every --allow entry, or undefined when one covers it. */
function refusal(u) {
  // Encoded dots, slashes and backslashes could be decoded by the server into a path the prefix did not allow.
  if (/%(2e|2f|5c)/i.test(u.pathname)) return 'has an encoded ".", "/" or "\\" in its path';
  for (const a of allowed) {
    if (u.origin !== a.origin) continue;
    if (a.prefix === '/' || u.pathname === a.prefix || u.pathname.startsWith(a.prefix.endsWith('/') ? a.prefix : `${a.prefix}/`)) return undefined;
  }
  const list = allowList.length > 0 ? allowList.join(', ') : 'none';
  return `is not under an allowed origin or prefix (allowed: ${list})`;
}

// An empty URL checks the exporter that runs this command (its health endpoint).
let given = positionals[0];
if (given === '') {
  if (!process.env.RUNBOARD_URL) usage('an empty URL checks the exporter itself, but RUNBOARD_URL is not set');
  given = `${process.env.RUNBOARD_URL.replace(/\/+$/, '')}/api/v1/health`;
}
const target = parseHttpUrl(given);
const why = target.url ? refusal(target.url) : target.reason;
if (why) {
  console.error(`refused: ${given} ${why}`);
  process.exit(2);
}
const url = target.url.href;

(async () => {
  const started = Date.now();
  console.log(`::progress 0 requesting ${url}`);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000), redirect: 'manual' });
    const ms = Date.now() - started;
    console.log(`${res.status} ${res.statusText} in ${ms} ms`);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location !== null) console.log(`redirect to ${location} (not followed)`);
    await res.body?.cancel();
    console.log('::progress 100 answered');
    if (res.status !== expected) {
      console.error(`expected status ${expected}, got ${res.status}`);
      process.exit(1);
    }
  } catch (err) {
    console.error(`request failed: ${err.cause?.code ?? err.name}: ${err.message}`);
    process.exit(1);
  }
})();
