/* report_navigator.c - hunt's ATT&CK Navigator layer (layer format 4.5). */
#include "cli/report_navigator.h"
#include "cli/output.h"
#include "cli/report_budget.h"
#include "common/arena.h"
#include "common/strbuf.h"
#include "common/timeutil.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The versions the layer says it is for: the format of
 * mitre-attack/attack-navigator's layers/spec/v4.5/layerformat.md. */
#define ATTACK_VERSION "18"
#define NAVIGATOR_VERSION "5.2.0"
#define LAYER_VERSION "4.5"

/* Colours: hunted and quiet (score 0) to the most hits. */
#define COLOR_QUIET "#deebf7"
#define COLOR_SOME "#fc9272"
#define COLOR_MOST "#de2d26"

#define TECH_IDLEN 10       /* "T1234.567" and its NUL */

typedef struct technique {
    char id[TECH_IDLEN];
    const cq_hunt_result **an;     /* the analytics naming it */
    size_t n_an;
} technique;

typedef struct layer {
    technique *t;
    size_t n;
} layer;

/* Is s[0..len) a technique id, T#### or T####.###? */
static int is_technique(const char *s, size_t len)
{
    if ((len != 5 && len != 9) || (*s != 'T' && *s != 't'))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (i == 5 ? s[i] != '.' : !isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static technique *find_or_add(layer *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->t[i].id, id))
            return &l->t[i];
    l->t = cq_xrealloc(l->t, (l->n + 1) * sizeof *l->t);
    technique *t = &l->t[l->n++];
    memset(t, 0, sizeof *t);
    memcpy(t->id, id, strlen(id) + 1);
    return t;
}

/* Files r under every technique id its header names (other words, such as
 * the technique's name after its id, are left: "T1609 Container ...").
 * Returns how many ids it names. */
static size_t add_analytic(layer *l, const cq_hunt_result *r)
{
    size_t ids = 0;
    for (const char *p = r->technique; *p;) {
        size_t len = strcspn(p, " \t,;");
        if (is_technique(p, len)) {
            char id[TECH_IDLEN];
            memcpy(id, p, len);
            id[0] = 'T';
            id[len] = '\0';
            technique *t = find_or_add(l, id);
            ids++;
            if (!t->n_an || t->an[t->n_an - 1] != r) {    /* "T1552 T1552" once */
                t->an = cq_xrealloc(t->an, (t->n_an + 1) * sizeof *t->an);
                t->an[t->n_an++] = r;
            }
        }
        p += len;
        p += strspn(p, " \t,;");
    }
    return ids;
}

static int by_id(const void *x, const void *y)
{
    return strcmp(((const technique *)x)->id, ((const technique *)y)->id);
}

static int by_analytic(const void *x, const void *y)
{
    return strcmp((*(const cq_hunt_result *const *)x)->id, (*(const cq_hunt_result *const *)y)->id);
}

static json_t *text(const char *s, size_t len)
{
    return cq_out_json_text(s, len);
}

static json_t *pair(const char *name, const char *value)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", text(name, strlen(name)));
    json_object_set_new(o, "value", text(value, strlen(value)));
    return o;
}

/* One technique's entry; *score gets its score (-1: none ran). */
static json_t *technique_entry(const technique *t, json_int_t *score)
{
    json_int_t sum = 0;
    size_t ran = 0;
    for (size_t i = 0; i < t->n_an; i++)
        if (!t->an[i]->failed) {
            sum += (json_int_t)t->an[i]->hits;
            ran++;
        }
    cq_strbuf sb = CQ_STRBUF_INIT, v = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "%zu analytic%s, %lld hit%s:", t->n_an, t->n_an == 1 ? "" : "s",
                   (long long)sum, sum == 1 ? "" : "s");
    json_t *meta = json_array();
    for (size_t i = 0; i < t->n_an; i++) {
        const cq_hunt_result *r = t->an[i];
        cq_strbuf_reset(&v);
        if (r->failed) {
            cq_strbuf_addf(&sb, "%s %s error", i ? "," : "", r->id);
            cq_strbuf_addf(&v, "error: %s", r->title);
        } else {
            cq_strbuf_addf(&sb, "%s %s %llu", i ? "," : "", r->id, (unsigned long long)r->hits);
            cq_strbuf_addf(&v, "%llu hit%s: %s", (unsigned long long)r->hits,
                           r->hits == 1 ? "" : "s", r->title);
        }
        json_array_append_new(meta, pair(r->id, cq_strbuf_str(&v)));
    }
    json_t *o = json_object();
    json_object_set_new(o, "techniqueID", json_string(t->id));
    if (ran)
        json_object_set_new(o, "score", json_integer(sum));
    json_object_set_new(o, "comment", text(sb.buf, sb.len));
    json_object_set_new(o, "enabled", json_true());
    json_object_set_new(o, "metadata", meta);
    cq_strbuf_free(&sb);
    cq_strbuf_free(&v);
    *score = ran ? sum : -1;
    return o;
}

static json_t *legend(const char *label, const char *color)
{
    return json_pack("{s:s, s:s}", "label", label, "color", color);
}

static json_t *layout(void)
{
    return json_pack("{s:s, s:b, s:b, s:b, s:b, s:s, s:s}", "layout", "side", "showID", 1,
                     "showName", 1, "showAggregateScores", 0, "countUnscored", 0,
                     "aggregateFunction", "sum", "expandedSubtechniques", "annotated");
}

/* The layer's own fields around its techniques. */
static json_t *layer_head(size_t n, size_t with_tech,
                          const cq_report_info *info)
{
    char range_buf[CQ_RANGE_BUFLEN], made[CQ_TIME_BUFLEN];
    cq_hunt_range range;
    cq_hunt_range_of(info, &range);
    const char *range_text = cq_hunt_range_text(&range, info->tz, range_buf);
    cq_time_format(info->generated, info->tz, made);
    cq_strbuf s = CQ_STRBUF_INIT;
    json_t *o = json_object();
    cq_strbuf_addf(&s, "cquery hunt: %s", info->source);
    json_object_set_new(o, "name", text(s.buf, s.len));
    json_object_set_new(o, "versions", json_pack("{s:s, s:s, s:s}", "attack", ATTACK_VERSION,
                                                 "navigator", NAVIGATOR_VERSION, "layer",
                                                 LAYER_VERSION));
    json_object_set_new(o, "domain", json_string("enterprise-attack"));
    cq_strbuf_reset(&s);
    cq_strbuf_addf(&s, "The techniques of %zu analytic%s that cquery hunt ran over the %s %s, "
                   "%s. Score: hits (a stats analytic's result rows) summed over the analytics "
                   "of the technique; 0: hunted, nothing found.", n, n == 1 ? "" : "s",
                   info->what, info->source, range_text);
    json_object_set_new(o, "description", text(s.buf, s.len));
    json_object_set_new(o, "sorting", json_integer(3));    /* by score, descending */
    json_object_set_new(o, "layout", layout());
    json_object_set_new(o, "hideDisabled", json_false());
    json_t *meta = json_array();
    json_array_append_new(meta, pair(info->what, info->source));
    json_array_append_new(meta, pair("range", range_text));
    cq_strbuf_reset(&s);
    cq_strbuf_addf(&s, "%zu run, %zu naming a technique", n, with_tech);
    json_array_append_new(meta, pair("analytics", cq_strbuf_str(&s)));
    json_array_append_new(meta, pair("generated", made));
    json_object_set_new(o, "metadata", meta);
    cq_strbuf_free(&s);
    return o;
}

void cq_report_navigator(FILE *out, const cq_hunt_result *r, size_t n, const cq_report_info *info)
{
    layer l = {0};
    size_t with_tech = 0;
    for (size_t i = 0; i < n; i++)
        with_tech += add_analytic(&l, &r[i]) > 0;
    if (l.n)
        qsort(l.t, l.n, sizeof *l.t, by_id);
    json_t *o = layer_head(n, with_tech, info);
    json_t *techs = json_array();
    json_int_t most = 0;
    for (size_t i = 0; i < l.n; i++) {
        qsort(l.t[i].an, l.t[i].n_an, sizeof *l.t[i].an, by_analytic);
        json_int_t score;
        json_array_append_new(techs, technique_entry(&l.t[i], &score));
        most = score > most ? score : most;
        free(l.t[i].an);
    }
    free(l.t);
    json_object_set_new(o, "techniques", techs);
    json_object_set_new(o, "gradient",
                        json_pack("{s:[s,s,s], s:i, s:I}", "colors", COLOR_QUIET, COLOR_SOME,
                                  COLOR_MOST, "minValue", 0, "maxValue",
                                  (json_int_t)(most > 1 ? most : 1)));
    char most_label[64];
    snprintf(most_label, sizeof most_label, "most hits (%lld)", (long long)most);
    json_object_set_new(o, "legendItems", json_pack("[o, o]", legend("hunted, no hits", COLOR_QUIET),
                                                    legend(most_label, COLOR_MOST)));
    json_object_set_new(o, "showTacticRowBackground", json_false());
    json_object_set_new(o, "tacticRowBackground", json_string("#dddddd"));
    json_object_set_new(o, "selectTechniquesAcrossTactics", json_true());
    json_object_set_new(o, "selectSubtechniquesWithParent", json_false());
    json_object_set_new(o, "selectVisibleTechniques", json_false());
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    if (s)
        fprintf(out, "%s\n", s);
    free(s);
    json_decref(o);
}
