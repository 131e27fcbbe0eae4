/* engine/explain.c: placeholder, being written. */
typedef int cq_placeholder_engine_explain_c;
