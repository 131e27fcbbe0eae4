/* engine/query.c: placeholder, being written. */
typedef int cq_placeholder_engine_query_c;
