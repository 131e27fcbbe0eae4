/* engine/exec.c: placeholder, being written. */
typedef int cq_placeholder_engine_exec_c;
