/* index/colenc.c: placeholder, being written. */
typedef int cq_placeholder_index_colenc_c;
