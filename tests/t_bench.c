/*
 * t_bench.c: `upager bench`, small, writes results.csv (every expected
 * figure, well formed, its ratio that of the medians) and three PNG
 * plots, with the resident memory it sampled within the budget, and
 * fails (status 1) when it cannot make the plots; and
 * `upager stat` sums what the pager did in the processes of a run,
 * within the budget, and exits with the run's status.
 */
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>

#include "runlib.h"

#ifndef PRELOAD_DRIVER
#error "PRELOAD_DRIVER: the path of preload_driver"
#endif

#define NROWS 41                /* figures: mmap 18, pread 10, budget 13 */

/* A row of results.csv. */
struct row {
	char suite[16], work[32], side[16], unit[16];
	double med, min, max, ratio;    /* ratio: NAN when empty */
	long runs;
};

/* The figures results.csv must hold, each once: suite, workload, sides. */
static const struct {
	const char *suite, *work, *sides[4];
} want[] = {
	{ "mmap", "seq-cold", { "kernel", "upager" } },
	{ "mmap", "seq-warm", { "kernel", "upager" } },
	{ "mmap", "rand-cold-1t", { "kernel", "upager" } },
	{ "mmap", "rand-warm-1t", { "kernel", "upager" } },
	{ "mmap", "rand-cold-2t", { "kernel", "upager" } },
	{ "mmap", "rand-warm-2t", { "kernel", "upager" } },
	{ "mmap", "dirty16-msync", { "kernel", "upager" } },
	{ "mmap", "dirty16-writes", { "kernel", "upager" } },
	{ "mmap", "dirty16-msync-only", { "kernel", "upager" } },
	{ "pread", "seq-cold", { "kernel", "upager" } },
	{ "pread", "seq-warm", { "kernel", "upager" } },
	{ "pread", "rand-cold", { "kernel", "upager" } },
	{ "pread", "rand-warm", { "kernel", "upager" } },
	{ "pread", "rand-warm-region", { "kernel", "upager" } },
	{ "budget", "seq-cold", { "budgeted", "unbudgeted", "kernel" } },
	{ "budget", "rand-cold", { "budgeted", "unbudgeted", "kernel" } },
	{ "budget", "wb-pwrite", { "budgeted" } },
	{ "budget", "wb-pwrite-writes", { "budgeted" } },
	{ "budget", "wb-pwrite-sync-close", { "budgeted" } },
	{ "budget", "wb-view", { "budgeted" } },
	{ "budget", "wb-view-writes", { "budgeted" } },
	{ "budget", "wb-view-msync-close", { "budgeted" } },
	{ "budget", "disk-write", { "disk" } },
};

/* field: copy a non-empty field that fits; false otherwise. */
static bool field(char *dst, size_t len, const char *f)
{
	if (f[0] == '\0' || strlen(f) >= len)
		return false;
	strcpy(dst, f);
	return true;
}

/* number: the whole field is a finite number. */
static bool number(const char *f, double *v)
{
	char *end;

	*v = strtod(f, &end);
	return f[0] != '\0' && *end == '\0' && isfinite(*v);
}

/*
 * parse_row: a line of results.csv: nine comma-separated fields, names
 * not empty, a positive median between min and max, a whole number of
 * runs, the ratio empty or positive.  The test's own parser, not the
 * command's: the two must agree on the format.
 */
static bool parse_row(const char *line, struct row *r)
{
	char buf[512], *f[10], *p = buf;
	double runs = 0;
	int n = 0;
	bool ok = strlen(line) < sizeof(buf);

	snprintf(buf, sizeof(buf), "%s", line);
	buf[strcspn(buf, "\n")] = '\0';
	while (p != NULL && n < 10)
		f[n++] = strsep(&p, ",");
	ok = ok && n == 9 && field(r->suite, sizeof(r->suite), f[0]) &&
	    field(r->work, sizeof(r->work), f[1]) &&
	    field(r->side, sizeof(r->side), f[2]) &&
	    field(r->unit, sizeof(r->unit), f[3]) &&
	    number(f[4], &r->med) && number(f[5], &r->min) &&
	    number(f[6], &r->max) && number(f[7], &runs) && runs >= 1 &&
	    runs <= 1e6;
	r->runs = ok ? (long)runs : 0;
	r->ratio = NAN;
	if (ok && f[8][0] != '\0')
		ok = number(f[8], &r->ratio) && r->ratio > 0;
	return ok && r->med > 0 && r->min <= r->med && r->med <= r->max &&
	    runs == (double)r->runs;
}

/* negative_control: lines a wrong bench could write, each rejected. */
static void negative_control(void)
{
	static const char *const bad[] = {
		"mmap,seq-cold,kernel,GB/s,abc,0.5,2.0,3,1.0\n",
		"mmap,seq-cold,kernel,GB/s,3.0,0.5,2.0,3,1.0\n",
		"mmap,seq-cold,kernel,GB/s,1.0,1.5,2.0,3,1.0\n",
		"mmap,seq-cold,kernel,GB/s,0,0,0,3,1.0\n",
		"mmap,seq-cold,kernel,GB/s,-1,-2,2,3,1.0\n",
		"mmap,seq-cold,kernel,GB/s,1.0,0.5,2.0,3\n",
		"mmap,seq-cold,kernel,GB/s,1.0,0.5,2.0,3,1.0,9\n",
		"mmap,,kernel,GB/s,1.0,0.5,2.0,3,1.0\n",
		"mmap,seq-cold,kernel,GB/s,1.0,0.5,2.0,2.5,1.0\n",
		"mmap,seq-cold,kernel,GB/s,1.0,0.5,2.0,3,-1\n",
		"mmap,seq-cold,kernel,GB/s,1.0 ,0.5,2.0,3,1.0\n",
		"mmap,seq-cold,kernel,GB/s,1.0,0.5,2.0,0,1.0\n",
	};
	struct row r;

	CHECK(parse_row("mmap,seq-cold,kernel,GB/s,1.0,0.5,2.0,3,1.0\n",
	    &r));
	CHECK(parse_row("budget,wb-view-writes,budgeted,ms,1,1,1,3,\n", &r));
	CHECK(isnan(r.ratio));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_row(bad[i], &r))
			FAIL("a bad row was taken: %s", bad[i]);
}

/* find: the row of a figure, or NULL. */
static const struct row *find(const struct row *rows, int n,
    const char *suite, const char *work, const char *side)
{
	for (int i = 0; i < n; i++)
		if (strcmp(rows[i].suite, suite) == 0 &&
		    strcmp(rows[i].work, work) == 0 &&
		    strcmp(rows[i].side, side) == 0)
			return &rows[i];
	return NULL;
}

/*
 * check_ratio: a row's ratio is its median against its reference's (the
 * kernel's row of the workload, or budget's disk row), upward better:
 * rates side/ref, times ref/side; the reference's own is 1.
 */
static void check_ratio(const struct row *rows, int n, const struct row *r)
{
	const struct row *ref = find(rows, n, r->suite, r->work, "kernel");
	double want_ratio, diff;

	if (ref == NULL && (strcmp(r->work, "wb-pwrite") == 0 ||
	    strcmp(r->work, "wb-view") == 0 || strcmp(r->side, "disk") == 0))
		ref = find(rows, n, "budget", "disk-write", "disk");
	if (ref == NULL) {
		if (!isnan(r->ratio))
			FAIL("%s %s %s: a ratio without a reference", r->suite,
			    r->work, r->side);
		return;
	}
	want_ratio = strcmp(r->unit, "ms") == 0 ? ref->med / r->med :
	    r->med / ref->med;
	diff = r->ratio > want_ratio ? r->ratio - want_ratio :
	    want_ratio - r->ratio;
	if (isnan(r->ratio) || diff > 1e-3 * want_ratio + 1e-4)
		FAIL("%s %s %s: ratio %g, the medians say %g", r->suite,
		    r->work, r->side, r->ratio, want_ratio);
}

/* check_csv: results.csv: the header, then exactly the wanted figures. */
static void check_csv(const char *dir)
{
	static struct row rows[NROWS + 1];
	char path[1024], line[512];
	int n = 0, expected = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	CHECK((f = fopen(path, "r")) != NULL);
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK(strcmp(line, "suite,workload,side,unit,median,min,max,runs,"
	    "ratio\n") == 0);
	while (fgets(line, sizeof(line), f) != NULL) {
		CHECK(n <= NROWS);
		if (!parse_row(line, &rows[n]))
			FAIL("results.csv: a bad row: %s", line);
		CHECK_EQ(rows[n].runs, 3);
		n++;
	}
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		for (int s = 0; s < 4 && want[i].sides[s] != NULL; s++) {
			if (find(rows, n, want[i].suite, want[i].work,
			    want[i].sides[s]) == NULL)
				FAIL("results.csv: no %s %s %s", want[i].suite,
				    want[i].work, want[i].sides[s]);
			expected++;
		}
	CHECK_EQ(n, expected);
	CHECK_EQ(n, NROWS);
	for (int i = 0; i < n; i++)
		check_ratio(rows, n, &rows[i]);
}

/* check_png: a PNG's signature, and a size a plot has. */
static void check_png(const char *dir, const char *name)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n' };
	unsigned char head[8];
	char path[1024];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) != 0)
		FAIL("no %s", path);
	if (st.st_size < 10000 || st.st_size > (50 << 20))
		FAIL("%s: %lld bytes, not a plot", path,
		    (long long)st.st_size);
	CHECK((f = fopen(path, "rb")) != NULL);
	CHECK_EQ(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	CHECK_MEM(head, sig, sizeof(sig));
}

/*
 * check_resident: resident.dat has samples of two passes (two blocks),
 * and none is above the budget sampled with it.
 */
static void check_resident(const char *dir)
{
	char path[1024], line[256];
	int blocks = 1, blank = 0, samples = 0;
	double ms, res, bud;
	FILE *f;

	snprintf(path, sizeof(path), "%s/resident.dat", dir);
	CHECK((f = fopen(path, "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '\n') {
			blocks += ++blank == 2;
			continue;
		}
		blank = 0;
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%lf %lf %lf", &ms, &res, &bud) != 3)
			FAIL("%s: a bad sample: %s", path, line);
		if (res > bud || bud <= 0)
			FAIL("%s: %.3f MiB resident, over the budget %.3f",
			    path, res, bud);
		samples++;
	}
	fclose(f);
	/* the two passes' blocks, and the blank lines ending the second */
	CHECK_EQ(blocks, 3);
	CHECK(samples > 100);
}

/* run_bench: `upager bench --size 16M --runs 3`: everything it writes. */
static void run_bench(void)
{
	static char out[65536], err[16384];
	char dir[512];
	const char *argv[] = { UPAGER_CMD, "bench", "--size", "16M",
	    "--runs", "3", "--out", dir, "--dir", test_dir(), NULL };
	int st;

	snprintf(dir, sizeof(dir), "%s/out", test_dir());
	st = run_prog(argv, NULL, NULL, out, sizeof(out), err, sizeof(err));
	if (st != 0)
		FAIL("upager bench: exit %d, stderr '%s'", st, err);
	/* not a terminal: plain progress lines, no bar */
	CHECK(strstr(err, "bench: mmap: seq kernel, run 1/3\n") != NULL);
	CHECK(strchr(err, '\r') == NULL);
	CHECK(strstr(out, "results in ") != NULL);
	CHECK(strstr(out, "rand-warm-region") != NULL);
	CHECK(strstr(out, "throughput.png") != NULL);
	check_csv(dir);
	check_png(dir, "throughput.png");
	check_png(dir, "latency.png");
	check_png(dir, "resident.png");
	check_resident(dir);
}

/*
 * run_no_gnuplot: without gnuplot on PATH, `upager bench` still writes
 * results.csv and the plots' data, then fails in one line, status 1:
 * the plots were asked for.
 */
static void run_no_gnuplot(void)
{
	static char out[65536], err[16384];
	char dir[512], path[1024], *old = strdup(getenv("PATH"));
	const char *argv[] = { UPAGER_CMD, "bench", "--size", "4M",
	    "--runs", "1", "--out", dir, "--dir", test_dir(), NULL };
	const char *last, *nl;
	struct stat st;
	int rc;

	snprintf(dir, sizeof(dir), "%s/nognuplot", test_dir());
	CHECK(old != NULL);
	setenv("PATH", "/nonexistent", 1);
	rc = run_prog(argv, NULL, NULL, out, sizeof(out), err, sizeof(err));
	setenv("PATH", old, 1);
	free(old);
	/* the error is the last line, and the only one of its kind */
	last = strstr(err, "upager: bench: ");
	nl = last != NULL ? strchr(last, '\n') : NULL;
	if (rc != 1 || last == NULL || strstr(last, "gnuplot") == NULL ||
	    nl == NULL || nl[1] != '\0')
		FAIL("bench without gnuplot: exit %d, stderr '%s'", rc, err);
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	CHECK(stat(path, &st) == 0 && st.st_size > 100);
	snprintf(path, sizeof(path), "%s/throughput.dat", dir);
	CHECK(stat(path, &st) == 0 && st.st_size > 100);
	snprintf(path, sizeof(path), "%s/throughput.png", dir);
	CHECK(stat(path, &st) != 0);
}

/* stat_value: the first number after "  label" at a line's start. */
static long long stat_value(const char *err, const char *label)
{
	char key[64];
	const char *s;
	long long v;

	snprintf(key, sizeof(key), "\n  %s ", label);
	if ((s = strstr(err, key)) == NULL ||
	    sscanf(s + strlen(key), " %lld", &v) != 1)
		FAIL("no '%s' in upager stat's table: '%s'", label, err);
	return v;
}

/*
 * run_stat: `upager stat` on a shell running preload_driver twice under
 * a 1 MiB budget (the files 4 MiB and 2 MiB): two processes, pages in,
 * the peak within the budget, the shell's status; and a run in which
 * nothing uses the pager.
 */
static void run_stat(void)
{
	char script[1024], out[4096], err[4096];
	const char *argv[] = { UPAGER_CMD, "stat", "-m", "1M", "--", "sh",
	    "-c", script, NULL };
	const char *none[] = { UPAGER_CMD, "stat", "--", "true", NULL };
	long long peak, budget;
	int st;

	setenv("UPAGER_PRELOAD_LIB", PRELOAD_LIB, 1);
	/* sanitizer builds: the preloaded library brings its runtime into
	 * programs built without it */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 1);
	snprintf(script, sizeof(script), "'%s' '%s' 1024 && '%s' '%s' 512 "
	    "&& exit 3", PRELOAD_DRIVER, tpath("a"), PRELOAD_DRIVER,
	    tpath("b"));
	st = run_prog(argv, NULL, NULL, out, sizeof(out), err, sizeof(err));
	if (st != 3 || strstr(out, "sum ") == NULL ||
	    strstr(err, "upager stat: 2 processes used the pager\n") == NULL)
		FAIL("upager stat: exit %d, stdout '%s', stderr '%s'", st, out,
		    err);
	CHECK(stat_value(err, "pages in") > 0);
	CHECK(stat_value(err, "faults") > 0);
	CHECK(strstr(err, "\n  wall time ") != NULL);
	peak = stat_value(err, "peak resident");
	CHECK(sscanf(strstr(err, "of a budget of "), "of a budget of %lld",
	    &budget) == 1);
	CHECK_EQ(budget, (1 << 20) / sysconf(_SC_PAGESIZE));
	if (peak <= 0 || peak > budget)
		FAIL("upager stat: peak %lld pages of a budget of %lld", peak,
		    budget);

	st = run_prog(none, NULL, NULL, out, sizeof(out), err, sizeof(err));
	if (st != 0 || strstr(err, "0 processes used the pager") == NULL)
		FAIL("upager stat true: exit %d, stderr '%s'", st, err);
}

int main(void)
{
	negative_control();
	run_bench();
	run_no_gnuplot();
	run_stat();
	rm_test_dir();
	printf("t_bench: ok\n");
	return 0;
}
