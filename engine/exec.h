/* engine/exec.h: placeholder, being written. */
#ifndef CQ_ENGINE_EXEC_H
#define CQ_ENGINE_EXEC_H
#endif
