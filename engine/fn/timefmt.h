/*
 * timefmt.h - private to engine/: Splunk's time format strings, for
 * strftime()/strptime() in eval and convert's ctime()/mktime().
 *
 * The C library's conversions plus Splunk's own: %N / %3N / %6N / %9N
 * (subseconds, 3 digits by default), %Q / %3Q (milliseconds), %f
 * (microseconds), %s (epoch seconds), %z (+hhmm), %:z (+hh:mm), %Z (the
 * zone's abbreviation, "UTC", or +hh:mm for a fixed offset).
 * As in Splunk, times are in the user's zone: `tz` is --tz's (seconds east
 * of UTC, or CQ_TZ_LOCAL, common/timeutil.h), 0 for UTC; strptime reads a
 * time without %z in it.
 */
#ifndef CQ_ENGINE_TIMEFMT_H
#define CQ_ENGINE_TIMEFMT_H

#include <stddef.h>

#include "common/arena.h"
#include "index/colenc.h"

/* Formats epoch seconds t with fmt in zone tz; the text comes from a.  {NULL,0} when
 * t is out of range. */
cq_sv cq_time_strftime(double t, const char *fmt, int tz, cq_arena *a);

/* Parses s with fmt into epoch seconds (fractions kept).  Returns 0, or -1
 * when s does not match. */
int cq_time_strptime(cq_sv s, const char *fmt, int tz, double *out);

#endif
