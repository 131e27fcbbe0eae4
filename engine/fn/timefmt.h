/*
 * timefmt.h - private to engine/: Splunk's time format strings, for
 * strftime()/strptime() in eval and convert's ctime()/mktime().
 *
 * The C library's conversions plus Splunk's own: %N / %3N / %6N / %9N
 * (subseconds, 3 digits by default), %Q / %3Q (milliseconds), %f
 * (microseconds), %s (epoch seconds), %z (+hhmm), %:z (+hh:mm), %Z ("UTC").
 * Times are in UTC: cquery's eval has no user time zone (--tz only changes
 * how _time is printed), which differs from Splunk, where the user's zone
 * applies.
 */
#ifndef CQ_ENGINE_TIMEFMT_H
#define CQ_ENGINE_TIMEFMT_H

#include <stddef.h>

#include "common/arena.h"
#include "index/colenc.h"

/* Formats epoch seconds t with fmt; the text comes from a.  {NULL,0} when
 * t is out of range. */
cq_sv cq_time_strftime(double t, const char *fmt, cq_arena *a);

/* Parses s with fmt into epoch seconds (fractions kept).  Returns 0, or -1
 * when s does not match. */
int cq_time_strptime(cq_sv s, const char *fmt, double *out);

#endif
