/*
 * t_cmd.c: the upager command refuses bad command lines: each case exits
 * with status 2 and says why in exactly one line on stderr, naming the
 * subcommand (stat and bench too); --help and help exit 0.  And the demo runs, small, to
 * its verified end and its table.
 */
#include <stdio.h>

#include "runlib.h"

struct bad {
	const char *argv[8];
	const char *says;          /* a word the line must hold */
};

/* one_line: err is exactly one non-empty line */
static bool one_line(const char *err)
{
	const char *nl = strchr(err, '\n');

	return err[0] != '\0' && err[0] != '\n' && nl != NULL &&
	    nl[1] == '\0';
}

int main(void)
{
	static const struct bad bad[] = {
		{ { UPAGER_CMD, NULL }, "subcommand" },
		{ { UPAGER_CMD, "bogus", NULL }, "bogus" },
		{ { UPAGER_CMD, "--bogus", NULL }, "bogus" },
		{ { UPAGER_CMD, "demo", "--bogus", NULL }, "bogus" },
		{ { UPAGER_CMD, "demo", "--budget", "0", NULL }, "budget" },
		{ { UPAGER_CMD, "demo", "--budget", "abc", NULL }, "abc" },
		{ { UPAGER_CMD, "demo", "--size", "-5", NULL }, "size" },
		{ { UPAGER_CMD, "demo", "--budget", NULL }, "budget" },
		{ { UPAGER_CMD, "cat", NULL }, "FILE" },
		{ { UPAGER_CMD, "cat", "/nonexistent/file", NULL },
		    "nonexistent" },
		{ { UPAGER_CMD, "cat", "/etc/hostname", "--budget", "0",
		    NULL }, "budget" },
		{ { UPAGER_CMD, "cat", "/etc/hostname", "--budget", "abc",
		    NULL }, "abc" },
		{ { UPAGER_CMD, "run", NULL }, "CMD" },
		{ { UPAGER_CMD, "run", "-m", "0", "--", "true", NULL },
		    "-m" },
		{ { UPAGER_CMD, "run", "-m", "abc", "--", "true", NULL },
		    "abc" },
		{ { UPAGER_CMD, "run", "--bogus", "--", "true", NULL },
		    "bogus" },
		{ { UPAGER_CMD, "run", "--", "/nonexistent/cmd", NULL },
		    "nonexistent" },
		{ { UPAGER_CMD, "help", "bogus", NULL }, "bogus" },
		{ { UPAGER_CMD, "stat", NULL }, "CMD" },
		{ { UPAGER_CMD, "stat", "-m", "0", "--", "true", NULL },
		    "-m" },
		{ { UPAGER_CMD, "stat", "-m", "abc", "--", "true", NULL },
		    "abc" },
		{ { UPAGER_CMD, "stat", "--bogus", "--", "true", NULL },
		    "bogus" },
		{ { UPAGER_CMD, "stat", "--", "/nonexistent/cmd", NULL },
		    "nonexistent" },
		{ { UPAGER_CMD, "bench", "--bogus", NULL }, "bogus" },
		{ { UPAGER_CMD, "bench", "extra", NULL }, "extra" },
		{ { UPAGER_CMD, "bench", "--size", "0", NULL }, "size" },
		{ { UPAGER_CMD, "bench", "--size", "abc", NULL }, "abc" },
		{ { UPAGER_CMD, "bench", "--budget", "0", NULL }, "budget" },
		{ { UPAGER_CMD, "bench", "--budget", "abc", NULL }, "abc" },
		{ { UPAGER_CMD, "bench", "--size", "16M", "--budget", "16M",
		    NULL }, "budget" },
		{ { UPAGER_CMD, "bench", "--size", "512K", NULL }, "budget" },
		{ { UPAGER_CMD, "bench", "--runs", "0", NULL }, "runs" },
		{ { UPAGER_CMD, "bench", "--runs", "3x", NULL }, "runs" },
		{ { UPAGER_CMD, "bench", "--runs", NULL }, "runs" },
		{ { UPAGER_CMD, "bench", "--out", "/nonexistent/dir", NULL },
		    "nonexistent" },
		{ { UPAGER_CMD, "bench", "--dir", "/nonexistent", NULL },
		    "nonexistent" },
	};
	static const char *const good[][4] = {
		{ UPAGER_CMD, "--help", NULL },
		{ UPAGER_CMD, "help", "run", NULL },
		{ UPAGER_CMD, "demo", "--help", NULL },
		{ UPAGER_CMD, "run", "--help", NULL },
		{ UPAGER_CMD, "stat", "--help", NULL },
		{ UPAGER_CMD, "bench", "--help", NULL },
	};
	char out[8192], err[4096];
	int st;

	setenv("UPAGER_PRELOAD_LIB", PRELOAD_LIB, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st = run_prog(bad[i].argv, NULL, NULL, out, sizeof(out), err,
		    sizeof(err));
		if (st != 2 || !one_line(err) || strstr(err, bad[i].says) ==
		    NULL)
			FAIL("case %zu (%s %s ...): exit %d, stderr '%s'", i,
			    bad[i].argv[1] != NULL ? bad[i].argv[1] : "",
			    bad[i].argv[1] != NULL && bad[i].argv[2] != NULL ?
			    bad[i].argv[2] : "", st, err);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		st = run_prog(good[i], NULL, NULL, out, sizeof(out), err,
		    sizeof(err));
		if (st != 0 || strstr(out, "usage") == NULL)
			FAIL("%s %s: exit %d, stdout '%.200s'", good[i][1],
			    good[i][2] != NULL ? good[i][2] : "", st, out);
	}
	/* the README's main job, small: verified, with the side-by-side
	 * table of upager and the kernel */
	{
		static char big[65536];
		const char *demo[] = { UPAGER_CMD, "demo", "--size", "16M",
		    "--budget", "4M", "--dir", test_dir(), NULL };

		st = run_prog(demo, NULL, NULL, big, sizeof(big), err,
		    sizeof(err));
		if (st != 0 || strstr(big, "demo: verified OK") == NULL ||
		    strstr(big, "upager/kernel") == NULL ||
		    strstr(big, "map + scan") == NULL)
			FAIL("demo: exit %d, stdout '%s', stderr '%s'", st,
			    big, err);
	}
	rm_test_dir();
	printf("t_cmd: ok (%zu bad command lines refused)\n",
	    sizeof(bad) / sizeof(bad[0]));
	return 0;
}
