/* engine/filter.c: placeholder, being written. */
typedef int cq_placeholder_engine_filter_c;
