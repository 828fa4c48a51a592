"""Plain server clients with no serializer: the bytes Django's cache backends left on the servers.

RedisRaw wraps redis-py with decoding off; MemcachedRaw speaks the memcached text and meta
protocols over a socket (memcached 1.6: ``mg <key> v f t`` returns value, flags and TTL at once).
Used by gen_fixtures.py and bridge.py; they only ever talk to the loopback test servers.
"""
import socket


def split_addr(addr):
    host, _, port = addr.rpartition(":")
    return host, int(port)


class RedisRaw:
    """One Redis server and db, bytes in and out."""

    def __init__(self, addr, db):
        import redis

        host, port = split_addr(addr)
        self.addr = addr
        self.db = db
        self.client = redis.Redis(host=host, port=port, db=db, socket_timeout=5)

    def get(self, key):
        """Return (value bytes or None, ttl seconds or None, flags=None)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.get(key)
        pipe.pttl(key)
        value, pttl = pipe.execute()
        if value is None:
            return None, None, None
        return value, _ceil_ms(pttl), None

    def set(self, key, value, ttl=None):
        if ttl is not None and ttl > 0:
            self.client.set(key, value, ex=int(ttl))
        else:
            self.client.set(key, value)

    def delete(self, key):
        return bool(self.client.delete(key))

    def flushdb(self):
        self.client.flushdb()

    def close(self):
        self.client.close()


def _ceil_ms(pttl):
    if pttl is None or pttl < 0:
        return None  # -1: no expiry, -2: missing
    return (pttl + 999) // 1000


class MemcachedError(Exception):
    """An unexpected memcached reply."""


class MemcachedRaw:
    """One memcached server, bytes in and out, with item flags and TTL."""

    def __init__(self, addr, timeout=5):
        self.addr = addr
        self.sock = socket.create_connection(split_addr(addr), timeout=timeout)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise MemcachedError(f"{self.addr}: connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(max(65536, n + 2 - len(self.buf)))
            if not chunk:
                raise MemcachedError(f"{self.addr}: connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2 :]
        return data

    def get(self, key):
        """Return (value bytes or None, ttl seconds (-1 = never) or None, flags or None)."""
        k = key.encode("utf-8") if isinstance(key, str) else key
        self.sock.sendall(b"mg " + k + b" v f t\r\n")
        line = self._line()
        if line == b"EN":
            return None, None, None
        parts = line.split()
        if not parts or parts[0] != b"VA":
            raise MemcachedError(f"{self.addr}: unexpected reply {line[:80]!r}")
        size = int(parts[1])
        flags = ttl = None
        for p in parts[2:]:
            if p.startswith(b"f"):
                flags = int(p[1:])
            elif p.startswith(b"t"):
                ttl = int(p[1:])
        return self._exact(size), ttl, flags

    def set(self, key, value, flags=0, ttl=0):
        k = key.encode("utf-8") if isinstance(key, str) else key
        self.sock.sendall(b"set %s %d %d %d\r\n%s\r\n" % (k, flags, int(ttl or 0), len(value), value))
        line = self._line()
        if line != b"STORED":
            raise MemcachedError(f"{self.addr}: set: {line[:80]!r}")

    def delete(self, key):
        k = key.encode("utf-8") if isinstance(key, str) else key
        self.sock.sendall(b"delete " + k + b"\r\n")
        return self._line() == b"DELETED"

    def close(self):
        self.sock.close()
