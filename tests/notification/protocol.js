// protocol.js: the notification websocket as a client sees it, driven by npm `ws`: logins, delivery,
// isolation, WATCH, close codes, handshake checks and presence. Runs against the service directly
// or through the gateway (same cases; the environment says where).
//
//   NOTIF_WS_URL    ws://host:port/notifications or ws://host:port/v1/notifications
//   NOTIF_HTTP_URL  base for presence: http://host:port or http://host:port/v1
//   NOTIF_PREFIX    prefix of every case name (e.g. "gateway_")
//   + lib.js's NOTIF_TOOLS, NOTIF_KEY, NOTIF_OTHER_KEY, NOTIF_REDIS_URL
'use strict';

const {
  env, sleep, uid, mint, mintWith, publish, connect, frame, httpGet, runner, assert, eq, isReady, OTHER_KEY,
} = require('./lib');

const URL = env('NOTIF_WS_URL');
const HTTP = env('NOTIF_HTTP_URL');
const { test, run } = runner(env('NOTIF_PREFIX', ''));

const isEvent = (objUid) => (m) => m.type === 'UserAchievement' && m.data && m.data.uid === objUid;

// One event for `user` on object `obj`, published through the bus; true when accepted.
const eventFor = (user, obj, extra = {}) => publish(Object.assign({ uid: obj, audience: [user] }, extra));

async function expectClose(client, code, ms = 3000) {
  const info = await client.closed(ms);
  assert(info, `not closed within ${ms} ms`);
  eq(info.code, code, 'close code');
  return info;
}

async function deliveredWithin1s(client, user, obj) {
  const t0 = Date.now();
  assert(eventFor(user, obj), 'publish failed');
  const m = await client.next(isEvent(obj), 1000);
  return { m, ms: Date.now() - t0 };
}

test('login_with_authorization_header_then_event_arrives_within_1s', async () => {
  const a = uid('hdr');
  const c = await connect(URL, { token: mint(a), via: 'header' });
  eq(await c.ready(), { type: 'READY', userUid: a }, 'READY');
  const { m } = await deliveredWithin1s(c, a, uid('obj-hdr'));
  eq(Object.keys(m), ['type', 'action', 'data'], 'frame keys');
  eq(m.action, 'update', 'action');
  c.close();
});

test('login_with_jwt_token_query_then_event_arrives_within_1s', async () => {
  const a = uid('query');
  const c = await connect(URL, { token: mint(a), via: 'query' });
  eq(await c.ready(), { type: 'READY', userUid: a }, 'READY');
  await deliveredWithin1s(c, a, uid('obj-query'));
  c.close();
});

test('login_message_answered_then_event_arrives_within_1s', async () => {
  const a = uid('login');
  const c = await connect(URL, { via: 'none' });
  c.send({ id: '1', type: 'LOGIN', data: mint(a) });
  const r = await c.next((m) => m.type === 'LOGIN_RESPONSE', 2000);
  eq(r, { id: '1', type: 'LOGIN_RESPONSE', success: true }, 'LOGIN_RESPONSE');
  eq(await c.ready(), { type: 'READY', userUid: a }, 'READY');
  const obj = uid('obj-login');
  assert(eventFor(a, obj, { json: `{"uid":"${obj}","progress":3,"name":"caf\u00e9 \\"q\\""}` }), 'publish failed');
  const m = await c.next(isEvent(obj), 1000);
  eq(m, { type: 'UserAchievement', action: 'update', data: { uid: obj, progress: 3, name: 'caf\u00e9 "q"' } },
    'event frame');
  c.close();
});

test('fragmented_login_message_is_reassembled', async () => {
  const a = uid('frag');
  const c = await connect(URL, { via: 'none' });
  const text = Buffer.from(JSON.stringify({ id: 'f', type: 'LOGIN', data: mint(a) }));
  const cut = 17;
  c.ws._socket.write(Buffer.concat([frame(0x1, text.subarray(0, cut), { fin: false }),
    frame(0x9, Buffer.from('mid')), frame(0x0, text.subarray(cut))]));
  eq(await c.next((m) => m.type === 'LOGIN_RESPONSE', 2000), { id: 'f', type: 'LOGIN_RESPONSE', success: true },
    'LOGIN_RESPONSE');
  c.close();
});

test('ready_follows_each_login_method_once', async () => {
  for (const via of ['header', 'query']) {
    const a = uid(`ready-${via}`);
    const c = await connect(URL, { token: mint(a), via });
    eq(await c.next(() => true, 2000), { type: 'READY', userUid: a }, `first frame (${via})`);
    c.close();
  }
  const a = uid('ready-login');
  const c = await connect(URL, { via: 'none' });
  c.send({ id: 'l1', type: 'LOGIN', data: mint(a) });
  eq(await c.next(() => true, 2000), { id: 'l1', type: 'LOGIN_RESPONSE', success: true }, 'first frame (LOGIN)');
  eq(await c.next(() => true, 2000), { type: 'READY', userUid: a }, 'second frame (LOGIN)');
  c.send({ id: 'l2', type: 'LOGIN', data: mint(a) }); // a fresh token: answered, no second READY
  eq(await c.next(() => true, 2000), { id: 'l2', type: 'LOGIN_RESPONSE', success: true }, 'LOGIN again');
  eq(await c.countAfter(isReady, 300), 0, 'READY frames after the second LOGIN');
  c.close();
});

// The race READY closes: an action taken the moment the client is ready
// (its event published then) is never missed. Half the rounds use a fresh
// user (a new channel), half reconnect the same one right after closing
// (its UNSUBSCRIBE may still be in flight).
test('event_published_right_after_ready_is_always_delivered_50_times', async () => {
  const vias = ['header', 'query', 'login'];
  const waits = [];
  const same = uid('ready-same');
  for (let i = 0; i < 50; i++) {
    const a = i % 2 ? uid(`ready-${i}`) : same;
    const t0 = Date.now();
    const c = await connect(URL, { token: mint(a), via: vias[i % 3] });
    await c.ready().catch((e) => { throw new Error(`round ${i}: ${e.message}`); });
    waits.push(Date.now() - t0);
    const obj = uid(`obj-ready-${i}`);
    assert(eventFor(a, obj), `round ${i}: publish failed`);
    await c.next(isEvent(obj), 1000).catch((e) => { throw new Error(`round ${i} (user ${a}): ${e.message}`); });
    c.close();
  }
  waits.sort((x, y) => x - y);
  console.log(`# connect to READY: p50 ${waits[25]} ms, max ${waits[49]} ms over 50 rounds`);
});

test('watch_response_means_the_object_channel_is_subscribed_20_times', async () => {
  const a = uid('wr-a');
  const b = uid('wr-b');
  const cb = await connect(URL, { token: mint(b), via: 'header' });
  await cb.ready();
  for (let i = 0; i < 20; i++) {
    const obj = uid(`obj-wr-${i}`);
    cb.send({ id: `w${i}`, type: 'WATCH', data: obj });
    eq(await cb.next((m) => m.type === 'WATCH_RESPONSE', 2000), { id: `w${i}`, type: 'WATCH_RESPONSE', success: true },
      `round ${i}: WATCH_RESPONSE`);
    assert(eventFor(a, obj, { public: true }), 'publish failed');
    await cb.next(isEvent(obj), 1000).catch((e) => { throw new Error(`round ${i}: ${e.message}`); });
  }
  cb.close();
});

test('user_b_receives_nothing_of_user_a', async () => {
  const a = uid('iso-a');
  const b = uid('iso-b');
  const ca = await connect(URL, { token: mint(a), via: 'login' });
  const cb = await connect(URL, { token: mint(b), via: 'login' });
  await ca.ready();
  await cb.ready();
  const obj = uid('obj-iso');
  await deliveredWithin1s(ca, a, obj);
  eq(await cb.countAfter(() => true, 500), 0, 'messages at B');
  ca.close();
  cb.close();
});

test('watch_of_a_private_object_by_another_user_gets_nothing', async () => {
  const a = uid('wp-a');
  const b = uid('wp-b');
  const obj = uid('obj-wp');
  const ca = await connect(URL, { token: mint(a), via: 'login' });
  const cb = await connect(URL, { token: mint(b), via: 'login' });
  await ca.ready();
  await cb.ready();
  cb.send({ id: 'w1', type: 'WATCH', data: obj });
  eq(await cb.next((m) => m.type === 'WATCH_RESPONSE'), { id: 'w1', type: 'WATCH_RESPONSE', success: true },
    'WATCH_RESPONSE');
  await deliveredWithin1s(ca, a, obj);
  eq(await cb.countAfter(() => true, 500), 0, 'messages at the watcher');
  ca.close();
  cb.close();
});

test('public_event_reaches_owner_and_watchers_exactly_once', async () => {
  const a = uid('pub-a');
  const b = uid('pub-b');
  const obj = uid('obj-pub');
  const ca = await connect(URL, { token: mint(a), via: 'login' });
  const cb = await connect(URL, { token: mint(b), via: 'login' });
  for (const c of [ca, cb]) { // the owner watches its own object too: still one copy
    await c.ready();
    c.send({ type: 'WATCH', data: obj });
    await c.next((m) => m.type === 'WATCH_RESPONSE' && m.success === true);
  }
  assert(eventFor(a, obj, { public: true }), 'publish failed');
  await ca.next(isEvent(obj), 1000);
  await cb.next(isEvent(obj), 1000);
  eq(await ca.countAfter(isEvent(obj), 400), 0, 'extra copies at the owner');
  eq(await cb.countAfter(isEvent(obj), 0), 0, 'extra copies at the watcher');
  // UNWATCH: the watcher gets nothing more.
  cb.send({ id: 'u', type: 'UNWATCH', data: obj });
  eq(await cb.next((m) => m.type === 'UNWATCH_RESPONSE'), { id: 'u', type: 'UNWATCH_RESPONSE', success: true },
    'UNWATCH_RESPONSE');
  assert(eventFor(a, obj, { public: true }), 'publish failed');
  await ca.next(isEvent(obj), 1000);
  eq(await cb.countAfter(isEvent(obj), 400), 0, 'events after UNWATCH');
  ca.close();
  cb.close();
});

test('bad_requests_get_error_replies_and_keep_the_connection', async () => {
  const a = uid('err');
  const c = await connect(URL, { token: mint(a), via: 'login' });
  await c.ready();
  c.send({ id: '7', type: 'WATCH', data: 'has space' });
  eq(await c.next((m) => m.id === '7'), { id: '7', type: 'WATCH_RESPONSE', success: false,
    error: 'data must be an object uid' }, 'bad WATCH');
  c.send({ id: '8', type: 'UNWATCH', data: 'never-watched' });
  eq(await c.next((m) => m.id === '8'), { id: '8', type: 'UNWATCH_RESPONSE', success: false, error: 'not watched' },
    'UNWATCH of nothing');
  c.send({ id: '9', type: 'DANCE' });
  eq(await c.next((m) => m.id === '9'), { id: '9', type: 'ERROR', success: false, error: 'unknown message type' },
    'unknown type');
  c.send('{"type":"WATCH","data":"x","data":"y"}'); // duplicate key: the strict parser refuses it
  eq((await c.next((m) => m.type === 'ERROR')).success, false, 'duplicate key');
  await deliveredWithin1s(c, a, uid('obj-err'));
  c.close();
});

for (const [name, opts] of [
  ['bad_token_in_header_closes_1008', { token: 'not.a.token', via: 'header' }],
  ['bad_token_in_query_closes_1008', { token: 'x%20y', via: 'query' }],
  ['expired_token_closes_1008', { token: mint(uid('exp'), '-e', '4000', '-t', '600'), via: 'header' }],
  ['token_of_an_untrusted_key_closes_1008', { token: mintWith(OTHER_KEY, uid('other')), via: 'query' }],
]) {
  test(name, async () => {
    const c = await connect(URL, opts);
    await expectClose(c, 1008);
  });
}

test('bad_login_message_answered_false_then_closed_1008', async () => {
  const c = await connect(URL, { via: 'none' });
  c.send({ id: '1', type: 'LOGIN', data: mintWith(OTHER_KEY, uid('bad')) });
  eq(await c.next((m) => m.type === 'LOGIN_RESPONSE'), { id: '1', type: 'LOGIN_RESPONSE', success: false,
    error: 'invalid token' }, 'LOGIN_RESPONSE');
  await expectClose(c, 1008);
});

test('no_login_within_2s_closes_1008', async () => {
  const t0 = Date.now();
  const c = await connect(URL, { via: 'none' });
  const info = await expectClose(c, 1008, 5000);
  const ms = info.at - t0;
  assert(ms >= 1800 && ms <= 3500, `closed after ${ms} ms, want about 2000`);
});

test('first_message_other_than_login_closes_1008', async () => {
  const c = await connect(URL, { via: 'none' });
  c.send({ type: 'WATCH', data: 'x' });
  await expectClose(c, 1008);
});

test('unmasked_frame_closes_1002', async () => {
  const c = await connect(URL, { token: mint(uid('unmasked')), via: 'header' });
  c.ws._socket.write(frame(0x1, Buffer.from('{"type":"PING"}'), { mask: false }));
  await expectClose(c, 1002);
});

test('oversized_message_closes_1009', async () => {
  const c = await connect(URL, { token: mint(uid('big')), via: 'header' });
  c.send(`{"type":"WATCH","data":"${'x'.repeat(70 * 1024)}"}`);
  await expectClose(c, 1009);
});

test('invalid_utf8_text_closes_1007', async () => {
  const c = await connect(URL, { token: mint(uid('utf8')), via: 'header' });
  c.ws._socket.write(frame(0x1, Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])));
  await expectClose(c, 1007);
});

test('binary_message_closes_1003', async () => {
  const c = await connect(URL, { token: mint(uid('binary')), via: 'header' });
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  await expectClose(c, 1003);
});

test('client_ping_is_answered_with_its_payload', async () => {
  const c = await connect(URL, { token: mint(uid('ping')), via: 'header' });
  const pong = new Promise((resolve) => c.ws.once('pong', (data) => resolve(data.toString())));
  c.ws.ping('hello');
  eq(await Promise.race([pong, sleep(1000).then(() => 'timeout')]), 'hello', 'pong payload');
  c.close();
});

test('client_close_is_echoed_by_the_server', async () => {
  const c = await connect(URL, { token: mint(uid('bye')), via: 'header' });
  c.close(4000, 'bye');
  await expectClose(c, 4000);
});

test('handshake_with_version_8_gets_426', async () => {
  const err = await connect(URL, { via: 'none', protocolVersion: 8 }).then(() => null, (e) => e);
  assert(err && err.status === 426, `want 426, got ${err && (err.status || err.message)}`);
  eq(err.headers['sec-websocket-version'], '13', 'Sec-WebSocket-Version');
});

test('plain_get_without_upgrade_gets_400_json', async () => {
  const r = await httpGet(URL.replace(/^ws/, 'http'));
  eq(r.status, 400, 'status');
  eq(r.body.code, 'BAD_REQUEST', 'code');
});

test('origin_not_in_the_allow_list_gets_403', async () => {
  const err = await connect(URL, { via: 'none', origin: 'https://evil.example.net' }).then(() => null, (e) => e);
  assert(err && err.status === 403, `want 403, got ${err && (err.status || err.message)}`);
  const c = await connect(URL, { token: mint(uid('origin')), via: 'header', origin: 'https://eu.example.org' });
  c.close();
  const d = await connect(URL, { token: mint(uid('origin2')), via: 'header', origin: 'https://play.example.com' });
  d.close();
});

test('presence_online_while_connected_and_offline_after', async () => {
  const a = uid('pres-a');
  const b = uid('pres-b');
  const tb = mint(b);
  const cb = await connect(URL, { token: tb, via: 'login' });
  cb.send({ type: 'WATCH', data: a }); // presence events ride on the user's object channel
  await cb.next((m) => m.type === 'WATCH_RESPONSE' && m.success === true);
  eq((await httpGet(`${HTTP}/presence/${a}`, tb)).body, { userUid: a, online: false }, 'before');
  const ca = await connect(URL, { token: mint(a), via: 'header' });
  eq(await cb.next((m) => m.type === 'Presence', 2000),
    { type: 'Presence', action: 'update', data: { userUid: a, online: true } }, 'online event');
  eq((await httpGet(`${HTTP}/presence/${a}`, tb)).body, { userUid: a, online: true }, 'while connected');
  ca.close();
  eq(await cb.next((m) => m.type === 'Presence', 2000),
    { type: 'Presence', action: 'update', data: { userUid: a, online: false } }, 'offline event');
  eq((await httpGet(`${HTTP}/presence/${a}`, tb)).body, { userUid: a, online: false }, 'after');
  cb.close();
});

test('presence_needs_a_valid_token', async () => {
  const r = await httpGet(`${HTTP}/presence/${uid('anyone')}`);
  eq(r.status, 401, 'status without a token');
  assert(/^Bearer/.test(r.headers.get('www-authenticate') || ''), 'WWW-Authenticate: Bearer');
  eq((await httpGet(`${HTTP}/presence/${uid('anyone')}`, mintWith(OTHER_KEY, 'x'))).status, 401,
    'status with an untrusted token');
});

run().then((failed) => process.exit(failed ? 1 : 0));
