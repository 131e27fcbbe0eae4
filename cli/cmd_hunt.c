/* cli/cmd_hunt.c: placeholder, being written. */
typedef int cq_placeholder_cli_cmd_hunt_c;
