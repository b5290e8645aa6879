/* test_evidence.c — the evidence stage: per-flow ring bounds and the memcap, the pcap of an
 * alerted flow (ring then the rest, caps, SHA-256), keys (mode, size, no overwrite), and the
 * ledger's chain and signatures checked by vg_verify on ledgers written here. */
#include "evidence/evidence.h"
#include "evidence/ledger.h"

#include <sodium.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

static char tmpdir[256];

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vg_test_evidence.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void subdir(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
    mkdir(out, 0755);
}

static vg_packet_t mkpkt(uint8_t *buf, uint32_t len, uint64_t cnt)
{
    memset(buf, (int)(cnt & 0xff), len);
    vg_packet_t p;
    memset(&p, 0, sizeof p);
    p.data = buf;
    p.caplen = p.wirelen = len;
    p.ts = 1600000000000000ull + cnt * 1000;
    p.pcap_cnt = cnt;
    p.linktype = 1;
    return p;
}

/* Reads a pcap written by the evidence stage: record count and each record's first byte. */
static int read_pcap(const char *path, uint8_t *first, int max, uint32_t *linktype)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t gh[24];
    assert_int_equal(fread(gh, 1, 24, f), 24);
    assert_int_equal(gh[0] | gh[1] << 8 | gh[2] << 16 | (uint32_t)gh[3] << 24, 0xa1b2c3d4u);
    *linktype = gh[20];
    int n = 0;
    uint8_t rh[16];
    while (fread(rh, 1, 16, f) == 16) {
        uint32_t incl = rh[8] | rh[9] << 8 | rh[10] << 16 | (uint32_t)rh[11] << 24;
        uint8_t *d = malloc(incl);
        assert_int_equal(fread(d, 1, incl, f), incl);
        if (n < max)
            first[n] = d[0];
        free(d);
        n++;
    }
    fclose(f);
    return n;
}

static void file_sha(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    crypto_hash_sha256_state s;
    crypto_hash_sha256_init(&s);
    unsigned char b[4096], md[32];
    size_t n;
    while ((n = fread(b, 1, sizeof b, f)) > 0)
        crypto_hash_sha256_update(&s, b, n);
    fclose(f);
    crypto_hash_sha256_final(&s, md);
    sodium_bin2hex(hex, 65, md, 32);
}

static int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            n++;
    return n;
}

static void test_ring_then_file(void **st)
{
    (void)st;
    char dir[300];
    subdir(dir, sizeof dir, "ring");
    vg_evid_config_t cfg = {.ring_packets = 4, .memcap = 1 << 20, .max_packets = 1000,
                            .max_bytes = 1 << 20, .dir = dir};
    vg_evid_ctx_t *c = vg_evid_ctx_new(&cfg);
    void *slot = NULL;
    uint8_t buf[100];
    vg_evid_sealed_t s;
    for (uint64_t i = 1; i <= 10; i++) {
        vg_packet_t p = mkpkt(buf, 60, i);
        assert_false(vg_evid_packet(c, &slot, &p, &s));
    }
    /* ring memory: 4 packets at most, whatever came before */
    assert_true(vg_evid_mem_flows(c) < 4 * 128 + 1024);
    vg_evid_ref_t ref;
    assert_true(vg_evid_alert(c, &slot, 42, 10, &ref));
    assert_string_equal(ref.file, "flow-42.pcap");
    assert_int_equal(ref.packet, 4); /* packets 7..10 from the ring: the alerting one is 4th */
    /* the file so far is on disk and the alert carries its hash */
    assert_int_equal(ref.bytes, 24 + 4 * (16 + 60));
    {
        char p0[400], h0[65];
        snprintf(p0, sizeof p0, "%s/%s", dir, ref.file);
        struct stat sb0;
        assert_int_equal(stat(p0, &sb0), 0);
        assert_int_equal((uint64_t)sb0.st_size, ref.bytes);
        file_sha(p0, h0);
        assert_string_equal(h0, ref.sha256);
    }
    for (uint64_t i = 11; i <= 13; i++) {
        vg_packet_t p = mkpkt(buf, 60, i);
        assert_false(vg_evid_packet(c, &slot, &p, &s));
    }
    assert_true(vg_evid_alert(c, &slot, 42, 13, &ref));
    assert_int_equal(ref.packet, 7);
    assert_true(vg_evid_flow_end(c, &slot, &s));
    assert_null(slot);
    assert_int_equal(vg_evid_mem_flows(c), 0);
    assert_int_equal(s.packets, 7);
    assert_false(s.truncated);
    char path[400], hex[65];
    snprintf(path, sizeof path, "%s/%s", dir, s.file);
    uint8_t first[16];
    uint32_t lt;
    assert_int_equal(read_pcap(path, first, 16, &lt), 7);
    assert_int_equal(lt, 1);
    for (int i = 0; i < 7; i++)
        assert_int_equal(first[i], 7 + i); /* oldest first, nothing lost after the alert */
    file_sha(path, hex);
    assert_string_equal(hex, s.sha256);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal((uint64_t)sb.st_size, s.size);
    /* a second flow with the same id gets another name */
    for (uint64_t i = 1; i <= 2; i++) {
        vg_packet_t p = mkpkt(buf, 60, i);
        vg_evid_packet(c, &slot, &p, &s);
    }
    assert_true(vg_evid_alert(c, &slot, 42, 0, &ref));
    assert_string_equal(ref.file, "flow-42-1.pcap");
    assert_int_equal(ref.packet, 0);
    assert_true(vg_evid_flow_end(c, &slot, &s));
    /* a flow that never alerted leaves no file and no memory */
    vg_packet_t p = mkpkt(buf, 60, 1);
    vg_evid_packet(c, &slot, &p, &s);
    assert_false(vg_evid_flow_end(c, &slot, &s));
    assert_int_equal(vg_evid_mem_flows(c), 0);
    const uint64_t *v = vg_evid_stats_values(c);
    assert_int_equal(v[0], 2); /* evidence.files */
    vg_evid_ctx_free(c);
}

/* Reading files, rings keep where each packet is in its capture (file_off/file_span) and the first
 * alert reads them back: the pcap holds the same bytes as the input's records; a packet whose
 * file changed meanwhile, or whose reference leads to other bytes, is not written but counted
 * (evidence.reread_errors, and in the file's ring_dropped); reassembled datagrams are copied. */
static uint64_t stat_of(const vg_evid_ctx_t *c, const char *name);
static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

enum { NREF = 6 };
static void test_ring_references(void **st)
{
    (void)st;
    char dir[300], cap[400];
    subdir(dir, sizeof dir, "refs");
    snprintf(cap, sizeof cap, "%s/in.pcap", tmpdir);
    /* the input: a classic pcap of NREF records of 1000 + i bytes, each byte i * 7 + k */
    static uint8_t pk[NREF][1100];
    uint64_t off[NREF];
    FILE *f = fopen(cap, "wb");
    assert_non_null(f);
    uint8_t gh[24] = {0};
    put_le32(gh, 0xa1b2c3d4u);
    gh[4] = 2;
    gh[6] = 4;
    put_le32(gh + 16, 65535);
    put_le32(gh + 20, 1);
    fwrite(gh, 1, 24, f);
    for (int i = 0; i < NREF; i++) {
        uint32_t len = 1000 + (uint32_t)i;
        for (uint32_t k = 0; k < len; k++)
            pk[i][k] = (uint8_t)(i * 7 + k);
        uint8_t rh[16];
        put_le32(rh, 1600000000u + (uint32_t)i);
        put_le32(rh + 4, 0);
        put_le32(rh + 8, len);
        put_le32(rh + 12, len);
        off[i] = (uint64_t)ftell(f);
        fwrite(rh, 1, 16, f);
        fwrite(pk[i], 1, len, f);
    }
    fclose(f);
    const char *files[] = {cap};
    vg_evid_config_t cfg = {.ring_packets = 4, .memcap = 1 << 20, .max_packets = 1000,
                            .max_bytes = 1 << 20, .dir = dir, .files = files, .n_files = 1};
    vg_evid_ctx_t *c = vg_evid_ctx_new(&cfg);
    void *slot = NULL;
    vg_evid_sealed_t s;
    vg_evid_ref_t ref;
    for (int i = 0; i < NREF; i++) {
        vg_packet_t p = mkpkt(pk[i], 1000 + (uint32_t)i, (uint64_t)i + 1); /* same bytes */
        for (uint32_t k = 0; k < p.caplen; k++)
            pk[i][k] = (uint8_t)(i * 7 + k); /* mkpkt filled the buffer: restore it */
        p.file_off = off[i];
        p.file_span = 16 + p.caplen;
        assert_false(vg_evid_packet(c, &slot, &p, &s));
    }
    /* four 1000-byte packets: as references, a ring far smaller than their bytes */
    assert_true(vg_evid_mem_flows(c) < 1024);
    assert_true(vg_evid_alert(c, &slot, 7, NREF, &ref));
    assert_int_equal(ref.packet, 4);
    assert_int_equal(stat_of(c, "evidence.rereads"), 4);
    assert_true(vg_evid_flow_end(c, &slot, &s));
    assert_int_equal(s.packets, 4);
    assert_int_equal(s.ring_dropped, 0);
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, s.file);
    f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t rd[1100];
    assert_int_equal(fread(rd, 1, 24, f), 24);
    for (int i = NREF - 4; i < NREF; i++) { /* the last four, as in the input */
        uint8_t rh[16];
        assert_int_equal(fread(rh, 1, 16, f), 16);
        assert_int_equal(rh[8] | rh[9] << 8, 1000 + i);
        assert_int_equal(fread(rd, 1, 1000 + (size_t)i, f), 1000 + (size_t)i);
        assert_memory_equal(rd, pk[i], 1000 + (size_t)i);
    }
    assert_int_equal(fread(rd, 1, 1, f), 0);
    fclose(f);
    assert_int_equal(stat_of(c, "evidence.reread_errors"), 0);

    /* a reference that leads to other bytes (another record's place): not written, counted */
    for (int i = 0; i < 2; i++) {
        vg_packet_t p = mkpkt(pk[i], 1000 + (uint32_t)i, (uint64_t)i + 1);
        for (uint32_t k = 0; k < p.caplen; k++)
            pk[i][k] = (uint8_t)(i * 7 + k);
        p.file_off = off[i + 2]; /* wrong record, and its header says a longer packet */
        p.file_span = 16 + p.caplen;
        vg_evid_packet(c, &slot, &p, &s);
    }
    /* a reassembled datagram is copied (its bytes are in no record of the file) */
    uint8_t dgram[80];
    vg_packet_t p = mkpkt(dgram, sizeof dgram, 3);
    p.flags = VG_PKT_REASSEMBLED;
    p.file_off = off[3];
    p.file_span = 16 + 1003;
    vg_evid_packet(c, &slot, &p, &s);
    assert_true(vg_evid_alert(c, &slot, 8, 3, &ref));
    assert_int_equal(stat_of(c, "evidence.reread_errors"), 2);
    assert_int_equal(stat_of(c, "evidence.rereads"), 4 + 2);
    assert_true(vg_evid_flow_end(c, &slot, &s));
    assert_int_equal(s.packets, 1);      /* the datagram */
    assert_int_equal(s.ring_dropped, 2); /* the two that could not be read back */
    assert_int_equal(s.size, 24 + 16 + sizeof dgram);

    /* the capture file changes before the alert: nothing is read from it */
    for (int i = 0; i < 3; i++) {
        vg_packet_t q = mkpkt(pk[i], 1000 + (uint32_t)i, (uint64_t)i + 1);
        for (uint32_t k = 0; k < q.caplen; k++)
            pk[i][k] = (uint8_t)(i * 7 + k);
        q.file_off = off[i];
        q.file_span = 16 + q.caplen;
        vg_evid_packet(c, &slot, &q, &s);
    }
    f = fopen(cap, "ab");
    assert_non_null(f);
    fputc(0, f);
    fclose(f);
    assert_true(vg_evid_alert(c, &slot, 9, 3, &ref));
    assert_int_equal(stat_of(c, "evidence.reread_errors"), 2 + 3);
    assert_true(vg_evid_flow_end(c, &slot, &s));
    assert_int_equal(s.packets, 0);
    assert_int_equal(s.ring_dropped, 3);
    assert_int_equal(vg_evid_mem_flows(c), 0); /* every flow's memory is back */
    vg_evid_ctx_free(c);
}

/* The ring with packets of mixed sizes (it is one buffer per flow, used circularly, growing while
 * it holds fewer than ring_packets): for every number of packets a flow had before its alert,
 * the file holds exactly the latest min(N, K), oldest first, each with its own length and
 * bytes — whatever wrapping and growing happened on the way. */
static void test_ring_mixed_sizes(void **st)
{
    (void)st;
    char dir[300];
    subdir(dir, sizeof dir, "mixed");
    static uint8_t buf[70000];
    for (uint32_t k = 1; k <= 8; k += 3) {
        vg_evid_config_t cfg = {.ring_packets = k, .memcap = 8 << 20, .max_packets = 1000,
                                .max_bytes = 1 << 24, .dir = dir};
        vg_evid_ctx_t *c = vg_evid_ctx_new(&cfg);
        uint32_t seed = 12345 + k;
        for (uint32_t n = 1; n <= 40; n++) {
            void *slot = NULL;
            uint32_t lens[64];
            vg_evid_sealed_t s;
            for (uint32_t i = 1; i <= n; i++) {
                seed = seed * 1103515245u + 12345u;
                uint32_t r = (seed >> 16) % 100;
                uint32_t len = r < 5 ? 9000 + r : r == 99 ? 65000 : 40 + (seed >> 8) % 1461;
                lens[i] = len;
                vg_packet_t p = mkpkt(buf, len, i);
                assert_false(vg_evid_packet(c, &slot, &p, &s));
            }
            vg_evid_ref_t ref;
            assert_true(vg_evid_alert(c, &slot, 1000 * k + n, n, &ref));
            uint32_t kept = n < k ? n : k;
            assert_int_equal(ref.packet, kept);
            assert_true(vg_evid_flow_end(c, &slot, &s));
            char path[400];
            snprintf(path, sizeof path, "%s/%s", dir, s.file);
            FILE *f = fopen(path, "rb");
            assert_non_null(f);
            uint8_t gh[24], rh[16];
            assert_int_equal(fread(gh, 1, 24, f), 24);
            uint32_t got = 0;
            while (fread(rh, 1, 16, f) == 16) {
                uint32_t incl = rh[8] | rh[9] << 8 | rh[10] << 16 | (uint32_t)rh[11] << 24;
                uint32_t want_cnt = n - kept + 1 + got;
                assert_int_equal(incl, lens[want_cnt]);
                assert_int_equal(fread(buf, 1, incl, f), incl);
                assert_int_equal(buf[0], want_cnt & 0xff);
                assert_int_equal(buf[incl - 1], want_cnt & 0xff);
                got++;
            }
            fclose(f);
            assert_int_equal(got, kept);
            assert_int_equal(s.ring_dropped, 0);
            assert_int_equal(vg_evid_mem_flows(c), 0);
        }
        vg_evid_ctx_free(c);
    }
}

/* More alerted flows alive at once than a worker keeps files open for (16): every file is
 * complete and matches its hash, whether it was kept open or opened per write. */
static void test_many_open_files(void **st)
{
    (void)st;
    char dir[300];
    subdir(dir, sizeof dir, "many");
    vg_evid_config_t cfg = {.ring_packets = 2, .memcap = 4 << 20, .max_packets = 1000,
                            .max_bytes = 1 << 20, .dir = dir};
    vg_evid_ctx_t *c = vg_evid_ctx_new(&cfg);
    enum { NF = 40 };
    void *slots[NF] = {0};
    int fds_before = count_fds();
    uint8_t buf[300];
    vg_evid_sealed_t s;
    vg_evid_ref_t ref;
    for (int f = 0; f < NF; f++) {
        vg_packet_t p = mkpkt(buf, 100 + (uint32_t)f, (uint64_t)f + 1);
        vg_evid_packet(c, &slots[f], &p, &s);
        assert_true(vg_evid_alert(c, &slots[f], 500 + (uint64_t)f, (uint64_t)f + 1, &ref));
    }
    for (int round = 0; round < 3; round++)
        for (int f = 0; f < NF; f++) {
            vg_packet_t p = mkpkt(buf, 100 + (uint32_t)f, 100 + (uint64_t)round);
            assert_false(vg_evid_packet(c, &slots[f], &p, &s));
        }
    for (int f = 0; f < NF; f++) {
        assert_true(vg_evid_flow_end(c, &slots[f], &s));
        assert_false(s.write_error);
        char path[400], hex[65];
        snprintf(path, sizeof path, "%s/%s", dir, s.file);
        uint8_t first[8];
        uint32_t lt;
        assert_int_equal(read_pcap(path, first, 8, &lt), 4);
        assert_int_equal(first[0], f + 1);
        assert_int_equal(first[3], 102);
        file_sha(path, hex);
        assert_string_equal(hex, s.sha256);
    }
    assert_int_equal(count_fds(), fds_before); /* every kept file was closed at sealing */
    vg_evid_ctx_free(c);
}

static void test_memcap(void **st)
{
    (void)st;
    char dir[300];
    subdir(dir, sizeof dir, "memcap");
    /* 4 MB: 3 MB of ring slabs; 400 flows x 8 packets of 1500 bytes (2 KB buffers) need 6.4 */
    vg_evid_config_t cfg = {.ring_packets = 8, .memcap = 4 << 20, .max_packets = 1000,
                            .max_bytes = 1 << 20, .dir = dir};
    vg_evid_ctx_t *c = vg_evid_ctx_new(&cfg);
    enum { NF = 400 };
    void **slots = calloc(NF, sizeof(void *));
    uint8_t buf[1500];
    vg_evid_sealed_t s;
    uint64_t cnt = 0;
    for (int round = 0; round < 8; round++)
        for (int f = 0; f < NF; f++) {
            vg_packet_t p = mkpkt(buf, 1500, ++cnt);
            vg_evid_packet(c, &slots[f], &p, &s);
            assert_true(vg_evid_mem_used(c) <= cfg.memcap);
        }
    const vg_stats_table_t *t = vg_evid_stats_table();
    const uint64_t *v = vg_evid_stats_values(c);
    uint64_t evictions = 0, untracked = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (!strcmp(t->names[i], "evidence.ring_evictions"))
            evictions = v[i];
        if (!strcmp(t->names[i], "evidence.flows_untracked"))
            untracked = v[i];
    }
    assert_true(evictions > 0);
    assert_int_equal(untracked, 0);
    /* the stalest rings went: the flow that just had a packet still has it, and its alert
     * writes it as the file's last packet */
    vg_evid_ref_t ref;
    assert_true(vg_evid_alert(c, &slots[NF - 1], 5, cnt, &ref));
    assert_true(ref.packet >= 1);
    for (int f = 0; f < NF; f++)
        vg_evid_flow_end(c, &slots[f], &s);
    assert_int_equal(vg_evid_mem_flows(c), 0);
    free(slots);
    vg_evid_ctx_free(c);
}

static uint64_t stat_of(const vg_evid_ctx_t *c, const char *name)
{
    const vg_stats_table_t *t = vg_evid_stats_table();
    const uint64_t *v = vg_evid_stats_values(c);
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->names[i], name))
            return v[i];
    fail_msg("no counter %s", name);
    return 0;
}

/* Rings are taken back before the memory grows: those of flows that closed (mode 1), or those
 * idle for ring_idle seconds of packet time (mode 2); mode 0 (neither) is the control, whose
 * slabs grow to the memcap and whose rings then go by LRU eviction. NF flows, one after the
 * other 10 ms apart, 4 packets of 1000 bytes each (8 KB rings), none ends (as when flows wait
 * for their timeout). Returns the context (flows still alive in slots). */
enum { NF_RECLAIM = 3000 };
static vg_evid_ctx_t *reclaim_run(const char *dir, int mode, void **slots)
{
    vg_evid_config_t cfg = {.ring_packets = 4, .memcap = 16 << 20, .max_packets = 1000,
                            .max_bytes = 1 << 20, .ring_idle = mode == 2 ? 1 : 0, .dir = dir};
    vg_evid_ctx_t *c = vg_evid_ctx_new(&cfg);
    uint8_t buf[1000];
    vg_evid_sealed_t s;
    for (int f = 0; f < NF_RECLAIM; f++) {
        for (int k = 0; k < 4; k++) {
            vg_packet_t p = mkpkt(buf, sizeof buf, (uint64_t)f * 4 + (uint64_t)k + 1);
            p.ts = 1600000000000000ull + (uint64_t)f * 10000 + (uint64_t)k;
            assert_false(vg_evid_packet(c, &slots[f], &p, &s));
        }
        if (mode == 1)
            vg_evid_flow_closed(c, &slots[f]);
    }
    return c;
}

static void test_ring_reclaim(void **st)
{
    (void)st;
    char dir[300];
    subdir(dir, sizeof dir, "reclaim");
    uint64_t used[3];
    for (int mode = 0; mode < 3; mode++) {
        void **slots = calloc(NF_RECLAIM, sizeof(void *));
        vg_evid_ctx_t *c = reclaim_run(dir, mode, slots);
        used[mode] = vg_evid_mem_used(c);
        uint64_t closed = stat_of(c, "evidence.ring_closed_reclaims");
        uint64_t idle = stat_of(c, "evidence.ring_idle_reclaims");
        uint64_t evicted = stat_of(c, "evidence.ring_evictions");
        if (mode == 0) {
            assert_true(evicted > 0);
            assert_int_equal(closed + idle, 0);
        } else {
            assert_int_equal(evicted, 0);
            assert_true((mode == 1 ? closed : idle) > (uint64_t)NF_RECLAIM / 2);
            assert_int_equal(mode == 1 ? idle : closed, 0);
        }
        /* the latest flow's ring is whole in any mode: an alert (here after its close) writes
         * its 4 packets */
        vg_evid_ref_t ref;
        vg_evid_sealed_t s;
        assert_true(vg_evid_alert(c, &slots[NF_RECLAIM - 1], 7000 + (uint64_t)mode, 0, &ref));
        assert_true(vg_evid_flow_end(c, &slots[NF_RECLAIM - 1], &s));
        assert_int_equal(s.packets, 4);
        assert_int_equal(s.ring_dropped, 0);
        /* the first flow's ring was taken back (closed, idle or evicted): its alert gets a file
         * without those packets, and says how many it lost */
        assert_true(vg_evid_alert(c, &slots[0], 8000 + (uint64_t)mode, 0, &ref));
        assert_true(vg_evid_flow_end(c, &slots[0], &s));
        assert_int_equal(s.packets, 0);
        assert_int_equal(s.ring_dropped, 4);
        for (int f = 0; f < NF_RECLAIM; f++)
            vg_evid_flow_end(c, &slots[f], &s);
        assert_int_equal(vg_evid_mem_flows(c), 0);
        free(slots);
        vg_evid_ctx_free(c);
    }
    /* the control filled its 12 MB of slabs; reclaiming kept a few slabs (the per-flow states,
     * ~0.4 MB, are counted in all three) */
    assert_true(used[0] > 12u << 20);
    assert_true(used[1] < 2u << 20);
    assert_true(used[2] < 3u << 20);
}

static void test_file_cap(void **st)
{
    (void)st;
    char dir[300];
    subdir(dir, sizeof dir, "cap");
    vg_evid_config_t cfg = {.ring_packets = 2, .memcap = 1 << 20, .max_packets = 5,
                            .max_bytes = 1 << 20, .dir = dir};
    vg_evid_ctx_t *c = vg_evid_ctx_new(&cfg);
    void *slot = NULL;
    uint8_t buf[100];
    vg_evid_sealed_t s;
    vg_evid_ref_t ref;
    vg_packet_t p = mkpkt(buf, 60, 1);
    vg_evid_packet(c, &slot, &p, &s);
    assert_true(vg_evid_alert(c, &slot, 7, 1, &ref));
    int sealed_at = 0;
    for (uint64_t i = 2; i <= 10; i++) {
        p = mkpkt(buf, 60, i);
        if (vg_evid_packet(c, &slot, &p, &s)) {
            assert_int_equal(sealed_at, 0);
            sealed_at = (int)i;
        }
    }
    assert_int_equal(sealed_at, 6);
    assert_true(s.truncated);
    assert_int_equal(s.packets, 5);
    assert_true(vg_evid_alert(c, &slot, 7, 9, &ref)); /* still names the file, no index */
    assert_int_equal(ref.packet, 0);
    assert_false(vg_evid_flow_end(c, &slot, &s)); /* already sealed */
    vg_evid_ctx_free(c);
}

/* A packet with no flow: the first alert keeps it and makes packet-<pcap_cnt>.pcap holding it
 * alone; a second alert on it names the same file; the end seals it; the memory goes back. */
static void test_packet_alert(void **st)
{
    (void)st;
    char dir[300], path[400], hex[65];
    subdir(dir, sizeof dir, "noflow");
    vg_evid_config_t cfg = {.ring_packets = 8, .memcap = 1 << 20, .max_packets = 100,
                            .max_bytes = 1 << 20, .dir = dir};
    vg_evid_ctx_t *c = vg_evid_ctx_new(&cfg);
    uint64_t mem0 = vg_evid_mem_flows(c);
    uint8_t buf[100];
    vg_packet_t p = mkpkt(buf, 70, 42);
    void *slot = NULL;
    vg_evid_ref_t r1, r2;
    assert_true(vg_evid_packet_alert(c, &slot, &p, &r1));
    assert_string_equal(r1.file, "packet-42.pcap");
    assert_int_equal(r1.packet, 1);
    assert_int_equal(r1.bytes, 24 + 16 + 70);
    assert_true(vg_evid_packet_alert(c, &slot, &p, &r2));
    assert_string_equal(r2.file, "packet-42.pcap");
    assert_int_equal(r2.packet, 1);
    assert_string_equal(r1.sha256, r2.sha256);
    vg_evid_sealed_t s;
    assert_true(vg_evid_flow_end(c, &slot, &s));
    assert_null(slot);
    assert_string_equal(s.file, "packet-42.pcap");
    assert_int_equal(s.packets, 1);
    assert_int_equal(s.size, 24 + 16 + 70);
    assert_false(s.truncated);
    snprintf(path, sizeof path, "%s/packet-42.pcap", dir);
    uint8_t first[4];
    uint32_t lt = 0;
    assert_int_equal(read_pcap(path, first, 4, &lt), 1);
    assert_int_equal(first[0], 42);
    assert_int_equal(lt, 1);
    file_sha(path, hex);
    assert_string_equal(hex, s.sha256);
    assert_string_equal(hex, r1.sha256); /* the whole file is what the alert hashed */
    assert_int_equal(vg_evid_mem_flows(c), mem0);
    /* the same packet number again (e.g. a second run into the directory): a new name */
    slot = NULL;
    assert_true(vg_evid_packet_alert(c, &slot, &p, &r1));
    assert_string_equal(r1.file, "packet-42-1.pcap");
    assert_true(vg_evid_flow_end(c, &slot, &s));
    vg_evid_ctx_free(c);
}

static void test_keys(void **st)
{
    (void)st;
    char dir[300], path[400], err[512];
    snprintf(dir, sizeof dir, "%s/keys/sub", tmpdir);
    assert_int_equal(vg_keygen(dir, err, sizeof err), 0);
    assert_int_not_equal(vg_keygen(dir, err, sizeof err), 0);
    assert_non_null(strstr(err, "refusing to overwrite"));
    snprintf(path, sizeof path, "%s/%s", dir, VG_KEY_SECRET_FILE);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    uint8_t sk[64], pk[32], pk2[32];
    assert_int_equal(vg_key_load_secret(path, sk, pk, err, sizeof err), 0);
    char ppath[400];
    snprintf(ppath, sizeof ppath, "%s/%s", dir, VG_KEY_PUBLIC_FILE);
    assert_int_equal(vg_key_load_public(ppath, pk2, err, sizeof err), 0);
    assert_memory_equal(pk, pk2, 32);
    chmod(path, 0644);
    assert_int_not_equal(vg_key_load_secret(path, sk, pk, err, sizeof err), 0);
    assert_non_null(strstr(err, "0600"));
    chmod(path, 0600);
    /* the public key given as the private one: wrong kind */
    assert_int_not_equal(vg_key_load_public(path, pk2, err, sizeof err), 0);
    truncate(ppath, 40);
    assert_int_not_equal(vg_key_load_public(ppath, pk2, err, sizeof err), 0);
    assert_non_null(strstr(err, "wrong size"));
}

static const char *ALERT =
    "{\"timestamp\":\"2020-09-13T12:26:40.000000+0000\",\"flow_id\":42,\"event_type\":\"alert\","
    "\"alert\":{\"signature_id\":1},\"evidence\":{\"file\":\"flow-42.pcap\",\"packet\":3}}";

/* Writes a ledger: n alert lines, checkpoint every cp entries, final commit. */
static void write_ledger(const char *logdir, const char *keydir, int n, uint64_t cp)
{
    char err[512];
    vg_ledger_opts_t o = {.logdir = logdir, .key_dir = keydir, .sensor = "t", .cp_entries = cp};
    vg_ledger_t *l = vg_ledger_open(&o, err, sizeof err);
    assert_non_null(l);
    for (int i = 0; i < n; i++) {
        assert_int_equal(vg_ledger_sink_event(l, ALERT, strlen(ALERT)), 0);
        assert_int_equal(vg_ledger_sink_commit(l, false), 0);
    }
    assert_int_equal(vg_ledger_sink_commit(l, true), 0);
    vg_ledger_close(l);
}

/* The ledger reads the members its entries need straight from the EVE line (no JSON tree);
 * decoys (an "evidence" or "signature_id" member nested elsewhere, escapes in other strings,
 * spaces) must not change what it takes, and a line it does not read that way (an escape in a
 * string it needs) goes through jansson with the same result. */
static void test_ledger_event_fields(void **st)
{
    (void)st;
    char logdir[300], keydir[300], err[512];
    subdir(logdir, sizeof logdir, "fields");
    snprintf(keydir, sizeof keydir, "%s/fieldkeys", tmpdir);
    char evdir[400];
    snprintf(evdir, sizeof evdir, "%s/evidence", logdir);
    mkdir(evdir, 0755);
    static const char *lines[] = {
        ("{\"timestamp\":\"2020-09-13T12:26:40.000000+0000\",\"flow_id\":42,\"event_type\":\"alert\","
        "\"alert\":{\"signature_id\":7,\"metadata\":{\"x\":[1,{\"signature_id\":9}]}},"
        "\"payload\":\"\\u00e9\\\\\",\"evidence\":{\"file\":\"flow-42.pcap\",\"packet\":3,"
        "\"bytes\":100,\"sha256\":\"ab\"},"
        "\"http\":{\"hostname\":\"a\\\"b}\",\"evidence\":{\"file\":\"decoy.pcap\"},"
        "\"flow_id\":1,\"timestamp\":\"x\"}}"),
        ("{ \"timestamp\" : \"t1\" , \"flow_id\" : 5 , \"event_type\":\"evidence\" , \"evidence\" : "
        "{ \"file\" : \"flow-5.pcap\" , \"sha256\" : \"cd\" , \"size\" : 10 , \"packets\" : 2 , "
        "\"truncated\" : true } }"),
        ("{\"timestamp\":\"t2\",\"flow_id\":6,\"event_type\":\"alert\",\"alert\":{\"signature_id\":8},"
        "\"evidence\":{\"file\":\"flow-\\u0041.pcap\",\"bytes\":5}}"),
    };
    static const char *want[] = {
        ("\"type\":\"alert\",\"timestamp\":\"2020-09-13T12:26:40.000000+0000\",\"flow_id\":42,"
        "\"signature_id\":7,\"eve_sha256\":\"%s\",\"file\":\"flow-42.pcap\",\"packet\":3,"
        "\"bytes\":100,\"sha256\":\"ab\""),
        ("\"type\":\"evidence\",\"timestamp\":\"t1\",\"flow_id\":5,\"file\":\"flow-5.pcap\","
        "\"sha256\":\"cd\",\"size\":10,\"packets\":2,\"truncated\":true"),
        ("\"type\":\"alert\",\"timestamp\":\"t2\",\"flow_id\":6,\"signature_id\":8,"
        "\"eve_sha256\":\"%s\",\"file\":\"flow-A.pcap\""),
    };
    vg_ledger_opts_t o = {.logdir = logdir, .key_dir = keydir, .sensor = "t", .cp_entries = 100};
    vg_ledger_t *l = vg_ledger_open(&o, err, sizeof err);
    assert_non_null(l);
    for (int i = 0; i < 3; i++)
        assert_int_equal(vg_ledger_sink_event(l, lines[i], strlen(lines[i])), 0);
    assert_int_equal(vg_ledger_sink_commit(l, true), 0);
    vg_ledger_close(l);
    char path[500], buf[4096];
    snprintf(path, sizeof path, "%s/ledger.jsonl", evdir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int got = 0;
    while (fgets(buf, sizeof buf, f)) {
        char *t = strstr(buf, "\"type\":\"");
        assert_non_null(t);
        if (strncmp(t, "\"type\":\"alert\"", 14) && strncmp(t, "\"type\":\"evidence\"", 17))
            continue;
        char *end = strstr(t, ",\"prev\":");
        assert_non_null(end);
        *end = '\0';
        unsigned char md[32];
        char hex[65], exp[1024];
        crypto_hash_sha256(md, (const unsigned char *)lines[got], strlen(lines[got]));
        sodium_bin2hex(hex, sizeof hex, md, sizeof md);
        snprintf(exp, sizeof exp, want[got], hex);
        assert_string_equal(t, exp);
        got++;
    }
    fclose(f);
    assert_int_equal(got, 3);
}

static int run_verify(const char *logdir, const char *pub)
{
    FILE *devnull = fopen("/dev/null", "w");
    vg_verify_opts_t o = {.logdir = logdir, .pubkey = pub};
    int rc = vg_verify(&o, devnull);
    fclose(devnull);
    return rc;
}

static void rewrite_line(const char *path, int lineno, const char *from, const char *to)
{
    FILE *f = fopen(path, "rb");
    char *lines[256];
    int n = 0;
    size_t cap = 0;
    char *l = NULL;
    while (getline(&l, &cap, f) > 0 && n < 256) {
        lines[n++] = l;
        l = NULL;
        cap = 0;
    }
    free(l);
    fclose(f);
    f = fopen(path, "wb");
    for (int i = 0; i < n; i++) {
        char *hit = (i + 1 == lineno && from) ? strstr(lines[i], from) : NULL;
        if (hit) {
            fwrite(lines[i], 1, (size_t)(hit - lines[i]), f);
            fputs(to, f);
            fputs(hit + strlen(from), f);
        } else if (!(i + 1 == lineno && !from)) {
            fputs(lines[i], f);
        }
        free(lines[i]);
    }
    fclose(f);
}

static void test_ledger_chain_and_signatures(void **st)
{
    (void)st;
    char logdir[300], keydir[300], pub[400], ledger[600], evdir[400], pcap[600];
    subdir(logdir, sizeof logdir, "led");
    snprintf(keydir, sizeof keydir, "%s/ledkeys", tmpdir);
    snprintf(pub, sizeof pub, "%s/%s", keydir, VG_KEY_PUBLIC_FILE);
    write_ledger(logdir, keydir, 5, 2); /* a key is made on first use */
    snprintf(evdir, sizeof evdir, "%s/evidence", logdir);
    snprintf(ledger, sizeof ledger, "%s/%s", evdir, VG_LEDGER_FILE);
    snprintf(pcap, sizeof pcap, "%s/flow-42.pcap", evdir);
    FILE *pf = fopen(pcap, "w");
    fclose(pf);
    /* the alert entries name flow-42.pcap, never sealed: incomplete, not tampered */
    assert_int_equal(run_verify(logdir, pub), 3);
    /* an eve.json without any alert (a run killed early): the alert entries are not in it,
     * and verify says so rather than failing on an empty table */
    char eve[400];
    snprintf(eve, sizeof eve, "%s/eve.json", logdir);
    pf = fopen(eve, "w");
    fputs("{\"timestamp\":\"x\",\"event_type\":\"flow\"}\n", pf);
    fclose(pf);
    assert_int_equal(run_verify(logdir, pub), 1);
    unlink(eve);
    /* a second run appends and continues the chain */
    write_ledger(logdir, keydir, 2, 0);
    assert_int_equal(run_verify(logdir, pub), 3);
    /* ledger shape: run 1 open, 5 alerts, 4 checkpoints; run 2 open, 2 alerts, final */
    FILE *f = fopen(ledger, "r");
    char line[2048];
    int n = 0, cps = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        if (strstr(line, "\"type\":\"checkpoint\""))
            cps++;
        char hex[65];
        line[strcspn(line, "\n")] = '\0';
        assert_true(vg_ledger_line_hash(line, strlen(line), hex));
        assert_non_null(strstr(line, hex));
    }
    fclose(f);
    assert_int_equal(cps, 5); /* the open entry counts: after 2, 4, 6 entries and two finals */
    assert_int_equal(n, (1 + 5 + 4) + (1 + 2 + 1));
    /* an alert's signature id changed: entry 2 altered */
    rewrite_line(ledger, 2, "\"signature_id\":1", "\"signature_id\":2");
    assert_int_equal(run_verify(logdir, pub), 1);
    rewrite_line(ledger, 2, "\"signature_id\":2", "\"signature_id\":1");
    assert_int_equal(run_verify(logdir, pub), 3);
    /* another key: the signatures fail */
    char other[300], opub[400];
    snprintf(other, sizeof other, "%s/otherkeys", tmpdir);
    char err[256];
    assert_int_equal(vg_keygen(other, err, sizeof err), 0);
    snprintf(opub, sizeof opub, "%s/%s", other, VG_KEY_PUBLIC_FILE);
    assert_int_equal(run_verify(logdir, opub), 1);
    /* the ledger refuses a run with another sensor's key */
    vg_ledger_opts_t o = {.logdir = logdir, .key_dir = other, .sensor = "t"};
    assert_null(vg_ledger_open(&o, err, sizeof err));
    assert_non_null(strstr(err, "another sensor"));
    /* with its file in place and sealed... there is no sealing here: the file added is named */
    snprintf(pcap, sizeof pcap, "%s/stray.pcap", evdir);
    f = fopen(pcap, "w");
    fputs("x", f);
    fclose(f);
    assert_int_equal(run_verify(logdir, pub), 1);
    unlink(pcap);
    /* an entry removed */
    rewrite_line(ledger, 4, NULL, NULL);
    assert_int_equal(run_verify(logdir, pub), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_then_file),
        cmocka_unit_test(test_ring_mixed_sizes),
        cmocka_unit_test(test_ring_references),
        cmocka_unit_test(test_many_open_files),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_ring_reclaim),
        cmocka_unit_test(test_file_cap),
        cmocka_unit_test(test_packet_alert),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_ledger_chain_and_signatures),
        cmocka_unit_test(test_ledger_event_fields),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
