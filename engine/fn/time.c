/*
 * time.c - time eval functions: now(), time(), strftime(), strptime(),
 * relative_time(), and Splunk's time format strings (timefmt.h).
 *
 * Null rules (Splunk): a null or non-numeric time, or a null format, gives
 * null; strptime() of text that does not match the format is null;
 * relative_time() with a modifier it cannot read is null.
 */
#define _GNU_SOURCE     /* strptime, timegm */
#include "engine/fn/fn.h"
#include "common/timemod.h"
#include "engine/fn/timefmt.h"
#include "common/strbuf.h"
#include "common/timeutil.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define A(k, i) (fc->args[k][i])
#define ARENA (fc->c->arena)

/* ------------------------------------------------------ format strings */

/* Width of a %<digits>X conversion at fmt (after '%'); *len gets the
 * characters it used.  0 when there are no digits. */
static int conv_width(const char *fmt, size_t *len)
{
    int w = 0;
    size_t k = 0;
    while (isdigit((unsigned char)fmt[k]))
        w = w * 10 + (fmt[k++] - '0');
    *len = k;
    return w;
}

/* "+0200" (colon: "+02:00") for an offset east of UTC in seconds. */
static void put_offset(cq_strbuf *out, int off, int colon)
{
    char buf[16];
    int a = off < 0 ? -off : off;
    snprintf(buf, sizeof buf, "%c%02d%s%02d", off < 0 ? '-' : '+', a / 3600, colon ? ":" : "",
             a / 60 % 60);
    cq_strbuf_adds(out, buf);
}

cq_sv cq_time_strftime(double t, const char *fmt, int tz, cq_arena *a)
{
    if (!(t > -1e13 && t < 1e13))
        return (cq_sv){NULL, 0};
    double whole = floor(t);
    time_t secs = (time_t)whole;
    double frac = t - whole;
    int off = tz ? cq_tz_offset_at((int64_t)secs * 1000000, tz) : 0;
    time_t wall = secs + off;      /* the zone's wall clock, read as UTC */
    struct tm tm;
    if (!gmtime_r(&wall, &tm))
        return (cq_sv){NULL, 0};
    struct tm ltm;
    const char *abbr = tz == CQ_TZ_LOCAL && localtime_r(&secs, &ltm) ? ltm.tm_zone : NULL;
    cq_strbuf out = CQ_STRBUF_INIT;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%' || !p[1]) {
            cq_strbuf_addc(&out, *p);
            continue;
        }
        size_t dl;
        int w = conv_width(p + 1, &dl);
        char c = p[1 + dl];
        char buf[128];
        if (c == 'N' || c == 'Q' || (c == 'f' && !dl)) {
            int digits = w ? w : c == 'f' ? 6 : 3;
            if (digits > 9)
                digits = 9;
            long long ns = llround(frac * 1e6) * 1000;  /* .123 is stored as .12299...: round to us */
            if (ns > 999999999)
                ns = 999999999;
            long long v = ns / (long long)pow(10, 9 - digits);
            snprintf(buf, sizeof buf, "%0*lld", digits, v);
            cq_strbuf_adds(&out, buf);
            p += 1 + dl;
        } else if (c == 's' && !dl) {
            snprintf(buf, sizeof buf, "%lld", (long long)secs);
            cq_strbuf_adds(&out, buf);
            p++;
        } else if (c == 'z' && !dl) {
            put_offset(&out, off, 0);
            p++;
        } else if (c == ':' && p[2] == 'z') {
            put_offset(&out, off, 1);
            p += 2;
        } else if (c == 'Z' && !dl) {
            if (abbr)
                cq_strbuf_adds(&out, abbr);
            else if (off)
                put_offset(&out, off, 1);
            else
                cq_strbuf_adds(&out, "UTC");
            p++;
        } else if (!dl && c) {
            char f[3] = {'%', c, '\0'};
            size_t n = strftime(buf, sizeof buf, f, &tm);
            cq_strbuf_add(&out, buf, n);
            p++;
        } else {
            cq_strbuf_addc(&out, *p);
        }
    }
    cq_sv r = {cq_arena_strndup(a, cq_strbuf_str(&out), out.len), (uint32_t)out.len};
    cq_strbuf_free(&out);
    return r;
}

/* Reads up to max digits as a fraction of a second. */
static const char *read_frac(const char *s, int max, double *frac)
{
    double scale = 0.1;
    int n = 0;
    *frac = 0;
    while (isdigit((unsigned char)*s) && (max <= 0 || n < max)) {
        *frac += (*s++ - '0') * scale;
        scale /= 10;
        n++;
    }
    return n ? s : NULL;
}

/* Reads +hhmm, +hh:mm or Z as an offset in seconds east of UTC. */
static const char *read_zone(const char *s, long *off)
{
    if (*s == 'Z') {
        *off = 0;
        return s + 1;
    }
    if ((*s != '+' && *s != '-') || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]))
        return NULL;
    int sign = *s == '-' ? -1 : 1;
    long h = (s[1] - '0') * 10 + (s[2] - '0'), m = 0;
    s += 3;
    if (*s == ':')
        s++;
    if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1])) {
        m = (s[0] - '0') * 10 + (s[1] - '0');
        s += 2;
    }
    *off = sign * (h * 3600 + m * 60);
    return s;
}

int cq_time_strptime(cq_sv sv, const char *fmt, int tz, double *out)
{
    if (!sv.p || !fmt)
        return -1;
    char *s0 = strndup(sv.p, sv.len);
    if (!s0)
        cq_oom();
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_mday = 1;
    tm.tm_year = 70;
    double frac = 0;
    long zone = 0;
    int have_epoch = 0, have_zone = 0;
    long long epoch = 0;
    const char *s = s0;
    cq_strbuf seg = CQ_STRBUF_INIT;
    int ok = 1;
    for (const char *p = fmt; *p && ok;) {
        /* plain conversions go to strptime() a run at a time */
        cq_strbuf_reset(&seg);
        while (*p) {
            size_t dl = 0;
            if (*p == '%') {
                conv_width(p + 1, &dl);
                char c = p[1 + dl];
                if (c == 'N' || c == 'Q' || c == 'f' || c == 's' || c == 'z' || c == 'Z' ||
                    (c == ':' && p[2 + dl] == 'z') || dl)
                    break;
                cq_strbuf_add(&seg, p, 2);
                p += 2;
                continue;
            }
            cq_strbuf_addc(&seg, *p++);
        }
        if (seg.len) {
            const char *r = strptime(s, cq_strbuf_str(&seg), &tm);
            if (!r) {
                ok = 0;
                break;
            }
            s = r;
        }
        if (!*p)
            break;
        size_t dl;
        int w = conv_width(p + 1, &dl);
        char c = p[1 + dl];
        if (c == 'N' || c == 'Q' || c == 'f') {
            s = read_frac(s, w, &frac);
            p += 2 + dl;
        } else if (c == 's') {
            char *end;
            epoch = strtoll(s, &end, 10);
            have_epoch = end != s;
            s = have_epoch ? end : NULL;
            p += 2;
        } else if (c == 'z' || c == ':') {
            s = read_zone(s, &zone);
            have_zone = 1;
            p += c == ':' ? 3 : 2;
        } else if (c == 'Z') {
            while (isalpha((unsigned char)*s))
                s++;
            p += 2;
        } else {
            ok = 0;
        }
        if (!s)
            ok = 0;
    }
    cq_strbuf_free(&seg);
    free(s0);
    if (!ok)
        return -1;
    double t = have_epoch ? (double)epoch : (double)timegm(&tm) - (double)zone;
    if (!have_epoch && !have_zone && tz)    /* a wall-clock time of the user's zone */
        t = (double)cq_tz_wall_to_utc((int64_t)t * 1000000, tz) / 1e6;
    *out = t + frac;
    return 0;
}

/* ------------------------------------------------------------ functions */

int cq_fn_time(cq_fn_call *fc)
{
    double t = (double)cq_time_now_us() / 1e6;
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_number(t);
    return 0;
}

int cq_fn_strftime(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double t;
        cq_sv f = cq_val_str(&A(1, i), ARENA);
        if (!cq_val_num(&A(0, i), &t) || !f.p) {
            fc->out[i] = (cq_val){0};
            continue;
        }
        const char *fmt = cq_arena_strndup(ARENA, f.p, f.len);
        fc->out[i] = cq_val_from_sv(cq_time_strftime(t, fmt, fc->c->tz, ARENA));
    }
    return 0;
}

int cq_fn_strptime(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv s = cq_val_str(&A(0, i), ARENA), f = cq_val_str(&A(1, i), ARENA);
        double t;
        fc->out[i] = (cq_val){0};
        if (A(0, i).t == CQ_V_NULL || !f.p)
            continue;
        if (!cq_time_strptime(s, cq_arena_strndup(ARENA, f.p, f.len), fc->c->tz, &t))
            fc->out[i] = cq_val_number(t);
    }
    return 0;
}

int cq_fn_relative_time(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        double t;
        cq_sv m = cq_val_str(&A(1, i), ARENA);
        int64_t us;
        fc->out[i] = (cq_val){0};
        if (!cq_val_num(&A(0, i), &t) || !m.p || !(t > -1e13 && t < 1e13))
            continue;
        double whole = floor(t);
        const char *mod = cq_arena_strndup(ARENA, m.p, m.len);
        if (!cq_time_modifier(mod, (int64_t)whole * 1000000, &us))  /* a snap drops fractions */
            fc->out[i] = cq_val_number((double)us / 1e6 + (strchr(mod, '@') ? 0 : t - whole));
    }
    return 0;
}

int cq_fn_now(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++)
        fc->out[i] = cq_val_number((double)(fc->c->now_us / 1000000));
    return 0;
}
