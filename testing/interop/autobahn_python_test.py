"""Our router under AutobahnPython (asyncio flavour), over WebSocket with JSON and MsgPack.

Starts the standalone router binary with a config holding ticket, wampcra (salted) and
cryptosign users, then runs each scenario with each serializer as an independent WAMP peer
would. Prints one line per check and a Catch2-style summary ("test cases: N | P passed |
F failed") that the project's test runner counts.

Usage: autobahn_python_test.py ROUTER_BINARY
"""

import asyncio
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from autobahn.asyncio.websocket import WampWebSocketClientFactory
from autobahn.asyncio.wamp import ApplicationSession
from autobahn.wamp import auth, cryptosign
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.serializer import JsonSerializer, MsgPackSerializer
from autobahn.wamp.types import (CallOptions, ComponentConfig, PublishOptions, RegisterOptions,
                                 SubscribeOptions)

from python_router import SEED, started_router

SERIALIZERS = {"json": JsonSerializer, "msgpack": MsgPackSerializer}

# Sessions a check opened; each check leaves them all, so checks do not see each other.
OPEN_SESSIONS = []


class Peer(ApplicationSession):
    """A session that reports its join (or its failure to join) through futures."""

    def __init__(self, config, joined, authmethods, authid, on_challenge, authextra):
        super().__init__(config)
        self._authextra_to_send = authextra
        self._joined = joined
        self._authmethods = authmethods
        self._authid = authid
        self._on_challenge = on_challenge

    def onConnect(self):
        self.join(self.config.realm, authmethods=self._authmethods, authid=self._authid,
                  authextra=self._authextra_to_send)

    def onChallenge(self, challenge):
        return self._on_challenge(challenge)

    async def onJoin(self, details):
        if not self._joined.done():
            self._joined.set_result((self, details))

    def onLeave(self, details):
        if not self._joined.done():
            self._joined.set_exception(ApplicationError(details.reason, details.message))
        self.disconnect()


async def connect(port, serializer, authmethods=None, authid=None, on_challenge=None, authextra=None):
    loop = asyncio.get_running_loop()
    joined = loop.create_future()

    def make():
        return Peer(ComponentConfig("realm1"), joined, authmethods, authid, on_challenge, authextra)

    factory = WampWebSocketClientFactory(make, url=f"ws://127.0.0.1:{port}/ws",
                                         serializers=[SERIALIZERS[serializer]()])
    await loop.create_connection(factory, "127.0.0.1", port)
    session, details = await asyncio.wait_for(joined, 10)
    OPEN_SESSIONS.append(session)
    return session, details


async def leave_all():
    while OPEN_SESSIONS:
        session = OPEN_SESSIONS.pop()
        if session.is_attached():
            await session.leave()


async def check_call(port, s):
    callee, _ = await connect(port, s)
    caller, _ = await connect(port, s)
    await callee.register(lambda a, b, scale=1: (a + b) * scale, "com.example.add")
    assert await caller.call("com.example.add", 2, 3) == 5
    assert await caller.call("com.example.add", 2, 3, scale=10) == 50
    await callee.register(lambda data: data, "com.example.echo")
    assert await caller.call("com.example.echo", b"\x00\x01\xff") == b"\x00\x01\xff"


async def check_progress(port, s):
    callee, _ = await connect(port, s)
    caller, _ = await connect(port, s)

    async def count(n, details=None):
        for i in range(n):
            details.progress(i)
        return n

    await callee.register(count, "com.example.count", RegisterOptions(details_arg="details"))
    seen = []
    result = await caller.call("com.example.count", 3, options=CallOptions(on_progress=seen.append))
    assert result == 3 and seen == [0, 1, 2], (result, seen)


async def check_nonfinite(port, s):
    # AutobahnPython writes NaN and the infinities as JSON's non-standard tokens: the router
    # reads them. A MsgPack callee gets them; a JSON one cannot (strict JSON has no NaN), and
    # the call fails with invalid_argument instead of the caller's session being aborted.
    callee, _ = await connect(port, "msgpack")
    caller, _ = await connect(port, s)
    await callee.register(lambda xs: [repr(x) for x in xs], "com.example.describe")
    nonfinite = [float("nan"), float("inf"), float("-inf")]
    assert await caller.call("com.example.describe", nonfinite) == ["nan", "inf", "-inf"]
    json_callee, _ = await connect(port, "json")
    await json_callee.register(lambda x: x, "com.example.json_echo")
    try:
        await caller.call("com.example.json_echo", float("nan"))
        raise AssertionError("a NaN reached a JSON callee")
    except ApplicationError as e:
        assert e.error == "wamp.error.invalid_argument", e.error
    assert await caller.call("com.example.describe", [1.5]) == ["1.5"]


async def check_errors(port, s):
    callee, _ = await connect(port, s)
    caller, _ = await connect(port, s)

    def fail():
        raise ApplicationError("com.example.error.bad", "why", 42, field="x")

    await callee.register(fail, "com.example.fail")
    try:
        await caller.call("com.example.fail")
        raise AssertionError("no error")
    except ApplicationError as e:
        assert e.error == "com.example.error.bad" and e.args == ("why", 42) and e.kwargs == {"field": "x"}, e
    try:
        await caller.call("com.example.missing")
        raise AssertionError("no error")
    except ApplicationError as e:
        assert e.error == "wamp.error.no_such_procedure", e


async def check_cancel(port, s):
    callee, _ = await connect(port, s)
    caller, _ = await connect(port, s)
    interrupted = asyncio.get_running_loop().create_future()

    async def slow():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            interrupted.set_result(True)
            raise

    await callee.register(slow, "com.example.slow")
    call = asyncio.ensure_future(caller.call("com.example.slow"))
    await asyncio.sleep(0.2)  # let the invocation reach the callee
    call.cancel()
    assert await asyncio.wait_for(interrupted, 5)


async def check_pubsub(port, s):
    sub, _ = await connect(port, s)
    pub, _ = await connect(port, s)
    got = asyncio.Queue()
    await sub.subscribe(lambda *a, **k: got.put_nowait((a, k)), "com.example.topic")
    await pub.publish("com.example.topic", 1, "two", three=3, options=PublishOptions(acknowledge=True))
    assert await asyncio.wait_for(got.get(), 5) == ((1, "two"), {"three": 3})
    # exclude_me=False lets the publisher receive its own event
    mine = asyncio.Queue()
    await pub.subscribe(lambda x: mine.put_nowait(x), "com.example.mine")
    await pub.publish("com.example.mine", "self", options=PublishOptions(acknowledge=True, exclude_me=False))
    assert await asyncio.wait_for(mine.get(), 5) == "self"


async def check_patterns(port, s):
    sub, _ = await connect(port, s)
    pub, _ = await connect(port, s)
    topics = asyncio.Queue()
    await sub.subscribe(lambda details=None: topics.put_nowait(details.topic), "com.example",
                        SubscribeOptions(match="prefix", details_arg="details"))
    await pub.publish("com.example.a.b", options=PublishOptions(acknowledge=True))
    assert await asyncio.wait_for(topics.get(), 5) == "com.example.a.b"
    await sub.register(lambda details=None: details.procedure, "com..get",
                       RegisterOptions(match="wildcard", details_arg="details"))
    assert await pub.call("com.users.get") == "com.users.get"


async def check_ticket(port, s):
    session, details = await connect(port, s, ["ticket"], "ticket-user", lambda c: "t1cket")
    assert details.authid == "ticket-user" and details.authrole == "user" and details.authmethod == "ticket"
    try:
        await connect(port, s, ["ticket"], "ticket-user", lambda c: "wrong")
        raise AssertionError("a wrong ticket got in")
    except ApplicationError as e:
        assert e.error == "wamp.error.authentication_failed", e


async def check_wampcra(port, s):
    def answer(challenge):
        key = auth.derive_key("s3cret", challenge.extra["salt"], challenge.extra["iterations"],
                              challenge.extra["keylen"])
        return auth.compute_wcs(key, challenge.extra["challenge"])

    session, details = await connect(port, s, ["wampcra"], "cra-user", answer)
    assert details.authmethod == "wampcra" and details.authrole == "user"
    # the role only allows com.secure.*: anything else is denied
    try:
        await session.register(lambda: None, "com.other.p")
        raise AssertionError("not denied")
    except ApplicationError as e:
        assert e.error == "wamp.error.not_authorized", e


async def check_cryptosign(port, s):
    key = cryptosign.CryptosignKey.from_bytes(SEED)

    def answer(challenge):
        return key.sign_challenge(challenge)

    session, details = await connect(port, s, ["cryptosign"], "key-user", lambda c: asyncio.ensure_future(answer(c)),
                                     authextra={"pubkey": key.public_key(binary=False)})
    assert details.authmethod == "cryptosign" and details.authid == "key-user", details


CHECKS = [check_call, check_progress, check_nonfinite, check_errors, check_cancel, check_pubsub, check_patterns,
          check_ticket, check_wampcra, check_cryptosign]


async def main(router_binary):
    with started_router(router_binary) as port:
        passed = failed = 0
        for serializer in SERIALIZERS:
            for check in CHECKS:
                name = f"{check.__name__[6:]} over WebSocket/{serializer}"
                try:
                    await asyncio.wait_for(check(port, serializer), 20)
                    print(f"pass  {name}")
                    passed += 1
                except Exception:
                    print(f"FAIL  {name}")
                    traceback.print_exc()
                    failed += 1
                await leave_all()
        print(f"test cases: {passed + failed} | {passed} passed | {failed} failed")
        return failed


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(main(sys.argv[1])) else 0)
