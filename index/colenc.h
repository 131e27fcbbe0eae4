/* index/colenc.h: placeholder, being written. */
#ifndef CQ_INDEX_COLENC_H
#define CQ_INDEX_COLENC_H
#endif
