/*
 * cmd/version.c — `kairn version`: version, commit and library versions.
 */
#include "cli.h"
#include "version.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

const char cmd_version_usage[] =
	"Usage: kairn version [-o text|json]\n"
	"\n"
	"Prints kairn's version, the git commit it was built from and the versions\n"
	"of the libraries it is linked with.\n";

int cmd_version(int argc, char **argv, const struct kairn_globals *g)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	cJSON *v, *libs, *lib;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_print_help("version");
		return cli_usage_error("version", "unknown flag");
	}
	if (optind < argc)
		return cli_usage_error("version", "unexpected argument \"%s\"", argv[optind]);

	v = kairn_version_json();
	if (!v) {
		fprintf(stderr, "kairn: out of memory\n");
		return KAIRN_EXIT_ERROR;
	}
	if (g->output == KAIRN_OUT_JSON) {
		char *s = cJSON_Print(v);

		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		printf("kairn %s (commit %s)\n", cJSON_GetObjectItem(v, "version")->valuestring,
		       cJSON_GetObjectItem(v, "gitCommit")->valuestring);
		libs = cJSON_GetObjectItem(v, "libraries");
		cJSON_ArrayForEach(lib, libs)
			printf("  %-14s %s\n", lib->string, lib->valuestring);
	}
	cJSON_Delete(v);
	return KAIRN_EXIT_OK;
}
