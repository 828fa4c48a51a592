#!/usr/bin/env python3
"""Writes the hostile-input corpus (see README.md). Every file is crafted by hand here: pickles
are spelled out opcode by opcode (the pickle module is never used to make them), signed values
are signed with hmac/hashlib following Django's documented algorithm, bombs are zlib streams of
zeros. Nothing here comes from Django or from pickle.dumps.

    python3 testdata/hostile/make.py           # rewrite the files (byte-identical on rerun)
    python3 testdata/hostile/make.py --check   # check each pickle's outcome against CPython,
                                               # with an Unpickler that refuses every global
"""
import base64
import hashlib
import hmac
import io
import json
import os
import pickle
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "hostile-corpus-secret-key"
TS = 1700000000  # 2023-11-14T22:13:20Z, b62 "1r31eq"

# name -> (bytes, expected outcome of a pickle decoder: "forbidden:<module.name>", "corrupt",
# "value" (decodes to a non-dict), "dict")
PICKLES = {
    # REDUCE on os.system via GLOBAL (protocol 2): os.system("id")
    "reduce_os_system": (b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.", "forbidden:os.system"),
    # REDUCE on builtins.eval via STACK_GLOBAL (protocol 4): eval("1+1")
    "reduce_builtins_eval": (b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x031+1\x94\x85\x94R\x94.", "forbidden:builtins.eval"),
    # INST (protocol 0): os.system("id")
    "inst_os_system": (b"(S'id'\nios\nsystem\n.", "forbidden:os.system"),
    # OBJ (protocol 1): os.system("id")
    "obj_os_system": (b"(cos\nsystem\nS'id'\no.", "forbidden:os.system"),
    # NEWOBJ of subprocess.Popen (protocol 2): Popen.__new__(Popen, ("id",))
    "newobj_subprocess_popen": (b"\x80\x02csubprocess\nPopen\nX\x02\x00\x00\x00id\x85\x81.", "forbidden:subprocess.Popen"),
    # a session dict whose value is os.system's result
    "dict_with_os_system": (b"\x80\x04}\x94\x8c\x01a\x94\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R\x94s.", "forbidden:os.system"),
    # protocol 6 does not exist (CPython 3.13: "unsupported pickle protocol: 6")
    "protocol_6": (b"\x80\x06}\x94.", "corrupt"),
    # PERSID and BINPERSID: persistent ids need a persistent_load, which Django never sets
    "persid": (b"\x80\x02P1\n.", "corrupt"),
    "binpersid": (b"\x80\x02K\x01Q.", "corrupt"),
    # stack underflow: SETITEM, REDUCE, APPEND on an empty stack; STOP with nothing
    "underflow_setitem": (b"\x80\x02s.", "corrupt"),
    "underflow_reduce": (b"\x80\x02R.", "corrupt"),
    "underflow_append": (b"\x80\x02a.", "corrupt"),
    "underflow_stop": (b"\x80\x02.", "corrupt"),
    # POP_MARK without a mark, MARK never closed
    "no_mark": (b"\x80\x021.", "corrupt"),
    # length fields claiming gigabytes, with 3 bytes behind them
    "binunicode8_16gib": (b"\x80\x04\x8d" + (1 << 34).to_bytes(8, "little") + b"abc.", "corrupt"),
    "binbytes_4gib": (b"\x80\x03B\xf0\xff\xff\xffabc.", "corrupt"),
    "binunicode_4gib": (b"\x80\x02X\xff\xff\xff\xffabc.", "corrupt"),
    "frame_1tib": (b"\x80\x04\x95" + (1 << 40).to_bytes(8, "little") + b"}\x94.", "corrupt"),
    "long4_2gib": (b"\x80\x02\x8b\xff\xff\xff\x7f\x01.", "corrupt"),
    # truncated: a dict cut inside a SETITEM, in the middle of a string, before STOP
    "truncated_setitem": (b"\x80\x05\x95\x0e\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K", "corrupt"),
    "truncated_string": (b"\x80\x04}\x94\x8c\x0a_auth_use", "corrupt"),
    "truncated_no_stop": (b"\x80\x04}\x94", "corrupt"),
    "empty": (b"", "corrupt"),
    # malformed: an unknown opcode, a GLOBAL without newline, a BININT1 without its byte
    "unknown_opcode": (b"\x80\x02\xff.", "corrupt"),
    "global_no_newline": (b"\x80\x02cos", "corrupt"),
    "memo_get_missing": (b"\x80\x02h\x07.", "corrupt"),
    # 1000 nested lists (the decoders' nesting limit is 200)
    "nested_1000": (b"\x80\x02" + b"]" * 1000 + b"a" * 999 + b".", "corrupt"),
    # valid pickles that are not a session dict: an int, None, a list
    "int_42": (b"\x80\x04K*.", "value"),
    "none": (b"\x80\x04N.", "value"),
    "list": (b"\x80\x04]\x94.", "value"),
    # control: a valid session dict {"a": 1}
    "control_dict": (b"\x80\x04}\x94\x8c\x01a\x94K\x01s.", "dict"),
}


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b62(n):
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = chars[r] + out
    return out or "0"


def signature(value, key=KEY, salt="django.core.signing", algorithm="sha256"):
    # django.utils.crypto.salted_hmac(salt + "signer", value, key, algorithm)
    h = getattr(hashlib, algorithm)
    k = h((salt + "signer" + key).encode()).digest()
    return b64(hmac.new(k, value.encode(), h).digest())


def timestamp_sign(payload, ts=TS, **kw):
    v = payload + ":" + b62(ts)
    return v + ":" + signature(v, **kw)


def json_payload(obj, compress=False):
    data = json.dumps(obj, separators=(",", ":")).encode()
    if compress:
        z = zlib.compress(data)
        if len(z) < len(data) - 1:
            return "." + b64(z)
    return b64(data)


BOMB = zlib.compress(b"\x00" * (20 << 20), 9)  # 20 MiB of zeros in about 20 KiB

SESSION_SALT = "django.contrib.sessions.SessionStore"
COOKIE_SALT = "django.contrib.sessions.backends.signed_cookies"


def signed_cases():
    good = timestamp_sign(json_payload({"a": 1}))
    value, ts, sig = good.rsplit(":", 2)
    flip = "A" if sig[-1] != "A" else "B"
    return {
        # (text, decoder, expected): decoder is loads (signing.loads, key KEY, default salt),
        # session_data (SessionStore.decode, SECRET_KEY = KEY), cookie (signed_cookies, age 2 weeks)
        "loads_control": (good, "loads", "ok"),
        "loads_tampered_signature": (value + ":" + ts + ":" + sig[:-1] + flip, "loads", "bad"),
        "loads_tampered_payload": (json_payload({"a": 2}) + ":" + ts + ":" + sig, "loads", "bad"),
        "loads_tampered_timestamp": (value + ":" + b62(TS + 1) + ":" + sig, "loads", "bad"),
        "loads_wrong_salt": (timestamp_sign(json_payload({"a": 1}), salt="another.salt"), "loads", "bad"),
        "loads_wrong_key": (timestamp_sign(json_payload({"a": 1}), key="another-secret-key"), "loads", "bad"),
        "loads_wrong_algorithm_sha1": (timestamp_sign(json_payload({"a": 1}), algorithm="sha1"), "loads", "bad"),
        "loads_wrong_algorithm_sha512": (timestamp_sign(json_payload({"a": 1}), algorithm="sha512"), "loads", "bad"),
        "loads_truncated_signature": (good[:-10], "loads", "bad"),
        "loads_truncated_timestamp": (value + ":" + ts[:3], "loads", "bad"),
        "loads_no_separator": (value, "loads", "bad"),
        "loads_empty": ("", "loads", "bad"),
        "loads_expired": (good, "loads-max-age-60s-now+3600s", "expired"),
        "loads_zlib_bomb": (timestamp_sign("." + b64(BOMB)), "loads", "corrupt"),
        "loads_zlib_garbage": (timestamp_sign("." + b64(b"not zlib at all")), "loads", "corrupt"),
        "loads_bad_json": (timestamp_sign(b64(b"{not json")), "loads", "corrupt"),
        "session_data_control": (timestamp_sign(json_payload({"_auth_user_id": "1"}, True), salt=SESSION_SALT), "session_data", "ok"),
        "session_data_tampered": (timestamp_sign(json_payload({"_auth_user_id": "1"}, True), salt=SESSION_SALT)[:-1] + "x", "session_data", "bad"),
        "session_data_wrong_salt": (timestamp_sign(json_payload({"_auth_user_id": "1"}, True)), "session_data", "bad"),
        "session_data_zlib_bomb": (timestamp_sign("." + b64(BOMB), salt=SESSION_SALT), "session_data", "corrupt"),
        "cookie_control": (timestamp_sign(json_payload({"a": 1}, True), salt=COOKIE_SALT), "cookie", "ok"),
        "cookie_tampered": (timestamp_sign(json_payload({"a": 2}, True), salt=COOKIE_SALT, key="forged"), "cookie", "bad"),
        "cookie_expired": (timestamp_sign(json_payload({"a": 1}, True), ts=TS - 1209600 - 1, salt=COOKIE_SALT), "cookie", "expired"),
        "cookie_zlib_bomb": (timestamp_sign("." + b64(BOMB), salt=COOKIE_SALT), "cookie", "corrupt"),
    }


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


class Refuse(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError("forbidden:%s.%s" % (module, name))

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent id")


def check():
    sys.setrecursionlimit(10000)
    bad = 0
    for name, (data, want) in PICKLES.items():
        try:
            v = Refuse(io.BytesIO(data)).load()
            got = "dict" if isinstance(v, dict) else "value"
        except pickle.UnpicklingError as e:
            got = str(e) if str(e).startswith("forbidden:") else "corrupt"
        except Exception:  # EOFError, ValueError, IndexError, MemoryError, OverflowError, ...
            got = "corrupt"
        if name == "nested_1000" and got == "value":
            got = "corrupt"  # CPython has no nesting limit; the Go decoder's is 200
        mark = "ok " if got == want else "BAD"
        bad += got != want
        print(f"{mark} {name}: CPython {got}, expected {want}")
    sys.exit(1 if bad else 0)


def main():
    if "--check" in sys.argv:
        check()
    for name, (data, _) in PICKLES.items():
        write(os.path.join(HERE, "pickle", name + ".pickle"), data)
    for name, (text, _, _) in signed_cases().items():
        write(os.path.join(HERE, "signed", name + ".txt"), text.encode())
    write(os.path.join(HERE, "cache", "zlib_bomb_20mib.zlib"), BOMB)
    write(os.path.join(HERE, "cache", "zlib_garbage.zlib"), b"x\x9c" + b"\xff" * 30)
    write(os.path.join(HERE, "cache", "other_app.json"), b'{"user": 1, "app": "billing"}')
    write(os.path.join(HERE, "cache", "int_text.txt"), b"42")
    write(os.path.join(HERE, "cache", "int_text_spaces.txt"), b" -7_000 \n")
    write(os.path.join(HERE, "cache", "str_utf8.txt"), "h\u00e9llo".encode())
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"pickle": {n: w for n, (_, w) in PICKLES.items()},
                   "signed": {n: {"decoder": d, "expect": w} for n, (_, d, w) in signed_cases().items()}},
                  f, indent=1, sort_keys=True)
        f.write("\n")


main()
