#include "data/gen.h"
void gen_events_run(gen_ctx *c, const gen_events_opts *o) {(void)c;(void)o;}
