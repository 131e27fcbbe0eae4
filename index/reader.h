/* index/reader.h: placeholder, being written. */
#ifndef CQ_INDEX_READER_H
#define CQ_INDEX_READER_H
#endif
