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
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/paths.h"
#include "ingest/ingest.h"

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

int cq_fuzz_ingest(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
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
