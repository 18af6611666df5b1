/* cmd.h: what the upager command's source files share: the subcommand table's types, option parsing, messages */
#ifndef UPAGER_CMD_H
#define UPAGER_CMD_H

#include <stddef.h>
#include <stdint.h>

#define EXIT_USAGE 2            /* bad arguments; runtime failures exit 1 */

/* A subcommand: its name, one-line summary, usage, help and body. */
struct command {
	const char *name;
	const char *summary;
	const char *usage;
	const char *help;
	int (*run)(const struct command *cmd, int argc, char **argv);
};

/* An option of a subcommand: --name VALUE or --name=VALUE. */
enum opt_kind { OPT_SIZE, OPT_STRING, OPT_COUNT };

struct cmd_option {
	const char *name;
	enum opt_kind kind;
	void *dst;              /* uint64_t * (sizes, counts) or const char ** */
};

int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int arg_errno(int err);
int parse_opts(const struct command *cmd, int argc, char **argv,
    const struct cmd_option *opts, int *npos);
const char *human(uint64_t bytes, char *buf, size_t len);

/*
 * upager bench (tools/bench.c), in the command when BENCH_IN_CMD is set:
 * the benchmarks' entry points (bench/bench_*.c) and the progress they
 * report to it (bench/benchlib.h's bench_step).
 */
int cmd_bench(const struct command *cmd, int argc, char **argv);
int bench_mmap_main(int argc, char **argv);
int bench_pread_main(int argc, char **argv);
int bench_budget_main(int argc, char **argv);
void bench_progress(const char *bench, const char *what, unsigned done,
    unsigned total);
void bench_progress_clear(void);

#endif /* UPAGER_CMD_H */
