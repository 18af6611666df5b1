/*
 * t_traps.c: the traps of running a program on upager through the
 * interposer, one scenario of trap_driver each: fork, mremap, MAP_FIXED
 * and hints, two descriptors of one file, a view as the buffer of
 * write(2), msync/fsync ordering, POSIX locks, exec, exit.  Each runs
 * natively and under `upager run` with a budget smaller than its files;
 * both must pass the driver's own checks and print the same.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "runlib.h"

#ifndef TRAP_DRIVER
#error "TRAP_DRIVER: the path of trap_driver"
#endif

#define BUDGET "512K"
#define PGSZ 4096
#define NPG 64

static const char *const scenarios[] = {
	"fork", "mremap", "fixed", "twofd", "writebuf", "sync", "locks",
	"exec", "exit",
};

/* check_exit_file: what the exit scenario wrote through a view, never
 * synced, is in the file after the program exited */
static void check_exit_file(const char *dir)
{
	unsigned char b[PGSZ];
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/exit", dir);
	CHECK((fd = open(p, O_RDONLY)) >= 0);
	for (size_t i = 0; i < NPG; i++) {
		CHECK_EQ(pread(fd, b, PGSZ, (off_t)(i * PGSZ)), PGSZ);
		for (size_t k = 0; k < PGSZ; k++) {
			size_t off = i * PGSZ + k;
			unsigned char want = (unsigned char)(((off *
			    2654435761u) >> 11) + 77);

			if (b[k] != want)
				FAIL("%s: byte %zu is %#x, not %#x", p, off,
				    b[k], want);
		}
	}
	close(fd);
}

int main(void)
{
	char out_n[4096], out_p[4096], err_n[8192], err_p[8192];
	char dn[512], dp[512];
	uint64_t faults = 0, peak;
	int rn, rp;

	snprintf(dn, sizeof(dn), "%s", tpath("native"));
	snprintf(dp, sizeof(dp), "%s", tpath("preloaded"));
	CHECK_EQ(mkdir(dn, 0755), 0);
	CHECK_EQ(mkdir(dp, 0755), 0);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const char *s = scenarios[i];
		const char *an[] = { TRAP_DRIVER, s, dn, NULL };
		const char *ap[] = { TRAP_DRIVER, s, dp, NULL };

		rn = run_prog(an, NULL, NULL, out_n, sizeof(out_n), err_n,
		    sizeof(err_n));
		if (rn != 0)
			FAIL("%s natively: exit %d: %s", s, rn, err_n);
		rp = run_prog(ap, BUDGET, NULL, out_p, sizeof(out_p), err_p,
		    sizeof(err_p));
		if (rp != 0)
			FAIL("%s under upager run: exit %d: %s", s, rp, err_p);
		if (strcmp(out_n, out_p) != 0)
			FAIL("%s: native '%s', under upager run '%s'", s,
			    out_n, out_p);
		/* upager served the views, within the budget (the exec'd
		 * program only reads, with no pager of its own) */
		if (strcmp(s, "exec") == 0) {
			printf("t_traps: exec: ok\n");
			continue;
		}
		faults += upager_stat(err_p, "faults");
		(void)upager_stat(err_p, "ra_used");
		/* what was written went out in clusters */
		if (strcmp(s, "sync") == 0 || strcmp(s, "exit") == 0)
			CHECK(upager_stat(err_p, "wb_clusters") > 0 &&
			    upager_stat(err_p, "pages_out") > 0);
		peak = upager_stat(err_p, "peak_resident");
		CHECK(peak <= (512 << 10) / PGSZ);
		printf("t_traps: %s: ok (%s)\n", s,
		    strstr(err_p, "fork: child") != NULL ? "child's view "
		    "access faulted" : "same as native");
	}
	CHECK(faults > 0);
	check_exit_file(dn);
	check_exit_file(dp);
	rm_test_dir();
	printf("t_traps: ok\n");
	return 0;
}
