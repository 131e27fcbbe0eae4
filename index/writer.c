/* index/writer.c: placeholder, being written. */
typedef int cq_placeholder_index_writer_c;
