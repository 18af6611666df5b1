/*
 * t_preload.c: an unmodified program under `upager run` (which preloads
 * libupager-preload.so).  The
 * driver (preload_driver.c) writes a file, maps it MAP_SHARED, changes it
 * through the mapping and through a second descriptor, reads back both
 * ways, grows it and syncs.  Run natively and under the interposer with a
 * budget a quarter of the file: the same output, the same file, the
 * driver's own coherence checks pass, and the interposer's stats show
 * that upager served the mapping within the budget.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef PRELOAD_LIB
#error "PRELOAD_LIB: the path of libupager-preload.so"
#endif
#ifndef PRELOAD_DRIVER
#error "PRELOAD_DRIVER: the path of preload_driver"
#endif
#ifndef UPAGER_CMD
#error "UPAGER_CMD: the path of the upager command"
#endif

#define PAGES 2048              /* 8 MiB */
#define BUDGET "2M"

/*
 * run_driver: run the driver on path, under the interposer if preload;
 * its stdout and stderr into out and err (NUL-terminated).  Returns its
 * exit status.
 */
static int run_driver(const char *path, bool preload, char *out,
    size_t outlen, char *err, size_t errlen)
{
	int po[2], pe[2], status;
	char pages[32];
	pid_t pid;
	size_t n;
	ssize_t r;

	CHECK_EQ(pipe(po), 0);
	CHECK_EQ(pipe(pe), 0);
	snprintf(pages, sizeof(pages), "%d", PAGES);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		if (preload) {
			/* sanitizer builds: the driver's runtime comes after
			 * the preloaded library, which is fine here */
			setenv("ASAN_OPTIONS", "verify_asan_link_order=0:"
			    "detect_leaks=0", 1);
			setenv("UPAGER_PRELOAD_LIB", PRELOAD_LIB, 1);
			execl(UPAGER_CMD, UPAGER_CMD, "run", "-m", BUDGET,
			    "--stats", "--", PRELOAD_DRIVER, path, pages,
			    (char *)NULL);
		} else {
			execl(PRELOAD_DRIVER, PRELOAD_DRIVER, path, pages,
			    (char *)NULL);
		}
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	for (n = 0; n + 1 < outlen && (r = read(po[0], out + n,
	    outlen - 1 - n)) > 0; n += (size_t)r)
		;
	out[n] = '\0';
	for (n = 0; n + 1 < errlen && (r = read(pe[0], err + n,
	    errlen - 1 - n)) > 0; n += (size_t)r)
		;
	err[n] = '\0';
	close(po[0]);
	close(pe[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

int main(void)
{
	char out_n[256], err_n[4096], out_p[256], err_p[4096];
	const char *pn = tpath("native"), *pp = tpath("preloaded");
	unsigned long long pages_in, peak, budget;
	unsigned char *a, *b;
	size_t la, lb, size = (size_t)PAGES * 4096 + 5 * 4096;
	const char *s;

	a = xmalloc(size + 1);
	b = xmalloc(size + 1);
	if (run_driver(pn, false, out_n, sizeof(out_n), err_n,
	    sizeof(err_n)) != 0)
		FAIL("native driver failed: %s", err_n);
	if (run_driver(pp, true, out_p, sizeof(out_p), err_p,
	    sizeof(err_p)) != 0)
		FAIL("driver under the interposer failed: %s", err_p);
	if (strcmp(out_n, out_p) != 0)
		FAIL("outputs differ: native '%s', preloaded '%s'", out_n,
		    out_p);
	la = disk_read(pn, a, size + 1, 0);
	lb = disk_read(pp, b, size + 1, 0);
	CHECK_EQ(la, size);
	CHECK_EQ(lb, size);
	CHECK_MEM(a, b, size);
	/* upager served it: pages came in through it, within the budget */
	if ((s = strstr(err_p, "upager: ")) == NULL ||
	    (s = strstr(s, "pages_in ")) == NULL ||
	    sscanf(s, "pages_in %llu", &pages_in) != 1)
		FAIL("no upager stats from the interposer: '%s'", err_p);
	if ((s = strstr(err_p, "peak_resident ")) == NULL ||
	    sscanf(s, "peak_resident %llu of %llu", &peak, &budget) != 2)
		FAIL("no peak in the stats: '%s'", err_p);
	CHECK(pages_in >= PAGES);
	CHECK_EQ(budget, (2u << 20) / 4096);
	CHECK(peak <= budget);
	unlink(pn);
	unlink(pp);
	rm_test_dir();
	free(a);
	free(b);
	out_p[strcspn(out_p, "\n")] = '\0';
	printf("t_preload: ok (%s; pages_in %llu, peak %llu of %llu)\n",
	    out_p, pages_in, peak, budget);
	return 0;
}
