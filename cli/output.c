/* cli/output.c: placeholder, being written. */
typedef int cq_placeholder_cli_output_c;
