// cluster.js: the notification service as operators see it: two replicas on one redis, keepalive,
// slow clients, a redis restart and a drain. Direct connections only (the gateway adds nothing here).
//
//   NOTIF_R1_URL, NOTIF_R2_URL   ws://127.0.0.1:PORT/notifications of replica 1 and 2
//   NOTIF_R1_HTTP                http://127.0.0.1:PORT of replica 1 (metrics)
//   NOTIF_R1_PID, NOTIF_R2_PID   their process ids (memory, SIGTERM)
//   NOTIF_REDIS_RESTART          shell command that stops and starts redis on the same port
//   NOTIF_REDIS_STOP, NOTIF_REDIS_START  the two halves of it
//   NOTIF_R3_URL                 a replica without AXR_REDIS_URL
//   + lib.js's NOTIF_TOOLS, NOTIF_KEY, NOTIF_OTHER_KEY, NOTIF_REDIS_URL
// Replica 2 pings every second (AXR_WS_PING_INTERVAL=1s); replica 1 keeps the default.
'use strict';

const { exec } = require('child_process');
const { promisify } = require('util');

// Runs a shell command without blocking node's loop (replica 2 drops a peer that misses 2 s of pings).
const sh = (cmd) => promisify(exec)(cmd);
const {
  env, sleep, uid, mint, publish, connect, httpGet, rssKiB, runner, assert, eq, isReady,
} = require('./lib');

const R1 = env('NOTIF_R1_URL');
const R2 = env('NOTIF_R2_URL');
const R1_HTTP = env('NOTIF_R1_HTTP');
const R1_PID = Number(env('NOTIF_R1_PID'));
const R2_PID = Number(env('NOTIF_R2_PID'));
const { test, run } = runner('');

const isEvent = (objUid) => (m) => m.type === 'UserAchievement' && m.data && m.data.uid === objUid;

function metric(text, name) {
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : -1;
}

test('same_user_on_two_replicas_gets_one_copy_per_connection', async () => {
  const a = uid('multi');
  const token = mint(a);
  // Several connections per replica so both I/O threads of each are likely used.
  const clients = [];
  for (const url of [R1, R1, R1, R2, R2, R2]) clients.push(await connect(url, { token, via: 'login' }));
  const b = await connect(R2, { token: mint(uid('multi-b')), via: 'login' });
  for (const c of clients.concat([b])) await c.ready();
  const obj = uid('obj-multi');
  assert(publish({ uid: obj, audience: [a] }), 'publish failed');
  for (const c of clients) await c.next(isEvent(obj), 1000);
  await sleep(400);
  for (const [i, c] of clients.entries()) eq(c.messages.filter(isEvent(obj)).length, 0, `extra copies at client ${i}`);
  eq(b.messages.length, 0, 'messages at another user');
  for (const c of clients.concat([b])) c.close();
});

test('server_pings_and_drops_a_silent_peer', async () => {
  const c = await connect(R2, { token: mint(uid('silent')), via: 'header' });
  await sleep(1500);
  assert(c.pings >= 1, `no ping within 1.5 s (got ${c.pings})`);
  c.ws._socket.pause(); // stop reading: pings go unanswered
  await sleep(3000);
  c.ws._socket.resume();
  const info = await c.closed(3000);
  assert(info, 'a silent peer was not dropped within 2 ping periods');
  eq(info.code, 1006, 'close code (TCP dropped, no close frame)');
});

test('slow_client_is_closed_1013_and_memory_stays_bounded', async () => {
  const a = uid('slow');
  const slow = await connect(R1, { token: mint(a), via: 'login' });
  const b = uid('fast');
  const fast = await connect(R1, { token: mint(b), via: 'login' });
  slow.ws._socket.pause();
  const before = rssKiB(R1_PID);
  // 640 events of 32 KiB (20 MiB) for the reader that does not read.
  assert(publish({ uid: uid('obj-slow'), audience: [a], pad: 32768, count: 640 }), 'publish failed');
  const after = rssKiB(R1_PID);
  const metrics = (await httpGet(`${R1_HTTP}/metrics`)).body;
  assert(metric(metrics, 'axr_ws_slow_client_closes_total') >= 1, 'no slow-client close counted');
  console.log(`# slow client: RSS ${before} -> ${after} KiB while 20 MiB went to a stalled reader`);
  assert(after - before < 8192, `RSS grew by ${after - before} KiB while 20 MiB were sent to a stalled client`);
  // Other clients on the same replica are unaffected.
  const obj = uid('obj-fast');
  assert(publish({ uid: obj, audience: [b] }), 'publish failed');
  await fast.next(isEvent(obj), 1000);
  slow.ws._socket.resume();
  const info = await slow.closed(10000);
  assert(info, 'the slow client was not closed');
  eq(info.code, 1013, 'close code');
  fast.close();
}, 30000);

// While the replica's subscriber has no redis, nothing is subscribed: a new
// connection gets no READY and a WATCH no answer until redis is back and
// the re-SUBSCRIBEs are confirmed; then both come and events flow.
test('no_ready_while_redis_is_down_then_ready_when_it_returns', async () => {
  const old = uid('down-old');
  const co = await connect(R1, { token: mint(old), via: 'header' });
  await co.ready();
  await sh(env('NOTIF_REDIS_STOP'));
  let started = false;
  try {
    await sleep(300); // the subscribers see their connections close
    const a = uid('down');
    const obj = uid('obj-down');
    const c = await connect(R1, { token: mint(a), via: 'header' });
    c.send({ id: 'w', type: 'WATCH', data: obj });
    await sleep(1500);
    eq(c.messages, [], 'frames while redis is down');
    await sh(env('NOTIF_REDIS_START'));
    started = true;
    const t0 = Date.now();
    eq(await c.ready(10000), { type: 'READY', userUid: a }, 'READY once redis is back');
    const readyMs = Date.now() - t0;
    eq(await c.next((m) => m.type === 'WATCH_RESPONSE', 10000), { id: 'w', type: 'WATCH_RESPONSE', success: true },
      'WATCH_RESPONSE once redis is back');
    console.log(`# redis down: no READY for 1.5 s; READY ${readyMs} ms after redis started again`);
    const ev = uid('obj-down-ev');
    assert(publish({ uid: ev, audience: [a] }), 'publish failed');
    await c.next(isEvent(ev), 1000);
    assert(publish({ uid: obj, audience: [old], public: true }), 'publish failed');
    await c.next(isEvent(obj), 1000);
    eq(co.messages.filter(isReady).length, 0, 'READY frames again at the connection that was ready before');
    c.close();
    co.close();
  } finally {
    if (!started) await sh(env('NOTIF_REDIS_START'));
  }
}, 30000);

test('without_redis_ready_comes_at_once', async () => {
  const a = uid('noredis');
  const c = await connect(env('NOTIF_R3_URL'), { token: mint(a), via: 'header' });
  eq(await c.ready(1000), { type: 'READY', userUid: a }, 'READY');
  c.send({ id: 'w', type: 'WATCH', data: uid('obj-noredis') });
  eq(await c.next(() => true, 1000), { id: 'w', type: 'WATCH_RESPONSE', success: true }, 'WATCH_RESPONSE');
  c.close();
});

test('delivery_comes_back_by_itself_after_redis_restarts', async () => {
  const a = uid('restart');
  const c1 = await connect(R1, { token: mint(a), via: 'login' });
  const c2 = await connect(R2, { token: mint(a), via: 'login' });
  await sh(env('NOTIF_REDIS_RESTART'));
  // Each replica's subscribers reconnect on their own backoff: publish until both deliver.
  const obj = uid('obj-restart');
  const t0 = Date.now();
  const got = [false, false];
  while (!(got[0] && got[1]) && Date.now() - t0 < 15000) {
    publish({ uid: obj, audience: [a] }); // fails while the publisher reconnects
    await sleep(300);
    [c1, c2].forEach((c, i) => { got[i] = got[i] || c.messages.some(isEvent(obj)); });
  }
  assert(got[0], 'no event on replica 1 within 15 s of the restart');
  assert(got[1], 'no event on replica 2 within 15 s of the restart');
  c1.close();
  c2.close();
}, 30000);

test('metrics_count_deliveries_logins_and_auth_failures', async () => {
  const text = (await httpGet(`${R1_HTTP}/metrics`)).body;
  for (const name of ['axr_ws_events_delivered_total', 'axr_ws_logins_total', 'axr_bus_published_total']) {
    assert(metric(text, name) >= 0, `${name} missing from /metrics`);
  }
  assert(metric(text, 'axr_ws_events_delivered_total') > 0, 'no delivery counted');
  assert(metric(text, 'axr_ws_logins_total') > 0, 'no login counted');
});

test('drain_closes_websockets_with_1001', async () => {
  const c = await connect(R2, { token: mint(uid('drain')), via: 'header' });
  const pending = await connect(R2, { via: 'none' }); // not logged in yet: closed the same way
  process.kill(R2_PID, 'SIGTERM');
  const info = await c.closed(5000);
  assert(info, 'not closed within 5 s of SIGTERM');
  eq(info.code, 1001, 'close code');
  eq((await pending.closed(5000) || {}).code, 1001, 'close code before login');
});

run().then((failed) => process.exit(failed ? 1 : 0));
