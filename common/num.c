/* num.c - reading numbers as Splunk does (see num.h). */
#include "common/num.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int cq_parse_num(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return 0;
    unsigned char c0 = (unsigned char)s[0];
    if (!(isdigit(c0) || c0 == '-' || c0 == '+' || c0 == '.'))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len || errno == ERANGE || isnan(v) || isinf(v))
        return 0;
    /* strtod accepts hex ("0x1A"); Splunk does not treat it as a number. */
    if (memchr(buf, 'x', len) || memchr(buf, 'X', len))
        return 0;
    *out = v;
    return 1;
}
