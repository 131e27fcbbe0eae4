/*
 * test_corpus.c - Splunk's published container detections must be accepted
 * as written: every `search:` of the YAML files in tests/corpus/spl-detections is
 * expanded with data/macros.conf, parsed and resolved, and the suite prints
 * how many did ("28 of 28 detection searches parse").
 *
 * The YAML files are read by a small purpose-built extractor, not a YAML
 * library: it knows the two forms the corpus uses for `search:`, a
 * single-quoted scalar ('' is a quote; line breaks fold to spaces) and a
 * literal block scalar (`search: |`).
 */
#include "tests/unit/suites.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "grammar/parse.h"
#include "grammar/resolve.h"

/* A single-quoted flow scalar starting after the opening quote at s. */
static int yaml_single(const char *s, cq_strbuf *out)
{
    while (*s) {
        if (*s == '\'') {
            if (s[1] != '\'')
                return 0;
            cq_strbuf_addc(out, '\'');
            s += 2;
            continue;
        }
        if (*s != '\n') {
            cq_strbuf_addc(out, *s++);
            continue;
        }
        /* Folding: trailing blanks go, a line break is a space, each
         * empty line a newline; the next line's indentation goes. */
        while (out->len && (out->buf[out->len - 1] == ' ' || out->buf[out->len - 1] == '\t'))
            out->len--;
        int empty = 0;
        for (s++;; s++) {
            while (*s == ' ' || *s == '\t')
                s++;
            if (*s != '\n')
                break;
            empty++;
        }
        if (empty == 0)
            cq_strbuf_addc(out, ' ');
        for (int i = 0; i < empty; i++)
            cq_strbuf_addc(out, '\n');
    }
    return -1;      /* no closing quote */
}

/* A literal block scalar; s is the start of the line after `|`. */
static int yaml_block(const char *s, cq_strbuf *out)
{
    size_t indent = 0;
    const char *p = s;
    while (*p == '\n')          /* leading empty lines */
        p++;
    while (p[indent] == ' ')
        indent++;
    if (indent == 0)
        return -1;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        size_t sp = 0;
        while (sp < len && s[sp] == ' ')
            sp++;
        if (sp < len && sp < indent)        /* a less indented line ends it */
            break;
        if (sp < len)
            cq_strbuf_add(out, s + indent, len - indent);
        cq_strbuf_addc(out, '\n');
        s += len + (nl ? 1 : 0);
    }
    return 0;
}

/* The `search:` value of a detection YAML document into out.  Returns 0,
 * or -1 when there is none or it has a form this extractor does not know. */
static int yaml_search(const char *doc, cq_strbuf *out)
{
    const char *s = doc;
    while (s && strncmp(s, "search:", 7)) {
        s = strchr(s, '\n');
        s = s ? s + 1 : NULL;
    }
    if (!s)
        return -1;
    s += 7;
    while (*s == ' ')
        s++;
    if (*s == '\'')
        return yaml_single(s + 1, out);
    if (*s == '|') {
        const char *nl = strchr(s, '\n');
        return nl ? yaml_block(nl + 1, out) : -1;
    }
    return -1;
}

START_TEST(extractor_single_quoted)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    ck_assert_int_eq(yaml_search("name: x\nsearch: '`m` a=''b''\n  | c\n\n  d'\nid: 1\n", &sb), 0);
    ck_assert_str_eq(cq_strbuf_str(&sb), "`m` a='b' | c\nd");
    cq_strbuf_free(&sb);
}
END_TEST

START_TEST(extractor_block)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    ck_assert_int_eq(yaml_search("search: |\n  `m` a\n\n    | b\nhow: x\n", &sb), 0);
    ck_assert_str_eq(cq_strbuf_str(&sb), "`m` a\n\n  | b\n");
    cq_strbuf_reset(&sb);
    ck_assert_int_eq(yaml_search("name: x\n", &sb), -1);
    cq_strbuf_free(&sb);
}
END_TEST

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of dir's files ending in suffix ("" for all but dot
 * files and README.md); *n gets the count. */
static char **dir_files(const char *dir, const char *suffix, size_t *n)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (wrong CQUERY_SRCDIR?)", dir);
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md") || l <= sl
            || strcmp(e->d_name + l - sl, suffix))
            continue;
        if (*n == cap)
            names = realloc(names, (cap = cap ? 2 * cap : 32) * sizeof *names);
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof *names, by_name);
    return names;
}

/* Expands, parses and resolves one search; prints the error if it fails. */
static int front_end_ok(const cq_macros *m, const char *file, const char *q)
{
    cq_arena a;
    cq_diag d;
    cq_expansion x;
    cq_ast *ast;
    cq_arena_init(&a);
    cq_diag_init(&d);
    int rc = cq_resolve_query(&a, m, q, strlen(q), &x, &ast, &d);
    if (rc)
        cq_diag_print(stdout, &d, file, q, strlen(q), 0);
    cq_arena_free(&a);
    return rc == 0;
}

START_TEST(detections_parse)
{
    char dir[1024], conf[1024];
    snprintf(dir, sizeof dir, "%s/tests/corpus/spl-detections", test_srcdir());
    snprintf(conf, sizeof conf, "%s/data/macros.conf", test_srcdir());
    cq_arena ma;
    cq_arena_init(&ma);
    cq_macros m;
    cq_macros_init(&m, &ma);
    cq_diag d;
    cq_diag_init(&d);
    ck_assert_msg(cq_macros_load(&m, conf, &d) == 0, "%s", d.msg);
    size_t n, ok = 0;
    char **files = dir_files(dir, ".yml", &n);
    ck_assert_msg(n > 0, "no detection searches in %s", dir);
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        char *doc = test_slurp(path, NULL);
        cq_strbuf q = CQ_STRBUF_INIT;
        ck_assert_msg(doc && yaml_search(doc, &q) == 0, "%s: no search: found", files[i]);
        ok += front_end_ok(&m, files[i], cq_strbuf_str(&q));
        cq_strbuf_free(&q);
        free(doc);
        free(files[i]);
    }
    free(files);
    cq_arena_free(&ma);
    printf("corpus: %zu of %zu detection searches parse\n", ok, n);
    fflush(stdout);
    ck_assert_uint_eq(n, 28);
    ck_assert_uint_eq(ok, n);
}
END_TEST

/* Checks that one run of the front end on text either succeeded or left
 * an error that points into the text. */
static void check_outcome(const char *name, int rc, const cq_diag *d, size_t len)
{
    if (rc == 0)
        return;
    ck_assert_msg(d->set, "%s: failed without a message", name);
    ck_assert_msg(d->span.start == UINT32_MAX || (d->span.start <= len && d->span.end <= len),
                  "%s: error span %u-%u outside the input", name, d->span.start, d->span.end);
}

/* Every input that once made the fuzzer fail (tests/fuzz/crashers) still
 * goes through cq_parse and the whole front end cleanly. */
START_TEST(fuzz_crashers)
{
    char dir[1024], conf[1024];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/crashers", test_srcdir());
    snprintf(conf, sizeof conf, "%s/data/macros.conf", test_srcdir());
    cq_arena ma;
    cq_arena_init(&ma);
    cq_macros m;
    cq_macros_init(&m, &ma);
    cq_diag d;
    cq_diag_init(&d);
    ck_assert_msg(cq_macros_load(&m, conf, &d) == 0, "%s", d.msg);
    size_t n;
    char **files = dir_files(dir, "", &n);
    ck_assert_uint_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        FILE *f = fopen(path, "rb");
        ck_assert_msg(f != NULL, "%s", path);
        cq_strbuf sb = CQ_STRBUF_INIT;
        char buf[4096];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, f)) > 0)
            cq_strbuf_add(&sb, buf, k);
        fclose(f);
        const char *text = cq_strbuf_str(&sb);
        cq_arena a;
        cq_arena_init(&a);
        cq_ast *ast;
        cq_diag_init(&d);
        check_outcome(files[i], cq_parse(&a, text, sb.len, &ast, &d), &d, sb.len);
        cq_expansion x;
        cq_diag_init(&d);
        check_outcome(files[i], cq_resolve_query(&a, &m, text, sb.len, &x, &ast, &d), &d, sb.len);
        cq_arena_free(&a);
        cq_strbuf_free(&sb);
        free(files[i]);
    }
    free(files);
    cq_arena_free(&ma);
}
END_TEST

Suite *corpus_suite(void)
{
    Suite *s = suite_create("corpus");
    TCase *tc = tcase_create("corpus");
    tcase_add_test(tc, extractor_single_quoted);
    tcase_add_test(tc, extractor_block);
    tcase_add_test(tc, detections_parse);
    tcase_add_test(tc, fuzz_crashers);
    suite_add_tcase(s, tc);
    return s;
}
