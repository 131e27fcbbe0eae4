/* cli/cmd_ingest.c: placeholder, being written. */
typedef int cq_placeholder_cli_cmd_ingest_c;
