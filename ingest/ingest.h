/* ingest/ingest.h: placeholder, being written. */
#ifndef CQ_INGEST_INGEST_H
#define CQ_INGEST_INGEST_H
#endif
