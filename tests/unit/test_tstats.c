/*
 * test_tstats.c - data models and tstats.
 *
 * datamodel: the datamodels.conf reader (engine/datamodel.c): every error
 * with its file and line, extension by a later stanza, parents and paths;
 * the bundled data/datamodels.conf reads cleanly.
 *
 * tstats: `| tstats ...` gives byte for byte what the search and stats it
 * stands for give (engine/tstats.h), over the hunt fixtures and 6,000
 * generated audit events (several blocks), with one thread and with three.
 */
#include "tests/unit/suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/diag.h"
#include "engine/datamodel.h"

/* ------------------------------------------------------------ the reader */

/* Parses text; returns the error message ("" when none). */
static const char *parse_err(const char *text)
{
    static char msg[600];
    cq_arena a;
    cq_arena_init(&a);
    cq_datamodels m;
    cq_datamodels_init(&m, &a);
    cq_diag d;
    cq_diag_init(&d);
    if (cq_datamodels_parse(&m, text, strlen(text), "dm.conf", &d) == 0)
        cq_datamodels_link(&m, &d);
    snprintf(msg, sizeof msg, "%s", d.set ? d.msg : "");
    cq_arena_free(&a);
    return msg;
}

START_TEST(dm_errors)
{
    ck_assert_str_eq(parse_err("[A.B]\nconstraint = x=1\n"), "");
    ck_assert_str_eq(parse_err("# c\n\nfields = a\n"),
                     "dm.conf:3: \"fields\" outside a [Model.Dataset] stanza");
    ck_assert_str_eq(parse_err("[Endpoint]\n"),
                     "dm.conf:1: bad stanza [Endpoint]: expected [Model.Dataset]");
    ck_assert_str_eq(parse_err("[A.B-c]\n"),
                     "dm.conf:1: bad stanza [A.B-c]: expected [Model.Dataset]");
    ck_assert_str_eq(parse_err("[A.B\n"), "dm.conf:1: expected \"]\" at the end of the stanza name");
    ck_assert_str_eq(parse_err("[A.B]\nnonsense\n"),
                     "dm.conf:2: expected \"key = value\", found \"nonsense\"");
    ck_assert_str_eq(parse_err("[A.B]\ncolour = red\n"), "dm.conf:2: unknown key \"colour\"");
    ck_assert_str_eq(parse_err("[A.B]\nfields = a b-c\n"), "dm.conf:2: bad field name \"b-c\"");
    ck_assert_str_eq(parse_err("[A.B]\nfields = a.b annotations.mitre_attack.x\n"), "");
    ck_assert_str_eq(parse_err("[A.B]\nfields = a..b\n"), "dm.conf:2: bad field name \"a..b\"");
    ck_assert_str_eq(parse_err("[A.B]\nfields = a.\n"), "dm.conf:2: bad field name \"a.\"");
    ck_assert_str_eq(parse_err("[A.B]\n\nconstraint = (x=1\n"),
                     "dm.conf:3: bad constraint: unbalanced parenthesis (at character 1 of "
                     "\"(x=1\")");
    ck_assert_str_eq(parse_err("[A.B]\nconstraint = x | stats count\n"),
                     "dm.conf:2: bad constraint: expected one constraint, found a pipeline "
                     "(at character 1 of \"x | stats count\")");
    ck_assert_str_eq(parse_err("[A.B]\neval.f = nosuch(x)\n"),
                     "dm.conf:2: bad expression: unknown function \"nosuch\" (at character 1 "
                     "of \"nosuch(x)\")");
    ck_assert_str_eq(parse_err("[A.B]\neval.f =\n"), "dm.conf:2: eval.f needs an expression");
    ck_assert_str_eq(parse_err("[A.B]\neval.f-g = x\n"), "dm.conf:2: bad field name \"f-g\"");
    ck_assert_str_eq(parse_err("[A.B]\nparent = a.b\n"), "dm.conf:2: bad parent \"a.b\"");
    ck_assert_str_eq(parse_err("[A.B]\nx=1\n[A.C]\nparent = D\n"),
                     "dm.conf:2: unknown key \"x\"");
    ck_assert_str_eq(parse_err("[A.B]\n[A.C]\nparent = D\n"),
                     "dm.conf:2: parent \"D\" of A.C is not a dataset of A");
    ck_assert_str_eq(parse_err("[A.B]\nparent = C\n[A.C]\nparent = B\n"),
                     "dm.conf:1: A.B is its own ancestor");
}
END_TEST

START_TEST(dm_extend_and_paths)
{
    cq_arena a;
    cq_arena_init(&a);
    cq_datamodels m;
    cq_datamodels_init(&m, &a);
    cq_diag d;
    cq_diag_init(&d);
    const char *base = "[Change.All_Changes]\nconstraint = x=1\nfields = user, object\n"
                       "[Change.Account_Management]\nparent = All_Changes\nfields = src_user\n";
    const char *site = "[Change.All_Changes]\nconstraint = x=2\nfields = extra\n"
                       "eval.user = lower(u)\n";
    ck_assert_int_eq(cq_datamodels_parse(&m, base, strlen(base), "base.conf", &d), 0);
    ck_assert_int_eq(cq_datamodels_parse(&m, site, strlen(site), "site.conf", &d), 0);
    ck_assert_int_eq(cq_datamodels_link(&m, &d), 0);
    size_t roots = 0;
    const cq_dm_dataset *root = cq_dm_find(&m, "Change", NULL, &roots);
    ck_assert_uint_eq(roots, 1);
    ck_assert_str_eq(root->name, "All_Changes");
    ck_assert_str_eq(root->constraint_text, "x=2");
    ck_assert_str_eq(root->file, "site.conf");
    const cq_dm_dataset *owner = NULL;
    const cq_dm_field *f = cq_dm_field_find(root, "user", &owner);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(f->expr);
    ck_assert_ptr_nonnull(cq_dm_field_find(root, "extra", NULL));
    ck_assert_ptr_nonnull(cq_dm_field_find(root, "object", NULL));
    const cq_dm_dataset *am = cq_dm_find(&m, "Change", "Account_Management", NULL);
    ck_assert_ptr_eq(cq_dm_find(&m, "Change", "All_Changes.Account_Management", NULL), am);
    ck_assert_str_eq(am->path, "All_Changes.Account_Management");
    ck_assert_ptr_nonnull(cq_dm_field_find(am, "user", &owner));
    ck_assert_ptr_eq(owner, root);
    ck_assert_ptr_null(cq_dm_find(&m, "Change", "Nope", NULL));
    ck_assert_int_eq(cq_dm_has_model(&m, "Endpoint"), 0);
    cq_arena_free(&a);
}
END_TEST

START_TEST(dm_bundled)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/datamodels.conf", test_srcdir());
    cq_arena a;
    cq_arena_init(&a);
    cq_datamodels m;
    cq_datamodels_init(&m, &a);
    cq_diag d;
    cq_diag_init(&d);
    int rc = cq_datamodels_load(&m, path, &d);
    if (rc == 0)
        rc = cq_datamodels_link(&m, &d);
    ck_assert_msg(rc == 0, "%s", d.msg);
    static const char *const need[][2] = {
        {"Endpoint", "Processes"}, {"Endpoint", "Filesystem"}, {"Endpoint", "Services"},
        {"Network_Traffic", "All_Traffic"}, {"Authentication", "Authentication"},
        {"Change", "All_Changes"}, {"Web", "Web"}, {"Network_Resolution", "DNS"},
        {"Intrusion_Detection", "IDS_Attacks"}, {"Risk", "All_Risk"}, {"Alerts", "Alerts"},
        {"Vulnerabilities", "Vulnerabilities"},
    };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        ck_assert_msg(cq_dm_find(&m, need[i][0], need[i][1], NULL), "%s.%s", need[i][0],
                      need[i][1]);
    const cq_dm_dataset *p = cq_dm_find(&m, "Endpoint", "Processes", NULL);
    ck_assert_ptr_nonnull(cq_dm_field_find(p, "process_name", NULL));
    ck_assert_ptr_nonnull(cq_dm_field_find(p, "parent_process_name", NULL));
    cq_arena_free(&a);
    cq_diag_init(&d);
    ck_assert_int_eq(cq_datamodels_load(&m, "/nonexistent/dm.conf", &d), -1);
    ck_assert_str_eq(d.msg, "cannot read data model file /nonexistent/dm.conf: "
                            "No such file or directory");
}
END_TEST

/* ------------------------------------------------ tstats = search | stats */

static char dir[64], db[128];

/* A model of the test's own, read after the bundled ones
 * ($CQUERY_DATAMODELS), so the pairs below do not change with them. */
static const char test_models[] =
    "[Test.Execs]\n"
    "constraint = action=exec (sourcetype=docker:daemon OR sourcetype=kubernetes:apiserver)\n"
    "fields = user\n"
    "eval.cmd = mvindex(split(exec_command, \" \"), 0)\n"
    "eval.target = coalesce(pod, container_id)\n"
    "[Test.Kube]\n"
    "parent = Execs\n"
    "constraint = sourcetype=kubernetes:apiserver\n"
    "fields = namespace\n";

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/cq-tstats-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/idx.db", dir);
    char conf[128];
    snprintf(conf, sizeof conf, "%s/test-models.conf", dir);
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs(test_models, f);
    fclose(f);
    setenv("CQUERY_DATAMODELS", conf, 1);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' audit --count 6000 --seed 5 > '%s/a.json' && '%s' ingest -q --index '%s' "
             "'%s/a.json' '%s/tests/cases/analytics/_fixtures/hunt'",
             test_env("CQUERY_GEN"), dir, test_env("CQUERY_BIN"), db, dir, test_srcdir());
    ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
    unsetenv("CQUERY_DATAMODELS");
    ck_assert_int_eq(test_rmdir(dir), 0);
}

/* test_slurp() that fails the test when the file cannot be read. */
static char *slurp(const char *path)
{
    char *s = test_slurp(path, NULL);
    ck_assert_msg(s != NULL, "cannot read %s", path);
    return s;
}

/* stdout of `cquery search --threads T --format csv q`; fails on an error. */
static char *run(const char *q, const char *threads)
{
    char out[160], err[160];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    char *argv[] = {(char *)test_env("CQUERY_BIN"), "search", "--threads", (char *)threads,
                    "--index", db, "--format", "csv", (char *)q, NULL};
    int rc = test_wait(test_spawn(argv, out, err));
    char *e = slurp(err);
    ck_assert_msg(rc == 0 && !*e, "%s: exit %d: %s", q, rc, e);
    free(e);
    return slurp(out);
}

/* Each tstats query and the search it must equal (a third string:
 * "no rows" when the answer is rightly empty). */
static const char *const pairs[][3] = {
    {"| tstats count", "* | stats count"},
    {"| tstats count where nosuchfield=1", "nosuchfield=1 | stats count"},
    {"| tstats count by sourcetype", "* | stats count by sourcetype"},
    {"| tstats count by source sourcetype", "* | stats count by source sourcetype"},
    /* no event has a host: no group */
    {"| tstats count by host", "* | eval x=1 | stats count by host", "no rows"},
    {"| tstats count dc(user.username) values(verb) min(_time) max(_time) where "
     "sourcetype=kubernetes:apiserver by objectRef.resource",
     "sourcetype=kubernetes:apiserver | stats count dc(user.username) values(verb) min(_time) "
     "max(_time) by objectRef.resource"},
    /* a multivalue by-field counts the event under each value; a null one drops it */
    {"| tstats count by user.groups{} verb", "* | stats count by user.groups{} verb"},
    {"| tstats count(objectRef.namespace) as n sum(responseStatus.code) avg(responseStatus.code) "
     "earliest(verb) latest(verb) by stage",
     "* | stats count(objectRef.namespace) as n sum(responseStatus.code) "
     "avg(responseStatus.code) earliest(verb) latest(verb) by stage"},
    {"| tstats count where verb=create OR verb=delete by _time span=1h",
     "verb=create OR verb=delete | bin _time span=1h | stats count by _time"},
    {"| tstats count where sourcetype=docker:daemon by _time, action span=1s",
     "sourcetype=docker:daemon | bin _time span=1s | stats count by _time, action"},
    {"| tstats fillnull_value=none count by objectRef.subresource",
     "* | fillnull value=none objectRef.subresource | stats count by objectRef.subresource"},
    {"| tstats prestats=t count by verb | stats count by verb", "* | stats count by verb"},
    {"| tstats summariesonly=t allow_old_summaries=t chunk_size=1000 count by verb",
     "* | stats count by verb"},
    /* a data model: its constraint, then its fields */
    /* block metadata answers these (explain says so: tests/cases/plans/tstats_metadata);
     * a time range that cuts blocks reads their _time column */
    {"| tstats count as n c where sourcetype=kubernetes:apiserver OR sourcetype=docker* "
     "by index source",
     "sourcetype=kubernetes:apiserver OR sourcetype=docker* | stats count as n c by index source"},
    {"| tstats count where earliest=1772438700.5 latest=1772439000 by sourcetype",
     "earliest=1772438700.5 latest=1772439000 | stats count by sourcetype"},
    {"| tstats count where sourcetype IN (\"DOCKER:*\", nosuch) earliest=1772438700.5",
     "sourcetype IN (\"DOCKER:*\", nosuch) earliest=1772438700.5 | stats count"},
    {"| tstats count where sourcetype=nosuch", "sourcetype=nosuch | stats count"},
    {"| tstats count where sourcetype=nosuch by sourcetype",
     "sourcetype=nosuch | stats count by sourcetype", "no rows"},
    /* a data model (the test's own, below): its constraint, then its fields */
    {"| tstats count values(Execs.user) from datamodel=Test.Execs where Execs.cmd=sh* "
     "by Execs.target",
     "action=exec (sourcetype=docker:daemon OR sourcetype=kubernetes:apiserver) "
     "| eval Execs.cmd=mvindex(split(exec_command, \" \"), 0), "
     "Execs.target=coalesce(pod, container_id), Execs.user=user "
     "| search Execs.cmd=sh* | stats count values(Execs.user) by Execs.target"},
    /* a child dataset: both constraints; its own fields under both names */
    {"| tstats count from datamodel=Test.Kube by Execs.Kube.namespace Execs.user",
     "action=exec (sourcetype=docker:daemon OR sourcetype=kubernetes:apiserver) "
     "sourcetype=kubernetes:apiserver | stats count by namespace user "
     "| rename namespace as Execs.Kube.namespace, user as Execs.user"},
    {"| tstats count from datamodel=Test where nodename=Execs.Kube by Execs.user",
     "| tstats count from datamodel=Test.Kube by Execs.user"},
    {"| tstats count values(Processes.process) from datamodel=Endpoint.Processes "
     "by Processes.dest",
     "| tstats count values(Processes.process) from datamodel=Endpoint "
     "where nodename=Endpoint.Processes by Processes.dest"},
    {"| tstats count from datamodel=Change.All_Changes by All_Changes.object_category "
     "All_Changes.action | `drop_dm_object_name(All_Changes)`",
     "| tstats count from datamodel=Change by All_Changes.object_category All_Changes.action "
     "| rename All_Changes.* as *"},
};

START_TEST(equals_search)
{
    const char *threads = _i % 2 ? "3" : "1";
    const char *const *p = pairs[_i / 2];
    char *got = run(p[0], threads);
    char *want = run(p[1], threads);
    ck_assert_msg(!strcmp(got, want), "%s\n--- got:\n%s--- search | stats gives:\n%s", p[0],
                  got, want);
    if (!p[2])
        ck_assert_msg(strchr(want, '\n') && strchr(want, '\n')[1], "%s: no rows to compare",
                      p[1]);
    free(got);
    free(want);
}
END_TEST

Suite *tstats_suite(void)
{
    Suite *s = suite_create("tstats");
    TCase *tc = tcase_create("datamodel");
    tcase_add_test(tc, dm_errors);
    tcase_add_test(tc, dm_extend_and_paths);
    tcase_add_test(tc, dm_bundled);
    suite_add_tcase(s, tc);
    tc = tcase_create("equals_search");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, equals_search, 0, (int)(2 * sizeof pairs / sizeof pairs[0]));
    suite_add_tcase(s, tc);
    return s;
}
