/*
 * timemod.c - Splunk's time modifiers (earliest=, latest=, relative_time()):
 * "now", epoch seconds, "%m/%d/%Y:%H:%M:%S", and relative steps with an
 * optional snap ("-24h", "-7d@d", "+1mon", "@w1"), in UTC.  Below the grammar
 * (which checks them) and the engine (which applies them).
 */
#include "common/timemod.h"
#include "common/num.h"
#include "common/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_seconds(const char *u, size_t n, int64_t *secs, int *months)
{
    static const struct {
        const char *name;
        int64_t secs;
        int months;
    } units[] = {
        {"s", 1, 0}, {"sec", 1, 0}, {"secs", 1, 0}, {"second", 1, 0}, {"seconds", 1, 0},
        {"m", 60, 0}, {"min", 60, 0}, {"mins", 60, 0}, {"minute", 60, 0}, {"minutes", 60, 0},
        {"h", 3600, 0}, {"hr", 3600, 0}, {"hrs", 3600, 0}, {"hour", 3600, 0}, {"hours", 3600, 0},
        {"d", 86400, 0}, {"day", 86400, 0}, {"days", 86400, 0},
        {"w", 604800, 0}, {"week", 604800, 0}, {"weeks", 604800, 0},
        {"mon", 0, 1}, {"month", 0, 1}, {"months", 0, 1},
        {"q", 0, 3}, {"qtr", 0, 3}, {"qtrs", 0, 3}, {"quarter", 0, 3}, {"quarters", 0, 3},
        {"y", 0, 12}, {"yr", 0, 12}, {"yrs", 0, 12}, {"year", 0, 12}, {"years", 0, 12},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == n && !strncmp(units[i].name, u, n)) {
            *secs = units[i].secs;
            *months = units[i].months;
            return 0;
        }
    return -1;
}

typedef struct civil {
    int64_t y;
    int mon, d, h, mi, s;
    int64_t us;
} civil;

static civil to_civil(int64_t us)
{
    civil c;
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    c.us = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    c.h = (int)(rem / 3600);
    c.mi = (int)(rem / 60 % 60);
    c.s = (int)(rem % 60);
    /* inverse of cq_days_from_civil via a year search (rare path) */
    int64_t y = 1970 + days / 366;
    while (cq_days_from_civil(y + 1, 1, 1) <= days)
        y++;
    while (cq_days_from_civil(y, 1, 1) > days)
        y--;
    int m = 1;
    while (m < 12 && cq_days_from_civil(y, (unsigned)m + 1, 1) <= days)
        m++;
    c.y = y;
    c.mon = m;
    c.d = (int)(days - cq_days_from_civil(y, (unsigned)m, 1)) + 1;
    return c;
}

static int64_t from_civil(const civil *c)
{
    int64_t y = c->y + (c->mon - 1) / 12;
    int mon = (c->mon - 1) % 12 + 1;
    if (mon <= 0) {
        mon += 12;
        y--;
    }
    int64_t days = cq_days_from_civil(y, (unsigned)mon, 1) + c->d - 1;
    return ((days * 86400) + c->h * 3600 + c->mi * 60 + c->s) * 1000000 + c->us;
}

static int64_t add_months(int64_t us, int64_t months)
{
    civil c = to_civil(us);
    int64_t m = c.y * 12 + (c.mon - 1) + months;
    c.y = m >= 0 ? m / 12 : -((-m + 11) / 12);
    c.mon = (int)(m - c.y * 12) + 1;
    return from_civil(&c);
}

/* Snaps down to the start of the unit ("@d", "@mon", "@w1"). */
static int snap(int64_t *us, const char *u, size_t n)
{
    civil c = to_civil(*us);
    c.us = 0;
    if (n == 2 && u[0] == 'w' && u[1] >= '0' && u[1] <= '6') {
        int64_t days = (*us >= 0 ? *us / 86400000000LL : -((-*us + 86399999999LL) / 86400000000LL));
        int dow = (int)(((days % 7) + 11) % 7);   /* 1970-01-01 was a Thursday (4) */
        int back = (dow - (u[1] - '0') + 7) % 7;
        *us = (days - back) * 86400000000LL;
        return 0;
    }
    int64_t secs;
    int months;
    if (unit_seconds(u, n, &secs, &months))
        return -1;
    if (secs == 1) {
    } else if (secs == 60) {
        c.s = 0;
    } else if (secs == 3600) {
        c.s = c.mi = 0;
    } else if (secs == 86400) {
        c.s = c.mi = c.h = 0;
    } else if (secs == 604800) {
        return snap(us, "w0", 2);
    } else {
        c.s = c.mi = c.h = 0;
        c.d = 1;
        if (months == 3)
            c.mon = (c.mon - 1) / 3 * 3 + 1;
        else if (months == 12)
            c.mon = 1;
    }
    *us = from_civil(&c);
    return 0;
}

/* One "[+-]N unit" step starting at s[*i]. */
static int rel_step(const char *s, size_t *i, int64_t *us)
{
    int sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    int64_t n = 0;
    int digits = 0;
    while (isdigit((unsigned char)s[*i]) && digits < 9) {
        n = n * 10 + (s[(*i)++] - '0');
        digits++;
    }
    if (!digits)
        n = 1;
    size_t u0 = *i;
    while (isalpha((unsigned char)s[*i]))
        (*i)++;
    int64_t secs;
    int months;
    if (unit_seconds(s + u0, *i - u0, &secs, &months))
        return -1;
    if (months)
        *us = add_months(*us, sign * n * months);
    else
        *us += sign * n * secs * 1000000;
    return 0;
}

static int parse_absolute(const char *s, int64_t *us)
{
    int mo, d, y, h, mi, sec;
    char tail;
    if (sscanf(s, "%2d/%2d/%4d:%2d:%2d:%2d%c", &mo, &d, &y, &h, &mi, &sec, &tail) != 6)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    *us = ((cq_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400) + h * 3600 + mi * 60 + sec) *
          1000000LL;
    return 0;
}

int cq_time_modifier(const char *s, int64_t now_us, int64_t *us)
{
    if (!strcmp(s, "now") || !strcmp(s, "now()")) {
        *us = now_us;
        return 0;
    }
    double secs;
    if (cq_parse_num(s, strlen(s), &secs) && s[0] != '-' && s[0] != '+') {
        *us = (int64_t)(secs * 1e6);
        return 0;
    }
    if (!parse_absolute(s, us))
        return 0;
    if (s[0] != '-' && s[0] != '+' && s[0] != '@')
        return -1;
    int64_t t = now_us;
    size_t i = 0;
    while (s[i] == '-' || s[i] == '+')
        if (rel_step(s, &i, &t))
            return -1;
    if (s[i] == '@') {
        size_t u0 = ++i;
        while (isalnum((unsigned char)s[i]))
            i++;
        if (snap(&t, s + u0, i - u0))
            return -1;
        while (s[i] == '-' || s[i] == '+')
            if (rel_step(s, &i, &t))
                return -1;
    }
    if (s[i])
        return -1;
    *us = t;
    return 0;
}
