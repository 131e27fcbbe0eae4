/* index/reader.c: placeholder, being written. */
typedef int cq_placeholder_index_reader_c;
