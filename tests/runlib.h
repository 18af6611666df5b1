/* runlib.h: running a plain program natively or under `upager run`, for the interposer's tests */
#ifndef UPAGER_RUNLIB_H
#define UPAGER_RUNLIB_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef PRELOAD_LIB
#error "PRELOAD_LIB: the path of libupager-preload.so"
#endif
#ifndef UPAGER_CMD
#error "UPAGER_CMD: the path of the upager command"
#endif

/* rl_slurp: read fd to its end into buf (NUL-terminated, truncated to
 * len - 1 bytes; the rest is read and dropped, so the writer never
 * blocks) */
static inline void rl_slurp(int fd, char *buf, size_t len)
{
	char junk[4096];
	size_t n = 0;
	ssize_t r;

	for (;;) {
		if (n + 1 < len)
			r = read(fd, buf + n, len - 1 - n);
		else
			r = read(fd, junk, sizeof(junk));
		if (r <= 0)
			break;
		if (n + 1 < len)
			n += (size_t)r;
	}
	buf[n] = '\0';
}

/*
 * run_prog: run argv (argv[0] a path or a name on PATH), natively when
 * budget is NULL, else as `upager run -m budget --stats -- argv...`; its
 * stdin from the file in_path (or /dev/null), its stdout and stderr into
 * out and err (NUL-terminated; err may be NULL to let it through).
 * Returns the exit status, or 128 + the signal that killed it.
 *
 * Sanitizer builds: the preloaded library carries the sanitizer's runtime
 * into a program built without it, which works once the runtime's check
 * that it is loaded first is off.
 */
static inline int run_prog(const char *const argv[], const char *budget,
    const char *in_path, char *out, size_t outlen, char *err, size_t errlen)
{
	int po[2], pe[2], status, in;
	const char *av[64];
	size_t n = 0;
	pid_t pid;

	CHECK_EQ(pipe(po), 0);
	CHECK_EQ(pipe(pe), 0);
	if (budget != NULL) {
		av[n++] = UPAGER_CMD;
		av[n++] = "run";
		av[n++] = "-m";
		av[n++] = budget;
		av[n++] = "--stats";
		av[n++] = "--";
	}
	for (size_t i = 0; argv[i] != NULL; i++) {
		CHECK(n + 2 < sizeof(av) / sizeof(av[0]));
		av[n++] = argv[i];
	}
	av[n] = NULL;
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		in = open(in_path != NULL ? in_path : "/dev/null", O_RDONLY);
		if (in < 0)
			_exit(126);
		dup2(in, 0);
		dup2(po[1], 1);
		if (err != NULL)
			dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		if (budget != NULL) {
			setenv("ASAN_OPTIONS", "verify_asan_link_order=0:"
			    "detect_leaks=0", 1);
			setenv("UPAGER_PRELOAD_LIB", PRELOAD_LIB, 1);
		}
		execvp(av[0], (char *const *)av);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* stderr is small (messages, the stats line): read stdout first */
	rl_slurp(po[0], out, outlen);
	if (err != NULL)
		rl_slurp(pe[0], err, errlen);
	close(po[0]);
	close(pe[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

/* upager_stat: the value of `name` in the interposer's stats line in err,
 * or FAIL when there is none */
static inline uint64_t upager_stat(const char *err, const char *name)
{
	char key[64];
	const char *s;
	unsigned long long v;

	snprintf(key, sizeof(key), " %s ", name);
	if ((s = strstr(err, "upager: ")) == NULL || (s = strstr(s, key)) ==
	    NULL || sscanf(s + strlen(key), "%llu", &v) != 1)
		FAIL("no '%s' in the interposer's stats: '%s'", name, err);
	return v;
}

#endif /* UPAGER_RUNLIB_H */
