/* engine/batch.h: placeholder, being written. */
#ifndef CQ_ENGINE_BATCH_H
#define CQ_ENGINE_BATCH_H
#endif
