/* index/index.c: placeholder, being written. */
typedef int cq_placeholder_index_index_c;
