/*
 * timeutil.h - timestamps as int64 microseconds since the epoch (UTC).
 */
#ifndef CQ_COMMON_TIMEUTIL_H
#define CQ_COMMON_TIMEUTIL_H

#include <stddef.h>
#include <limits.h>
#include <stdint.h>

/*
 * Parses an RFC 3339 / ISO 8601 timestamp: "2024-05-01T10:00:00.123456789Z",
 * "...+08:00", a space instead of "T", no zone (taken as UTC), any number of
 * fraction digits (kept to the microsecond).  Returns 0 and sets *us, or -1.
 * Parses exactly s[0..len); trailing bytes are an error.
 */
int cq_time_parse_iso(const char *s, size_t len, int64_t *us);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t cq_days_from_civil(int64_t y, unsigned m, unsigned d);

/*
 * Formats us as "2024-05-01T10:00:00.123+00:00" in the zone `tz_offset_s`
 * seconds east of UTC, or CQ_TZ_LOCAL (Splunk's _time rendering,
 * milliseconds).  buf must
 * hold CQ_TIME_BUFLEN bytes.  Returns the length.
 */
#define CQ_TIME_BUFLEN 40
size_t cq_time_format(int64_t us, int tz_offset_s, char *buf);

/*
 * Parses a --tz value: "UTC", "Z", "+02:00", "-0530" give a fixed offset in
 * seconds; "local" (the process's zone: $TZ, else /etc/localtime) and a tz
 * database name ("Europe/Berlin", which becomes the process's zone: TZ is
 * set) give CQ_TZ_LOCAL, which cq_time_format() turns into the offset of
 * each instant, summer time included.  Returns 0, or -1 (a zone the tz
 * database does not have).
 */
#define CQ_TZ_LOCAL INT_MIN
int cq_tz_parse(const char *s, int *offset_s);

/* The offset east of UTC, in seconds, that the zone of a --tz value has at
 * the instant us (CQ_TZ_LOCAL: the local zone's, summer time included). */
int cq_tz_offset_at(int64_t us, int tz_offset_s);
/* The instant at which the zone's clocks show wall_us (a wall-clock time
 * read as if it were UTC): the inverse of printing in that zone. */
int64_t cq_tz_wall_to_utc(int64_t wall_us, int tz_offset_s);

/* Now, in microseconds. */
int64_t cq_time_now_us(void);

#endif
