/* engine/batch.c: placeholder, being written. */
typedef int cq_placeholder_engine_batch_c;
