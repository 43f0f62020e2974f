/*
 * cli.h — what agent/main.c hands to each command: the parsed global flags,
 * the exit codes every command shares, and the command prototypes.
 *
 * Commands live one per file in agent/cmd/<name>.c as
 * `int cmd_<name>(int argc, char **argv, const struct kairn_globals *g)`.
 * argv[0] is the command name; global flags have already been removed.
 * A command parses its own flags, calls the library, prints, and returns an
 * exit code. It never calls exit().
 */
#ifndef KAIRN_CLI_H
#define KAIRN_CLI_H

enum kairn_exit {
	KAIRN_EXIT_OK = 0,
	KAIRN_EXIT_ERROR = 1,
	KAIRN_EXIT_USAGE = 2,
	KAIRN_EXIT_DIFF = 3,         /* `kairn diff` found differences */
	KAIRN_EXIT_HOOK = 4,         /* a hook failed */
	KAIRN_EXIT_PRUNE_REFUSED = 5 /* a prune guard refused */
};

enum kairn_output { KAIRN_OUT_TEXT = 0, KAIRN_OUT_JSON, KAIRN_OUT_YAML };

struct kairn_globals {
	const char *kubeconfig; /* --kubeconfig, else KUBECONFIG, else ~/.kube/config */
	const char *context;    /* --context */
	const char *namespace;  /* -n/--namespace, NULL = from context */
	enum kairn_output output;
	double kube_qps;      /* --kube-qps (default 1000) */
	int kube_burst;       /* --kube-burst (default 20000) */
	int kube_concurrency; /* --kube-concurrency (default 32) */
	const char *kube_request_timeout; /* --request-timeout (e.g. "30s") */
};

struct kairn_command {
	const char *name;
	int (*run)(int argc, char **argv, const struct kairn_globals *g);
	const char *summary;
	const char *usage; /* full help text for `kairn help <cmd>` */
};

/* Looks a command up in main.c's table (used by `help`). */
const struct kairn_command *kairn_command_find(const char *name);

/* Prints a usage error for cmd on stderr and returns KAIRN_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints cmd's help to stdout and returns 0. */
int cli_print_help(const char *cmd);

/* One per command, in agent/cmd/<name>.c. */
int cmd_version(int argc, char **argv, const struct kairn_globals *g);
int cmd_help(int argc, char **argv, const struct kairn_globals *g);
int cmd_source(int argc, char **argv, const struct kairn_globals *g);
int cmd_render(int argc, char **argv, const struct kairn_globals *g);
int cmd_check(int argc, char **argv, const struct kairn_globals *g);
int cmd_sync(int argc, char **argv, const struct kairn_globals *g);
int cmd_diff(int argc, char **argv, const struct kairn_globals *g);
int cmd_run(int argc, char **argv, const struct kairn_globals *g);
int cmd_run(int argc, char **argv, const struct kairn_globals *g);
int cmd_backup(int argc, char **argv, const struct kairn_globals *g);
int cmd_restore(int argc, char **argv, const struct kairn_globals *g);

extern const char cmd_version_usage[];
extern const char cmd_source_usage[];
extern const char cmd_render_usage[];
extern const char cmd_check_usage[];
extern const char cmd_sync_usage[];
extern const char cmd_diff_usage[];
extern const char cmd_run_usage[];
extern const char cmd_run_usage[];
extern const char cmd_backup_usage[];
extern const char cmd_restore_usage[];

#endif
