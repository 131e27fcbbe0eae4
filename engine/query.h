/* engine/query.h: placeholder, being written. */
#ifndef CQ_ENGINE_QUERY_H
#define CQ_ENGINE_QUERY_H
#endif
