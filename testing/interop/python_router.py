"""The standalone router as the Python interop tests start it: a config with anonymous, ticket,
wampcra (salted) and cryptosign users, WebSocket on an ephemeral port. Framework-neutral (no
asyncio or Twisted import), so both AutobahnPython flavours share it."""

import contextlib
import json
import os
import subprocess
import tempfile

from autobahn.wamp import cryptosign

SEED = bytes(range(32))
CONFIG = {
    "realms": [{
        "name": "realm1",
        "roles": [
            {"name": "anonymous", "permissions": [
                {"uri": "", "match": "prefix",
                 "allow": {"call": True, "register": True, "publish": True, "subscribe": True}}]},
            {"name": "user", "permissions": [
                {"uri": "com.secure.", "match": "prefix", "allow": {"call": True, "register": True}}]},
        ],
        "users": [
            {"authid": "ticket-user", "role": "user", "method": "ticket", "secret": "t1cket"},
            {"authid": "cra-user", "role": "user", "method": "wampcra", "secret": "s3cret",
             "salt": "pepper", "iterations": 100, "keylen": 32},
            {"authid": "key-user", "role": "user", "method": "cryptosign",
             "public_keys": [cryptosign.CryptosignKey.from_bytes(SEED).public_key(binary=False)]},
        ],
    }],
}


@contextlib.contextmanager
def started_router(router_binary):
    """Starts the router; yields its WebSocket port (path /ws); stops it."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(CONFIG, f)
    router = subprocess.Popen([router_binary, "--config", f.name, "--ws", "127.0.0.1:0/ws"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = router.stdout.readline()
        assert line.startswith("listening ws://127.0.0.1:"), line
        yield int(line.split(":")[2].split("/")[0])
    finally:
        router.terminate()
        router.wait(10)
        os.unlink(f.name)
