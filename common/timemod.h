/*
 * timemod.h - Splunk time modifiers, shared by the resolver (checks them),
 * the planner (earliest=/latest=), relative_time() and the CLI (--since).
 */
#ifndef CQ_COMMON_TIMEMOD_H
#define CQ_COMMON_TIMEMOD_H

#include <stdint.h>

/*
 * Parses a Splunk time modifier: "now", epoch seconds, "%m/%d/%Y:%H:%M:%S",
 * relative "-24h", "-7d@d", "+1mon", "@w1" (units s m h d w mon q y).
 * Returns 0 and *us, or -1.
 */
int cq_time_modifier(const char *s, int64_t now_us, int64_t *us);

#endif
