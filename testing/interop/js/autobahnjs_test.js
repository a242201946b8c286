// Our router under AutobahnJS (npm `autobahn`, run with Node), over WebSocket with JSON and
// MsgPack.
//
// Starts the standalone router binary with a config holding ticket, wampcra (salted) and
// cryptosign users, waits for its "listening ws://..." line, then runs each check with each
// serializer as an independent WAMP peer would. Prints one machine-readable line per check
//   RESULT peer=autobahn-js feature=call serializer=json transport=websocket status=pass
// (read by testing/interop/make_matrix.py) and a Catch2-style summary
// ("test cases: N | P passed | F failed") that tools/test.sh counts.
//
// Usage: node autobahnjs_test.js ROUTER_BINARY
'use strict';

const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const util = require('util');

// AutobahnJS warns on every closed connection and the router logs every session: both are
// kept and printed only when a check failed.
const log = [];
const verbose = !!process.env.AUTOBAHNJS_TEST_VERBOSE;
console.warn = (...args) => verbose ? console.error(...args) : log.push(util.format(...args));

// Not installed yet: say how to get it rather than a bare "Cannot find module".
function requireInstalled(name) {
  try {
    return require(name);
  } catch (e) {
    console.error(`autobahnjs_test: cannot load npm package '${name}' (${e.message}).\n` +
                  `Run tools/bootstrap.sh (npm ci in testing/interop/js).`);
    process.exit(2);
  }
}

const autobahn = requireInstalled('autobahn');
const nacl = requireInstalled('tweetnacl');

const PEER = 'autobahn-js';
const CHECK_DEADLINE_MS = 10000;
const SEED = Uint8Array.from({length: 32}, (_, i) => i);
const KEY = nacl.sign.keyPair.fromSeed(SEED);
const hex = (bytes) => Buffer.from(bytes).toString('hex');

const CONFIG = {
  realms: [{
    name: 'realm1',
    roles: [
      {name: 'anonymous', permissions: [
        {uri: '', match: 'prefix',
         allow: {call: true, register: true, publish: true, subscribe: true}}]},
      {name: 'user', permissions: [
        {uri: 'com.secure.', match: 'prefix', allow: {call: true, register: true}}]},
    ],
    users: [
      {authid: 'ticket-user', role: 'user', method: 'ticket', secret: 't1cket'},
      {authid: 'cra-user', role: 'user', method: 'wampcra', secret: 's3cret',
       salt: 'pepper', iterations: 100, keylen: 32},
      {authid: 'plain-cra-user', role: 'user', method: 'wampcra', secret: 'pl4in'},
      {authid: 'key-user', role: 'user', method: 'cryptosign', public_keys: [hex(KEY.publicKey)]},
    ],
  }],
};

const SERIALIZERS = {
  json: () => new autobahn.serializer.JSONSerializer(),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
};

// ---------------------------------------------------------------------------------------------
// Helpers

function assert(condition, what) {
  if (!condition) throw new Error(`assertion failed: ${what}`);
}

function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

// A promise that rejects after ms unless p settles first.
function within(p, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(p), deadline]).finally(() => clearTimeout(timer));
}

// An awaitable queue of values pushed by handlers.
class Queue {
  constructor() { this.items = []; this.waiters = []; }
  push(v) {
    const w = this.waiters.shift();
    if (w) w(v); else this.items.push(v);
  }
  get(what) {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return within(new Promise((resolve) => this.waiters.push(resolve)), 5000, what);
  }
}

// Connections a check opened; each check closes them all, so checks do not see each other.
let openConnections = [];

// Joins realm1; resolves {session, details}, rejects with {reason, message} when the join fails.
function connect(port, serializer, auth = {}) {
  return within(new Promise((resolve, reject) => {
    const connection = new autobahn.Connection(Object.assign({
      url: `ws://127.0.0.1:${port}/ws`,
      realm: 'realm1',
      serializers: [SERIALIZERS[serializer]()],
      max_retries: 0,
      retry_if_unreachable: false,
      on_user_error: (error, message) => console.warn(message, error),
    }, auth));
    let joined = false;
    connection.onopen = (session, details) => {
      joined = true;
      openConnections.push(connection);
      resolve({session, details});
    };
    connection.onclose = (reason, details) => {
      if (!joined) {
        const e = new Error(`join failed: ${reason} ${details.reason} ${details.message}`);
        e.reason = details.reason;
        reject(e);
      }
      return true;  // no retries
    };
    connection.open();
  }), CHECK_DEADLINE_MS, 'join');
}

function closeAll() {
  const closing = openConnections.map((c) => new Promise((resolve) => {
    if (!c.isOpen) return resolve();
    c.onclose = () => { resolve(); return true; };
    try { c.close(); } catch (e) { resolve(); }
  }));
  openConnections = [];
  return within(Promise.all(closing), 5000, 'close connections').catch(() => {});
}

// Expects p to reject with a WAMP error of the given URI; returns the error.
async function expectError(p, uri) {
  let result;
  try {
    result = await p;
  } catch (e) {
    assertEqual(e.error, uri, 'error URI');
    return e;
  }
  throw new Error(`expected error ${uri}, got result ${JSON.stringify(result)}`);
}

// ---------------------------------------------------------------------------------------------
// Checks: each gets the router's port and a serializer name.

const CHECKS = {
  async join_anonymous(port, s) {
    const {session, details} = await connect(port, s);
    assert(session.id > 0, 'session id');
    assertEqual(details.authmethod, 'anonymous', 'authmethod');
    assertEqual(details.authrole, 'anonymous', 'authrole');
    assertEqual(details.realm, 'realm1', 'realm');
  },

  async join_ticket(port, s) {
    const {details} = await connect(port, s, {
      authmethods: ['ticket'], authid: 'ticket-user', onchallenge: () => 't1cket'});
    assertEqual([details.authid, details.authrole, details.authmethod],
                ['ticket-user', 'user', 'ticket'], 'welcome');
    const e = await connect(port, s, {
      authmethods: ['ticket'], authid: 'ticket-user', onchallenge: () => 'wrong'})
      .then(() => null, (err) => err);
    assert(e !== null, 'a wrong ticket got in');
    assertEqual(e.reason, 'wamp.error.authentication_failed', 'abort reason');
  },

  async join_wampcra(port, s) {
    // salted secret: the client derives the key from the challenge's salt parameters
    const salted = (session, method, extra) => {
      assertEqual(method, 'wampcra', 'challenge method');
      assert(extra.salt === 'pepper' && extra.iterations === 100 && extra.keylen === 32,
             `salt parameters ${JSON.stringify(extra)}`);
      const key = autobahn.auth_cra.derive_key('s3cret', extra.salt, extra.iterations, extra.keylen);
      return autobahn.auth_cra.sign(key, extra.challenge);
    };
    const {session, details} = await connect(port, s, {
      authmethods: ['wampcra'], authid: 'cra-user', onchallenge: salted});
    assertEqual([details.authmethod, details.authrole], ['wampcra', 'user'], 'welcome');
    // the role only allows com.secure.*: anything else is denied
    await expectError(session.register('com.other.p', () => null), 'wamp.error.not_authorized');
    // unsalted secret
    const plain = (session, method, extra) => {
      assert(extra.salt === undefined, 'no salt for an unsalted secret');
      return autobahn.auth_cra.sign('pl4in', extra.challenge);
    };
    const joined = await connect(port, s, {
      authmethods: ['wampcra'], authid: 'plain-cra-user', onchallenge: plain});
    assertEqual(joined.details.authid, 'plain-cra-user', 'authid');
    const wrong = (session, method, extra) => autobahn.auth_cra.sign('nope', extra.challenge);
    const e = await connect(port, s, {
      authmethods: ['wampcra'], authid: 'plain-cra-user', onchallenge: wrong})
      .then(() => null, (err) => err);
    assert(e !== null, 'a wrong signature got in');
    assertEqual(e.reason, 'wamp.error.authentication_failed', 'abort reason');
  },

  async join_cryptosign(port, s) {
    const {details} = await connect(port, s, {
      authmethods: ['cryptosign'], authid: 'key-user',
      authextra: {pubkey: hex(KEY.publicKey)},
      onchallenge: (session, method, extra) => autobahn.auth_cryptosign.sign_challenge(KEY, extra)});
    assertEqual([details.authmethod, details.authid], ['cryptosign', 'key-user'], 'welcome');
    // a signature by another key is refused
    const other = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7));
    const e = await connect(port, s, {
      authmethods: ['cryptosign'], authid: 'key-user',
      authextra: {pubkey: hex(KEY.publicKey)},
      onchallenge: (session, method, extra) => autobahn.auth_cryptosign.sign_challenge(other, extra)})
      .then(() => null, (err) => err);
    assert(e !== null, 'a wrong signature got in');
    assertEqual(e.reason, 'wamp.error.authentication_failed', 'abort reason');
  },

  async call(port, s) {
    const callee = (await connect(port, s)).session;
    const caller = (await connect(port, s)).session;
    await callee.register('com.example.add', (args, kwargs) => (args[0] + args[1]) * (kwargs.scale || 1));
    assertEqual(await caller.call('com.example.add', [2, 3]), 5, 'add');
    assertEqual(await caller.call('com.example.add', [2, 3], {scale: 10}), 50, 'add with kwargs');
    await callee.register('com.example.multi', (args, kwargs) =>
      new autobahn.Result(['a', 'b'], {c: args.length}));
    const r = await caller.call('com.example.multi', [1, 2, 3]);
    assertEqual([r.args, r.kwargs], [['a', 'b'], {c: 3}], 'multi result');
    await expectError(callee.register('com.example.add', () => 0),
                      'wamp.error.procedure_already_exists');
  },

  async progressive_results(port, s) {
    const callee = (await connect(port, s)).session;
    const caller = (await connect(port, s)).session;
    await callee.register('com.example.count', (args, kwargs, details) => {
      assert(details.progress, 'the caller asked for progress');
      for (let i = 0; i < args[0]; i++) details.progress([i]);
      return args[0];
    });
    const seen = [];
    const result = await caller.call('com.example.count', [3], {}, {receive_progress: true})
      .then((r) => r, null, (p) => seen.push(p));
    assertEqual([result, seen], [3, [0, 1, 2]], 'result and progress');
  },

  async cancel(port, s) {
    const callee = (await connect(port, s)).session;
    const caller = (await connect(port, s)).session;
    const invoked = new Queue();
    // the callee never answers by itself
    await callee.register('com.example.slow', () => {
      invoked.push(true);
      return new Promise(() => {});
    });
    const call = caller.call('com.example.slow');
    await invoked.get('invocation reached the callee');
    // mode kill: the caller waits for the router's ERROR (AutobahnJS callees do not announce
    // call_canceling, so the router answers at once)
    call.cancel({mode: 'kill'});
    await within(expectError(call, 'wamp.error.canceled'), 5000, 'canceled call');
    // the dealer still works for that caller afterwards
    await callee.register('com.example.ping', () => 'pong');
    assertEqual(await caller.call('com.example.ping'), 'pong', 'call after cancel');
  },

  async error_uri_args_kwargs(port, s) {
    const callee = (await connect(port, s)).session;
    const caller = (await connect(port, s)).session;
    await callee.register('com.example.fail', () => {
      throw new autobahn.Error('com.example.error.bad', ['why', 42], {field: 'x'});
    });
    const e = await expectError(caller.call('com.example.fail'), 'com.example.error.bad');
    assertEqual([e.args, e.kwargs], [['why', 42], {field: 'x'}], 'error payload');
    await expectError(caller.call('com.example.missing'), 'wamp.error.no_such_procedure');
    await expectError(caller.call('wamp.nope.reserved'), 'wamp.error.no_such_procedure');
    await expectError(callee.register('wamp.reserved', () => 0), 'wamp.error.invalid_uri');
  },

  async publish_subscribe(port, s) {
    const sub = (await connect(port, s)).session;
    const pub = (await connect(port, s)).session;
    const got = new Queue();
    await sub.subscribe('com.example.topic', (args, kwargs) => got.push([args, kwargs]));
    const publication = await pub.publish('com.example.topic', [1, 'two'], {three: 3}, {acknowledge: true});
    assert(publication && publication.id > 0, 'acknowledged publication id');
    assertEqual(await got.get('event'), [[1, 'two'], {three: 3}], 'event');
    // exclude_me (default true): the publisher does not get its own event; false: it does
    const mine = new Queue();
    await pub.subscribe('com.example.mine', (args) => mine.push(args[0]));
    await pub.publish('com.example.mine', ['excluded'], {}, {acknowledge: true});
    await pub.publish('com.example.mine', ['self'], {}, {acknowledge: true, exclude_me: false});
    assertEqual(await mine.get('own event'), 'self', 'first own event');
    // a denied publication with acknowledge gets an error
    await expectError(pub.publish('wamp.reserved.topic', [], {}, {acknowledge: true}),
                      'wamp.error.invalid_uri');
  },

  async pattern_subscription(port, s) {
    const sub = (await connect(port, s)).session;
    const pub = (await connect(port, s)).session;
    const topics = new Queue();
    await sub.subscribe('com.example', (args, kwargs, details) => topics.push(['prefix', details.topic]),
                        {match: 'prefix'});
    await sub.subscribe('com..news', (args, kwargs, details) => topics.push(['wildcard', details.topic]),
                        {match: 'wildcard'});
    await pub.publish('com.example.a.b', [], {}, {acknowledge: true});
    assertEqual(await topics.get('prefix event'), ['prefix', 'com.example.a.b'], 'prefix event');
    await pub.publish('com.sport.news', [], {}, {acknowledge: true});
    assertEqual(await topics.get('wildcard event'), ['wildcard', 'com.sport.news'], 'wildcard event');
  },

  async pattern_registration(port, s) {
    const callee = (await connect(port, s)).session;
    const caller = (await connect(port, s)).session;
    await callee.register('com..get', (args, kwargs, details) => 'wildcard ' + details.procedure,
                          {match: 'wildcard'});
    await callee.register('com.users', (args, kwargs, details) => 'prefix ' + details.procedure,
                          {match: 'prefix'});
    await callee.register('com.users.get', () => 'exact');
    assertEqual(await caller.call('com.users.get'), 'exact', 'exact beats patterns');
    assertEqual(await caller.call('com.users.list'), 'prefix com.users.list', 'prefix');
    assertEqual(await caller.call('com.orders.get'), 'wildcard com.orders.get', 'wildcard');
  },
};

// ---------------------------------------------------------------------------------------------

// Starts the router; resolves {child, port} once it printed its WebSocket listener.
function startRouter(binary, configPath) {
  const child = childProcess.spawn(binary, ['--config', configPath, '--ws', '127.0.0.1:0/ws'],
                                   {stdio: ['ignore', 'pipe', 'pipe']});
  const lines = readline.createInterface({input: child.stdout});
  readline.createInterface({input: child.stderr}).on('line', (line) => console.warn(`router: ${line}`));
  return within(new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`router exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const m = /^listening ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(line);
      if (m) resolve({child, port: Number(m[1])});
    });
  }), 10000, 'router listening line');
}

function stopRouter(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return within(new Promise((resolve) => {
    child.on('exit', resolve);
    child.kill('SIGTERM');
  }), 10000, 'router exit').catch(() => child.kill('SIGKILL'));
}

async function main() {
  const binary = process.argv[2];
  // AUTOBAHNJS_TEST_ONLY=call,cancel runs a subset (for debugging).
  const only = process.env.AUTOBAHNJS_TEST_ONLY ? process.env.AUTOBAHNJS_TEST_ONLY.split(',') : null;
  const tmp = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), 'autobahnjs-'));
  const configPath = path.join(tmp, 'router.json');
  fs.writeFileSync(configPath, JSON.stringify(CONFIG));
  const {child, port} = await startRouter(binary, configPath);
  console.log(`router on port ${port}, autobahn-js ${autobahn.version}`);
  let passed = 0;
  let failed = 0;
  try {
    for (const s of Object.keys(SERIALIZERS)) {
      for (const [name, check] of Object.entries(CHECKS)) {
        if (only && !only.includes(name)) continue;
        let status = 'pass';
        try {
          await within(check(port, s), 20000, name);
          passed++;
        } catch (e) {
          status = 'fail';
          failed++;
          console.log(`FAIL  ${name} over WebSocket/${s}: ${e && e.stack ? e.stack : e}`);
        }
        console.log(`RESULT peer=${PEER} feature=${name} serializer=${s} transport=websocket status=${status}`);
        await closeAll();
      }
    }
  } finally {
    await stopRouter(child);
    fs.rmSync(tmp, {recursive: true, force: true});
  }
  if (failed && !verbose) console.log(`--- log (AutobahnJS warnings, router stderr) ---\n${log.join('\n')}\n---`);
  console.log(`test cases: ${passed + failed} | ${passed} passed | ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
