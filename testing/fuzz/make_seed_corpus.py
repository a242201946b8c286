#!/usr/bin/python3
"""Writes the seed corpus of every fuzz target: valid messages of every WAMP type (and a few
sequences), so the fuzzer starts from inputs that reach deep into the decoders and sessions.
Run it from anywhere; it rewrites testing/fuzz/corpus/<target>/seed-*. Inputs found by fuzzing
are kept next to them under other names (crash-*, found-*)."""
import json
import os
import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))

EVERY_TYPE = [
    [1, "realm1", {"roles": {"caller": {}, "callee": {}}, "authmethods": ["ticket"], "authid": "joe"}],
    [2, 9129137332, {"roles": {"broker": {}, "dealer": {}}, "authid": "joe", "authrole": "user"}],
    [3, {"message": "no"}, "wamp.error.no_such_realm"],
    [4, "wampcra", {"challenge": "{\"nonce\":\"x\"}", "salt": "s", "iterations": 10, "keylen": 32}],
    [5, "c2lnbmF0dXJl", {}],
    [6, {}, "wamp.close.close_realm"],
    [8, 48, 7, {}, "com.app.error", ["why", 1], {"k": "v"}],
    [16, 1, {"acknowledge": True, "exclude_me": False, "eligible": [1, 2]}, "com.app.topic", [1, "two"], {"k": 3.5}],
    [17, 1, 2],
    [32, 2, {"match": "prefix"}, "com.app."],
    [33, 2, 55],
    [34, 3, 55],
    [35, 3],
    [36, 55, 77, {"topic": "com.app.x", "publisher": 9}, ["\u00e9", None, True], {"nested": {"a": [1, [2]]}}],
    [48, 4, {"receive_progress": True, "timeout": 1000}, "com.app.add", [1, 2], {}],
    [49, 4, {"mode": "killnowait"}],
    [50, 4, {"progress": True}, [3]],
    [64, 5, {"match": "wildcard", "invoke": "roundrobin"}, "com..add"],
    [65, 5, 66],
    [66, 6, 66],
    [67, 6],
    [68, 8, 66, {"receive_progress": True, "caller": 3, "procedure": "com.app.add"}, [1, 2]],
    [69, 8, {"mode": "kill"}],
    [70, 8, {"progress": False}, ["\u0000binary-as-json"], {"k": None}],
]

ROUTER_SESSION = [
    [[1, "realm1", {"roles": {"callee": {}, "caller": {}, "publisher": {}, "subscriber": {}}}],
     [64, 1, {}, "com.p"], [48, 2, {}, "com.p", [1]], [70, 1, {}, [2]], [32, 3, {}, "t"],
     [16, 4, {"acknowledge": True, "exclude_me": False}, "t", [1]], [34, 5, 1], [66, 6, 1], [6, {}, "wamp.close.normal"]],
    [[64, 1, {}, "com.p"], [48, 1, {}, "com.p"], [1, "realm1", {"roles": {}}], [1, "realm1", {"roles": {}}]],
    [[48, 1, {"timeout": 5}, "wamp.session.count"], [48, 2, {}, "wamp.session.kill", [0]],
     [48, 3, {}, "wamp.registration.match", ["com.p"]], [49, 1, {"mode": "kill"}], [8, 68, 1, {}, "x"]],
]

CLIENT_SESSION = [
    [[65, 1, 5], [68, 1, 5, {}, [1]], [69, 1, {"mode": "kill"}], [68, 2, 5, {"receive_progress": True}]],
    [[50, 2, {"progress": True}, [1]], [50, 2, {}, [2]], [8, 48, 2, {}, "x"], [36, 1, 2, {}, [1]]],
    [[4, "ticket", {}], [2, 1, {}], [6, {}, "wamp.close.system_shutdown"], [3, {}, "wamp.error.x"]],
]


def frame(kind, payload):
    """A RawSocket frame: type octet, 24-bit length, payload."""
    return bytes([kind]) + len(payload).to_bytes(3, "big") + payload


def json_frame(m):
    return frame(0, json.dumps(m).encode())


# rawsocket_stream: a settings octet (bit 0 acceptor, bit 1 MsgPack, bit 2 only that
# serializer, bit 3 a minimum client size, high nibble our limit 2^(9+n)), the peer's four
# handshake octets, then the peer's frames.
ACCEPT_JSON = bytes([0x71, 0x7F, 0xF1, 0, 0])
ACCEPT_MSGPACK = bytes([0x73, 0x7F, 0x22, 0, 0])
CLIENT_JSON = bytes([0x70, 0x7F, 0xF1, 0, 0])
RAWSOCKET = {
    "acceptor-json-call": ACCEPT_JSON + json_frame(EVERY_TYPE[0]) + json_frame([48, 1, {}, "com.p", [1]]),
    "acceptor-msgpack": ACCEPT_MSGPACK + frame(0, msgpack.packb(EVERY_TYPE[13], use_bin_type=True)),
    "acceptor-ping-pong": ACCEPT_JSON + frame(1, b"are you there") + frame(2, b"") + json_frame([6, {}, "wamp.close.normal"]),
    "acceptor-oversize": bytes([0x01, 0x7F, 0xF1, 0, 0]) + frame(0, b"[" + b"1," * 400 + b"1]"),
    "acceptor-reserved-bits": ACCEPT_JSON + bytes([0x08, 0, 0, 2]) + b"[]",
    "acceptor-unknown-frame-type": ACCEPT_JSON + bytes([0x03, 0, 0, 0]),
    "acceptor-refusals": bytes([0x7D, 0x7F, 0x03, 0, 0]),
    "acceptor-reserved-octets": bytes([0x71, 0x7F, 0xF1, 0, 1]),
    "acceptor-not-rawsocket": bytes([0x71]) + b"GET / HTTP/1.1\r\n\r\n",
    "client-json": CLIENT_JSON + json_frame(EVERY_TYPE[1]) + frame(1, b"x" * 8),
    "client-msgpack": bytes([0x72, 0x7F, 0x42, 0, 0]) + frame(0, msgpack.packb([36, 1, 2, {}, [1]], use_bin_type=True)),
    "client-error-reply": bytes([0x70, 0x7F, 0x40, 0, 0]),
    "client-truncated-frame": CLIENT_JSON + bytes([0, 0, 1, 0]) + b"[1,",
}

# websocket_upgrade: an HTTP request as the router's listener receives it.
def upgrade(path="/ws", protocols="wamp.2.json, wamp.2.msgpack", extra=""):
    lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:8080", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    if protocols is not None:
        lines.append("Sec-WebSocket-Protocol: " + protocols)
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


WEBSOCKET = {
    "json-and-msgpack": upgrade(),
    "msgpack-first": upgrade(protocols="wamp.2.msgpack,wamp.2.json"),
    "root-path": upgrade(path="/", protocols="wamp.2.cbor, \twamp.2.json"),
    "no-subprotocol": upgrade(protocols=None),
    "unknown-subprotocol": upgrade(protocols="wamp.2.cbor"),
    "other-path": upgrade(path="/other"),
    "not-an-upgrade": b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n",
    "post-with-body": b"POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    "chunked-body": upgrade(extra="Transfer-Encoding: chunked\r\n") + b"5\r\nhello\r\n0\r\n\r\n",
    "http-1.0": b"GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n",
}


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


for i, m in enumerate(EVERY_TYPE):
    write("json_decode", "seed-%02d-type-%d" % (i, m[0]), json.dumps(m).encode())
    write("msgpack_decode", "seed-%02d-type-%d" % (i, m[0]), msgpack.packb(m, use_bin_type=True))
write("msgpack_decode", "seed-binary-arg", msgpack.packb([16, 1, {}, "t", [b"\x00\xff"]], use_bin_type=True))
for i, seq in enumerate(ROUTER_SESSION):
    write("router_session", "seed-%02d" % i, "\n".join(json.dumps(m) for m in seq).encode())
for i, seq in enumerate(CLIENT_SESSION):
    write("client_session", "seed-%02d" % i, "\n".join(json.dumps(m) for m in seq).encode())
for name, data in RAWSOCKET.items():
    write("rawsocket_stream", "seed-" + name, data)
for name, data in WEBSOCKET.items():
    write("websocket_upgrade", "seed-" + name, data)
