/* engine/plan.h: placeholder, being written. */
#ifndef CQ_ENGINE_PLAN_H
#define CQ_ENGINE_PLAN_H
#endif
