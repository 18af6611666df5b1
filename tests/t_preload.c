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

#include "runlib.h"

#ifndef PRELOAD_DRIVER
#error "PRELOAD_DRIVER: the path of preload_driver"
#endif

#define PAGES 2048              /* 8 MiB */
#define BUDGET "2M"

/* run_driver: run the driver on path, natively or under the interposer
 * with BUDGET (run_prog).  Returns its exit status. */
static int run_driver(const char *path, bool preload, char *out,
    size_t outlen, char *err, size_t errlen)
{
	char pages[32];
	const char *argv[] = { PRELOAD_DRIVER, path, pages, NULL };

	snprintf(pages, sizeof(pages), "%d", PAGES);
	return run_prog(argv, preload ? BUDGET : NULL, NULL, out, outlen, err,
	    errlen);
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
	pages_in = upager_stat(err_p, "pages_in");
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
