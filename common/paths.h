/*
 * paths.h - where cquery finds its data files (sourcetypes.conf, macros,
 * the bundled analytics) at run time: $CQUERY_DATADIR, then the installed
 * pkgdatadir, then the source tree it was built from (so an uninstalled
 * build works from a fresh clone).
 */
#ifndef CQ_COMMON_PATHS_H
#define CQ_COMMON_PATHS_H

/*
 * Returns the first existing path of `rel` (e.g. "sourcetypes.conf" or
 * "queries") under the data directories, as a malloc'd string the caller
 * frees, or NULL when none exists.
 */
char *cq_find_data(const char *rel);

#endif
