/*
 * report_html.c - the HTML hunt report.
 *
 * No JavaScript: the timeline is an SVG drawn here, so the page works with
 * scripts disabled and under a policy that forbids them.  Columns of event
 * hits follow the table format's event view (the normalized fields, then
 * _raw); analytics that chose their columns keep them.
 */
#include "cli/report_html.h"
#include "common/timeutil.h"

#include <string.h>

#define TIMELINE_BUCKETS 48

static const char *const event_view[] = {
    "_time", "sourcetype", "host", "user", "src_ip", "action", "command", "namespace",
    "pod", "container", "container_id", "image", "exec_command", "_raw",
};

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

static void head(FILE *out, const char *source)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>cquery hunt report</title>\n<style>\n"
          "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}\n"
          "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px}\n"
          ".sub{color:#5a6275;margin:0 0 18px}\n"
          "table{border-collapse:collapse;margin:6px 0 12px;font-size:12.5px}\n"
          "th,td{border:1px solid #d7dbe3;padding:3px 7px;text-align:left;vertical-align:top}\n"
          "th{background:#eef1f6}td{overflow-wrap:anywhere;max-width:28em}td.t{white-space:nowrap}\n"
          "td.raw{font-family:ui-monospace,monospace;font-size:11.5px;word-break:break-all;"
          "color:#3a4150;background:#fafbfc;border-top:none;max-width:none}\n"
          "td.num{text-align:right}.hit{color:#b3261e;font-weight:600}.none{color:#5a6275}\n"
          ".err{color:#b3261e}.desc{color:#3a4150;max-width:70em}\n"
          "</style>\n</head>\n<body>\n<h1>cquery hunt report</h1>\n<p class=\"sub\">",
          out);
    cq_html_escape(out, source);
    fputs("</p>\n", out);
}

static void fmt_time(int64_t us, int tz, char *buf)
{
    if (us == INT64_MIN)
        strcpy(buf, "-");
    else
        cq_time_format(us, tz, buf);
}

static void summary(FILE *out, const cq_hunt_result *r, size_t n, int tz)
{
    fputs("<h2>Summary</h2>\n<table>\n<tr><th>analytic</th><th>technique</th><th>severity</th>"
          "<th>hits</th><th>first</th><th>last</th><th>title</th></tr>\n", out);
    for (size_t i = 0; i < n; i++) {
        char a[CQ_TIME_BUFLEN], b[CQ_TIME_BUFLEN];
        fmt_time(r[i].first, tz, a);
        fmt_time(r[i].last, tz, b);
        fputs("<tr><td><a href=\"#a", out);
        fprintf(out, "%zu\">", i);
        cq_html_escape(out, r[i].id);
        fputs("</a></td><td>", out);
        cq_html_escape(out, r[i].technique);
        fputs("</td><td>", out);
        cq_html_escape(out, r[i].severity);
        if (r[i].failed)
            fputs("</td><td class=\"err\">error", out);
        else
            fprintf(out, "</td><td class=\"num %s\">%llu", r[i].hits ? "hit" : "none",
                    (unsigned long long)r[i].hits);
        fprintf(out, "</td><td>%s</td><td>%s</td><td>", a, b);
        cq_html_escape(out, r[i].title);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* The _time of a hit row, parsed back from its ISO text. */
static int row_time(json_t *row, int64_t *us)
{
    const char *t = json_string_value(json_object_get(row, "_time"));
    return t && cq_time_parse_iso(t, strlen(t), us) == 0;
}

/* One lane per analytic, hits counted in TIMELINE_BUCKETS buckets over the
 * whole hunt's time range; bar height is the bucket's share of the lane's
 * busiest bucket. */
static void timeline(FILE *out, const cq_hunt_result *r, size_t n, int tz)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < r[i].n_rows; k++) {
            int64_t t;
            if (row_time(r[i].rows[k], &t)) {
                lo = t < lo ? t : lo;
                hi = t > hi ? t : hi;
            }
        }
    fputs("<h2>Timeline</h2>\n", out);
    if (lo > hi) {
        fputs("<p class=\"none\">No hits.</p>\n", out);
        return;
    }
    const int lane = 34, label = 150, width = 900, bw = width / TIMELINE_BUCKETS;
    int64_t span = hi - lo + 1;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
                 "role=\"img\" aria-label=\"hits per analytic over time\">\n",
            label + width + 10, n * lane + 30);
    for (size_t i = 0; i < n; i++) {
        unsigned count[TIMELINE_BUCKETS] = {0}, max = 0;
        for (size_t k = 0; k < r[i].n_rows; k++) {
            int64_t t;
            if (!row_time(r[i].rows[k], &t))
                continue;
            int b = (int)((t - lo) * TIMELINE_BUCKETS / span);
            if (++count[b] > max)
                max = count[b];
        }
        int y = (int)i * lane + 4;
        fprintf(out, "<text x=\"0\" y=\"%d\" font-size=\"12\">", y + 18);
        cq_html_escape(out, r[i].id);
        fprintf(out, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f4f6fa\"/>\n",
                label, y, width, lane - 8);
        for (int b = 0; b < TIMELINE_BUCKETS && max; b++) {
            if (!count[b])
                continue;
            int h = (int)((lane - 10) * count[b] / max);
            fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#b3261e\">"
                         "<title>%u hit%s</title></rect>\n",
                    label + b * bw + 1, y + (lane - 8) - h, bw - 2, h > 1 ? h : 2, count[b],
                    count[b] == 1 ? "" : "s");
        }
    }
    char a[CQ_TIME_BUFLEN], b[CQ_TIME_BUFLEN];
    cq_time_format(lo, tz, a);
    cq_time_format(hi, tz, b);
    fprintf(out, "<text x=\"%d\" y=\"%zu\" font-size=\"11\">%s</text>\n", label,
            n * lane + 22, a);
    fprintf(out, "<text x=\"%d\" y=\"%zu\" font-size=\"11\" text-anchor=\"end\">%s</text>\n</svg>\n",
            label + width, n * lane + 22, b);
}

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

static void hits(FILE *out, const cq_hunt_result *r, size_t i)
{
    fprintf(out, "<h2 id=\"a%zu\">", i);
    cq_html_escape(out, r->id);
    fputs(": ", out);
    cq_html_escape(out, r->title);
    fprintf(out, " (%llu hit%s)</h2>\n<p class=\"desc\">", (unsigned long long)r->hits,
            r->hits == 1 ? "" : "s");
    cq_html_escape(out, r->description);
    fputs("</p>\n", out);
    if (r->failed) {
        fputs("<p class=\"err\">This analytic did not run; cquery printed the error.</p>\n", out);
        return;
    }
    if (!r->n_rows)
        return;
    /* The raw event gets a full-width row under the hit's fields: it is
     * long, and in a column it would squeeze every other one. */
    const char *cols[256];
    size_t nc = columns(r, cols, 256), shown = 0;
    int has_raw = 0;
    fputs("<table>\n<tr>", out);
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
    fputs("</table>\n", out);
}

void cq_report_html(FILE *out, const cq_hunt_result *r, size_t n, const char *source, int tz)
{
    head(out, source);
    summary(out, r, n, tz);
    timeline(out, r, n, tz);
    for (size_t i = 0; i < n; i++)
        hits(out, &r[i], i);
    fputs("</body>\n</html>\n", out);
}
