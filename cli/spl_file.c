/* cli/spl_file.c: placeholder, being written. */
typedef int cq_placeholder_cli_spl_file_c;
