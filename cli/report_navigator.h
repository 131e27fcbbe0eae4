/*
 * report_navigator.h - `cquery hunt --format attack-navigator`: a MITRE
 * ATT&CK Navigator layer (layer format 4.5, JSON) of the techniques hunted.
 *
 * One entry per technique id named in the analytics' "# technique:" headers
 * (T1609, T1552.007, ...; an analytic naming several counts in each), its
 * score the hits of its analytics summed, its comment and metadata their
 * ids and hits.  A technique whose analytics ran and found nothing is kept
 * with score 0, so the map shows what was hunted as well as what fired; one
 * whose analytics all failed has no score.  Techniques in id order,
 * analytics in id order: the same hunt gives the same file.
 */
#ifndef CQ_CLI_REPORT_NAVIGATOR_H
#define CQ_CLI_REPORT_NAVIGATOR_H

#include "cli/report_html.h"

#include <stdio.h>

/* Writes the layer of r[0..n); info->generated is when it was made. */
void cq_report_navigator(FILE *out, const cq_hunt_result *r, size_t n,
                         const cq_report_info *info);

#endif
