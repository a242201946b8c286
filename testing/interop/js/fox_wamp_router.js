// fox-wamp (npm `fox-wamp`, a WAMP router written in Node) on 127.0.0.1, for our client's
// interop test (testing/interop/fox_wamp_test.cpp).
//
// Two listeners on ephemeral ports, announced on stdout once they accept connections, in this
// order:
//   listening ws://127.0.0.1:PORT/ws           anyone joins (anonymous)
//   listening ws://127.0.0.1:PORT/ws ticket    authentication required: ticket "s3cret" for
//                                              authid "joe"
// Every WAMP message in and out goes to stderr as "rx <session> <json>" / "tx <session>
// <json>" (the evidence for a report). Exits on SIGTERM, or when its stdin closes (the test
// that started it went away).
//
// Usage: node fox_wamp_router.js
'use strict';

let FoxRouter;
try {
  FoxRouter = require('fox-wamp');
} catch (e) {
  console.error(`fox_wamp_router: cannot load npm package 'fox-wamp' (${e.message}).\n` +
                'Run tools/bootstrap.sh (npm ci in testing/interop/js).');
  process.exit(2);
}
const {SESSION_TX, SESSION_RX} = require('fox-wamp/lib/messages');

const router = new FoxRouter();
router.on(SESSION_RX, (session, data) => process.stderr.write(`rx ${session.sessionId} ${data}\n`));
router.on(SESSION_TX, (session, data) => process.stderr.write(`tx ${session.sessionId} ${data}\n`));

const auth = {
  getAuthMethods: () => ['ticket'],
  ticket_auth(realm, details, secret, extra, callback) {
    if (details.authid === 'joe' && secret === 's3cret') {
      callback(undefined, {authid: 'joe', authrole: 'user'});
    } else {
      callback(new Error('wamp.error.authentication_failed'));
    }
  },
};

function listen(authHandler) {
  return new Promise((resolve) => {
    const server = router.listenWAMP({host: '127.0.0.1', port: 0, path: '/ws'}, authHandler);
    server.on('listening', () => resolve(server.address().port));
    server.on('error', (e) => {
      console.error(`fox_wamp_router: ${e.message}`);
      process.exit(1);
    });
  });
}

(async () => {
  const open = await listen(undefined);
  const ticket = await listen(auth);
  console.log(`listening ws://127.0.0.1:${open}/ws`);
  console.log(`listening ws://127.0.0.1:${ticket}/ws ticket`);
})();

process.on('SIGTERM', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
