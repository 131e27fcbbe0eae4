/*
 * num.h - a field value as a number, as Splunk reads one: the whole text is
 * a decimal number (no spaces, no hex, no inf/nan).
 */
#ifndef CQ_COMMON_NUM_H
#define CQ_COMMON_NUM_H

#include <stddef.h>

/* Parses a whole string as a number (leading/trailing spaces not allowed). */
int cq_parse_num(const char *s, size_t len, double *out);

#endif
