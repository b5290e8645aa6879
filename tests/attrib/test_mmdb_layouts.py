#!/usr/bin/env python3
"""test_mmdb_layouts.py -- `vigil geo` on MMDB files in the layouts of other vendors.

Vigil reads GeoLite2/GeoIP2, DB-IP lite and IPinfo Lite MMDB files (docs/ATTRIBUTION.md, "Geo
databases"). MaxMind's own test databases cover the first; no DB-IP or IPinfo file may be
copied into the project, so this test writes small ones with mmdb_writer.py (from the public
format specification) in a temporary folder and checks `vigil geo --json` on them.

Layouts (record shapes as the vendors document them):
  DB-IP lite Country  database_type "DBIP-Country-Lite", GeoLite2-compatible records
                      {"continent": {"code", "geoname_id", "names"}, "country": {"iso_code",
                      "geoname_id", "is_in_european_union", "names"}}; the continent map is
                      shared through a data-section pointer, as real writers do
  DB-IP lite City     "DBIP-City-Lite": the above plus "city": {"names": {"en"}}, "location"
                      (doubles) and "subdivisions" (an array)
  DB-IP lite ASN      "DBIP-ASN-Lite (compat=GeoLite2-ASN)": {"autonomous_system_number"
                      (uint32), "autonomous_system_organization"}
  IPinfo Lite         "ipinfo lite.mmdb": flat strings {"country" (the country *name*),
                      "country_code", "continent", "continent_code", "asn" ("AS3320"),
                      "as_name", "as_domain"} -- field names from IPinfo's Lite schema
                      (network, country, country_code, continent, continent_code, asn,
                      as_name, as_domain); unannounced networks carry empty asn/as_name
  IPinfo Country      (the older free IP-to-Country file) flat {"country": "JP",
                      "country_name", "continent", "continent_name"}
Trees: IPv6 (ip_version 6, IPv4 under ::/96) with 24-, 28- and 32-bit records, and an
IPv4-only tree (ip_version 4). Also several databases at once (per field the first that
answers) and damaged files (truncated, bad metadata marker, corrupt tree record, corrupt data
record) that must stop `vigil geo` with exit 2 and a one-line error naming the file.

usage: test_mmdb_layouts.py --vigil PATH/TO/vigil [-v]
"""
import argparse
import calendar
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmdb_writer import (METADATA_MARKER, MMDBWriter, Pointer, T_MAP, UInt16, UInt64,  # noqa: E402
                         _ctrl, encode)

VIGIL = None
VERBOSE = False
FAILS = []


def epoch(y, m, d):
    return calendar.timegm((y, m, d, 0, 0, 0))


def check(cond, what):
    if VERBOSE or not cond:
        print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def run(dbs, addrs, extra=(), json_out=True):
    cmd = [VIGIL, "geo"] + list(extra) + [a for db in dbs for a in ("--db", db)]
    cmd += (["--json"] if json_out else []) + list(addrs)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def geo(dbs, addrs, extra=()):
    """{address: object} from `vigil geo --json`; a failing run is a test failure."""
    rc, out, err = run(dbs, addrs, extra)
    check(rc == 0 and err == "", f"vigil geo {' '.join(addrs)} on {dbs}: rc {rc}, stderr {err!r}")
    objs = [json.loads(line) for line in out.splitlines() if line.strip()]
    check(len(objs) == len(addrs), f"one JSON object per address ({len(objs)} for {len(addrs)})")
    return {o["ip"]: o for o in objs}


def expect(results, addr, want):
    got = results.get(addr)
    want = dict(want, ip=addr)
    check(got == want, f"{addr}: want {json.dumps(want, sort_keys=True)}\n"
                       f"{'':10}got  {json.dumps(got, sort_keys=True)}")


# --- database builders --------------------------------------------------------------------------

def dbip_country(path, ip_version=6, record_size=24, city=False, pad=0):
    """pad: an unused bytes value of that size first in the data section, so that records and
    pointers get large offsets (28-bit records then use the shared middle nibble, pointers
    their longer forms)."""
    w = MMDBWriter(ip_version=ip_version, record_size=record_size,
                   database_type="DBIP-City-Lite" if city else "DBIP-Country-Lite",
                   build_epoch=epoch(2024, 5, 1),
                   description={"en": "IP to City Lite" if city else "IP to Country Lite"})
    if pad:
        w.add_data(encode(b"\0" * pad))
    eu = Pointer(w.add_data({"code": "EU", "geoname_id": 6255148, "names": {"en": "Europe"}}))
    oc = Pointer(w.add_data({"code": "OC", "geoname_id": 6255151, "names": {"en": "Oceania"}}))

    def rec(cc, name, cont, city_name=None, eu_member=False):
        r = {"continent": cont,
             "country": {"geoname_id": 2921044, "is_in_european_union": eu_member,
                         "iso_code": cc, "names": {"en": name, "de": name}}}
        if city and city_name:
            r["city"] = {"names": {"en": city_name}}
            r["location"] = {"latitude": 51.5, "longitude": -0.125}
            r["subdivisions"] = [{"names": {"en": "England"}}]
        return r
    w.insert("81.2.69.0/24", rec("GB", "United Kingdom", eu, "London"))
    w.insert("81.2.69.160/27", rec("DE", "Germany", eu, "Berlin", True))  # inside the /24
    w.insert("1.0.0.0/24", rec("AU", "Australia", oc, "Brisbane"))
    w.insert("2.160.0.0/12", rec("DE", "Germany", eu, None, True))
    if ip_version == 6:
        w.insert("2003::/19", rec("DE", "Germany", eu, "Bonn", True))
        w.insert("2a02:ff0::/32", rec("GB", "United Kingdom", eu, "Leeds"))
    return w.write(path)


def dbip_asn(path, ip_version=6, record_size=28):
    w = MMDBWriter(ip_version=ip_version, record_size=record_size,
                   database_type="DBIP-ASN-Lite (compat=GeoLite2-ASN)",
                   build_epoch=epoch(2024, 6, 1), description={"en": "IP to ASN Lite"})
    dtag = {"autonomous_system_number": 3320, "autonomous_system_organization": "Deutsche Telekom AG"}
    w.insert("2.160.0.0/12", dtag)
    w.insert("81.2.69.0/24", {"autonomous_system_number": 20712,
                              "autonomous_system_organization": "Andrews & Arnold Ltd"})
    w.insert("1.0.0.0/24", {"autonomous_system_number": UInt16(13335),   # uint16 on the wire
                            "autonomous_system_organization": "Cloudflare, Inc."})
    w.insert("34.64.0.0/10", {"autonomous_system_number": 396982,
                              "autonomous_system_organization": "Google LLC"})
    w.insert("9.9.9.0/24", {"autonomous_system_number": UInt64(19281),  # other writers' uint64
                            "autonomous_system_organization": "Quad9"})
    if ip_version == 6:
        w.insert("2003::/19", dtag)
    return w.write(path)


def ipinfo_lite(path, record_size=32):
    w = MMDBWriter(ip_version=6, record_size=record_size, database_type="ipinfo lite.mmdb",
                   build_epoch=epoch(2024, 7, 15), description={"en": "ipinfo lite.mmdb"})

    def rec(cc, country, cont_cc, cont, asn, as_name, as_domain):
        return {"country": country, "country_code": cc, "continent": cont,
                "continent_code": cont_cc, "asn": asn, "as_name": as_name, "as_domain": as_domain}
    w.insert("2.160.0.0/12", rec("DE", "Germany", "EU", "Europe", "AS3320",
                                 "Deutsche Telekom AG", "telekom.com"))
    w.insert("2003::/19", rec("DE", "Germany", "EU", "Europe", "AS3320",
                              "Deutsche Telekom AG", "telekom.com"))
    w.insert("8.8.8.0/24", rec("US", "United States", "NA", "North America", "AS15169",
                               "Google LLC", "google.com"))
    w.insert("2001:4860::/32", rec("US", "United States", "NA", "North America", "AS15169",
                                   "Google LLC", "google.com"))
    w.insert("1.0.0.0/24", rec("AU", "Australia", "OC", "Oceania", "", "", ""))  # no AS
    return w.write(path)


def ipinfo_country(path):
    w = MMDBWriter(ip_version=6, record_size=24, database_type="ipinfo country.mmdb",
                   build_epoch=epoch(2024, 8, 2))
    w.insert("1.0.16.0/20", {"country": "JP", "country_name": "Japan", "continent": "AS",
                             "continent_name": "Asia"})
    w.insert("240e::/20", {"country": "CN", "country_name": "China", "continent": "AS",
                           "continent_name": "Asia"})
    return w.write(path)


# --- the cases ---------------------------------------------------------------------------------

def label(path, date):
    return f"{os.path.basename(path)} {date}"


def test_dbip_country(tmp):
    for ipv, rs, pad in ((6, 24, 0), (6, 28, 1 << 24), (6, 32, 4096), (4, 24, 0),
                         (4, 28, 600000)):
        db = dbip_country(os.path.join(tmp, f"dbip-country-lite-v{ipv}-{rs}.mmdb"), ipv, rs,
                          pad=pad)
        lab = label(db, "2024-05-01")
        addrs = ["81.2.69.1", "81.2.69.170", "81.2.69.191", "81.2.69.192", "81.2.70.1",
                 "1.0.0.255", "2.160.0.0", "2.175.255.255", "2.176.0.0", "10.0.0.1",
                 "2003::1", "2003:1fff:ffff:ffff::1", "2003:2000::", "2a02:ff0:1::5", "::1",
                 "::81.2.69.170"]
        r = geo([db], addrs)
        de, gb, au = ({"country": c, "country_db": lab} for c in ("DE", "GB", "AU"))
        unknown = {"country": "??"}
        v6 = ipv == 6
        for a, want in (("81.2.69.1", gb), ("81.2.69.170", de), ("81.2.69.191", de),
                        ("81.2.69.192", gb), ("81.2.70.1", unknown), ("1.0.0.255", au),
                        ("2.160.0.0", de), ("2.175.255.255", de), ("2.176.0.0", unknown),
                        ("10.0.0.1", unknown), ("2003::1", de if v6 else unknown),
                        ("2003:1fff:ffff:ffff::1", de if v6 else unknown),
                        ("2003:2000::", unknown), ("2a02:ff0:1::5", gb if v6 else unknown),
                        ("::1", unknown), ("::81.2.69.170", de if v6 else unknown)):
            expect(r, a, want)


def test_dbip_city(tmp):
    db = dbip_country(os.path.join(tmp, "dbip-city-lite.mmdb"), city=True)
    lab = label(db, "2024-05-01")
    r = geo([db], ["81.2.69.1", "81.2.69.170", "2.160.1.1", "2003::1"])
    expect(r, "81.2.69.1", {"country": "GB", "country_db": lab, "city": "London", "city_db": lab})
    expect(r, "81.2.69.170", {"country": "DE", "country_db": lab, "city": "Berlin",
                              "city_db": lab})
    expect(r, "2.160.1.1", {"country": "DE", "country_db": lab})  # no city in that record
    expect(r, "2003::1", {"country": "DE", "country_db": lab, "city": "Bonn", "city_db": lab})


def test_dbip_asn(tmp):
    for ipv, rs in ((6, 28), (4, 24), (4, 32)):
        db = dbip_asn(os.path.join(tmp, f"dbip-asn-lite-v{ipv}-{rs}.mmdb"), ipv, rs)
        lab = label(db, "2024-06-01")
        r = geo([db], ["2.170.3.4", "81.2.69.200", "1.0.0.1", "34.127.255.255", "34.128.0.0",
                       "9.9.9.9", "2003:0:1::1", "2001:db8::1"])
        dtag = {"country": "??", "asn": 3320, "as_org": "Deutsche Telekom AG", "asn_db": lab}
        expect(r, "2.170.3.4", dtag)
        expect(r, "81.2.69.200", {"country": "??", "asn": 20712,
                                  "as_org": "Andrews & Arnold Ltd", "asn_db": lab})
        expect(r, "1.0.0.1", {"country": "??", "asn": 13335, "as_org": "Cloudflare, Inc.",
                              "asn_db": lab})
        expect(r, "34.127.255.255", {"country": "??", "asn": 396982, "as_org": "Google LLC",
                                     "asn_db": lab})
        expect(r, "34.128.0.0", {"country": "??"})
        expect(r, "9.9.9.9", {"country": "??", "asn": 19281, "as_org": "Quad9", "asn_db": lab})
        expect(r, "2003:0:1::1", dtag if ipv == 6 else {"country": "??"})
        expect(r, "2001:db8::1", {"country": "??"})


def test_ipinfo(tmp):
    for rs in (32, 24):
        db = ipinfo_lite(os.path.join(tmp, f"ipinfo_lite_{rs}.mmdb"), rs)
        lab = label(db, "2024-07-15")
        r = geo([db], ["2.160.0.1", "2003:1234::1", "8.8.8.8", "2001:4860:4860::8888",
                       "1.0.0.1", "9.9.9.9", "2001:db8::1"])
        dtag = {"country": "DE", "country_db": lab, "asn": 3320,
                "as_org": "Deutsche Telekom AG", "asn_db": lab}
        google = {"country": "US", "country_db": lab, "asn": 15169, "as_org": "Google LLC",
                  "asn_db": lab}
        expect(r, "2.160.0.1", dtag)
        expect(r, "2003:1234::1", dtag)
        expect(r, "8.8.8.8", google)
        expect(r, "2001:4860:4860::8888", google)
        expect(r, "1.0.0.1", {"country": "AU", "country_db": lab})  # empty asn: no ASN
        expect(r, "9.9.9.9", {"country": "??"})
        expect(r, "2001:db8::1", {"country": "??"})
    # the text form names the AS and the database too
    rc, out, err = run([db], ["2.160.0.1"], json_out=False)
    check(rc == 0 and "AS3320 Deutsche Telekom AG" in out and lab in out and " DE " in out,
          f"text output for IPinfo Lite: {out!r} {err!r}")
    c = ipinfo_country(os.path.join(tmp, "ipinfo-country.mmdb"))
    lab = label(c, "2024-08-02")
    r = geo([c], ["1.0.16.1", "240e:1::1", "1.0.32.1"])
    expect(r, "1.0.16.1", {"country": "JP", "country_db": lab})
    expect(r, "240e:1::1", {"country": "CN", "country_db": lab})
    expect(r, "1.0.32.1", {"country": "??"})


def test_several(tmp):
    cdb = dbip_country(os.path.join(tmp, "dbip-country-lite.mmdb"))
    adb = dbip_asn(os.path.join(tmp, "dbip-asn-lite.mmdb"), ip_version=4)
    idb = ipinfo_lite(os.path.join(tmp, "ipinfo_lite.mmdb"))
    # the country file under a name without .mmdb: recognised by the metadata marker
    odd = os.path.join(tmp, "dbip-country.dat")
    with open(cdb, "rb") as f, open(odd, "wb") as g:
        g.write(f.read())
    cl, al, il = label(cdb, "2024-05-01"), label(adb, "2024-06-01"), label(idb, "2024-07-15")
    addrs = ["81.2.69.1", "81.2.69.170", "2.160.0.1", "1.0.0.1", "2003::1", "8.8.8.8",
             "34.64.0.1", "10.1.1.1"]
    r = geo([cdb, adb], addrs)  # country from DB-IP Country, ASN from DB-IP ASN (IPv4-only)
    expect(r, "81.2.69.1", {"country": "GB", "country_db": cl, "asn": 20712,
                            "as_org": "Andrews & Arnold Ltd", "asn_db": al})
    expect(r, "81.2.69.170", {"country": "DE", "country_db": cl, "asn": 20712,
                              "as_org": "Andrews & Arnold Ltd", "asn_db": al})
    expect(r, "2.160.0.1", {"country": "DE", "country_db": cl, "asn": 3320,
                            "as_org": "Deutsche Telekom AG", "asn_db": al})
    expect(r, "2003::1", {"country": "DE", "country_db": cl})  # ASN file has no IPv6
    expect(r, "34.64.0.1", {"country": "??", "asn": 396982, "as_org": "Google LLC",
                            "asn_db": al})
    expect(r, "10.1.1.1", {"country": "??"})
    # IPinfo first: it answers both where it can; its AS-less network takes the ASN from DB-IP
    r = geo([idb, odd, adb], addrs)
    ol = label(odd, "2024-05-01")
    expect(r, "2.160.0.1", {"country": "DE", "country_db": il, "asn": 3320,
                            "as_org": "Deutsche Telekom AG", "asn_db": il})
    expect(r, "1.0.0.1", {"country": "AU", "country_db": il, "asn": 13335,
                          "as_org": "Cloudflare, Inc.", "asn_db": al})
    expect(r, "81.2.69.170", {"country": "DE", "country_db": ol, "asn": 20712,
                              "as_org": "Andrews & Arnold Ltd", "asn_db": al})
    expect(r, "8.8.8.8", {"country": "US", "country_db": il, "asn": 15169,
                          "as_org": "Google LLC", "asn_db": il})
    expect(r, "2003::1", {"country": "DE", "country_db": il, "asn": 3320,
                          "as_org": "Deutsche Telekom AG", "asn_db": il})


def expect_error(dbs, bad, why, extra=()):
    rc, out, err = run(dbs, ["81.2.69.1"], extra)
    lines = err.strip().splitlines()
    check(rc == 2 and out == "" and len(lines) == 1 and lines[0].startswith("vigil geo: " + bad)
          and "ERROR: AddressSanitizer" not in err,
          f"{why}: want exit 2 and one line naming {bad}; got rc {rc}, stderr {err!r}")


def test_damaged(tmp):
    good = dbip_country(os.path.join(tmp, "good.mmdb"))
    with open(good, "rb") as f:
        data = f.read()

    def write(name, blob):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(blob)
        return p
    meta = data.rindex(METADATA_MARKER)
    trunc = write("truncated.mmdb", data[:meta + len(METADATA_MARKER) + 20])
    expect_error([good, trunc], trunc, "metadata cut short")
    half = write("half.mmdb", data[: len(data) // 2])
    expect_error([half], half, "file cut in half (no metadata marker)")
    marker = write("bad-marker.mmdb", data.replace(METADATA_MARKER, b"\xab\xcd\xefMaxMind.org"))
    expect_error([good, marker], marker, "bad metadata marker")
    # a search tree record pointing far past the data section (node 0, left record, 24-bit)
    tree = write("bad-tree.mmdb", b"\xff\xff\xf0" + data[3:])
    expect_error([tree], tree, "corrupt search tree record")
    # a data record claiming a map of 20 pairs but holding one
    w = MMDBWriter(ip_version=6, database_type="DBIP-Country-Lite", build_epoch=epoch(2024, 5, 1))
    w.insert("81.2.69.0/24", _ctrl(T_MAP, 20) + encode("country") + encode({"iso_code": "GB"}))
    rec = w.write(os.path.join(tmp, "bad-record.mmdb"))
    expect_error([good, rec], rec, "corrupt data record")
    # without verification the damaged record is read as far as it goes (libmaxminddb finds
    # "country" before running off the end), never a crash or a sanitizer report
    rc, out, err = run([rec], ["81.2.69.1", "81.2.70.1"],
                       ["--set", "attribution.verify-databases=false"])
    objs = [json.loads(line) for line in out.splitlines()]
    check(rc == 0 and err == "" and [o["ip"] for o in objs] == ["81.2.69.1", "81.2.70.1"]
          and objs[0]["country"] in ("GB", "??") and objs[1] == {"ip": "81.2.70.1",
                                                                 "country": "??"},
          f"corrupt record without verification: rc {rc} out {out!r} err {err!r}")
    missing = os.path.join(tmp, "missing.mmdb")
    expect_error([good, missing], missing, "missing file")


def main():
    global VIGIL, VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigil", required=True)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    VIGIL, VERBOSE = os.path.abspath(args.vigil), args.verbose
    with tempfile.TemporaryDirectory(prefix="vigil-mmdb-") as tmp:
        for t in (test_dbip_country, test_dbip_city, test_dbip_asn, test_ipinfo, test_several,
                  test_damaged):
            n = len(FAILS)
            t(tmp)
            print(f"{t.__name__}: {'ok' if len(FAILS) == n else 'FAILED'}")
    if FAILS:
        print(f"{len(FAILS)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
