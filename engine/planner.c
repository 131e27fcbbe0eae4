/* engine/planner.c: placeholder, being written. */
typedef int cq_placeholder_engine_planner_c;
