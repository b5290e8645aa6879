"""mmdb_writer.py -- a small MaxMind DB (format 2.0) writer for tests, standard library only.

Written from the public specification (https://maxmind.github.io/MaxMind-DB/), so that Vigil's
MMDB paths can be tested on database layouts we may not ship (DB-IP lite, IPinfo Lite, ...).

File layout:
  search tree   node_count nodes, each two records (left = bit 0, right = bit 1) of record_size
                bits (24, 28 or 32). A record value v < node_count is a node number, v ==
                node_count means "no data", v > node_count points into the data section at
                offset v - node_count - 16.
  separator     16 zero bytes
  data section  the records (maps of strings and unsigned integers, here)
  metadata      "\\xAB\\xCD\\xEFMaxMind.com" then one map (node_count, record_size, ip_version, ...)
The tree is 32 bits deep for ip_version 4 and 128 bits deep for ip_version 6; in an IPv6 tree
IPv4 networks live under ::/96 (::a.b.c.d), which is where readers start IPv4 lookups.

    w = MMDBWriter(ip_version=6, database_type="DBIP-Country-Lite", record_size=24)
    w.insert("81.2.69.0/24", {"country": {"iso_code": "GB"}})
    w.insert("2a02:ff0::/32", {"country": {"iso_code": "DE"}})
    data = w.build()          # bytes; w.write(path) writes them
"""
import ipaddress
import struct
import time

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"

# Data section type numbers (spec "Output Data Section"); > 7 are "extended" types.
T_POINTER, T_UTF8, T_DOUBLE, T_BYTES, T_UINT16, T_UINT32, T_MAP = 1, 2, 3, 4, 5, 6, 7
T_INT32, T_UINT64, T_UINT128, T_ARRAY, T_BOOL = 8, 9, 10, 11, 14


class UInt16(int):
    """An integer written as uint16 (a plain non-negative int is written as uint32, or uint64
    when it does not fit)."""


class UInt32(int):
    """An integer written as uint32."""


class UInt64(int):
    """Force an integer to be written as uint64."""


def _ctrl(type_num, size):
    """Control byte(s): type in the top 3 bits (0 + extra byte for extended types), then size."""
    if size < 29:
        first, extra = size, b""
    elif size < 29 + 256:
        first, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        first, extra = 30, struct.pack(">H", size - 285)
    else:
        first, extra = 31, struct.pack(">I", size - 65821)[1:]
    if type_num <= 7:
        return bytes([(type_num << 5) | first]) + extra
    return bytes([first, type_num - 7]) + extra


def _uint(type_num, v, max_bytes):
    raw = v.to_bytes(max_bytes, "big").lstrip(b"\0")  # leading zero bytes are dropped
    return _ctrl(type_num, len(raw)) + raw


def encode_pointer(offset):
    """A pointer to another value at offset (from the start of the data section)."""
    if offset < 1 << 11:
        return bytes([0x20 | (offset >> 8), offset & 0xFF])
    if offset < (1 << 19) + 2048:
        v = offset - 2048
        return bytes([0x28 | (v >> 16)]) + struct.pack(">H", v & 0xFFFF)
    if offset < (1 << 27) + 526336:
        v = offset - 526336
        return bytes([0x30 | (v >> 24)]) + struct.pack(">I", v & 0xFFFFFF)[1:]
    return bytes([0x38]) + struct.pack(">I", offset)


class Pointer:
    """A value that is written as a pointer to an offset in the same data section."""

    def __init__(self, offset):
        self.offset = offset


def encode(value):
    """One value in the data section encoding."""
    if isinstance(value, Pointer):
        return encode_pointer(value.offset)
    if isinstance(value, bool):
        return _ctrl(T_BOOL, int(value))
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _ctrl(T_UTF8, len(raw)) + raw
    if isinstance(value, bytes):
        return _ctrl(T_BYTES, len(value)) + value
    if isinstance(value, float):
        return _ctrl(T_DOUBLE, 8) + struct.pack(">d", value)
    if isinstance(value, UInt16):
        return _uint(T_UINT16, value, 2)
    if isinstance(value, UInt64):
        return _uint(T_UINT64, value, 8)
    if isinstance(value, int):
        if value < 0:
            return _ctrl(T_INT32, 4) + struct.pack(">i", value)
        if value < 1 << 32:
            return _uint(T_UINT32, value, 4)
        return _uint(T_UINT64, value, 8)
    if isinstance(value, dict):
        out = _ctrl(T_MAP, len(value))
        for k, v in value.items():
            out += encode(str(k)) + encode(v)
        return out
    if isinstance(value, (list, tuple)):
        return _ctrl(T_ARRAY, len(value)) + b"".join(encode(v) for v in value)
    raise TypeError(f"cannot encode {type(value).__name__} in an MMDB data section")


class MMDBWriter:
    def __init__(self, ip_version=6, database_type="Test", record_size=24, languages=("en",),
                 description=None, build_epoch=None):
        if ip_version not in (4, 6) or record_size not in (24, 28, 32):
            raise ValueError("ip_version 4 or 6, record_size 24, 28 or 32")
        self.ip_version, self.record_size = ip_version, record_size
        self.database_type, self.languages = database_type, list(languages)
        self.description = description or {"en": f"{database_type} (generated for tests)"}
        self.build_epoch = int(time.time()) if build_epoch is None else build_epoch
        self.depth = 32 if ip_version == 4 else 128
        self.root = [None, None]   # a node: [left, right]; a child is a node, ("data", key) or None
        self.data = bytearray()    # the data section
        self.offsets = {}          # encoded record -> offset, so equal records are stored once

    def add_data(self, record):
        """Stores a value in the data section (once per distinct encoding); returns its offset.
        Records can then share it: {"continent": Pointer(w.add_data({...}))}."""
        raw = record if isinstance(record, (bytes, bytearray)) else encode(record)
        raw = bytes(raw)
        if raw not in self.offsets:
            self.offsets[raw] = len(self.data)
            self.data += raw
        return self.offsets[raw]

    def _bits(self, network):
        net = ipaddress.ip_network(network, strict=True)
        if net.version == 6 and self.ip_version == 4:
            raise ValueError(f"{network}: IPv6 network in an IPv4 tree")
        plen, value = net.prefixlen, int(net.network_address)
        if net.version == 4 and self.ip_version == 6:
            plen += 96  # IPv4 lives at ::a.b.c.d
        return [(value >> (self.depth - 1 - i)) & 1 for i in range(plen)]

    def insert(self, network, record):
        """Maps a network ("81.2.69.0/24", "2a02::/16") to record (a dict, or raw encoded
        bytes, or an offset from add_data). A more specific network may be inserted later and
        splits the less specific one; inserting a shorter one over a longer one replaces it."""
        off = record if isinstance(record, int) else self.add_data(record)
        bits = self._bits(network)
        if not bits:
            raise ValueError("a /0 network has no node to hang from")
        node = self.root
        for b in bits[:-1]:
            child = node[b]
            if not isinstance(child, list):
                child = [child, child]  # split an empty or data leaf into two halves
                node[b] = child
            node = child
        node[bits[-1]] = ("data", off)

    def _number(self):
        """Numbers the nodes breadth first (the root is node 0); returns the node list."""
        order, i = [self.root], 0
        while i < len(order):
            for child in order[i]:
                if isinstance(child, list):
                    order.append(child)
            i += 1
        return order

    def build(self):
        nodes = self._number()
        index = {id(n): i for i, n in enumerate(nodes)}
        count = len(nodes)

        def value(child):
            if child is None:
                return count
            if isinstance(child, list):
                return index[id(child)]
            return count + 16 + child[1]

        tree = bytearray()
        for n in nodes:
            left, right = value(n[0]), value(n[1])
            if max(left, right) >= 1 << self.record_size:
                raise ValueError("record_size too small for this tree and data section")
            if self.record_size == 24:
                tree += left.to_bytes(3, "big") + right.to_bytes(3, "big")
            elif self.record_size == 28:  # the middle byte's high nibble extends the left record
                tree += ((left & 0xFFFFFF).to_bytes(3, "big")
                         + bytes([((left >> 24) << 4) | (right >> 24)])
                         + (right & 0xFFFFFF).to_bytes(3, "big"))
            else:
                tree += left.to_bytes(4, "big") + right.to_bytes(4, "big")
        meta = {
            "node_count": UInt32(count),
            "record_size": UInt16(self.record_size),
            "ip_version": UInt16(self.ip_version),
            "database_type": self.database_type,
            "languages": self.languages,
            "binary_format_major_version": UInt16(2),
            "binary_format_minor_version": UInt16(0),
            "build_epoch": UInt64(self.build_epoch),
            "description": self.description,
        }
        return bytes(tree) + b"\0" * 16 + bytes(self.data) + METADATA_MARKER + encode(meta)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.build())
        return path

