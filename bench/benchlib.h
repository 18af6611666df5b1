/* benchlib.h: what the benchmarks share */
#ifndef UPAGER_BENCHLIB_H
#define UPAGER_BENCHLIB_H

/*
 * Static inline, included by each benchmark: each is one file of its own.
 * The includer defines BENCH_NAME, the program's name, which prefixes
 * every message on stderr.
 *
 * Each benchmark is also built into the upager command (`upager bench`,
 * tools/bench.c) with BENCH_IN_CMD defined: its main is then
 * bench_<name>_main, run in a child process of its own with its report
 * going to a log file, and its progress going to the command's progress
 * bar (bench_progress) instead of the "run done" lines on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../tools/cli.h"
#include "upager.h"

#ifndef BENCH_NAME
#error "define BENCH_NAME before including benchlib.h"
#endif

#ifdef BENCH_IN_CMD
#include "../tools/cmd.h"   /* the entry points, bench_progress */
/* BENCH_MAIN(bench_x): the entry point, main or bench_x_main */
#define BENCH_MAIN(name) name##_main
#else
#define BENCH_MAIN(name) main
#endif

#define FILL_CHUNK (1u << 20)   /* the test file is written 1 MiB at a time */
#define PAGE 4096               /* views: every touch is in one 4 KiB page */
#define LINE 64                 /* view scans read one word per 64 bytes */
#define MAX_READAHEAD (16u << 20)  /* upager's largest read-ahead window */

/* The two sides of every comparison. */
enum side { KERNEL, UPAGER, NSIDE };

static const char *const side_name[NSIDE] = { "kernel", "upager" };

static char file_path[4096];    /* the test file, removed at exit */

/* vquit: BENCH_NAME: message, then tail, on stderr; exit with status. */
static inline void vquit(int status, const char *tail, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0), noreturn));
static inline void vquit(int status, const char *tail, const char *fmt,
    va_list ap)
{
#ifdef BENCH_IN_CMD
	bench_progress_clear();
#endif
	fputs(BENCH_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(tail, stderr);
	exit(status);
}

/* die: report a fatal error; exit() removes the test file. */
static inline void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static inline void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vquit(1, "\n", fmt, ap);
}

/* remove_file: the test file is large; never leave it behind. */
static inline void remove_file(void)
{
	if (file_path[0] != '\0')
		unlink(file_path);
}

/* on_signal: Ctrl-C must not leave the test file behind either. */
static inline void on_signal(int sig)
{
	if (file_path[0] != '\0')
		unlink(file_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* bad_arg: bad arguments are reported in one line with status 2. */
static inline void bad_arg(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static inline void bad_arg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vquit(2, " (see --help)\n", fmt, ap);
}

/* option_value: the value of --name VALUE or --name=VALUE at argv[*i]. */
static inline const char *option_value(int argc, char **argv, int *i,
    const char *name)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		bad_arg("%s needs a value", name);
	return argv[++*i];
}

/*
 * common_defaults: what every benchmark takes unless told: a 256 MiB file,
 * the budget left to the benchmark (0), 5 runs, default_dir().
 */
static inline void common_defaults(uint64_t *size, uint64_t *budget,
    unsigned *runs, const char **dir)
{
	*size = 256ull << 20;
	*budget = 0;
	*runs = 5;
	*dir = default_dir();
}

/* touches_option: --touches N at argv[*i] (the view benches): 1 if it
 * was, else 0. */
static inline int touches_option(int argc, char **argv, int *i,
    uint64_t *touches)
{
	const char *v = option_value(argc, argv, i, "--touches");

	if (v == NULL)
		return 0;
	if (parse_size(v, touches) < 0 || *touches > (1ull << 32))
		bad_arg("bad --touches '%s'", v);
	return 1;
}

/*
 * common_option: the options every benchmark takes (--help, --size,
 * --budget, --runs, --dir) at argv[*i]: 1 if it was one of them, else 0.
 * --help prints usage(stdout) and exits with status 0.
 */
static inline int common_option(int argc, char **argv, int *i,
    void (*usage)(FILE *), uint64_t *size, uint64_t *budget,
    unsigned *runs, const char **dir)
{
	const char *v;
	uint64_t n;

	if (strcmp(argv[*i], "--help") == 0 || strcmp(argv[*i], "-h") == 0) {
		usage(stdout);
		exit(0);
	} else if ((v = option_value(argc, argv, i, "--size"))) {
		if (parse_size(v, size) < 0)
			bad_arg("bad --size '%s'", v);
	} else if ((v = option_value(argc, argv, i, "--budget"))) {
		if (parse_size(v, budget) < 0)
			bad_arg("bad --budget '%s'", v);
	} else if ((v = option_value(argc, argv, i, "--runs"))) {
		if (parse_size(v, &n) < 0 || n > 1000)
			bad_arg("bad --runs '%s' (1 to 1000)", v);
		*runs = (unsigned)n;
	} else if ((v = option_value(argc, argv, i, "--dir"))) {
		if (v[0] == '\0')
			bad_arg("bad --dir ''");
		*dir = v;
	} else {
		return 0;
	}
	return 1;
}

/*
 * path_option: --name PATH at argv[*i] (an output file): 1 if it was,
 * setting *path, else 0.
 */
static inline int path_option(int argc, char **argv, int *i,
    const char *name, const char **path)
{
	const char *v = option_value(argc, argv, i, name);

	if (v != NULL && v[0] == '\0')
		bad_arg("bad %s ''", name);
	if (v != NULL)
		*path = v;
	return v != NULL;
}

/* Progress: the steps a benchmark is made of, counted for the bar. */
static unsigned steps_done, steps_total;

/* bench_steps: how many steps (a workload on one side, one run) follow. */
static inline void bench_steps(unsigned total)
{
	steps_total = total;
}

/*
 * bench_step: step `work` on side `side` of run `run` begins.  Only the
 * upager command shows it (a bar, or a line); the programs say at the
 * end of each run how long it took (run_done).
 */
static inline void bench_step(const char *work, const char *side,
    unsigned run, unsigned runs)
{
#ifdef BENCH_IN_CMD
	char what[128];

	if (runs != 0)
		snprintf(what, sizeof(what), "%s %s, run %u/%u", work, side,
		    run + 1, runs);
	else
		snprintf(what, sizeof(what), "%s %s", work, side);
	bench_progress(BENCH_NAME, what, steps_done, steps_total);
#endif
	steps_done++;
}

/* run_done: a run's end: on stderr, or in the log inside the command. */
static inline void run_done(unsigned run, unsigned runs, double secs)
{
#ifdef BENCH_IN_CMD
	FILE *out = stdout;
#else
	FILE *out = stderr;
#endif

	fprintf(out, BENCH_NAME ": run %u/%u done in %.1f s\n", run + 1, runs,
	    secs);
}

/*
 * The results file (--csv), one format for every benchmark and for
 * `upager bench`: a header, then one row per figure: the median, min and
 * max of its runs, and its ratio to the reference side's median (the
 * kernel's, or the disk's), oriented so that above 1 is better than the
 * reference (rates: side/reference; times: reference/side); empty where
 * a figure has no reference.
 */
#define CSV_HEADER "suite,workload,side,unit,median,min,max,runs,ratio\n"

/* csv_open: the --csv file, appended to; the header if it is empty. */
static inline FILE *csv_open(const char *path)
{
	FILE *f = fopen(path, "a");
	struct stat st;

	if (f == NULL)
		die("cannot open %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && st.st_size == 0)
		fputs(CSV_HEADER, f);
	return f;
}

/* csv_row: one figure; sum is summarize's (median, min, max); ratio < 0:
 * none. */
static inline void csv_row(FILE *f, const char *suite, const char *work,
    const char *side, const char *unit, const double sum[3], unsigned runs,
    double ratio)
{
	fprintf(f, "%s,%s,%s,%s,%.4f,%.4f,%.4f,%u,", suite, work, side, unit,
	    sum[0], sum[1], sum[2], runs);
	if (ratio >= 0)
		fprintf(f, "%.4f", ratio);
	fputc('\n', f);
}

/* csv_close: the end of csv_open; a lost write is fatal. */
static inline void csv_close(FILE *f, const char *path)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad)
		die("writing %s: %s", path, strerror(errno));
}

/*
 * make_file: write the test file natively (fill_pattern's words), fsync
 * it, and return the sum of unit_sum over every unit-byte piece: the
 * checksum a sequential pass must produce.
 */
static inline uint64_t make_file(const char *dir, uint64_t size, size_t unit,
    uint64_t (*unit_sum)(const void *, uint64_t))
{
	uint64_t *chunk = malloc(FILL_CHUNK), sum = 0;
	int fd;

	snprintf(file_path, sizeof(file_path), "%s/upager-bench-XXXXXX", dir);
	fd = mkstemp(file_path);
	if (fd < 0) {
		file_path[0] = '\0';
		die("cannot create a file in %s: %s", dir, strerror(errno));
	}
	if (chunk == NULL)
		die("out of memory");
	for (uint64_t off = 0; off < size; off += FILL_CHUNK) {
		size_t len = size - off < FILL_CHUNK ?
		    (size_t)(size - off) : FILL_CHUNK;
		ssize_t n;

		fill_pattern(chunk, off, len);
		for (size_t b = 0; b < len; b += unit)
			sum += unit_sum((char *)chunk + b, off + b);
		n = pwrite(fd, chunk, len, (off_t)off);
		if (n != (ssize_t)len)
			die("writing %s: %s", file_path,
			    n < 0 ? strerror(errno) : "short write");
	}
	if (fsync(fd) < 0 || close(fd) < 0)
		die("syncing %s: %s", file_path, strerror(errno));
	free(chunk);
	return sum;
}

/*
 * Views (bench_mmap, bench_budget).  The file's bytes are fill_pattern's:
 * the word at byte offset off is mix64(off / 8).  Scans and touches read
 * only words at multiples of LINE and fold each as (word ^ offset), so a
 * page from the wrong offset shows; a benchmark that writes through a view
 * writes a word no read covers (word 1 of a page), so the checksums stay
 * those of the file as written.
 */
static inline uint64_t fold(uint64_t w, uint64_t off)
{
	return w ^ off;
}

/* page_sum: the checksum of one page, reading one word per LINE bytes. */
static inline uint64_t page_sum(const volatile uint64_t *w, uint64_t off)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < PAGE / 8; i += LINE / 8)
		s += fold(w[i], off + i * 8);
	return s;
}

/* page_sum_of: page_sum of a page in memory, for make_file. */
static inline uint64_t page_sum_of(const void *page, uint64_t off)
{
	return page_sum(page, off);
}

/* expected_word: what the file holds at byte offset off (off % 8 == 0). */
static inline uint64_t expected_word(uint64_t off)
{
	return mix64(off / 8);
}

/* seq_scan: read every page of the view in order; seconds, sets *sum. */
static inline double seq_scan(const char *base, uint64_t size, uint64_t *sum)
{
	uint64_t s = 0;
	double t0 = now();

	for (uint64_t off = 0; off < size; off += PAGE)
		s += page_sum((const volatile uint64_t *)(base + off), off);
	*sum = s;
	return now() - t0;
}

/*
 * touch_offsets: a fixed-seed sequence of n touch offsets: a page of the
 * file, and a LINE-aligned word in it, so every run and every side touch
 * the same words.  *sum gets the checksum a pass over them must produce.
 */
static inline uint64_t *touch_offsets(uint64_t n, uint64_t pages,
    uint64_t seed, uint64_t *sum)
{
	uint64_t *offs = malloc(n * sizeof(*offs)), s = 0;

	if (offs == NULL)
		die("out of memory");
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = mix64(seed ^ mix64(i));

		offs[i] = r % pages * PAGE + (r >> 58) * LINE;
		s += fold(expected_word(offs[i]), offs[i]);
	}
	*sum = s;
	return offs;
}

/*
 * read_ahead_kb: the kernel's read-ahead window of the file's device,
 * which sizes its mmap read-around; -1 if it cannot be found.
 */
static inline long read_ahead_kb(int fd)
{
	const char *fmt[] = { "/sys/dev/block/%u:%u/queue/read_ahead_kb",
	    "/sys/dev/block/%u:%u/../queue/read_ahead_kb" };
	char path[128];
	struct stat st;
	long kb = -1;

	if (fstat(fd, &st) < 0)
		return -1;
	for (int i = 0; i < 2 && kb < 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), fmt[i], major(st.st_dev),
		    minor(st.st_dev));
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%ld", &kb) != 1)
			kb = -1;
		fclose(f);
	}
	return kb;
}

/*
 * drop_caches: as root, also drop every clean cache of the system, which
 * takes metadata too; refused in a container, where DONTNEED has done the
 * part that matters.  1 if it worked.
 */
static inline int drop_caches(void)
{
	FILE *f;
	int ok;

	if (geteuid() != 0 || (f = fopen("/proc/sys/vm/drop_caches", "w")) ==
	    NULL)
		return 0;
	ok = fputs("1", f) >= 0;
	ok &= fclose(f) == 0;
	return ok;
}

static int dropped_caches = -1;  /* did drop_caches work (-1: not tried) */

/* make_cold: push the file out of the kernel's cache: the disk is next. */
static inline void make_cold(int fd)
{
	int err;

	if (fdatasync(fd) < 0)
		die("fdatasync: %s", strerror(errno));
	err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (err != 0)
		die("posix_fadvise(DONTNEED): %s", strerror(err));
	dropped_caches = drop_caches();
}

/* alloc_results: n arrays of one double per run, zeroed. */
static inline void alloc_results(double **res, int n, unsigned runs)
{
	for (int i = 0; i < n; i++) {
		res[i] = calloc(runs, sizeof(double));
		if (res[i] == NULL)
			die("out of memory");
	}
}

/* free_results: the end of alloc_results. */
static inline void free_results(double **res, int n)
{
	for (int i = 0; i < n; i++)
		free(res[i]);
}

/* cmp_double: for qsort, to find medians. */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* summarize: median, min and max of one workload on one side. */
static inline void summarize(const double *v, unsigned n, double out[3])
{
	double *s = malloc(n * sizeof(*s));

	if (s == NULL)
		die("out of memory");
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	out[0] = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	out[1] = s[0];
	out[2] = s[n - 1];
	free(s);
}

/* print_loadavg: the figures mean little without the machine's load. */
static inline void print_loadavg(const char *when)
{
	char line[128] = "";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f == NULL)
		return;
	if (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		printf("loadavg %-6s %s\n", when, line);
	}
	fclose(f);
}

/*
 * device_readahead: upager's read-ahead for a like-for-like run: what the
 * kernel reads around a fault, the device's read_ahead_kb, MAX_READAHEAD
 * at most and in whole pages; 0 (upager's default) if it is not known.
 */
static inline uint64_t device_readahead(int fd)
{
	long kb = read_ahead_kb(fd);
	uint64_t ra;

	if (kb <= 0)
		return 0;
	ra = (uint64_t)kb << 10;
	if (ra > MAX_READAHEAD)
		ra = MAX_READAHEAD;
	return ra - ra % PAGE;
}

/*
 * print_view_env: the last header lines of the view benches: the device's
 * read-ahead, upager's (`why` says where it came from), how runs start
 * cold, the load.
 */
static inline void print_view_env(long ra, uint64_t readahead,
    const char *why)
{
	if (ra >= 0)
		printf("device     read_ahead_kb %ld (the kernel's mmap "
		    "read-around window)\n", ra);
	printf("readahead  upager %" PRIu64 " bytes%s\n", readahead,
	    readahead == 0 ? " (its default)" : why);
	printf("cold       fdatasync + POSIX_FADV_DONTNEED%s; upager also a "
	    "fresh pager\n", geteuid() == 0 ? " + drop_caches as root"
	    " (where allowed)" : "");
	print_loadavg("start");
	fflush(stdout);
}

/*
 * print_command: the first lines of every header: the command line, the
 * machine, the test file and its size.
 */
static inline void print_command(int argc, char **argv, uint64_t size)
{
	printf("command:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\nupager %s, page size %ld, %ld CPUs online\n",
	    UPAGER_VERSION_STRING, sysconf(_SC_PAGESIZE),
	    sysconf(_SC_NPROCESSORS_ONLN));
	printf("file       %s\n", file_path);
	printf("size       %" PRIu64 " bytes (%.1f MiB)\n", size,
	    (double)size / (1 << 20));
}

/* print_io_stats: the read-side counters both reports begin with. */
static inline void print_io_stats(const struct upager_stats *st)
{
	printf("  pages_in      %" PRIu64 "\n", st->pages_in);
	printf("  read_ios      %" PRIu64 " (%.1f pages per read)\n",
	    st->read_ios, st->read_ios ?
	    (double)st->pages_in / (double)st->read_ios : 0.0);
	printf("  ra_pages      %" PRIu64 "\n", st->ra_pages);
	printf("  ra_used       %" PRIu64 "\n", st->ra_used);
	printf("  ra_wasted     %" PRIu64 "\n", st->ra_wasted);
}

/* print_peak: the reclaim counters both reports end with. */
static inline void print_peak(const struct upager_stats *st)
{
	printf("  reclaimed     %" PRIu64 "\n", st->reclaimed);
	printf("  peak_resident %" PRIu64 " of budget_pages %" PRIu64 "%s\n",
	    st->peak_resident, st->budget_pages,
	    st->peak_resident > st->budget_pages ? "  OVER BUDGET" : "");
}

#endif /* UPAGER_BENCHLIB_H */
