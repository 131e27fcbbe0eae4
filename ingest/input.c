/*
 * input.c - content bytes of one input: a file or stdin, plain or gzip.
 *
 * Compression is recognized by the gzip magic bytes, not by the file name;
 * concatenated gzip members (as logrotate and `cat a.gz b.gz` make) are read
 * as one stream.  Damage never costs what came before it: a truncated or
 * corrupt member ends the content where it breaks (cq_input_damage says
 * where), and zero padding or garbage after a complete member is ignored
 * with a note (cq_input_note), as gzip does.  The content may start with a
 * byte-order mark: a UTF-8 one is dropped, UTF-16 (LE or BE) is decoded to
 * UTF-8 here, so that everything after this file sees UTF-8 only.  Files are read with read() into one reused 256 KiB buffer
 * (no mmap: one pass over a file is faster this way, see
 * REFERENCE-FIGURES.md).  The driver reads a file's head twice (once to
 * fingerprint it, once to parse): files rewind with lseek, stdin replays
 * what it recorded.
 */
#include "ingest/ingest_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define RAW_BUF (256u << 10)

struct cq_input {
    int fd;
    int is_stdin;
    int gz;                 /* gzip magic seen at the start */
    int gz_end;             /* the current gzip member ended */
    int gz_stop;            /* damage or trailing bytes: the content ends here */
    char damage[160];       /* what broke the gzip stream, and where; "" if nothing */
    char note[160];         /* trailing bytes ignored after the last member; "" if none */
    z_stream zs;
    unsigned char *raw;     /* bytes read from fd, not yet consumed */
    size_t raw_len, raw_off;
    int raw_eof;
    uint64_t raw_total;     /* bytes read from fd so far */
    uint64_t size;          /* file size, 0 if unknown */
    uint64_t limit;         /* read no raw byte past this (cq_input_limit), 0: none */
    int bom_checked;        /* the first content bytes were looked at */
    int utf16;              /* 0 none, 1 UTF-16LE, 2 UTF-16BE (from the BOM) */
    unsigned char pre[4];   /* bytes read to check the BOM, still to deliver */
    size_t pre_len, pre_off;
    unsigned char carry[4]; /* UTF-16: half a unit or a high surrogate, not yet decoded */
    size_t n_carry;
    cq_strbuf dec;          /* UTF-16: decoded bytes not yet delivered */
    size_t dec_off;
    cq_strbuf replay;       /* stdin: content bytes read before a rewind */
    size_t replay_off;
    int replaying;
};

/* read(2) of the file, never past in->limit. */
static ssize_t raw_read(cq_input *in, unsigned char *buf, size_t n)
{
    if (in->limit && in->raw_total + n > in->limit)
        n = in->limit > in->raw_total ? (size_t)(in->limit - in->raw_total) : 0;
    return n ? read(in->fd, buf, n) : 0;
}

static int fill_raw(cq_input *in)
{
    if (in->raw_off < in->raw_len || in->raw_eof)
        return 0;
    ssize_t n;
    do
        n = raw_read(in, in->raw, RAW_BUF);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    in->raw_off = 0;
    in->raw_len = (size_t)n;
    in->raw_total += (uint64_t)n;
    in->raw_eof = n == 0;
    return 0;
}

/* Reads until at least two bytes are buffered (or end) and checks the magic. */
static int sniff(cq_input *in)
{
    while (in->raw_len - in->raw_off < 2 && !in->raw_eof) {
        size_t have = in->raw_len - in->raw_off;
        memmove(in->raw, in->raw + in->raw_off, have);
        ssize_t n = raw_read(in, in->raw + have, RAW_BUF - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        in->raw_off = 0;
        in->raw_len = have + (size_t)n;
        in->raw_total += (uint64_t)n;
        in->raw_eof = n == 0;
    }
    in->gz = in->raw_len - in->raw_off >= 2 && in->raw[in->raw_off] == 0x1f &&
             in->raw[in->raw_off + 1] == 0x8b;
    if (in->gz) {
        memset(&in->zs, 0, sizeof in->zs);
        if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
            return -1;
    }
    return 0;
}

static int input_start(cq_input *in, cq_input **out);

int cq_input_open(const char *path, cq_input **out)
{
    cq_input *in = cq_xcalloc(1, sizeof *in);
    in->is_stdin = !strcmp(path, "-");
    in->fd = in->is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (in->fd < 0) {
        free(in);
        return -1;
    }
    return input_start(in, out);
}

int cq_input_open_fd(int fd, uint64_t limit, cq_input **out)
{
    cq_input *in = cq_xcalloc(1, sizeof *in);
    in->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (in->fd < 0 || lseek(in->fd, 0, SEEK_SET) < 0) {
        int e = errno;
        if (in->fd >= 0)
            close(in->fd);
        free(in);
        errno = e;
        return -1;
    }
    in->limit = limit;
    return input_start(in, out);
}

/* The rest of an open: size, buffer, the gzip magic. */
static int input_start(cq_input *in, cq_input **out)
{    struct stat st;
    if (!in->is_stdin && fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
        in->size = (uint64_t)st.st_size;
    in->raw = cq_xmalloc(RAW_BUF);
    if (sniff(in)) {
        int e = errno;
        cq_input_close(in);
        errno = e;
        return -1;
    }
    *out = in;
    return 0;
}

/* Offset in the file of the next unconsumed raw byte. */
static uint64_t raw_at(const cq_input *in)
{
    return in->raw_total - (in->raw_len - in->raw_off);
}

/* Buffers at least want (<= RAW_BUF) raw bytes unless the file ends first;
 * returns how many are buffered, or -1 on a read error. */
static long want_raw(cq_input *in, size_t want)
{
    while (in->raw_len - in->raw_off < want && !in->raw_eof) {
        size_t have = in->raw_len - in->raw_off;
        memmove(in->raw, in->raw + in->raw_off, have);
        ssize_t n = raw_read(in, in->raw + have, RAW_BUF - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        in->raw_off = 0;
        in->raw_len = have + (size_t)n;
        in->raw_total += (uint64_t)n;
        in->raw_eof = n == 0;
    }
    return (long)(in->raw_len - in->raw_off);
}

/* After a complete member, bytes that are not another one: gzip ignores
 * them (zero padding from tape or block devices, or garbage); so do we,
 * with a note saying which and where.  Reads them to the end. */
static int trailing(cq_input *in)
{
    uint64_t at = raw_at(in), n = 0;
    int zeros = 1;
    for (;;) {
        if (fill_raw(in))
            return -1;
        if (in->raw_off == in->raw_len)
            break;
        for (size_t i = in->raw_off; i < in->raw_len && zeros; i++)
            zeros = !in->raw[i];
        n += in->raw_len - in->raw_off;
        in->raw_off = in->raw_len;
    }
    snprintf(in->note, sizeof in->note, "%llu byte%s of %s after the last gzip member "
             "(at byte %llu) ignored", (unsigned long long)n, n == 1 ? "" : "s",
             zeros ? "zero padding" : "trailing garbage", (unsigned long long)at);
    in->gz_stop = 1;
    return 0;
}

static void damaged(cq_input *in, const char *what)
{
    snprintf(in->damage, sizeof in->damage, "%s at byte %llu", what,
             (unsigned long long)raw_at(in));
    in->gz_stop = 1;
}

/* Does another gzip member start here?  0 no, 1 yes, -1 read error. */
static int member_next(cq_input *in)
{
    long have = want_raw(in, 2);
    if (have < 0)
        return -1;
    return have >= 2 && in->raw[in->raw_off] == 0x1f && in->raw[in->raw_off + 1] == 0x8b;
}

static long read_gz(cq_input *in, char *buf, size_t n, char *err, size_t errlen)
{
    in->zs.next_out = (unsigned char *)buf;
    in->zs.avail_out = (uInt)n;
    while (in->zs.avail_out == n && !in->gz_stop) {
        if (fill_raw(in))
            goto read_error;
        if (in->raw_off == in->raw_len) {
            if (!in->gz_end)
                damaged(in, "truncated gzip data: the file ends");
            break;
        }
        if (in->gz_end) {
            int more = member_next(in);
            if (more < 0 || (!more && trailing(in)))
                goto read_error;
            if (!more)
                break;
            inflateReset(&in->zs);      /* another member follows */
            in->gz_end = 0;
        }
        in->zs.next_in = in->raw + in->raw_off;
        in->zs.avail_in = (uInt)(in->raw_len - in->raw_off);
        int rc = inflate(&in->zs, Z_NO_FLUSH);
        in->raw_off = in->raw_len - in->zs.avail_in;
        if (rc == Z_STREAM_END) {
            in->gz_end = 1;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            char what[120];
            snprintf(what, sizeof what, "bad gzip data (%s)", in->zs.msg ? in->zs.msg
                                                                      : "inflate failed");
            damaged(in, what);
        }
    }
    return (long)(n - in->zs.avail_out);
read_error:
    snprintf(err, errlen, "read error: %s", strerror(errno));
    return -1;
}

static long read_plain(cq_input *in, char *buf, size_t n, char *err, size_t errlen)
{
    if (fill_raw(in)) {
        snprintf(err, errlen, "read error: %s", strerror(errno));
        return -1;
    }
    size_t have = in->raw_len - in->raw_off;
    if (have > n)
        have = n;
    memcpy(buf, in->raw + in->raw_off, have);
    in->raw_off += have;
    return (long)have;
}

/* Content bytes as stored (decompressed), the BOM check's first. */
static long read_bytes(cq_input *in, char *buf, size_t n, char *err, size_t errlen)
{
    if (in->pre_off < in->pre_len) {
        size_t have = in->pre_len - in->pre_off;
        if (have > n)
            have = n;
        memcpy(buf, in->pre + in->pre_off, have);
        in->pre_off += have;
        if (have == n)
            return (long)have;
        long more = read_bytes(in, buf + have, n - have, err, errlen);
        return more < 0 ? -1 : (long)have + more;
    }
    return in->gz ? read_gz(in, buf, n, err, errlen) : read_plain(in, buf, n, err, errlen);
}

/* Reads the first (up to) 3 content bytes and drops a byte-order mark. */
static int check_bom(cq_input *in, char *err, size_t errlen)
{
    in->bom_checked = 1;
    in->pre_len = in->pre_off = 0;
    while (in->pre_len < 3) {
        long r = read_bytes(in, (char *)in->pre + in->pre_len, 3 - in->pre_len, err, errlen);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        in->pre_len += (size_t)r;
    }
    const unsigned char *b = in->pre;
    if (in->pre_len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        in->pre_off = 3;
    else if (in->pre_len >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        in->pre_off = 2, in->utf16 = b[0] == 0xFF ? 1 : 2;
    return 0;
}

size_t cq_utf16_decode(const unsigned char *s, size_t len, int big_endian, int at_end,
                       cq_strbuf *out)
{
    size_t i = 0;
    while (i + 2 <= len) {
        unsigned u = big_endian ? (unsigned)s[i] << 8 | s[i + 1] : (unsigned)s[i + 1] << 8 | s[i];
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (i + 4 > len && !at_end)
                break;                  /* its pair may be in the next bytes */
            unsigned lo = i + 4 > len ? 0 : big_endian ? (unsigned)s[i + 2] << 8 | s[i + 3]
                                                       : (unsigned)s[i + 3] << 8 | s[i + 2];
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cq_utf8_put(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                i += 4;
                continue;
            }
            u = 0xFFFD;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            u = 0xFFFD;
        }
        cq_utf8_put(out, u);
        i += 2;
    }
    if (at_end && i < len) {            /* an odd last byte */
        cq_utf8_put(out, 0xFFFD);
        i = len;
    }
    return i;
}

/* UTF-16 content, decoded: up to n bytes of UTF-8. */
static long read_utf16(cq_input *in, char *buf, size_t n, char *err, size_t errlen)
{
    while (in->dec_off == in->dec.len) {
        unsigned char raw[1 << 16];
        memcpy(raw, in->carry, in->n_carry);
        long r = read_bytes(in, (char *)raw + in->n_carry, sizeof raw - in->n_carry, err, errlen);
        if (r < 0)
            return -1;
        size_t len = in->n_carry + (size_t)r;
        if (!len)
            return 0;
        cq_strbuf_reset(&in->dec);
        in->dec_off = 0;
        size_t used = cq_utf16_decode(raw, len, in->utf16 == 2, r == 0, &in->dec);
        in->n_carry = len - used;
        memcpy(in->carry, raw + used, in->n_carry);
    }
    size_t have = in->dec.len - in->dec_off;
    if (have > n)
        have = n;
    memcpy(buf, in->dec.buf + in->dec_off, have);
    in->dec_off += have;
    return (long)have;
}

long cq_input_read(cq_input *in, char *buf, size_t n, char *err, size_t errlen)
{
    if (n > (1u << 30))
        n = 1u << 30;
    if (in->replaying) {
        size_t have = in->replay.len - in->replay_off;
        if (have) {
            if (have > n)
                have = n;
            memcpy(buf, in->replay.buf + in->replay_off, have);
            in->replay_off += have;
            return (long)have;
        }
        in->replaying = 0;
        cq_strbuf_free(&in->replay);
    }
    if (!in->bom_checked && check_bom(in, err, errlen))
        return -1;
    long got = in->utf16 ? read_utf16(in, buf, n, err, errlen)
                         : read_bytes(in, buf, n, err, errlen);
    if (got > 0 && in->is_stdin == 1)
        cq_strbuf_add(&in->replay, buf, (size_t)got);
    return got;
}

int cq_input_rewind(cq_input *in, char *err, size_t errlen)
{
    if (in->is_stdin) {
        in->replaying = 1;
        in->replay_off = 0;
        in->is_stdin = 2;           /* recorded once: never record again */
        return 0;
    }
    if (lseek(in->fd, 0, SEEK_SET) < 0) {
        snprintf(err, errlen, "cannot rewind: %s", strerror(errno));
        return -1;
    }
    in->raw_off = in->raw_len = 0;
    in->raw_eof = 0;
    in->raw_total = 0;
    in->gz_end = in->gz_stop = 0;
    in->damage[0] = in->note[0] = '\0';
    in->bom_checked = in->utf16 = 0;
    in->pre_len = in->pre_off = in->n_carry = in->dec_off = 0;
    cq_strbuf_reset(&in->dec);
    if (in->gz)
        inflateReset(&in->zs);
    return 0;
}

uint64_t cq_input_raw_pos(const cq_input *in)
{
    return in->raw_total;
}

uint64_t cq_input_raw_size(const cq_input *in)
{
    return in->size;
}

const char *cq_input_damage(const cq_input *in)
{
    return in->damage[0] ? in->damage : NULL;
}

const char *cq_input_note(const cq_input *in)
{
    return in->note[0] ? in->note : NULL;
}

int cq_input_is_gzip(const cq_input *in)
{
    return in->gz;
}

void cq_input_close(cq_input *in)
{
    if (!in)
        return;
    if (in->gz)
        inflateEnd(&in->zs);
    if (in->fd > 0)
        close(in->fd);
    cq_strbuf_free(&in->replay);
    cq_strbuf_free(&in->dec);
    free(in->raw);
    free(in);
}
