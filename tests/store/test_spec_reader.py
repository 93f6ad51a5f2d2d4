"""An independent reader written from docs/FORMAT.md alone (no tallylight.store code).

It uses only the standard library, pyca's ChaCha20-Poly1305 and X25519, and the
spec's byte layouts. If code and spec drift apart, this test fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import zlib
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import CHEAP, PASS, synthetic, write_session

from strategies import event_streams
from tallylight.events import Event, Kind, StopReason


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:  # RFC 5869, 32 bytes
    prk = hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def varint(b: bytes, i: int) -> tuple[int, int]:
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def sv(u: int) -> int:
    return (u >> 1) ^ -(u & 1)


def s64(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


def unlock(data: Path, passphrase: str) -> X25519PrivateKey:
    doc = json.loads((data / "vault.json").read_text())
    k = doc["kdf"]
    ikm = Argon2id(
        salt=base64.b64decode(k["salt"]),
        length=32,
        iterations=k["iterations"],
        lanes=k["lanes"],
        memory_cost=k["memory_kib"],
    ).derive(passphrase.encode())
    kek = hkdf(ikm, b"", b"tallylight/v1/vault-kek")
    pub = base64.b64decode(doc["public_key"])
    raw = ChaCha20Poly1305(kek).decrypt(
        base64.b64decode(doc["nonce"]),
        base64.b64decode(doc["sealed_private_key"]),
        b"tallylight/v1/vault" + pub,
    )
    return X25519PrivateKey.from_private_bytes(raw)


def decode_payload(p: bytes) -> list[Event]:
    n, i = varint(p, 0)
    zt, i = varint(p, i)
    unit, i = varint(p, i)
    tb, i = varint(p, i)
    kinds = p[i : i + n]
    i += n
    blob = p[i : i + tb]
    i += tb
    vals = []
    while i < len(p):
        v, i = varint(p, i)
        vals.append(v)
    P = sum(1 for k in kinds if 3 <= k <= 6)
    B = sum(1 for k in kinds if k in (4, 5))
    S = kinds.count(6)
    K = sum(1 for k in kinds if k <= 2)
    M = kinds.count(7)
    cols = []
    for c in (n - 1, P, P, B, S, S, K, K, K, M, M):
        cols.append(vals[:c])
        vals = vals[c:]
    assert not vals
    dt, vx, vy, btn, sdx, sdy, kcl, key, tlen, mk, rs = cols
    t = [sv(zt)]
    for d in dt:
        t.append(s64(t[-1] + unit * sv(d)))
    out = []
    x = y = 0
    pi = bi = si = ki = mi = 0
    off = 0
    for j, k in enumerate(kinds):
        kind = Kind(k)
        if 3 <= k <= 6:
            x, y = s64(x + sv(vx[pi])), s64(y + sv(vy[pi]))
            pi += 1
            if k in (4, 5):
                out.append(Event(t[j], kind, x=x, y=y, button=btn[bi]))
                bi += 1
            elif k == 6:
                out.append(Event(t[j], kind, x=x, y=y, dx=sv(sdx[si]), dy=sv(sdy[si])))
                si += 1
            else:
                out.append(Event(t[j], kind, x=x, y=y))
        elif k <= 2:
            text = blob[off : off + tlen[ki]].decode()
            off += tlen[ki]
            out.append(Event(t[j], kind, key_class=kcl[ki], key=key[ki], text=text))
            ki += 1
        else:
            out.append(Event(t[j], kind, marker=mk[mi], reason=rs[mi]))
            mi += 1
    return out


def read(
    session: Path, device: X25519PrivateKey, timing: dict | None = None
) -> tuple[dict, list[Event], int]:
    """Info, events and stop reason; the TIMING record (section 11), if any, goes into ``timing``."""
    kf = (session / "key").read_bytes()
    assert kf[:12] == b"TLLYKEY\x00\x01\x00\x00\x00" and len(kf) == 140
    dev_pub = kf[28:60]
    E = kf[60:92]
    shared = device.exchange(X25519PublicKey.from_public_bytes(E))
    wk = hkdf(shared, E + dev_pub, b"tallylight/v1/session-key-wrap")
    K = ChaCha20Poly1305(wk).decrypt(b"\0" * 12, kf[92:], kf[:92] + session.name.encode())
    info: dict = {}
    events: list[Event] = []
    stop = -1
    seg = 0
    while (session / f"seg-{seg:08d}.tls").exists():
        raw = (session / f"seg-{seg:08d}.tls").read_bytes()
        header = raw[:48]
        assert header[:12] == b"TLLYSEG\x00\x01\x00\x00\x00" and struct.unpack("<I", header[12:16])[0] == seg
        assert header[16:32] == kf[12:28]
        aead = ChaCha20Poly1305(hkdf(K, header[32:48], b"tallylight/v1/record-key" + header))
        inflate = zlib.decompressobj(-15)
        pos, idx = 48, 0
        while pos < len(raw):
            rtype, L = struct.unpack_from("<BI", raw, pos)
            ct = raw[pos + 5 : pos + 5 + L]
            nonce = b"\0\0\0\0" + struct.pack(">Q", idx)
            ad = header + struct.pack(">QB", idx, rtype) + struct.pack("<I", L)
            body = aead.decrypt(nonce, ct, ad)
            if rtype == 1:
                info = json.loads(body)
            elif rtype == 2:
                assert body[0] == 1
                events += decode_payload(inflate.decompress(body[1:] + b"\x00\x00\xff\xff"))
            elif rtype in (3, 4):
                r, i = varint(body, 0)
                total, i = varint(body, i)
                before, i = varint(body, i)
                assert total == len(events) and before == idx
                if rtype == 3:
                    stop = r
            elif rtype == 5 and timing is not None:
                timing.update(json.loads(body.decode("utf-8")))
            pos += 5 + L
            idx += 1
        seg += 1
    return info, events, stop


def test_independent_reader_agrees(data_dir: Path, unlocked) -> None:  # noqa: ANN001
    evs = synthetic(3000, seed=5) + [
        Event(10**12, Kind.KEY_DOWN, key_class=1, key=2**64 - 1, text="ünï€😀"),
        Event(10**12 + 5, Kind.SCROLL, x=-5, y=-(2**31), dx=-3, dy=2**31 - 1),
    ]
    write_session(
        data_dir, "spec", [evs[i : i + 333] for i in range(0, len(evs), 333)], segment_max_bytes=4000
    )
    info, got, stop = read(data_dir / "sessions" / "spec", unlock(data_dir, PASS))
    assert info["session_id"] == "spec" and stop == int(StopReason.PARTICIPANT)
    assert got == evs


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(event_streams(max_size=30), min_size=1, max_size=5))
def test_independent_reader_property(tmp_path_factory, batches: list[list[Event]]) -> None:  # noqa: ANN001
    from tallylight.store import vault

    d = tmp_path_factory.mktemp("spec")
    vault.create_vault(PASS, d, params=CHEAP)
    write_session(d, "p", batches, segment_max_bytes=200)
    _, got, _ = read(d / "sessions" / "p", unlock(d, PASS))
    assert got == [e for b in batches for e in b]
