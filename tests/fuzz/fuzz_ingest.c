/*
 * fuzz_ingest.c - libFuzzer target for the log readers: any bytes must go
 * through cq_ingest_buffer (line splitting, JSON documents over several
 * lines, logrus text, flattening, sourcetype detection, normalization rules)
 * and come out as records or as malformed lines, without crashing, leaking
 * or looping.
 *
 * The first input byte picks how the rest is read, so one target reaches
 * every reader:
 *   byte % 6 == 0  detected from content (what `cquery ingest` does)
 *   1              --sourcetype kubernetes:apiserver  (audit JSON, EventList)
 *   2              --sourcetype kubernetes:container  (v1 Event, List)
 *   3              --sourcetype docker:daemon         (logrus text and JSON,
 *                                                      journald, docker events)
 *   4              --sourcetype _json                 (any JSON object)
 *   5              detected, with a 1024-byte line limit (the too-long path)
 * except that a first byte of 0xF0 or more reads the rest as a file does,
 * through the input layer (ingest/input.c) before the pipeline:
 *   0xF0           the bytes as a file: BOMs, UTF-16, gzip when it starts so
 *   0xF1 K         the bytes gzipped, then damaged by K: K < 128 cuts the
 *                  stream at K/128 of its length, else K's low bits say how
 *                  many zero (even K) or garbage (odd K) bytes follow it
 *
 * Every record that comes out is checked: a name, a sourcetype, _raw inside
 * the arena it claims.
 *
 * Build and run from a configured build tree (needs clang):
 *   make fuzz-ingest
 *   ./tests/fuzz/fuzz_ingest -max_len=65536 fuzz-work $SRC/tests/fuzz/corpus_ingest
 * `make fuzz` runs every target for $(FUZZ_SECONDS) each.  An input that
 * makes it fail goes into tests/fuzz/crashers_ingest/; the safety suite
 * replays every file there (and the seed corpus) through cq_fuzz_ingest().
 */
#define _GNU_SOURCE /* memfd_create */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "common/paths.h"
#include "common/strbuf.h"
#include "ingest/ingest.h"
#include "ingest/ingest_int.h"

static const char *const modes[] = {
    NULL, "kubernetes:apiserver", "kubernetes:container", "docker:daemon", "_json", NULL,
};

/* The shipped sourcetypes.conf with max_line_bytes = 1024, written once to a
 * temporary file (so that short inputs reach the too-long-line path). */
static const char *short_line_conf(void)
{
    static char path[] = "/tmp/cq-fuzz-conf-XXXXXX";
    char *src = cq_find_data("sourcetypes.conf");
    FILE *in = src ? fopen(src, "r") : NULL;
    int fd = mkstemp(path);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!in || !out)
        abort();
    char line[4096];
    while (fgets(line, sizeof line, in))
        fputs(strncmp(line, "max_line_bytes", 14) ? line : "max_line_bytes = 1024\n", out);
    fclose(in);
    fclose(out);
    free(src);
    return path;
}

/* One loaded configuration per mode, kept for the whole run. */
static cq_ingest *ingest_for(unsigned mode)
{
    static cq_ingest *g[6];
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w")))
        abort();
    if (!g[mode]) {
        cq_ingest_opts o = {0};
        o.sourcetype = modes[mode];
        if (mode == 5)
            o.conf_path = short_line_conf();
        o.err = null;
        o.verbose = 1;      /* formats every report, not only the first few */
        char err[512];
        if (cq_ingest_new(&o, &g[mode], err, sizeof err)) {
            fprintf(stderr, "fuzz_ingest: %s\n", err);
            abort();
        }
        if (o.conf_path)
            remove(o.conf_path);    /* cq_ingest_new has read it */
    }
    return g[mode];
}

static int check_record(void *ctx, const cq_record *r)
{
    (void)ctx;
    if (!r->sourcetype || !*r->sourcetype)
        __builtin_trap();
    if (r->raw_len && !r->raw)
        __builtin_trap();
    for (size_t i = 0; i < r->n_kv; i++) {
        if (!r->kv[i].name || !r->kv[i].val)
            __builtin_trap();
        /* touch every byte so ASan sees a bad length */
        volatile unsigned char s = 0;
        for (uint32_t k = 0; k < r->kv[i].name_len; k++)
            s ^= (unsigned char)r->kv[i].name[k];
        for (uint32_t k = 0; k < r->kv[i].val_len; k++)
            s ^= (unsigned char)r->kv[i].val[k];
    }
    return 0;
}

/* data gzipped into out (one member). */
static void gzip_bytes(const uint8_t *data, size_t size, cq_strbuf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&zs, (uLong)size);
    char *buf = malloc(cap ? cap : 1);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)size;
    zs.next_out = (Bytef *)buf;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    cq_strbuf_add(out, buf, cap - zs.avail_out);
    deflateEnd(&zs);
    free(buf);
}

/* The bytes as the content of a file read by cq_input (an in-memory file). */
static void through_input(cq_ingest *g, const char *file, size_t size)
{
    int fd = memfd_create("cq-fuzz", MFD_CLOEXEC);
    if (fd < 0 || (size && write(fd, file, size) != (ssize_t)size))
        abort();
    char path[64], err[256], buf[4096];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    cq_input *in;
    cq_strbuf content = CQ_STRBUF_INIT;
    if (cq_input_open(path, &in) == 0) {
        long n;
        while ((n = cq_input_read(in, buf, sizeof buf, err, sizeof err)) > 0)
            cq_strbuf_add(&content, buf, (size_t)n);
        if (n < 0)
            __builtin_trap();       /* a memfd never fails to read: damage is not an error */
        cq_input_close(in);
    }
    close(fd);
    if (cq_ingest_buffer(g, "fuzz.log", content.buf ? content.buf : "", content.len,
                         check_record, NULL) < 0)
        __builtin_trap();
    cq_strbuf_free(&content);
}

/* 0xF1 K: gzip the rest, damage it as K says, read it as a file. */
static void damaged_gzip(cq_ingest *g, const uint8_t *data, size_t size)
{
    if (!size)
        return;
    unsigned k = data[0];
    cq_strbuf gz = CQ_STRBUF_INIT;
    gzip_bytes(data + 1, size - 1, &gz);
    if (k < 128) {
        gz.len = gz.len * k / 128;
    } else {
        for (unsigned i = 0; i < (k & 0x3f); i++)
            cq_strbuf_addc(&gz, k & 1 ? (char)(0x5a ^ i) : '\0');
    }
    through_input(g, gz.buf, gz.len);
    cq_strbuf_free(&gz);
}

int cq_fuzz_ingest(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    if (data[0] >= 0xF0) {
        cq_ingest *g = ingest_for(0);
        if (data[0] == 0xF1)
            damaged_gzip(g, data + 1, size - 1);
        else
            through_input(g, (const char *)data + 1, size - 1);
        return 0;
    }
    unsigned mode = data[0] % 6;
    cq_ingest *g = ingest_for(mode);
    long rc = cq_ingest_buffer(g, "fuzz.log", (const char *)data + 1, size - 1, check_record,
                               NULL);
    if (rc < 0)
        __builtin_trap();   /* the sink never fails, so neither may the pipeline */
    return 0;
}

#ifdef CQ_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return cq_fuzz_ingest(data, size);
}
#endif
