/* index/index_int.h: placeholder, being written. */
#ifndef CQ_INDEX_INDEX_INT_H
#define CQ_INDEX_INDEX_INT_H
#endif
