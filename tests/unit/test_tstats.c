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
#include <string.h>

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

Suite *tstats_suite(void)
{
    Suite *s = suite_create("tstats");
    TCase *tc = tcase_create("datamodel");
    tcase_add_test(tc, dm_errors);
    tcase_add_test(tc, dm_extend_and_paths);
    tcase_add_test(tc, dm_bundled);
    suite_add_tcase(s, tc);
    return s;
}
