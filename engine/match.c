/* engine/match.c: placeholder, being written. */
typedef int cq_placeholder_engine_match_c;
