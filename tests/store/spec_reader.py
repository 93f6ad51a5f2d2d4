"""An independent reader of docs/FORMAT.md, written from the document alone.

It imports nothing from ``tallylight``: only the standard library and pyca's
X25519, ChaCha20-Poly1305 and Argon2id. It decides the verdict of any session
directory, damaged or crafted, by the rules of sections 5-8 and 12, and returns
events as plain tuples ``(t_ns, kind, x, y, button, dx, dy, key_class, key, text,
marker, reason)``. tests/store/test_vectors.py checks that it and Tallylight's
reader agree on every file under tests/vectors/ and on crafted damage.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

SEG_RE = re.compile(r"^seg-(\d{8})\.tls$")
MAGIC_SEG, MAGIC_KEY = b"TLLYSEG\x00", b"TLLYKEY\x00"
POSITIONAL, BUTTONS, SCROLLS, KEYS, MARKERS = {3, 4, 5, 6}, {4, 5}, {6}, {1, 2}, {7}
INFO_REQUIRED = {
    "session_id": str,
    "started_wall_ns": int,
    "clock": str,
    "clock_resolution_ns": int,
    "key_mode": str,
    "mouse_moves": bool,
    "move_min_interval_ms": float,
    "move_min_distance_px": float,
    "clicks": bool,
    "scrolls": bool,
}
INFO_OPTIONAL = {
    "label": str,
    "platform": str,
    "app_version": str,
    "extra": dict,
    "study_id": str,
    "manifest_hash": str,
    "consent_id": str,
}


class Corrupt(Exception):
    pass


@dataclass
class Result:
    verdict: str
    events: list[tuple] = field(default_factory=list)
    stop_reason: int | None = None
    lost_bytes: int = 0
    segments: int = 0
    records: int = 0
    timing: dict | None = None  # the TIMING record (section 12), if any
    trials: list = field(default_factory=list)  # the trials of TRIALS records (section 14), in order


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:  # RFC 5869, 32 bytes
    prk = hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


# ---------------------------------------------------------------- vault (section 3, 12.3)


def unlock(data: Path, passphrase: str) -> X25519PrivateKey:
    doc = json.loads((data / "vault.json").read_text("utf-8"))
    k = doc["kdf"]
    t, p, m = k["iterations"], k["lanes"], k["memory_kib"]
    for v in (t, p, m):
        if type(v) is not int:
            raise ValueError("damaged: KDF parameters must be JSON integers")
    if not (1 <= t <= 16 and 1 <= p <= 16 and 8 * p <= m <= 1 << 20 and t * m <= 1 << 22):
        raise ValueError("damaged: KDF parameters out of bounds")
    ikm = Argon2id(salt=base64.b64decode(k["salt"]), length=32, iterations=t, lanes=p, memory_cost=m).derive(
        passphrase.encode("utf-8")
    )
    kek = hkdf(ikm, b"", b"tallylight/v1/vault-kek")
    pub = base64.b64decode(doc["public_key"])
    raw = ChaCha20Poly1305(kek).decrypt(
        base64.b64decode(doc["nonce"]),
        base64.b64decode(doc["sealed_private_key"]),
        b"tallylight/v1/vault" + pub,
    )
    return X25519PrivateKey.from_private_bytes(raw)


# ---------------------------------------------------------------- varints and payloads (section 6)


def varint(b: bytes, i: int) -> tuple[int, int]:
    v = shift = 0
    start = i
    while True:
        if i >= len(b) or i - start >= 10:
            raise Corrupt("bad varint")
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            if c == 0 and i - start > 1:
                raise Corrupt("non-shortest varint")
            if v >= 1 << 64:
                raise Corrupt("varint too large")
            return v, i


def zz(u: int) -> int:
    return (u >> 1) ^ -(u & 1)


def wrap(v: int) -> int:  # 64-bit two's complement
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


def decode_payload(p: bytes) -> list[tuple]:
    n, i = varint(p, 0)
    zt, i = varint(p, i)
    unit, i = varint(p, i)
    tb, i = varint(p, i)
    if not 1 <= n <= 1 << 20:
        raise Corrupt("event count")
    if not 1 <= unit < 1 << 63:
        raise Corrupt("unit")
    if i + n + tb > len(p):
        raise Corrupt("truncated")
    kinds = p[i : i + n]
    blob = p[i + n : i + n + tb]
    i += n + tb
    if any(k < 1 or k > 7 for k in kinds):
        raise Corrupt("kind")
    vals = []
    while i < len(p):
        v, i = varint(p, i)
        vals.append(v)
    P = sum(k in POSITIONAL for k in kinds)
    B = sum(k in BUTTONS for k in kinds)
    S = sum(k in SCROLLS for k in kinds)
    K = sum(k in KEYS for k in kinds)
    M = sum(k in MARKERS for k in kinds)
    counts = (n - 1, P, P, B, S, S, K, K, K, M, M)
    if len(vals) != sum(counts):
        raise Corrupt("value count")
    cols = []
    for c in counts:
        cols.append(vals[:c])
        vals = vals[c:]
    dt, vx, vy, btn, sdx, sdy, kcl, key, tlen, mk, rs = cols
    t0 = zz(zt)
    if not -(1 << 62) <= t0 < 1 << 62:
        raise Corrupt("time")
    t = [t0]
    for d in dt:
        t.append(wrap(t[-1] + wrap(unit * zz(d))))
    if any(not -(1 << 62) <= x < 1 << 62 for x in t):
        raise Corrupt("time")
    if sum(tlen) != tb:
        raise Corrupt("text lengths")
    for column in (btn, kcl, mk, rs, tlen):
        if any(v >= 1 << 31 for v in column):
            raise Corrupt("value range")
    out = []
    x = y = 0
    pi = bi = si = ki = mi = off = 0
    for j, k in enumerate(kinds):
        if k in POSITIONAL:
            x, y = (wrap(x + zz(vx[pi])), wrap(y + zz(vy[pi]))) if pi else (zz(vx[0]), zz(vy[0]))
            pi += 1
            if not (-(1 << 31) <= x < 1 << 31 and -(1 << 31) <= y < 1 << 31):
                raise Corrupt("position range")
            b = dx = dy = 0
            if k in BUTTONS:
                b = btn[bi]
                bi += 1
            if k in SCROLLS:
                dx, dy = zz(sdx[si]), zz(sdy[si])
                si += 1
                if not (-(1 << 31) <= dx < 1 << 31 and -(1 << 31) <= dy < 1 << 31):
                    raise Corrupt("scroll range")
            out.append((t[j], k, x, y, b, dx, dy, 0, 0, "", 0, 0))
        elif k in KEYS:
            try:
                text = blob[off : off + tlen[ki]].decode("utf-8")
            except UnicodeDecodeError:
                raise Corrupt("text") from None
            off += tlen[ki]
            out.append((t[j], k, 0, 0, 0, 0, 0, kcl[ki], key[ki], text, 0, 0))
            ki += 1
        else:
            out.append((t[j], k, 0, 0, 0, 0, 0, 0, 0, "", mk[mi], rs[mi]))
            mi += 1
    return out


def json_depth_ok(text: str, limit: int = 32) -> bool:
    depth = 0
    for ch in re.sub(r'"(?:[^"\\]|\\.)*"', '""', text, flags=re.S):
        if ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def parse_info(body: bytes, sid: str) -> dict:
    try:
        text = body.decode("utf-8")
        if not json_depth_ok(text):
            raise Corrupt("INFO nested too deeply")
        info = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise Corrupt("INFO not JSON") from None
    if not isinstance(info, dict):
        raise Corrupt("INFO not an object")
    for name, typ in {**INFO_REQUIRED, **INFO_OPTIONAL}.items():
        if name not in info:
            if name in INFO_REQUIRED:
                raise Corrupt(f"INFO lacks {name}")
            continue
        v = info[name]
        ok = (
            isinstance(v, (int, float)) and not isinstance(v, bool)
            if typ is float
            else (type(v) is int if typ is int else isinstance(v, typ))
        )
        if not ok:
            raise Corrupt(f"INFO {name} has the wrong type")
    if info["key_mode"] not in ("none", "class", "hashed", "full"):
        raise Corrupt("INFO key_mode")
    if info["session_id"] != sid:
        raise Corrupt("INFO names another session")
    return info


# ---------------------------------------------------------------- a session (sections 4, 5, 7, 8, 12)


TRIAL_REQUIRED = {"task": str, "kind": str, "trial": int, "start_ns": int, "end_ns": int}


def parse_trials(body: bytes) -> list:
    """Section 14.2: {"trials": [1..10000 objects]}, each with the required members in range."""
    try:
        text = body.decode("utf-8")
        doc = json.loads(text) if json_depth_ok(text) else None
    except (UnicodeDecodeError, ValueError):
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("trials"), list):
        raise Corrupt("TRIALS is not an object with a list")
    trials = doc["trials"]
    if not 1 <= len(trials) <= 10_000:
        raise Corrupt("TRIALS count")
    for t in trials:
        if not isinstance(t, dict):
            raise Corrupt("a trial is not an object")
        for name, typ in TRIAL_REQUIRED.items():
            if type(t.get(name)) is not typ:
                raise Corrupt(f"trial member {name}")
        if t["trial"] < 0 or t["end_ns"] < t["start_ns"]:
            raise Corrupt("trial number or span")
        if not all(-(1 << 62) <= t[k] < 1 << 62 for k in ("start_ns", "end_ns")):
            raise Corrupt("trial time range")
    return trials


def header_ok_prefix(data: bytes, number: int, uid: bytes) -> bool:
    expected = MAGIC_SEG + b"\x01\x00\x00\x00" + struct.pack("<I", number) + uid
    n = min(len(data), len(expected))
    return data[:n] == expected[:n]


def closure_matches(session: Path, seg: int, records: int, size: int) -> bool:
    try:
        text = (session / "closed.json").read_text("utf-8")
        if not json_depth_ok(text):
            return False
        doc = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(doc, dict) or doc.get("format") != "tallylight-closed" or doc.get("version") != 1:
        return False
    got = [doc.get(k) for k in ("segment", "records", "size")]
    if any(type(v) is not int or v < 0 for v in got):
        return False
    return got == [seg, records, size]


def read_session(session: Path, device: X25519PrivateKey) -> Result:
    res = Result("corrupt")
    try:
        out = _read(session, device, res)
        out.trials = res.trials
        return out
    except Corrupt:
        return Result("corrupt", segments=res.segments, records=res.records)


def _read(session: Path, device: X25519PrivateKey, res: Result) -> Result:
    sid = session.name
    try:
        kf = (session / "key").read_bytes()
    except OSError:
        raise Corrupt("no key file") from None
    if len(kf) != 140 or kf[:8] != MAGIC_KEY or kf[8] != 1 or kf[9:12] != b"\0\0\0":
        raise Corrupt("key file")
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    dev_pub = device.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if kf[28:60] != dev_pub:
        raise Corrupt("another device")
    E = kf[60:92]
    try:
        shared = device.exchange(X25519PublicKey.from_public_bytes(E))
        K = ChaCha20Poly1305(hkdf(shared, E + dev_pub, b"tallylight/v1/session-key-wrap")).decrypt(
            b"\0" * 12, kf[92:], kf[:92] + sid.encode("utf-8")
        )
    except (ValueError, InvalidTag):
        raise Corrupt("key does not open") from None
    uid = kf[12:28]

    numbers = sorted(int(m.group(1)) for p in session.iterdir() if (m := SEG_RE.match(p.name)))
    if numbers != list(range(len(numbers))):
        raise Corrupt("missing segment")
    res.segments = len(numbers)
    if not numbers:
        verdict = "recovered" if closure_matches(session, 0, 0, 0) else "torn"
        return Result(verdict, [], None, 0, 0, 0)

    events: list[tuple] = []
    stop = None
    for k in numbers:
        last = k == numbers[-1]
        path = session / f"seg-{k:08d}.tls"
        if not path.is_file():
            raise Corrupt("not a file")
        data = path.read_bytes()
        if len(data) < 48 or data[:8] != MAGIC_SEG:
            if last and (not any(data) or (len(data) < 48 and header_ok_prefix(data, k, uid))):
                verdict = "recovered" if closure_matches(session, k, 0, 0) else "torn"
                return Result(verdict, events, None, len(data), res.segments, res.records, res.timing)
            raise Corrupt("header")
        header = data[:48]
        if header[8] != 1 or header[9:12] != b"\0\0\0" or struct.unpack("<I", header[12:16])[0] != k:
            raise Corrupt("header fields")
        if header[16:32] != uid:
            raise Corrupt("uid")
        # frames (section 12.4: the order of checks)
        frames, pos, tail = [], 48, "none"
        while pos < len(data):
            rest = data[pos:]
            if len(rest) < 5:
                tail = "torn"
                break
            rtype, L = struct.unpack_from("<BI", data, pos)
            if L < 16 or L > 1 << 24 or rtype == 0:
                tail = "torn" if not any(rest) else "bad"
                break
            if pos + 5 + L > len(data):
                tail = "torn"
                break
            frames.append((pos, rtype, L))
            pos += 5 + L
        end = pos
        aead = ChaCha20Poly1305(hkdf(K, header[32:48], b"tallylight/v1/record-key" + header))
        inflate = zlib.decompressobj(-15)
        ended = None
        for idx, (off, rtype, L) in enumerate(frames):
            if ended is not None:
                raise Corrupt("after END/NEXT")
            if res.timing is not None and rtype != 3:
                raise Corrupt("only END may follow TIMING")
            ad = header + struct.pack(">QB", idx, rtype) + struct.pack("<I", L)
            try:
                body = aead.decrypt(b"\0\0\0\0" + struct.pack(">Q", idx), data[off + 5 : off + 5 + L], ad)
            except InvalidTag:
                raise Corrupt("does not authenticate") from None
            first = k == 0 and idx == 0
            if rtype == 1:
                if not first:
                    raise Corrupt("INFO out of place")
                parse_info(body, sid)
            elif first:
                raise Corrupt("no INFO first")
            elif rtype == 2:
                if len(body) < 2 or body[0] != 1:
                    raise Corrupt("compression")
                try:
                    payload = inflate.decompress(body[1:] + b"\x00\x00\xff\xff", 64 << 20)
                except zlib.error:
                    raise Corrupt("deflate") from None
                if inflate.eof or inflate.unconsumed_tail or inflate.unused_data:
                    raise Corrupt("deflate end")
                events += decode_payload(payload)
            elif rtype in (3, 4):
                reason, i = varint(body, 0)
                total, i = varint(body, i)
                before, i = varint(body, i)
                if i != len(body) or total != len(events) or before != idx:
                    raise Corrupt("END/NEXT counts")
                if rtype == 3:
                    if not last:
                        raise Corrupt("END before the last segment")
                    stop = reason
                ended = rtype
            elif rtype == 5:
                if not last:
                    raise Corrupt("TIMING before the last segment")
                try:
                    text = body.decode("utf-8")
                    timing = json.loads(text) if json_depth_ok(text) else None
                except (UnicodeDecodeError, ValueError):
                    timing = None
                if not isinstance(timing, dict):
                    raise Corrupt("TIMING is not a JSON object")
                res.timing = timing
            elif rtype == 6:
                res.trials += parse_trials(body)
            else:
                raise Corrupt("unknown type")
            res.records += 1
        if tail == "bad":
            raise Corrupt("bad length")
        if tail == "torn":
            if not last or ended is not None:
                raise Corrupt("cut short before the last segment")
            verdict = "recovered" if closure_matches(session, k, len(frames), end) else "torn"
            return Result(verdict, events, None, len(data) - end, res.segments, res.records, res.timing)
        if not last:
            if ended != 4:
                raise Corrupt("not closed by NEXT")
            continue
        if ended == 3:
            return Result("complete", events, stop, 0, res.segments, res.records, res.timing)
        verdict = "recovered" if closure_matches(session, k, len(frames), end) else "incomplete"
        return Result(verdict, events, None, 0, res.segments, res.records, res.timing)
    raise AssertionError("unreachable")
