/* paths.c - locating installed or in-tree data files. */
#include "common/paths.h"
#include "common/strbuf.h"

#include <stdlib.h>
#include <sys/stat.h>

#ifndef CQ_PKGDATADIR
#define CQ_PKGDATADIR "/usr/local/share/cquery"
#endif
#ifndef CQ_SRCDIR
#define CQ_SRCDIR "."
#endif

static char *try_path(const char *dir, const char *sub, const char *rel)
{
    cq_strbuf sb = CQ_STRBUF_INIT;
    cq_strbuf_addf(&sb, "%s%s/%s", dir, sub, rel);
    struct stat st;
    if (stat(sb.buf, &st) == 0)
        return sb.buf;
    cq_strbuf_free(&sb);
    return NULL;
}

char *cq_find_data(const char *rel)
{
    const char *env = getenv("CQUERY_DATADIR");
    char *p = NULL;
    if (env && *env && (p = try_path(env, "", rel)))
        return p;
    if ((p = try_path(CQ_PKGDATADIR, "", rel)))
        return p;
    /* In the source tree, data files live in data/ and analytics in queries/. */
    if ((p = try_path(CQ_SRCDIR, "/data", rel)))
        return p;
    return try_path(CQ_SRCDIR, "", rel);
}
