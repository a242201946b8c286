"""Our router under AutobahnPython's Twisted flavour, over WebSocket with JSON and MsgPack:
join (anonymous, ticket, salted wampcra), register and call with kwargs, progressive results,
error URIs with args and kwargs, publish/subscribe with acknowledge and exclude_me.

Prints one line per check ("pass  call over WebSocket/json") and a Catch2-style summary
that the project's test runner counts.

Usage: autobahn_python_twisted_test.py ROUTER_BINARY
"""

import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from autobahn.twisted.wamp import ApplicationSession  # selects Twisted for txaio
from autobahn.twisted.websocket import WampWebSocketClientFactory
from autobahn.wamp import auth
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.serializer import JsonSerializer, MsgPackSerializer
from autobahn.wamp.types import CallOptions, ComponentConfig, PublishOptions, RegisterOptions
from twisted.internet import defer, reactor, task
from twisted.internet.endpoints import TCP4ClientEndpoint

from python_router import started_router

SERIALIZERS = {"json": JsonSerializer, "msgpack": MsgPackSerializer}
OPEN_SESSIONS = []


class Peer(ApplicationSession):
    """Reports its join, or its failure to join, through a Deferred."""

    def __init__(self, config, joined, authmethods, authid, on_challenge):
        super().__init__(config)
        self._joined, self._authmethods, self._authid, self._on_challenge = joined, authmethods, authid, on_challenge

    def onConnect(self):
        self.join(self.config.realm, authmethods=self._authmethods, authid=self._authid)

    def onChallenge(self, challenge):
        return self._on_challenge(challenge)

    def onJoin(self, details):
        if not self._joined.called:
            self._joined.callback((self, details))

    def onLeave(self, details):
        if not self._joined.called:
            self._joined.errback(ApplicationError(details.reason, details.message))
        self.disconnect()


async def connect(port, serializer, authmethods=None, authid=None, on_challenge=None):
    joined = defer.Deferred()
    factory = WampWebSocketClientFactory(
        lambda: Peer(ComponentConfig("realm1"), joined, authmethods, authid, on_challenge),
        url=f"ws://127.0.0.1:{port}/ws", serializers=[SERIALIZERS[serializer]()])
    await TCP4ClientEndpoint(reactor, "127.0.0.1", port).connect(factory)
    session, details = await joined.addTimeout(10, reactor)
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


async def check_progress(port, s):
    callee, _ = await connect(port, s)
    caller, _ = await connect(port, s)

    def count(n, details=None):
        for i in range(n):
            details.progress(i)
        return n

    await callee.register(count, "com.example.count", RegisterOptions(details_arg="details"))
    seen = []
    result = await caller.call("com.example.count", 3, options=CallOptions(on_progress=seen.append))
    assert result == 3 and seen == [0, 1, 2], (result, seen)


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


async def check_pubsub(port, s):
    listener, _ = await connect(port, s)
    talker, _ = await connect(port, s)
    got, own = defer.Deferred(), defer.Deferred()
    await listener.subscribe(lambda x: got.callback(x) if not got.called else None, "com.example.tick")
    await talker.subscribe(lambda x: own.callback(x) if not own.called else None, "com.example.tick")
    publication = await talker.publish("com.example.tick", "a", options=PublishOptions(acknowledge=True))
    assert publication.id, publication
    assert await got.addTimeout(10, reactor) == "a"
    # exclude_me=False: the publisher's own subscription receives this one (and not the first).
    await talker.publish("com.example.tick", "b", options=PublishOptions(acknowledge=True, exclude_me=False))
    assert await own.addTimeout(10, reactor) == "b"


async def check_ticket(port, s):
    session, details = await connect(port, s, ["ticket"], "ticket-user", lambda c: "t1cket")
    assert details.authmethod == "ticket" and details.authrole == "user", details
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
    assert details.authmethod == "wampcra" and details.authid == "cra-user", details


CHECKS = [check_call, check_progress, check_errors, check_pubsub, check_ticket, check_wampcra]


async def run_all(router_binary):
    with started_router(router_binary) as port:
        passed = failed = 0
        for serializer in SERIALIZERS:
            for check in CHECKS:
                name = f"{check.__name__[6:]} over WebSocket/{serializer}"
                try:
                    await defer.ensureDeferred(check(port, serializer)).addTimeout(20, reactor)
                    print(f"pass  {name}", flush=True)
                    passed += 1
                except Exception:
                    print(f"FAIL  {name}", flush=True)
                    traceback.print_exc()
                    failed += 1
                await leave_all()
        print(f"test cases: {passed + failed} | {passed} passed | {failed} failed", flush=True)
        return failed


def main(reactor_, router_binary):
    def done(failed):
        if failed:
            raise SystemExit(1)
    return defer.ensureDeferred(run_all(router_binary)).addCallback(done)


if __name__ == "__main__":
    task.react(main, [sys.argv[1]])
