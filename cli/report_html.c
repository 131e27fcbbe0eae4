/*
 * report_html.c - the HTML hunt report.
 *
 * No JavaScript: the timeline is an SVG drawn here, so the page works with
 * scripts disabled and under a policy that forbids them; hovering a bar
 * shows its <title> (the bucket's time range and count).  Analytics come in
 * severity order (critical, high, medium, low, informational, then those
 * without one), most hits first within a severity, in the summary, the
 * timeline and the sections alike.  Columns of event hits follow the table
 * format's event view (the normalized fields, then _raw); analytics that
 * chose their columns keep them.
 */
#include "cli/report_html.h"
#include "common/arena.h"
#include "common/timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const event_view[] = {
    "_time", "sourcetype", "host", "user", "src_ip", "action", "command", "namespace",
    "pod", "container", "container_id", "image", "exec_command", "_raw",
};

/* ------------------------------------------------------------ helpers */

void cq_html_escape(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
                fprintf(out, "&#x%02X;", *p);
            else
                fputc(*p, out);
        }
    }
}

/* Severity rank: 0 critical .. 4 informational, 5 none or unknown.  The
 * CSS classes b0..b5 (badges) and f0..f5 (bars) carry its colour. */
static int sev_rank(const char *s)
{
    static const char *const names[] = {"critical", "high", "medium", "low", "informational"};
    for (int i = 0; i < 5; i++)
        if (!strcasecmp(s, names[i]))
            return i;
    return !strcasecmp(s, "info") ? 4 : 5;
}

static void badge(FILE *out, const char *sev)
{
    fprintf(out, "<span class=\"sev b%d\">", sev_rank(sev));
    cq_html_escape(out, sev_rank(sev) == 5 && !strcmp(sev, "-") ? "none" : sev);
    fputs("</span>", out);
}

/* 1234567 as 1,234,567. */
static void put_count(FILE *out, uint64_t n)
{
    char d[24];
    int len = snprintf(d, sizeof d, "%llu", (unsigned long long)n);
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            fputc(',', out);
        fputc(d[i], out);
    }
}

/* "2026-03-02 11:12:00" (secs) or "2026-03-02 11:12" in the report's zone,
 * which the header names once. */
static const char *short_time(int64_t us, int tz, int secs, char *buf)
{
    cq_time_format(us, tz, buf);
    buf[10] = ' ';
    buf[secs ? 19 : 16] = '\0';
    return buf;
}

/* The zone times are in: "UTC", "UTC+05:30", or $TZ's name for --tz local
 * and tz database names (which set TZ). */
static void zone_name(int tz, char *buf, size_t len)
{
    if (tz == CQ_TZ_LOCAL) {
        const char *z = getenv("TZ");
        if (z && *z == ':')
            z++;
        snprintf(buf, len, "%s", z && *z ? z : "local time");
    } else if (tz == 0) {
        snprintf(buf, len, "UTC");
    } else {
        int a = tz < 0 ? -tz : tz;
        snprintf(buf, len, "UTC%c%02d:%02d", tz < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    }
}

static int by_severity(const void *x, const void *y)
{
    const cq_hunt_result *a = *(const cq_hunt_result *const *)x;
    const cq_hunt_result *b = *(const cq_hunt_result *const *)y;
    int ra = sev_rank(a->severity), rb = sev_rank(b->severity);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (a->hits != b->hits)
        return a->hits > b->hits ? -1 : 1;
    return a < b ? -1 : a > b;     /* r[] order: the run's */
}

/* ------------------------------------------------------------ header */

static void head(FILE *out)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>cquery hunt report</title>\n<style>\n"
          "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}\n"
          "h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 6px}\n"
          "table{border-collapse:collapse;margin:6px 0 12px;font-size:12.5px}\n"
          "th,td{border:1px solid #d7dbe3;padding:3px 7px;text-align:left;vertical-align:top}\n"
          "th{background:#eef1f6}td{overflow-wrap:break-word;max-width:28em}td.t,td.id{white-space:nowrap}\n"
          ".tech{color:#5a6275;font-size:11.5px;margin-right:4px}\n"
          "@media (max-width:900px){body{margin:12px}table.sum td.t{white-space:normal;min-width:5.5em}"
          ".sev{min-width:0}}\n"
          "table.meta th,table.meta td{border:none;background:none;padding:1px 12px 1px 0}\n"
          "table.meta th{color:#5a6275;font-weight:normal;white-space:nowrap}"
          "table.meta td{max-width:none}\n"
          "td.raw{font-family:ui-monospace,monospace;font-size:11.5px;word-break:break-all;"
          "color:#3a4150;background:#fafbfc;border-top:none;max-width:none}\n"
          "td.num{text-align:right}.hit{font-weight:600}.none{color:#5a6275}\n"
          ".err{color:#b3261e}.desc{color:#3a4150;max-width:70em}.meta2{color:#5a6275}\n"
          ".note{background:#fff8e1;border-left:3px solid #f9a825;padding:4px 8px;max-width:70em}\n"
          ".scroll{overflow-x:auto;max-width:100%}svg{max-width:100%;height:auto}\n"
          ".sev{display:inline-block;min-width:6.5em;text-align:center;border-radius:3px;"
          "padding:0 5px;font-size:11.5px;font-weight:600}\n"
          ".b0{background:#7f1d1d;color:#fff}.b1{background:#d32f2f;color:#fff}"
          ".b2{background:#ef6c00;color:#fff}.b3{background:#f9c74f;color:#1d2330}"
          ".b4{background:#1976d2;color:#fff}.b5{background:#cfd5df;color:#1d2330}\n"
          ".f0{fill:#7f1d1d}.f1{fill:#d32f2f}.f2{fill:#ef6c00}.f3{fill:#e0a800}"
          ".f4{fill:#1976d2}.f5{fill:#78839a}\n"
          "svg text{font:12px system-ui,sans-serif;fill:#1d2330}svg .ax{fill:#5a6275;font-size:11px}\n"
          "svg .lane{fill:#f4f6fa}svg .grid{stroke:#d7dbe3;stroke-width:1}\n"
          "details pre{white-space:pre-wrap;background:#fafbfc;border:1px solid #d7dbe3;"
          "padding:6px;font-size:12px;max-width:70em}\n"
          "</style>\n</head>\n<body>\n<h1>cquery hunt report</h1>\n",
          out);
}

static void meta_row(FILE *out, const char *name)
{
    fprintf(out, "<tr><th>%s</th><td>", name);
}

static void header(FILE *out, const cq_hunt_result *r, size_t n, const cq_report_info *in)
{
    char a[CQ_TIME_BUFLEN], b[CQ_TIME_BUFLEN], zone[64];
    fputs("<table class=\"meta\">\n", out);
    meta_row(out, !strcmp(in->what, "archive") ? "Archive" : "Index");
    cq_html_escape(out, in->source);
    fputs("</td></tr>\n", out);
    meta_row(out, "Data");
    put_count(out, in->events);
    fprintf(out, " event%s", in->events == 1 ? "" : "s");
    if (in->data_first != INT64_MIN)
        fprintf(out, " from %s to %s", short_time(in->data_first, in->tz, 1, a),
                short_time(in->data_last, in->tz, 1, b));
    fputs("</td></tr>\n", out);
    meta_row(out, "Hunted");
    if (in->since == INT64_MIN && in->until == INT64_MAX)
        fputs("all of it", out);
    if (in->since != INT64_MIN)
        fprintf(out, "from %s", short_time(in->since, in->tz, 1, a));
    if (in->until != INT64_MAX)
        fprintf(out, "%suntil %s", in->since != INT64_MIN ? " " : "",
                short_time(in->until, in->tz, 1, b));
    fputs("</td></tr>\n", out);
    size_t with_hits = 0, failed = 0;
    uint64_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        with_hits += r[i].hits > 0;
        failed += r[i].failed;
        hits += r[i].hits;
    }
    meta_row(out, "Analytics");
    fprintf(out, "%zu run: %zu with hits (", n, with_hits);
    put_count(out, hits);
    fprintf(out, " hit%s)", hits == 1 ? "" : "s");
    if (failed)
        fprintf(out, ", <span class=\"err\">%zu failed</span>", failed);
    fputs("</td></tr>\n", out);
    zone_name(in->tz, zone, sizeof zone);
    meta_row(out, "Times in");
    cq_html_escape(out, zone);
    fputs("</td></tr>\n", out);
    meta_row(out, "Generated");
    fprintf(out, "%s by cquery hunt</td></tr>\n</table>\n", short_time(in->generated, in->tz, 1, a));
}

/* ------------------------------------------------------------ summary */

static void first_last(FILE *out, const cq_hunt_result *r, int tz)
{
    char a[CQ_TIME_BUFLEN], b[CQ_TIME_BUFLEN];
    if (r->failed || !r->hits)
        fputs("<td>-</td><td>-</td>", out);
    else if (r->first == INT64_MIN)
        fputs("<td colspan=\"2\" class=\"none\">no time column</td>", out);
    else
        fprintf(out, "<td class=\"t\">%s</td><td class=\"t\">%s</td>",
                short_time(r->first, tz, 1, a), short_time(r->last, tz, 1, b));
}

/* The ATT&CK ids that open a technique header ("T1609 Container
 * Administration Command": T1609), the whole header as the cell's tooltip;
 * the header itself when it starts with none. */
static void technique_ids(FILE *out, const char *t)
{
    size_t len = 0;
    for (const char *p = t; p[0] == 'T' && p[1] >= '0' && p[1] <= '9';) {
        size_t k = strcspn(p, " ");
        len = (size_t)(p + k - t);
        p += k + (p[k] == ' ');
    }
    if (!len || !t[len]) {
        cq_html_escape(out, t);
        return;
    }
    fputs("<span title=\"", out);
    cq_html_escape(out, t);
    fputs("\">", out);
    char *ids = cq_xcalloc(len + 1, 1);
    memcpy(ids, t, len);
    cq_html_escape(out, ids);
    free(ids);
    fputs("</span>", out);
}

static void summary(FILE *out, const cq_hunt_result *const *ord, const cq_hunt_result *r,
                    size_t n, int tz)
{
    fputs("<h2>Summary</h2>\n<div class=\"scroll\"><table class=\"sum\">\n<tr><th>severity</th>"
          "<th>analytic</th><th>hits</th><th>first</th><th>last</th>"
          "<th>technique and title</th></tr>\n", out);
    for (size_t k = 0; k < n; k++) {
        const cq_hunt_result *a = ord[k];
        fputs("<tr><td>", out);
        badge(out, a->severity);
        fprintf(out, "</td><td class=\"id\"><a href=\"#a%zu\">", (size_t)(a - r));
        cq_html_escape(out, a->id);
        fputs("</a></td>", out);
        if (a->failed) {
            fputs("<td class=\"err\">error</td>", out);
        } else {
            fprintf(out, "<td class=\"num%s\">", a->hits ? " hit" : " none");
            put_count(out, a->hits);
            fputs("</td>", out);
        }
        first_last(out, a, tz);
        fputs("<td><span class=\"tech\">", out);
        technique_ids(out, a->technique);
        fputs("</span> ", out);
        cq_html_escape(out, a->title);
        fputs("</td></tr>\n", out);
    }
    fputs("</table></div>\n", out);
}

/* ------------------------------------------------------------ timeline */

#define PLOT_X 200          /* the plot's left edge: analytic ids to its left */
#define PLOT_W 740
#define SVG_W (PLOT_X + PLOT_W + 80)  /* and the hit counts to its right */
#define LANE_H 20
#define LANE_STEP 26
#define MAX_BUCKETS 120
#define MAX_TICKS 8

/* Bucket widths and tick steps, in seconds. */
static const int64_t nice_steps[] = {
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800, 2592000, 7776000, 31536000, 315360000,
};
#define N_STEPS (sizeof nice_steps / sizeof nice_steps[0])

/* The start of the step_s-long period holding us, in the report's zone
 * (an hour starts at :00 local time, a day at local midnight). */
static int64_t align_down(int64_t us, int64_t step_s, int tz)
{
    int64_t off = (int64_t)cq_tz_offset_at(us, tz) * 1000000, step = step_s * 1000000;
    int64_t local = us + off, q = local / step;
    if (local % step < 0)
        q--;
    return q * step - off;
}

static void step_name(int64_t s, char *buf, size_t len)
{
    if (s % 86400 == 0)
        snprintf(buf, len, "%lld day%s", (long long)(s / 86400), s == 86400 ? "" : "s");
    else if (s % 3600 == 0)
        snprintf(buf, len, "%lld h", (long long)(s / 3600));
    else if (s % 60 == 0)
        snprintf(buf, len, "%lld min", (long long)(s / 60));
    else
        snprintf(buf, len, "%lld s", (long long)s);
}

typedef struct axis {
    int64_t start, width;   /* the first bucket's start, a bucket's width (us) */
    int64_t width_s;
    int n;                  /* buckets */
    int tz;
} axis;

static double x_of(const axis *ax, int64_t t)
{
    return PLOT_X + (double)(t - ax->start) * PLOT_W / ((double)ax->width * ax->n);
}

/* The axis over [lo, hi]: the narrowest nice bucket width that needs at
 * most MAX_BUCKETS buckets. */
static void make_axis(axis *ax, int64_t lo, int64_t hi, int tz)
{
    size_t k = 0;
    for (; k + 1 < N_STEPS; k++) {
        int64_t start = align_down(lo, nice_steps[k], tz);
        if ((hi - start) / (nice_steps[k] * 1000000) + 1 <= MAX_BUCKETS)
            break;
    }
    ax->width_s = nice_steps[k];
    ax->width = ax->width_s * 1000000;
    ax->start = align_down(lo, ax->width_s, tz);
    ax->n = (int)((hi - ax->start) / ax->width + 1);
    ax->tz = tz;
}

/* Tick labels above the lanes and a grid line through them. */
static void ticks(FILE *out, const axis *ax, int bottom)
{
    int64_t span_s = ax->width_s * ax->n, step = nice_steps[N_STEPS - 1];
    for (size_t k = 0; k < N_STEPS; k++)
        if (nice_steps[k] >= ax->width_s && span_s / nice_steps[k] <= MAX_TICKS) {
            step = nice_steps[k];
            break;
        }
    int64_t end = ax->start + ax->width * ax->n;
    char buf[CQ_TIME_BUFLEN], prev_day[11] = "";
    for (int64_t t = align_down(ax->start, step, ax->tz); t <= end; t += step * 1000000) {
        if (t < ax->start)
            continue;
        double x = x_of(ax, t);
        cq_time_format(t, ax->tz, buf);
        const char *label;
        if (step >= 86400) {
            buf[10] = '\0';
            label = buf;
        } else {
            int new_day = strncmp(prev_day, buf, 10) != 0;
            memcpy(prev_day, buf, 10);
            buf[step < 60 ? 19 : 16] = '\0';
            buf[10] = ' ';
            label = new_day ? buf + 5 : buf + 11;
        }
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%d\"/>"
                     "<text class=\"ax tick\" x=\"%.1f\" y=\"14\" text-anchor=\"middle\">%s</text>\n",
                x, x, bottom, x, label);
    }
}

static int bar_height(unsigned c, unsigned max)
{
    int h = (int)lround(LANE_H * log1p(c) / log1p(max));
    return h < 2 ? 2 : h;
}

/* "2026-03-02 12:00 to 12:30" (the date again if the bucket ends on
 * another day; seconds for buckets under a minute). */
static void bucket_range(FILE *out, const axis *ax, int b)
{
    char a[CQ_TIME_BUFLEN], e[CQ_TIME_BUFLEN];
    int secs = ax->width_s < 60;
    short_time(ax->start + b * ax->width, ax->tz, secs, a);
    short_time(ax->start + (b + 1) * ax->width, ax->tz, secs, e);
    fprintf(out, "%s to %s", a, strncmp(a, e, 10) ? e : e + 11);
}

static void lane(FILE *out, const cq_hunt_result *r, size_t idx, const axis *ax,
                 const unsigned *count, unsigned max, int y, const char *zone)
{
    int sev = sev_rank(r->severity);
    fprintf(out, "<g class=\"row\" data-severity=\"%d\"><a href=\"#a%zu\"><rect class=\"f%d\" "
                 "x=\"0\" y=\"%d\" width=\"8\" height=\"%d\"/><text x=\"14\" y=\"%d\"><title>",
            sev, idx, sev, y + 4, LANE_H - 8, y + 15);
    if (sev < 5) {
        cq_html_escape(out, r->severity);
        fputs(": ", out);
    }
    cq_html_escape(out, r->title);
    fputs("</title>", out);
    cq_html_escape(out, r->id);
    fprintf(out, "</text></a>\n<rect class=\"lane\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
            PLOT_X, y, PLOT_W, LANE_H);
    const char *what = r->fixed_columns && strcmp(r->time_cols, "_time") ? "result" : "hit";
    if (r->failed || !r->n_times) {
        fprintf(out, "<text class=\"ax\" x=\"%d\" y=\"%d\">", PLOT_X + 8, y + 14);
        if (r->failed)
            fputs("did not run (the error is on cquery's stderr)", out);
        else
            fprintf(out, "%llu %s%s, no time column to place %s", (unsigned long long)r->hits,
                    what, r->hits == 1 ? "" : "s", r->hits == 1 ? "it" : "them");
        fputs("</text>\n", out);
    }
    for (int b = 0; count && b < ax->n && max; b++) {
        if (!count[b])
            continue;
        int h = bar_height(count[b], max);
        double x0 = x_of(ax, ax->start + b * ax->width), x1 = x_of(ax, ax->start + (b + 1) * ax->width);
        fprintf(out, "<rect class=\"f%d\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\"><title>",
                sev, x0 + 0.5, y + LANE_H - h, x1 - x0 > 2 ? x1 - x0 - 1 : 1, h);
        cq_html_escape(out, r->id);
        fprintf(out, ": %u %s%s%s, ", count[b], what, count[b] == 1 ? "" : "s",
                strcmp(what, "hit") ? " first seen" : "");
        bucket_range(out, ax, b);
        fputc(' ', out);
        cq_html_escape(out, zone);
        fputs("</title></rect>\n", out);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\">", PLOT_X + PLOT_W + 8, y + 15);
    if (r->failed)
        fputs("error", out);
    else
        put_count(out, r->hits);
    fputs("</text></g>\n", out);
}

/* The legend: what a bar's height means, with bars of 1, 10, 100 ... and
 * the busiest bucket's count, on the scale every lane shares. */
static void legend(FILE *out, const axis *ax, unsigned max, int y)
{
    char step[32];
    step_name(ax->width_s, step, sizeof step);
    fprintf(out, "<text class=\"ax\" x=\"%d\" y=\"%d\">Bar height: hits per %s bucket, on one "
                 "logarithmic scale for every row (the busiest bucket: %u).</text>\n",
            PLOT_X, y, step, max);
    int x = PLOT_X;
    for (unsigned v = 1;; v = v > max / 10 ? max : v * 10) {
        int h = bar_height(v, max);
        fprintf(out, "<rect class=\"f5\" x=\"%d\" y=\"%d\" width=\"10\" height=\"%d\"/>"
                     "<text class=\"ax\" x=\"%d\" y=\"%d\">%u</text>\n",
                x, y + 10 + LANE_H - h, h, x + 14, y + 10 + LANE_H, v);
        x += 70;
        if (v == max)
            break;
    }
}

/* Hits counted in the axis's buckets (a time outside it, made by eval, goes
 * to the nearest end). */
static unsigned *bucket_counts(const cq_hunt_result *r, const axis *ax, unsigned *max)
{
    unsigned *count = cq_xcalloc((size_t)ax->n, sizeof *count);
    for (size_t k = 0; k < r->n_times; k++) {
        int64_t b = (r->times[k] - ax->start) / ax->width;
        if (r->times[k] < ax->start)
            b = 0;
        if (b >= ax->n)
            b = ax->n - 1;
        if (++count[b] > *max)
            *max = count[b];
    }
    return count;
}

/* The range the axis spans: the data's, within --since/--until, widened to
 * every hit's time. */
static int axis_range(const cq_hunt_result *r, size_t n, const cq_report_info *in, int64_t *lo,
                      int64_t *hi)
{
    *lo = INT64_MAX, *hi = INT64_MIN;
    if (in->data_first != INT64_MIN) {
        *lo = in->data_first > in->since ? in->data_first : in->since;
        *hi = in->data_last < in->until - 1 ? in->data_last : in->until - 1;
    }
    for (size_t i = 0; i < n; i++)
        if (r[i].n_times) {
            *lo = r[i].first < *lo ? r[i].first : *lo;
            *hi = r[i].last > *hi ? r[i].last : *hi;
        }
    if (*lo > *hi)
        return -1;
    if (*hi - *lo < 1000000)
        *hi = *lo + 1000000;
    return 0;
}

static void timeline(FILE *out, const cq_hunt_result *const *ord, const cq_hunt_result *r,
                     size_t n, const cq_report_info *in)
{
    fputs("<h2 id=\"timeline\">Timeline</h2>\n", out);
    size_t lanes = 0;
    for (size_t k = 0; k < n; k++)
        lanes += ord[k]->hits > 0 || ord[k]->failed;
    int64_t lo, hi;
    if (!lanes || axis_range(r, n, in, &lo, &hi)) {
        fputs("<p class=\"none\">No hits.</p>\n", out);
        return;
    }
    axis ax;
    make_axis(&ax, lo, hi, in->tz);
    unsigned max = 0, **counts = cq_xcalloc(n + 1, sizeof *counts);
    for (size_t k = 0; k < n; k++)
        if (ord[k]->n_times)
            counts[k] = bucket_counts(ord[k], &ax, &max);
    char zone[64];
    zone_name(in->tz, zone, sizeof zone);
    int bottom = 24 + (int)lanes * LANE_STEP;
    fprintf(out, "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" "
                 "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                 "aria-label=\"hits per analytic over time\">\n",
            SVG_W, bottom + 50, SVG_W, bottom + 50);
    fputs("<text class=\"ax\" x=\"0\" y=\"14\">", out);
    cq_html_escape(out, zone);
    fprintf(out, "</text><text class=\"ax\" x=\"%d\" y=\"14\">hits</text>\n", PLOT_X + PLOT_W + 8);
    ticks(out, &ax, bottom - 4);
    int y = 24;
    for (size_t k = 0; k < n; k++) {
        if (!ord[k]->hits && !ord[k]->failed)
            continue;
        lane(out, ord[k], (size_t)(ord[k] - r), &ax, counts[k], max, y, zone);
        y += LANE_STEP;
    }
    if (max)
        legend(out, &ax, max, bottom + 12);
    fputs("</svg></div>\n", out);
    for (size_t k = 0; k < n; k++)
        free(counts[k]);
    free(counts);
    if (lanes < n)
        fprintf(out, "<p class=\"none\">%zu analytic%s without hits %s not drawn.</p>\n",
                n - lanes, n - lanes == 1 ? "" : "s", n - lanes == 1 ? "is" : "are");
}

/* ------------------------------------------------------------ hits */

/* Columns of an analytic's hit table. */
static size_t columns(const cq_hunt_result *r, const char **cols, size_t max)
{
    size_t n = 0;
    if (!r->fixed_columns) {
        for (size_t c = 0; c < sizeof event_view / sizeof *event_view; c++)
            for (size_t k = 0; k < r->n_rows; k++)
                if (json_object_get(r->rows[k], event_view[c])) {
                    cols[n++] = event_view[c];
                    break;
                }
        return n;
    }
    for (size_t k = 0; k < r->n_rows; k++) {
        const char *key;
        json_t *v;
        json_object_foreach(r->rows[k], key, v) {
            int seen = !strcmp(key, "analytic_id");
            for (size_t c = 0; c < n && !seen; c++)
                seen = !strcmp(cols[c], key);
            if (!seen && n < max)
                cols[n++] = key;
        }
    }
    return n;
}

static void cell(FILE *out, json_t *v, const char *cls)
{
    if (cls)
        fprintf(out, "<td class=\"%s\">", cls);
    else
        fputs("<td>", out);
    if (json_is_string(v)) {
        cq_html_escape(out, json_string_value(v));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (i)
                fputs("<br>", out);
            if (json_is_string(e))
                cq_html_escape(out, json_string_value(e));
        }
    }
    fputs("</td>", out);
}

static void hit_table(FILE *out, const cq_hunt_result *r)
{
    /* The raw event gets a full-width row under the hit's fields: it is
     * long, and in a column it would squeeze every other one. */
    const char *cols[256];
    size_t nc = columns(r, cols, 256), shown = 0;
    int has_raw = 0;
    fputs("<div class=\"scroll\"><table>\n<tr>", out);
    for (size_t c = 0; c < nc; c++) {
        if (!strcmp(cols[c], "_raw")) {
            has_raw = 1;
            continue;
        }
        fputs("<th>", out);
        cq_html_escape(out, cols[c]);
        fputs("</th>", out);
        shown++;
    }
    fputs("</tr>\n", out);
    for (size_t k = 0; k < r->n_rows; k++) {
        fputs("<tr>", out);
        for (size_t c = 0; c < nc; c++)
            if (strcmp(cols[c], "_raw"))
                cell(out, json_object_get(r->rows[k], cols[c]),
                     !strcmp(cols[c], "_time") ? "t" : NULL);
        fputs("</tr>\n", out);
        json_t *raw = json_object_get(r->rows[k], "_raw");
        if (has_raw && raw) {
            fprintf(out, "<tr><td class=\"raw\" colspan=\"%zu\">", shown ? shown : 1);
            cq_html_escape(out, json_string_value(raw) ? json_string_value(raw) : "");
            fputs("</td></tr>\n", out);
        }
    }
    fputs("</table></div>\n", out);
}

/* technique, hits, first and last, where the times come from. */
static void section_meta(FILE *out, const cq_hunt_result *r, int tz)
{
    char a[CQ_TIME_BUFLEN], b[CQ_TIME_BUFLEN];
    fputs("<p class=\"meta2\">Technique ", out);
    cq_html_escape(out, r->technique);
    if (r->failed) {
        fputs("</p>\n", out);
        return;
    }
    fputs(" &middot; ", out);
    put_count(out, r->hits);
    fprintf(out, " hit%s", r->hits == 1 ? "" : "s");
    if (r->hits && r->first != INT64_MIN) {
        fprintf(out, " from %s to %s", short_time(r->first, tz, 1, a), short_time(r->last, tz, 1, b));
        if (strcmp(r->time_cols, "_time")) {
            fputs(" (times from ", out);
            cq_html_escape(out, r->time_cols);
            fputs(")", out);
        }
    } else if (r->hits) {
        fputs(" &middot; no time column in the results", out);
    }
    fputs("</p>\n", out);
}

static void section(FILE *out, const cq_hunt_result *r, size_t idx, const cq_report_info *in)
{
    fprintf(out, "<section id=\"a%zu\">\n<h2>", idx);
    badge(out, r->severity);
    fputc(' ', out);
    cq_html_escape(out, r->id);
    fputs(": ", out);
    cq_html_escape(out, r->title);
    fputs("</h2>\n", out);
    section_meta(out, r, in->tz);
    if (strcmp(r->description, "-")) {
        fputs("<p class=\"desc\">", out);
        cq_html_escape(out, r->description);
        fputs("</p>\n", out);
    }
    if (r->query) {
        fputs("<details><summary>query</summary><pre>", out);
        cq_html_escape(out, r->query);
        fputs("</pre></details>\n", out);
    }
    if (r->failed) {
        fputs("<p class=\"err\">This analytic did not run; cquery printed the error.</p>\n", out);
    } else if (!r->hits) {
        fputs("<p class=\"none\">No hits.</p>\n", out);
    } else {
        if (r->n_rows < r->hits) {
            fputs("<p class=\"note\">Showing the first ", out);
            put_count(out, r->n_rows);
            fputs(" of ", out);
            put_count(out, r->hits);
            fputs(" hits. <code>cquery hunt --report-rows N</code> shows more "
                  "(0: all); <code>--format csv</code> gives every hit.</p>\n", out);
        }
        hit_table(out, r);
    }
    fputs("</section>\n", out);
}

void cq_report_html(FILE *out, const cq_hunt_result *r, size_t n, const cq_report_info *info)
{
    const cq_hunt_result **ord = cq_xcalloc(n + 1, sizeof *ord);
    for (size_t i = 0; i < n; i++)
        ord[i] = &r[i];
    qsort(ord, n, sizeof *ord, by_severity);
    head(out);
    header(out, r, n, info);
    summary(out, ord, r, n, info->tz);
    timeline(out, ord, r, n, info);
    for (size_t k = 0; k < n; k++)
        section(out, ord[k], (size_t)(ord[k] - r), info);
    fputs("</body>\n</html>\n", out);
    free(ord);
}
