/* cli/cmd_search.c: placeholder, being written. */
typedef int cq_placeholder_cli_cmd_search_c;
