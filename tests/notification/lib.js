// lib.js: what the websocket scenarios share: a client wrapper over npm `ws`, tokens, publishing, TAP lines.
'use strict';

const WebSocket = require('ws');
const crypto = require('crypto');
const fs = require('fs');
const { execFileSync, spawnSync } = require('child_process');

const env = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`environment variable ${name} is not set`);
  }
  return v;
};

const TOOLS = env('NOTIF_TOOLS');          // build/tools
const KEY = env('NOTIF_KEY');              // private key the service trusts
const OTHER_KEY = env('NOTIF_OTHER_KEY');  // a key it does not trust
const REDIS = env('NOTIF_REDIS_URL');
const RUN = crypto.randomBytes(4).toString('hex'); // keeps ids of parallel runs apart

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const isReady = (m) => m.type === 'READY';
const uid = (name) => `${name}-${RUN}`;

// mint(user, ...extra mint_token arguments) -> a signed token for `user`.
function mint(user, ...extra) {
  return execFileSync(`${TOOLS}/mint_token`, ['-k', KEY, '-s', user, ...extra]).toString().trim();
}

function mintWith(key, user, ...extra) {
  return execFileSync(`${TOOLS}/mint_token`, ['-k', key, '-s', user, ...extra]).toString().trim();
}

// publish({type, action, uid, audience: [], public, json, pad, count, redis}) through axr_bus_publish.
function publish(ev) {
  const args = ['-r', ev.redis || REDIS, '-t', ev.type || 'UserAchievement', '-a', ev.action || 'update',
    '-o', ev.uid, '-s', ev.service || 'achievement'];
  for (const a of ev.audience || []) args.push('-A', a);
  if (ev.public) args.push('-p');
  if (ev.json) args.push('-j', ev.json);
  if (ev.pad) args.push('-P', String(ev.pad));
  if (ev.count) args.push('-n', String(ev.count));
  const r = spawnSync(`${TOOLS}/bus_publish`, args);
  return r.status === 0;
}

// A connected client: every message it got, parsed, and how it closed.
class Client {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.waiters = [];
    this.pings = 0;
    this.closeInfo = null;
    this.closeWaiters = [];
    ws.on('message', (data, isBinary) => {
      let m;
      try {
        m = isBinary ? { binary: data } : JSON.parse(data.toString());
      } catch (e) {
        m = { unparsable: data.toString() };
      }
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => !w.check());
    });
    ws.on('ping', () => { this.pings++; });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString(), at: Date.now() };
      for (const w of this.closeWaiters) w(this.closeInfo);
      this.closeWaiters = [];
    });
    ws.on('error', () => {});
  }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }

  // Resolves with (and removes) the first message matching `pred`; rejects after `ms`.
  next(pred = () => true, ms = 1000) {
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          const i = this.messages.findIndex(pred);
          if (i < 0) return false;
          clearTimeout(w.timer);
          resolve(this.messages.splice(i, 1)[0]);
          return true;
        },
      };
      if (w.check()) return;
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no matching message within ${ms} ms; got ${JSON.stringify(this.messages).slice(0, 300)}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  // Resolves with (and removes) the READY frame; rejects after `ms`.
  ready(ms = 2000) { return this.next(isReady, ms); }

  // How many messages matching `pred` arrive (or are there) after waiting `ms`.
  async countAfter(pred, ms) {
    await sleep(ms);
    return this.messages.filter(pred).length;
  }

  // Resolves with {code, reason} when closed, or null after `ms`.
  closed(ms = 3000) {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(null), ms);
      this.closeWaiters.push((info) => { clearTimeout(t); resolve(info); });
    });
  }

  close(code = 1000, reason = '') { this.ws.close(code, reason); }
  terminate() { this.ws.terminate(); }
}

// connect(url, {token, via: 'header'|'query'|'login'|'none', origin, headers})
// -> Client once open (after LOGIN_RESPONSE for via 'login'). Rejects when the
// handshake is refused, with err.status set.
function connect(url, opts = {}) {
  const via = opts.via || 'header';
  const headers = Object.assign({}, opts.headers || {});
  let target = url;
  if (via === 'header') headers.Authorization = `Bearer ${opts.token}`;
  if (via === 'query') target = `${url}?jwt_token=${opts.token}`;
  const wsOpts = { headers, perMessageDeflate: false, handshakeTimeout: 3000 };
  if (opts.origin) wsOpts.origin = opts.origin;
  if (opts.protocolVersion) wsOpts.protocolVersion = opts.protocolVersion;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, wsOpts);
    const client = new Client(ws);
    ws.once('unexpected-response', (req, res) => {
      const err = new Error(`handshake refused: ${res.statusCode}`);
      err.status = res.statusCode;
      err.headers = res.headers;
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => { err.body = body; reject(err); });
      req.destroy();
    });
    ws.once('error', (e) => reject(e));
    ws.once('open', async () => {
      if (via !== 'login') return resolve(client);
      client.send({ id: '1', type: 'LOGIN', data: opts.token });
      try {
        const r = await client.next((m) => m.type === 'LOGIN_RESPONSE', 2000);
        if (r.success !== true) throw new Error(`LOGIN_RESPONSE ${JSON.stringify(r)}`);
        resolve(client);
      } catch (e) {
        reject(e);
      }
    });
  });
}

// A masked client frame, built by hand (to send what `ws` would refuse to).
function frame(opcode, payload, { fin = true, mask = true } = {}) {
  const len = payload.length;
  const head = [(fin ? 0x80 : 0) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65536) head.push(maskBit | 126, len >> 8, len & 255);
  else throw new Error('frame too long for this helper');
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), key, body]);
}

// GET url with optional bearer token: {status, body (parsed when JSON), headers}.
async function httpGet(url, token) {
  const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch (e) { /* keep the text */ }
  return { status: res.status, body, headers: res.headers };
}

// VmRSS of process `pid` in KiB.
function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : -1;
}

// The TAP-like runner: each case prints "ok - <prefix><name>" or "not ok - ...: why".
function runner(prefix) {
  const cases = [];
  let failed = 0;
  const test = (name, fn, ms = 15000) => cases.push({ name, fn, ms });
  const run = async () => {
    for (const c of cases) {
      let timer;
      try {
        await Promise.race([
          c.fn(),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${c.ms} ms`)), c.ms); }),
        ]);
        console.log(`ok - ${prefix}${c.name}`);
      } catch (e) {
        failed++;
        console.log(`not ok - ${prefix}${c.name}: ${String(e && e.message ? e.message : e).replace(/\n/g, ' ')}`);
      } finally {
        clearTimeout(timer);
      }
    }
    return failed;
  };
  return { test, run };
}

// assert(cond, message) / eq(got, want, what)
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function eq(got, want, what) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`);
}

module.exports = {
  env, sleep, uid, mint, mintWith, publish, connect, frame, httpGet, rssKiB, runner, assert, eq, isReady,
  KEY, OTHER_KEY, REDIS, RUN,
};
