"""pktlib — build packets and write pcap/pcapng files for Vigil's end-to-end tests.

Small on purpose: Ethernet/VLAN, IPv4/IPv6, TCP/UDP/ICMP with correct checksums, and writers for
classic pcap (any link type) and pcapng. Every capture the tests use is made here or by
bench/gen_traffic.c, never taken from elsewhere.
"""
import ipaddress
import struct


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _addr(a):
    return ipaddress.ip_address(a)


def l4(proto, src, dst, sport=0, dport=0, payload=b"", flags=0x18, seq=1, ack=0, win=65535,
       icmp_type=8, icmp_code=0, icmp_rest=b"\0\0\0\0", bad_csum=False):
    s, d = _addr(src), _addr(dst)
    if proto == 6:
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, win, 0, 0)
    elif proto == 17:
        hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    else:
        hdr = struct.pack("!BBH", icmp_type, icmp_code, 0) + icmp_rest
    seg = hdr + payload
    if proto in (6, 17) or proto == 58:
        if s.version == 4:
            pseudo = s.packed + d.packed + struct.pack("!BBH", 0, proto, len(seg))
        else:
            pseudo = s.packed + d.packed + struct.pack("!IxxxB", len(seg), proto)
        c = csum(pseudo + seg)
    else:
        c = csum(seg)
    if proto == 17 and c == 0:
        c = 0xFFFF
    if bad_csum:
        c ^= 0x5555
    off = {6: 16, 17: 6}.get(proto, 2)
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def ipv4(src, dst, proto, payload, ttl=64, ident=1, frag_off=0, more=False, bad_csum=False,
         total_len=None):
    tl = total_len if total_len is not None else 20 + len(payload)
    fo = (frag_off // 8) | (0x2000 if more else 0)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, ident, fo, ttl, proto, 0,
                    _addr(src).packed, _addr(dst).packed)
    c = csum(h) ^ (0x1111 if bad_csum else 0)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def ipv6(src, dst, nh, payload, hlim=64):
    h = struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim, _addr(src).packed,
                    _addr(dst).packed)
    return h + payload


def eth(payload, ethertype=0x0800, vlans=()):
    h = bytes.fromhex("000102030405000607080910")
    for v in vlans:
        h += struct.pack("!HH", 0x8100, v)
    return h + struct.pack("!H", ethertype) + payload


def ip_packet(proto, src, dst, **kw):
    """A complete IP packet (v4 or v6 by address) carrying an L4 header built by l4()."""
    seg = l4(proto, src, dst, **kw)
    if _addr(src).version == 4:
        return ipv4(src, dst, proto, seg)
    return ipv6(src, dst, proto, seg)


def frame(proto, src, dst, vlans=(), **kw):
    ip = ip_packet(proto, src, dst, **kw)
    return eth(ip, 0x0800 if _addr(src).version == 4 else 0x86DD, vlans)


def write_pcap(path, packets, linktype=1, snaplen=65535):
    """packets: list of (ts_usec, bytes) or (ts_usec, bytes, wire_len)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for p in packets:
            ts, data = p[0], p[1]
            wl = p[2] if len(p) > 2 else len(data)
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(data), wl) + data)


def write_pcapng(path, packets, linktype=1):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", linktype, 0, 65535)))
        for ts, data in packets:
            f.write(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data),
                                         len(data)) + data))


class TcpConv:
    """A TCP conversation with sequence numbers kept; packets collected in .pkts."""

    def __init__(self, cli, cport, srv, sport, ts=1_600_000_000_000_000, step=1000, vlans=()):
        self.cli, self.cport, self.srv, self.sport = cli, cport, srv, sport
        self.cseq, self.sseq, self.ts, self.step, self.vlans = 1000, 5000, ts, step, vlans
        self.pkts = []

    def _pkt(self, to_server, flags, data=b""):
        if to_server:
            f = frame(6, self.cli, self.srv, sport=self.cport, dport=self.sport, flags=flags,
                      seq=self.cseq, ack=self.sseq if flags & 0x10 else 0, payload=data,
                      vlans=self.vlans)
            self.cseq += len(data) + (1 if flags & 3 else 0)
        else:
            f = frame(6, self.srv, self.cli, sport=self.sport, dport=self.cport, flags=flags,
                      seq=self.sseq, ack=self.cseq, payload=data, vlans=self.vlans)
            self.sseq += len(data) + (1 if flags & 3 else 0)
        self.pkts.append((self.ts, f))
        self.ts += self.step

    def handshake(self):
        self._pkt(True, 0x02)
        self._pkt(False, 0x12)
        self._pkt(True, 0x10)
        return self

    def send(self, to_server, data):
        self._pkt(to_server, 0x18, data)
        return self

    def close(self):
        self._pkt(True, 0x11)
        self._pkt(False, 0x11)
        self._pkt(True, 0x10)
        return self
