/* engine/match.h: placeholder, being written. */
#ifndef CQ_ENGINE_MATCH_H
#define CQ_ENGINE_MATCH_H
#endif
