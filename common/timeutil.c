/* timeutil.c - parsing and printing timestamps without the C library's locale and TZ
 * state, but for the local zone of --tz local and --tz Europe/Berlin. */
#include "common/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

int64_t cq_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil algorithm. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n digits at s[*i]. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return -1;
    (*i)++;
    return 0;
}

static int parse_zone(const char *s, size_t len, size_t *i, int *off_s)
{
    *off_s = 0;
    if (*i == len)
        return 0;
    if (s[*i] == 'Z' || s[*i] == 'z') {
        (*i)++;
        return 0;
    }
    if (s[*i] != '+' && s[*i] != '-')
        return -1;
    int sign = s[(*i)++] == '-' ? -1 : 1, hh, mm = 0;
    if (digits(s, len, i, 2, &hh))
        return -1;
    if (*i < len && s[*i] == ':')
        (*i)++;
    if (*i < len && digits(s, len, i, 2, &mm))
        return -1;
    if (hh > 23 || mm > 59)
        return -1;
    *off_s = sign * (hh * 3600 + mm * 60);
    return 0;
}

int cq_time_parse_iso(const char *s, size_t len, int64_t *us)
{
    size_t i = 0;
    int y, mo, d, h, mi, sec, off;
    if (digits(s, len, &i, 4, &y) || expect(s, len, &i, '-') ||
        digits(s, len, &i, 2, &mo) || expect(s, len, &i, '-') ||
        digits(s, len, &i, 2, &d))
        return -1;
    if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return -1;
    i++;
    if (digits(s, len, &i, 2, &h) || expect(s, len, &i, ':') ||
        digits(s, len, &i, 2, &mi) || expect(s, len, &i, ':') ||
        digits(s, len, &i, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    int64_t frac = 0;
    if (i < len && (s[i] == '.' || s[i] == ',')) {
        i++;
        int nd = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (nd < 6)
                frac = frac * 10 + (s[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0)
            return -1;
        for (; nd < 6; nd++)
            frac *= 10;
    }
    if (parse_zone(s, len, &i, &off) || i != len)
        return -1;
    int64_t days = cq_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *us = ((days * 86400 + h * 3600 + mi * 60 + sec) - off) * 1000000 + frac;
    return 0;
}

/* The local zone's offset east of UTC at us (seconds). */
static int local_offset(int64_t us)
{
    time_t t = (time_t)(us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000));
    struct tm tm;
    return localtime_r(&t, &tm) ? (int)tm.tm_gmtoff : 0;
}

int cq_tz_offset_at(int64_t us, int tz_offset_s)
{
    return tz_offset_s == CQ_TZ_LOCAL ? local_offset(us) : tz_offset_s;
}

int64_t cq_tz_wall_to_utc(int64_t wall_us, int tz_offset_s)
{
    /* the offset at the instant the wall time would be in UTC, then at the
     * instant that offset gives: right on both sides of a summer-time change */
    int64_t guess = wall_us - (int64_t)cq_tz_offset_at(wall_us, tz_offset_s) * 1000000;
    return wall_us - (int64_t)cq_tz_offset_at(guess, tz_offset_s) * 1000000;
}

size_t cq_time_format(int64_t us, int tz_offset_s, char *buf)
{
    if (tz_offset_s == CQ_TZ_LOCAL)
        tz_offset_s = local_offset(us);
    int64_t t = us + (int64_t)tz_offset_s * 1000000;
    int64_t secs = t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
    int64_t sub = t - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int off = tz_offset_s < 0 ? -tz_offset_s : tz_offset_s;
    int n = snprintf(buf, CQ_TIME_BUFLEN, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d%c%02d:%02d",
                     (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
                     (int)(rem % 60), (int)(sub / 1000), tz_offset_s < 0 ? '-' : '+',
                     off / 3600, off / 60 % 60);
    return n < 0 ? 0 : (size_t)n;
}

/* Whether the tz database has zone name (Europe/Berlin): a relative path of
 * letters, digits, _ + - and /, no "..", naming a file under $TZDIR or
 * /usr/share/zoneinfo.  glibc falls back to UTC, silently, for a name it
 * cannot find, so the name is checked first. */
static int tz_name_ok(const char *name)
{
    if (!*name || *name == '/' || strstr(name, "..") || strlen(name) > 200)
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_+-/", *p))
            return 0;
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int cq_tz_parse(const char *s, int *offset_s)
{
    if (!strcmp(s, "UTC") || !strcmp(s, "utc") || !strcmp(s, "Z")) {
        *offset_s = 0;
        return 0;
    }
    if (!strcmp(s, "local")) {
        tzset();
        *offset_s = CQ_TZ_LOCAL;
        return 0;
    }
    size_t i = 0, len = strlen(s);
    if (len && (s[0] == '+' || s[0] == '-'))
        return parse_zone(s, len, &i, offset_s) || i != len ? -1 : 0;
    if (!tz_name_ok(s))
        return -1;
    setenv("TZ", s, 1);
    tzset();
    *offset_s = CQ_TZ_LOCAL;
    return 0;
}

int64_t cq_time_now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}
