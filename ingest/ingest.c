/* ingest/ingest.c: placeholder, being written. */
typedef int cq_placeholder_ingest_ingest_c;
