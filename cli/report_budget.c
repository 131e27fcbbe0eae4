/* report_budget.c - `cquery hunt --summary`: analytics ranked by hits a day. */
#include "cli/report_budget.h"
#include "cli/cli.h"
#include "common/strbuf.h"
#include "common/timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY_US 86400000000.0

void cq_hunt_range_of(const cq_report_info *info, cq_hunt_range *r)
{
    int since = info->since != INT64_MIN, until = info->until != INT64_MAX;
    r->start = since ? info->since : info->data_first;
    r->end = until ? info->until : info->data_last;
    if (since && until)
        r->which = "from --since to --until";
    else if (since)
        r->which = "from --since to the index's last event";
    else if (until)
        r->which = "from the index's first event to --until";
    else
        r->which = "from the index's first to last event";
    if (r->start == INT64_MIN || r->end == INT64_MIN) {
        r->start = r->end = INT64_MIN;
        r->which = "no events and no --since/--until";
    }
    r->days = r->start != INT64_MIN && r->end > r->start ? (double)(r->end - r->start) / DAY_US
                                                          : 0;
}

const char *cq_hunt_range_text(const cq_hunt_range *r, int tz, char *buf)
{
    char a[CQ_TIME_BUFLEN], b[CQ_TIME_BUFLEN];
    if (r->start == INT64_MIN) {
        snprintf(buf, CQ_RANGE_BUFLEN, "none (%s)", r->which);
        return buf;
    }
    cq_time_format(r->start, tz, a);
    cq_time_format(r->end, tz, b);
    snprintf(buf, CQ_RANGE_BUFLEN, "%s to %s (%.2f days: %s)", a, b, r->days, r->which);
    return buf;
}

int cq_budget_parse(const char *val, double *budget)
{
    char *end;
    errno = 0;
    /* digits and one point only: strtod would also take " 5", "0x5", "inf" */
    double v = *val && strspn(val, "0123456789.") == strlen(val) ? strtod(val, &end) : -1;
    if (v < 0 || errno || *end || v > CQ_BUDGET_MAX) {
        cq_cli_error("--budget takes a number of hits a day per analytic, 0 to 1e9 (default %g), "
                     "not \"%s\"", CQ_BUDGET_DEFAULT, val);
        return -1;
    }
    *budget = v;
    return 0;
}

/* Hits a day.  A range under a day counts as one: a few hours of logs are
 * not blown up into a rate they may never reach. */
static double per_day(const cq_hunt_result *r, const cq_hunt_range *range)
{
    return (double)r->hits / (range->days < 1 ? 1 : range->days);
}

/* Rounded as printed, so that the ranking, the flag and the text agree. */
static double two_places(double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.2f", v);
    return strtod(buf, NULL);
}

typedef struct ranked {
    const cq_hunt_result *r;
    double per_day;
    int noisy;
} ranked;

static int by_rate(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->r->failed != b->r->failed)
        return a->r->failed - b->r->failed;    /* analytics that did not run last */
    if (a->per_day != b->per_day)
        return a->per_day < b->per_day ? 1 : -1;
    return strcmp(a->r->id, b->r->id);
}

static ranked *rank(const cq_hunt_result *r, size_t n, const cq_hunt_range *range, double budget,
                    size_t *noisy)
{
    ranked *k = cq_xcalloc(n + 1, sizeof *k);
    *noisy = 0;
    for (size_t i = 0; i < n; i++) {
        k[i].r = &r[i];
        k[i].per_day = r[i].failed ? 0 : two_places(per_day(&r[i], range));
        k[i].noisy = !r[i].failed && k[i].per_day > budget;
        *noisy += (size_t)k[i].noisy;
    }
    qsort(k, n, sizeof *k, by_rate);
    return k;
}

static const char *flag(const ranked *k)
{
    return k->r->failed ? "error" : k->noisy ? "noisy" : "";
}

/* ---------------------------------------------------------------- table */

#define COLS 8
enum { C_ID, C_SEVERITY, C_HITS, C_DAYS, C_PER_DAY, C_FLAG, C_TITLE, C_FP };

static void cells(const ranked *k, const cq_hunt_range *range, char bufs[3][32],
                  const char **cell)
{
    const cq_hunt_result *r = k->r;
    snprintf(bufs[0], 32, "%llu", (unsigned long long)r->hits);
    snprintf(bufs[1], 32, "%.2f", range->days);
    snprintf(bufs[2], 32, "%.2f", k->per_day);
    cell[C_ID] = r->id;
    cell[C_SEVERITY] = r->severity;
    cell[C_HITS] = r->failed ? "error" : bufs[0];
    cell[C_DAYS] = bufs[1];
    cell[C_PER_DAY] = r->failed ? "-" : bufs[2];
    cell[C_FLAG] = flag(k);
    cell[C_TITLE] = r->title;
    cell[C_FP] = r->false_positives;
}

/* The numbers are right-aligned. */
static const uint32_t NUM_COLS = 1u << C_HITS | 1u << C_DAYS | 1u << C_PER_DAY;

static void put_line(FILE *out, const cq_strbuf *sb, unsigned term_cols)
{
    cq_put_cut(out, cq_strbuf_str(sb), sb->len, term_cols ? term_cols : SIZE_MAX);
    fputc('\n', out);
}

static void print_table(FILE *out, const ranked *k, size_t n, size_t noisy,
                        const cq_report_info *info, const cq_hunt_range *range, double budget,
                        unsigned term_cols)
{
    char rbuf[CQ_RANGE_BUFLEN];
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "cquery hunt --summary: %zu analytic%s over %s", n, n == 1 ? "" : "s",
                   info->source);
    put_line(out, &sb, term_cols);
    cq_strbuf_reset(&sb);
    cq_strbuf_addf(&sb, "range: %s", cq_hunt_range_text(range, info->tz, rbuf));
    put_line(out, &sb, term_cols);
    cq_strbuf_reset(&sb);
    cq_strbuf_addf(&sb, "budget: %g hits a day per analytic (--budget): %zu noisy; a range "
                   "under a day counts as one", budget, noisy);
    put_line(out, &sb, term_cols);
    cq_strbuf_free(&sb);
    fputc('\n', out);

    static const char *const head[COLS] = {"id", "severity", "hits", "days", "per_day", "flag",
                                           "title", "false_positives"};
    size_t w[COLS];
    for (int j = 0; j < COLS; j++)
        w[j] = strlen(head[j]);
    char bufs[3][32];
    const char *cell[COLS];
    for (size_t i = 0; i < n; i++) {
        cells(&k[i], range, bufs, cell);
        for (int j = 0; j < COLS; j++) {
            size_t cw = cq_safe_width(cell[j], strlen(cell[j]));
            w[j] = cw > w[j] ? cw : w[j];
        }
    }
    if (term_cols)
        cq_fit_widths(w, COLS, term_cols);
    cq_put_row(out, head, w, COLS, NUM_COLS);
    for (size_t i = 0; i < n; i++) {
        cells(&k[i], range, bufs, cell);
        cq_put_row(out, cell, w, COLS, NUM_COLS);
    }
}

/* ------------------------------------------------------------ csv, json */

static void csv_row(FILE *out, const char *const *cell, size_t n, int tty)
{
    for (size_t j = 0; j < n; j++) {
        if (j)
            fputc(',', out);
        cq_csv_cell(out, cell[j], strlen(cell[j]), 0, tty);
    }
    fputc('\n', out);
}

static void print_csv(FILE *out, const ranked *k, size_t n, const cq_report_info *info,
                      const cq_hunt_range *range, double budget)
{
    static const char *const head[] = {"analytic_id", "title", "severity", "technique", "hits",
                                       "days", "hits_per_day", "budget", "flag", "range_start",
                                       "range_end", "range", "false_positives"};
    enum { N = sizeof head / sizeof *head };
    int tty = isatty(fileno(out));
    char start[CQ_TIME_BUFLEN] = "", end[CQ_TIME_BUFLEN] = "", hits[32], days[32], rate[32],
         b[32];
    if (range->start != INT64_MIN) {
        cq_time_format(range->start, info->tz, start);
        cq_time_format(range->end, info->tz, end);
    }
    snprintf(days, sizeof days, "%.2f", range->days);
    snprintf(b, sizeof b, "%g", budget);
    csv_row(out, head, N, tty);
    for (size_t i = 0; i < n; i++) {
        const cq_hunt_result *r = k[i].r;
        snprintf(hits, sizeof hits, "%llu", (unsigned long long)r->hits);
        snprintf(rate, sizeof rate, "%.2f", k[i].per_day);
        const char *cell[N] = {r->id, r->title, r->severity, r->technique,
                               r->failed ? "" : hits, days, r->failed ? "" : rate, b, flag(&k[i]),
                               start, end, range->which, r->false_positives};
        csv_row(out, cell, N, tty);
    }
}

static json_t *text(const char *s)
{
    return cq_out_json_text(s, strlen(s));
}

static json_t *time_or_null(int64_t us, int tz)
{
    char buf[CQ_TIME_BUFLEN];
    if (us == INT64_MIN)
        return json_null();
    cq_time_format(us, tz, buf);
    return json_string(buf);
}

static void print_json(FILE *out, const ranked *k, size_t n, const cq_report_info *info,
                       const cq_hunt_range *range, double budget)
{
    for (size_t i = 0; i < n; i++) {
        const cq_hunt_result *r = k[i].r;
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string("budget"));
        json_object_set_new(o, "analytic_id", text(r->id));
        json_object_set_new(o, "title", text(r->title));
        json_object_set_new(o, "severity", text(r->severity));
        json_object_set_new(o, "technique", text(r->technique));
        json_object_set_new(o, "hits", r->failed ? json_null() : json_integer((json_int_t)r->hits));
        json_object_set_new(o, "days", json_real(two_places(range->days)));
        json_object_set_new(o, "hits_per_day", r->failed ? json_null() : json_real(k[i].per_day));
        json_object_set_new(o, "budget", json_real(budget));
        json_object_set_new(o, "flag", json_string(flag(&k[i])));
        json_object_set_new(o, "range_start", time_or_null(range->start, info->tz));
        json_object_set_new(o, "range_end", time_or_null(range->end, info->tz));
        json_object_set_new(o, "range", json_string(range->which));
        json_object_set_new(o, "false_positives", text(r->false_positives));
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII |
                                    JSON_REAL_PRECISION(15));
        if (s)
            fprintf(out, "%s\n", s);
        free(s);
        json_decref(o);
    }
}

void cq_report_budget(FILE *out, const cq_hunt_result *r, size_t n, const cq_report_info *info,
                      double budget, cq_out_format fmt, unsigned term_cols)
{
    cq_hunt_range range;
    cq_hunt_range_of(info, &range);
    size_t noisy;
    ranked *k = rank(r, n, &range, budget, &noisy);
    if (fmt == CQ_FMT_CSV)
        print_csv(out, k, n, info, &range, budget);
    else if (fmt == CQ_FMT_JSON)
        print_json(out, k, n, info, &range, budget);
    else
        print_table(out, k, n, noisy, info, &range, budget, term_cols);
    free(k);
}
