/* bench.c: upager bench: the benchmarks of bench/ in one run, their figures in a CSV, plots made with gnuplot, a summary */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "upager.h"

/*
 * Each benchmark (bench/bench_mmap.c, bench_pread.c, bench_budget.c) is
 * compiled into the command and run in a child process of its own, as
 * its program would run: its globals, its exit on an error and its
 * clean-up at exit stay its own.  It appends its figures to results.csv
 * (--csv), its report goes to <suite>.log, and it reports each step to
 * bench_progress.  Then this file reads results.csv back, prints the
 * summary and has gnuplot draw the plots from the data files.
 */

#define BENCH_PAGE 4096         /* the benchmarks' page; sizes round to it */
#define MAX_TOUCHES 20000       /* the benchmarks' random touches per pass */
#define BAR 20                  /* the progress bar's width */

/* The three benchmarks, in the order they run. */
static const struct suite {
	const char *name;       /* in results.csv, the logs, the progress */
	const char *prog;       /* its program's name, its argv[0] */
	int (*main)(int argc, char **argv);
} suites[] = {
	{ "mmap", "bench_mmap", bench_mmap_main },
	{ "pread", "bench_pread", bench_pread_main },
	{ "budget", "bench_budget", bench_budget_main },
};

#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* The plots gnuplot makes in DIR. */
static const char *const png_files[] = {
	"throughput.png", "latency.png", "resident.png",
};

#define NPNG (sizeof(png_files) / sizeof(png_files[0]))

/* One run of the suite: what the command line asked, and where it goes. */
struct bench_run {
	const char *cmd;        /* "bench", for messages */
	uint64_t size, budget, runs, touches;
	const char *dir;        /* where the test files go */
	char out[4096];         /* where the results go */
};

/* A row of results.csv (benchlib.h's csv_row). */
struct row {
	char suite[16], work[32], side[16], unit[16];
	double med, min, max;
	double ratio;           /* < 0: none */
	unsigned runs;
};

/* ---- progress ---- */

/* The progress of the phase (one benchmark) running now. */
static struct {
	bool tty;               /* stderr is a terminal: a bar, else lines */
	double start;           /* when the phase began */
} prog;

/*
 * bench_progress: a step of a benchmark begins (done of total are over):
 * on a terminal, the phase's bar, redrawn in place, once the phase has
 * lasted a second (shorter ones never show one); else a plain line.
 */
void bench_progress(const char *bench, const char *what, unsigned done,
    unsigned total)
{
	static const char full[BAR + 1] = "####################";
	const char *name = strncmp(bench, "bench_", 6) == 0 ? bench + 6 :
	    bench;
	double t = now() - prog.start;
	unsigned fill = total != 0 && done <= total ? BAR * done / total : 0;

	if (!prog.tty)
		fprintf(stderr, "bench: %s: %s\n", name, what);
	else if (t >= 1.0)
		/* at most 79 columns: a wrapped line would not redraw */
		fprintf(stderr, "\r\033[K%-6s [%.*s%*s] %3u%% %4.0f s  %.32s",
		    name, (int)fill, full, (int)(BAR - fill), "",
		    total != 0 ? 100 * done / total : 0, t, what);
}

/* bench_progress_clear: the bar's line cleared, before a message, at the
 * end of a phase. */
void bench_progress_clear(void)
{
	if (prog.tty)
		fputs("\r\033[K", stderr);
}

/* ---- running the benchmarks ---- */

/*
 * suite_argv: the command line of suite su, as its program would get it,
 * in av; its numbers and paths are written in num and paths, which must
 * live as long as av.
 */
static void suite_argv(const struct bench_run *r, const struct suite *su,
    char **av, char num[4][32], char paths[3][4200])
{
	int n = 0;

	snprintf(num[0], 32, "%" PRIu64, r->size);
	snprintf(num[1], 32, "%" PRIu64, r->budget);
	snprintf(num[2], 32, "%" PRIu64, r->runs);
	snprintf(num[3], 32, "%" PRIu64, r->touches);
	snprintf(paths[0], 4200, "%s/results.csv", r->out);
	snprintf(paths[1], 4200, "%s/latency.dat", r->out);
	snprintf(paths[2], 4200, "%s/resident.dat", r->out);
	av[n++] = (char *)su->prog;
	av[n++] = "--size";
	av[n++] = num[0];
	av[n++] = "--runs";
	av[n++] = num[2];
	av[n++] = "--dir";
	av[n++] = (char *)r->dir;
	av[n++] = "--csv";
	av[n++] = paths[0];
	/* bench_mmap keeps its own budget, the file and 64M: its views are
	 * compared with the kernel's mmap, which holds the whole file */
	if (strcmp(su->name, "mmap") != 0) {
		av[n++] = "--budget";
		av[n++] = num[1];
	}
	av[n++] = strcmp(su->name, "pread") == 0 ? "--random-ops" :
	    "--touches";
	av[n++] = num[3];
	if (strcmp(su->name, "mmap") == 0) {
		av[n++] = "--latency";
		av[n++] = paths[1];
	} else if (strcmp(su->name, "budget") == 0) {
		av[n++] = "--trace";
		av[n++] = paths[2];
	}
	av[n] = NULL;
}

/*
 * run_suite: one benchmark in a child process, its report (stdout) to
 * DIR/<suite>.log.  Returns 0, or 1 after saying how it failed (its own
 * message, if any, came first).
 */
static int run_suite(const struct bench_run *r, const struct suite *su)
{
	char log[4200], num[4][32], paths[3][4200], *av[24];
	int fd, st = 0, rc = 0, ac = 0;
	pid_t pid = -1;

	suite_argv(r, su, av, num, paths);
	while (av[ac] != NULL)
		ac++;
	snprintf(log, sizeof(log), "%s/%s.log", r->out, su->name);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		rc = fail(r->cmd, "cannot create %s: %s", log,
		    strerror(errno));
	fflush(NULL);
	prog.start = now();
	if (rc == 0 && (pid = fork()) < 0)
		rc = fail(r->cmd, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fd, STDOUT_FILENO);
		exit(su->main(ac, av));
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	bench_progress_clear();
	if (pid > 0 && WIFSIGNALED(st))
		rc = fail(r->cmd, "the %s benchmark was killed by signal %d "
		    "(its report so far: %s)", su->name, WTERMSIG(st), log);
	else if (pid > 0 && WEXITSTATUS(st) != 0)
		rc = fail(r->cmd, "the %s benchmark failed with status %d "
		    "(its report so far: %s)", su->name, WEXITSTATUS(st), log);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- results.csv ---- */

/* csv_str: copy a field that must not be empty; 0, or -1. */
static int csv_str(char *dst, size_t len, const char *f)
{
	size_t n = strlen(f);
	int rc = n == 0 || n >= len ? -1 : 0;

	if (rc == 0)
		memcpy(dst, f, n + 1);
	return rc;
}

/* csv_num: a field that must be a number, all of it; 0, or -1. */
static int csv_num(const char *f, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(f, &end);
	return f[0] == '\0' || *end != '\0' || errno != 0 ? -1 : 0;
}

/*
 * csv_parse: one row of results.csv into *r: nine fields, the names not
 * empty, numbers where numbers go, a positive median between min and
 * max, at least one run, the ratio empty or positive.  0, or -1 for a
 * line that is not such a row.
 */
static int csv_parse(const char *line, struct row *r)
{
	char buf[512], *f[10], *p;
	double runs = 0;
	int n = 0, rc = strlen(line) < sizeof(buf) ? 0 : -1;

	snprintf(buf, sizeof(buf), "%s", line);
	buf[strcspn(buf, "\n")] = '\0';
	/* strsep, not strtok: an empty field (the ratio) is a field */
	for (p = buf; p != NULL && n < 10; n++)
		f[n] = strsep(&p, ",");
	if (n != 9 || p != NULL)
		rc = -1;
	if (rc == 0 && (csv_str(r->suite, sizeof(r->suite), f[0]) < 0 ||
	    csv_str(r->work, sizeof(r->work), f[1]) < 0 ||
	    csv_str(r->side, sizeof(r->side), f[2]) < 0 ||
	    csv_str(r->unit, sizeof(r->unit), f[3]) < 0 ||
	    csv_num(f[4], &r->med) < 0 || csv_num(f[5], &r->min) < 0 ||
	    csv_num(f[6], &r->max) < 0 || csv_num(f[7], &runs) < 0))
		rc = -1;
	r->ratio = -1;
	if (rc == 0 && f[8][0] != '\0' && (csv_num(f[8], &r->ratio) < 0 ||
	    r->ratio <= 0))
		rc = -1;
	if (rc == 0 && (!(r->med > 0) || r->min > r->med || r->med > r->max ||
	    runs < 1 || runs > 1e6 || runs != (double)(unsigned)runs))
		rc = -1;
	r->runs = rc == 0 ? (unsigned)runs : 0;
	return rc;
}

/*
 * read_results: DIR/results.csv: the header, then rows (at most max);
 * sets *nrows.  Returns 0, or 1 after naming the first bad line.
 */
static int read_results(const struct bench_run *r, struct row *rows,
    size_t max, size_t *nrows)
{
	static const char header[] =
	    "suite,workload,side,unit,median,min,max,runs,ratio\n";
	char path[4200], line[512];
	unsigned lineno = 1;
	FILE *f;
	int rc = 0;

	*nrows = 0;
	snprintf(path, sizeof(path), "%s/results.csv", r->out);
	if ((f = fopen(path, "r")) == NULL)
		rc = fail(r->cmd, "cannot open %s: %s", path,
		    strerror(errno));
	else if (fgets(line, sizeof(line), f) == NULL ||
	    strcmp(line, header) != 0)
		rc = fail(r->cmd, "%s: no header line", path);
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (*nrows == max)
			rc = fail(r->cmd, "%s: more than %zu rows", path, max);
		else if (csv_parse(line, &rows[*nrows]) < 0)
			rc = fail(r->cmd, "%s:%u: not a row of figures: %.80s",
			    path, lineno, line);
		else
			(*nrows)++;
	}
	if (rc == 0 && *nrows == 0)
		rc = fail(r->cmd, "%s: no figures", path);
	if (f != NULL)
		fclose(f);
	return rc;
}

/* fmt_num: a figure with the digits that mean something. */
static const char *fmt_num(double v, char *buf, size_t len)
{
	snprintf(buf, len, v >= 1000 ? "%.0f" : v >= 10 ? "%.1f" : "%.3f", v);
	return buf;
}

/* print_rows: the summary table, a blank line between benchmarks. */
static void print_rows(const struct row *rows, size_t n)
{
	char b[3][32];

	printf("\n%-7s %-20s %-10s %-7s %11s %11s %11s %7s\n", "suite",
	    "workload", "side", "unit", "median", "min", "max", "ratio");
	for (size_t i = 0; i < n; i++) {
		const struct row *w = &rows[i];

		if (i > 0 && strcmp(w->suite, rows[i - 1].suite) != 0)
			printf("\n");
		printf("%-7s %-20s %-10s %-7s %11s %11s %11s", w->suite,
		    w->work, w->side, w->unit, fmt_num(w->med, b[0], 32),
		    fmt_num(w->min, b[1], 32), fmt_num(w->max, b[2], 32));
		if (w->ratio >= 0)
			printf(" %7.2f", w->ratio);
		printf("\n");
	}
	printf("\nmedian, min and max of %u runs; ratio: the median against "
	    "the kernel's (mmap,\npread) or, for write-back, the disk's "
	    "write rate; above 1 is better than\nthe kernel (for times in ms "
	    "too: kernel time / upager time)\n", rows[0].runs);
}

/* ---- the plots' data ---- */

/* A column of numbers in a gnuplot data file's first two blocks. */
struct blocks {
	double *v[2];
	size_t n[2], cap[2];
};

/* cmp_dbl: for qsort, percentiles. */
static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * read_blocks: column col (from 0) of every line of the data file's
 * blocks 0 and 1 (blocks end at two blank lines; # starts a comment).
 * Returns 0, or -errno (-EINVAL for a line without that column).
 */
static int read_blocks(const char *path, int col, struct blocks *b)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int blk = 0, blank = 0, err = f == NULL ? -errno : 0;

	memset(b, 0, sizeof(*b));
	while (err == 0 && blk < 2 && fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end = NULL;
		double v = 0;

		if (line[0] == '\n') {
			blank++;
			blk += blank == 2;
			continue;
		}
		blank = 0;
		if (line[0] == '#')
			continue;
		for (int c = 0; c <= col && p != NULL; c++, p = end) {
			v = strtod(p, &end);
			if (end == p)
				end = NULL;
		}
		if (p == NULL)
			err = -EINVAL;
		if (err == 0 && b->n[blk] == b->cap[blk]) {
			size_t cap = b->cap[blk] != 0 ? 2 * b->cap[blk] : 1024;
			double *nv = realloc(b->v[blk], cap * sizeof(*nv));

			if (nv == NULL) {
				err = -ENOMEM;
			} else {
				b->v[blk] = nv;
				b->cap[blk] = cap;
			}
		}
		if (err == 0)
			b->v[blk][b->n[blk]++] = v;
	}
	if (f != NULL)
		fclose(f);
	return err;
}

/* free_blocks: the end of read_blocks. */
static void free_blocks(struct blocks *b)
{
	free(b->v[0]);
	free(b->v[1]);
}

/*
 * print_extras: what the two other plots show, in figures: the first
 * touch's latency percentiles on each side, and the most resident
 * memory under the budget.  Returns 0, or 1 after reporting a data file
 * that is not there or not whole.
 */
static int print_extras(const struct bench_run *r)
{
	static const char *const lside[2] = { "kernel", "upager" };
	static const char *const rpass[2] = { "sequential scan",
	    "random touches" };
	struct blocks lat = { 0 }, res = { 0 }, bud = { 0 };
	char lpath[4200], rpath[4200];
	int err, rc = 0;

	snprintf(lpath, sizeof(lpath), "%s/latency.dat", r->out);
	snprintf(rpath, sizeof(rpath), "%s/resident.dat", r->out);
	if ((err = read_blocks(lpath, 0, &lat)) < 0 || lat.n[0] == 0 ||
	    lat.n[1] == 0)
		rc = fail(r->cmd, "%s: %s", lpath, err < 0 ? strerror(-err) :
		    "a side has no latencies");
	else if ((err = read_blocks(rpath, 1, &res)) < 0 ||
	    (err = read_blocks(rpath, 2, &bud)) < 0 || res.n[0] == 0 ||
	    res.n[1] == 0 || bud.n[0] == 0)
		rc = fail(r->cmd, "%s: %s", rpath, err < 0 ? strerror(-err) :
		    "a pass has no samples");
	if (rc == 0)
		printf("\nfirst touch of a page, cold random 4 KiB touches, "
		    "one thread (microseconds):\n");
	for (int s = 0; rc == 0 && s < 2; s++) {
		double *v = lat.v[s];
		size_t n = lat.n[s];

		qsort(v, n, sizeof(*v), cmp_dbl);
		printf("  %-6s %6zu pages   p50 %9.1f   p90 %9.1f   p99 %9.1f"
		    "\n", lside[s], n, v[(n - 1) / 2] / 1e3,
		    v[(n - 1) * 9 / 10] / 1e3, v[(n - 1) * 99 / 100] / 1e3);
	}
	if (rc == 0)
		printf("\nresident memory under the budget of %.1f MiB, one "
		    "budgeted pass each, sampled:\n", bud.v[0][0]);
	for (int s = 0; rc == 0 && s < 2; s++) {
		double most = 0;

		for (size_t i = 0; i < res.n[s]; i++)
			most = res.v[s][i] > most ? res.v[s][i] : most;
		printf("  %-16s at most %.1f MiB (%zu samples)\n", rpass[s],
		    most, res.n[s]);
	}
	free_blocks(&lat);
	free_blocks(&res);
	free_blocks(&bud);
	return rc;
}

/* is_ref: a row of a reference side: the kernel's, or the disk's. */
static bool is_ref(const struct row *w)
{
	return strcmp(w->side, "kernel") == 0 || strcmp(w->side, "disk") == 0;
}

/*
 * find_ref: the row row w is compared with: the kernel's row of the same
 * workload, else the disk's row of the same benchmark; NULL if none.
 */
static const struct row *find_ref(const struct row *rows, size_t n,
    const struct row *w)
{
	const struct row *kernel = NULL, *disk = NULL;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].suite, w->suite) != 0)
			continue;
		if (strcmp(rows[i].side, "kernel") == 0 &&
		    strcmp(rows[i].work, w->work) == 0)
			kernel = &rows[i];
		if (strcmp(rows[i].side, "disk") == 0)
			disk = &rows[i];
	}
	return kernel != NULL ? kernel : disk;
}

/*
 * rel_fields: row w against a reference median ref, as rates (a time's
 * inverse: higher is better): the median's, then the min-max whisker's
 * ends, three gnuplot fields.
 */
static void rel_fields(FILE *f, const struct row *w, double ref)
{
	if (strcmp(w->unit, "ms") == 0)
		fprintf(f, " %.5f %.5f %.5f", ref / w->med, ref / w->max,
		    ref / w->min);
	else
		fprintf(f, " %.5f %.5f %.5f", w->med / ref, w->min / ref,
		    w->max / ref);
}

/*
 * throughput_line: the line of throughput.dat for the workload of row
 * i, if i is its first row to compare with a reference: its label, then
 * three bars (the reference, upager or budgeted, unbudgeted) of three
 * fields each ("-" where the workload has no such side).
 */
static void throughput_line(FILE *f, const struct row *rows, size_t n,
    size_t i)
{
	static const char *const slot[2][2] = { { "upager", "budgeted" },
	    { "unbudgeted", "unbudgeted" } };
	const struct row *ref = find_ref(rows, n, &rows[i]);
	bool first = !is_ref(&rows[i]) && rows[i].ratio >= 0 && ref != NULL;

	for (size_t j = 0; j < i && first; j++)
		first = strcmp(rows[j].suite, rows[i].suite) != 0 ||
		    strcmp(rows[j].work, rows[i].work) != 0 ||
		    is_ref(&rows[j]);
	if (first) {
		fprintf(f, "\"%s %s%s\"", rows[i].suite, rows[i].work,
		    strcmp(ref->side, "disk") == 0 ? " (vs disk)" : "");
		rel_fields(f, ref, ref->med);
	}
	for (int s = 0; first && s < 2; s++) {
		const struct row *w = NULL;

		for (size_t j = 0; j < n && w == NULL; j++)
			if (strcmp(rows[j].suite, rows[i].suite) == 0 &&
			    strcmp(rows[j].work, rows[i].work) == 0 &&
			    (strcmp(rows[j].side, slot[s][0]) == 0 ||
			    strcmp(rows[j].side, slot[s][1]) == 0))
				w = &rows[j];
		if (w != NULL)
			rel_fields(f, w, ref->med);
		else
			fprintf(f, " - - -");
	}
	if (first)
		fprintf(f, "\n");
}

/*
 * write_throughput: DIR/throughput.dat, the bars of throughput.png: a
 * line per workload with a reference (throughput_line), every figure
 * relative to the reference's median.  0, or -errno.
 */
static int write_throughput(const struct bench_run *r, const struct row *rows,
    size_t n)
{
	char path[4200];
	FILE *f;
	int err = 0, bad;

	snprintf(path, sizeof(path), "%s/throughput.dat", r->out);
	if ((f = fopen(path, "w")) == NULL)
		err = -errno;
	else
		fprintf(f, "# workload, then (median min max) relative to the "
		    "reference's median for the\n# reference, upager "
		    "(budgeted), unbudgeted; higher is better\n");
	for (size_t i = 0; f != NULL && i < n; i++)
		throughput_line(f, rows, n, i);
	if (f != NULL) {
		bad = ferror(f);
		if (fclose(f) != 0 || bad)
			err = -EIO;
	}
	return err;
}

/* The gnuplot script: the three plots from the data files, in DIR. */
static const char plots_gp[] =
"# plots.gp: the plots of `upager bench`; run `gnuplot plots.gp` here\n"
"set terminal pngcairo size 1280,720 noenhanced font ',10'\n"
"set datafile missing '-'\n"
"set grid ytics\n"
"\n"
"set output 'throughput.png'\n"
"set title 'Throughput against the kernel (write-back: against the disk)"
" - median of %u runs, whiskers min-max; 1 = as fast, higher is better'\n"
"set ylabel 'relative to the reference median (log scale)'\n"
"set logscale y\n"
"set yrange [*:*]\n"
"set xtics rotate by 35 right scale 0\n"
"set xrange [-0.6:*]\n"
"set lmargin 14\n"
"set bmargin 11\n"
"set style fill solid 0.7 border -1\n"
"set boxwidth 0.26\n"
"set key top left\n"
"set bars 1\n"
"plot 'throughput.dat' using ($0-0.27):2:xtic(1) with boxes lc rgb "
"'#999999' title 'kernel (mmap, pread) or disk', \\\n"
"     '' using ($0-0.27):2:3:4 with yerrorbars lc rgb 'black' pt 0 notitle, \\\n"
"     '' using ($0):5 with boxes lc rgb '#3366cc' title "
"'upager (bench budget: budgeted)', \\\n"
"     '' using ($0):5:6:7 with yerrorbars lc rgb 'black' pt 0 notitle, \\\n"
"     '' using ($0+0.27):8 with boxes lc rgb '#55aa55' title "
"'upager, unbudgeted (bench budget)', \\\n"
"     '' using ($0+0.27):8:9:10 with yerrorbars lc rgb 'black' pt 0 notitle\n"
"\n"
"reset\n"
"set terminal pngcairo size 1280,720 noenhanced font ',10'\n"
"set output 'latency.png'\n"
"set title 'First touch of a page in a cold random pass of 4 KiB touches,"
" one thread (CDF)'\n"
"set xlabel 'latency, microseconds (log scale)'\n"
"set ylabel 'fraction of the first touches'\n"
"set logscale x\n"
"set grid\n"
"set key bottom right\n"
"set yrange [0:1]\n"
"plot 'latency.dat' index 0 using ($1/1000.0):(1) smooth cnormal "
"with lines lw 2 lc rgb '#999999' title 'kernel mmap(MAP_SHARED)', \\\n"
"     '' index 1 using ($1/1000.0):(1) smooth cnormal with lines lw 2 "
"lc rgb '#3366cc' title 'upager view (upager_map)'\n"
"\n"
"reset\n"
"set terminal pngcairo size 1280,720 noenhanced font ',10'\n"
"set output 'resident.png'\n"
"set multiplot layout 2,1 title 'Resident memory of a budgeted pager over "
"time (upager_stats)'\n"
"set grid\n"
"set key bottom right\n"
"set xlabel 'ms since the first access'\n"
"set ylabel 'MiB'\n"
"set yrange [0:*]\n"
"set offsets 0, 0, graph 0.15, 0\n"
"set title 'cold sequential scan of a whole-file view'\n"
"plot 'resident.dat' index 0 using 1:2 with lines lw 2 lc rgb '#3366cc' "
"title 'resident', '' index 0 using 1:3 with lines dt 2 lw 2 lc rgb "
"'#cc3333' title 'budget'\n"
"set title 'cold random 4 KiB touches of a whole-file view'\n"
"plot 'resident.dat' index 1 using 1:2 with lines lw 2 lc rgb '#3366cc' "
"title 'resident', '' index 1 using 1:3 with lines dt 2 lw 2 lc rgb "
"'#cc3333' title 'budget'\n"
"unset multiplot\n";

/* write_script: DIR/plots.gp; 0, or -errno. */
static int write_script(const struct bench_run *r)
{
	char path[4200];
	FILE *f;
	int err = 0, bad;

	snprintf(path, sizeof(path), "%s/plots.gp", r->out);
	if ((f = fopen(path, "w")) == NULL) {
		err = -errno;
	} else {
		fprintf(f, plots_gp, (unsigned)r->runs);
		bad = ferror(f);
		if (fclose(f) != 0 || bad)
			err = -EIO;
	}
	return err;
}

/* is_png: the file is there, plausibly big, and begins as a PNG does. */
static bool is_png(const char *path)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n' };
	unsigned char head[8];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 1000 &&
	    read(fd, head, sizeof(head)) == sizeof(head) &&
	    memcmp(head, sig, sizeof(sig)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * plot: gnuplot on plots.gp, in DIR, its messages to gnuplot.log; then
 * every PNG must be there.  Returns 0, or 1 after reporting; a missing
 * gnuplot is a failure too: the plots were asked for (scripts/setup.sh
 * installs gnuplot-nox).
 */
static int plot(const struct bench_run *r)
{
	char log[4200], png[4200];
	int fd, st = 0, rc = 0;
	pid_t pid = -1;

	/* a PNG of an earlier run in DIR must not pass for this one's */
	for (size_t i = 0; i < NPNG; i++) {
		snprintf(png, sizeof(png), "%s/%s", r->out, png_files[i]);
		unlink(png);
	}
	snprintf(log, sizeof(log), "%s/gnuplot.log", r->out);
	if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		rc = fail(r->cmd, "cannot create %s: %s", log,
		    strerror(errno));
	fflush(NULL);
	if (rc == 0 && (pid = fork()) < 0)
		rc = fail(r->cmd, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (chdir(r->out) < 0)
			_exit(126);
		execlp("gnuplot", "gnuplot", "plots.gp", (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
		rc = fail(r->cmd, "gnuplot not found: plots skipped (install "
		    "gnuplot-nox); the figures and the plots' data are in %s",
		    r->out);
	else if (pid > 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		rc = fail(r->cmd, "gnuplot failed: see %s", log);
	for (size_t i = 0; rc == 0 && i < NPNG; i++) {
		snprintf(png, sizeof(png), "%s/%s", r->out, png_files[i]);
		if (!is_png(png))
			rc = fail(r->cmd, "gnuplot made no %s: see %s", png,
			    log);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- the command ---- */

/*
 * bench_args: check the command line's figures, fill in the defaults.
 * Returns 0, or 2 after reporting.
 */
static int bench_args(const struct command *cmd, struct bench_run *r)
{
	uint64_t least = least_budget();
	struct stat st;
	int rc = 0, direrr;

	direrr = stat(r->dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 :
	    ENOTDIR;
	r->size -= r->size % BENCH_PAGE;
	if (r->budget == 0)
		r->budget = r->size / 4 - r->size / 4 % BENCH_PAGE;
	r->touches = r->size / BENCH_PAGE < MAX_TOUCHES ?
	    r->size / BENCH_PAGE : MAX_TOUCHES;
	if (r->budget < least)
		rc = usage_error(cmd->name, "the budget must be at least 64 "
		    "pages (%" PRIu64 " bytes): --budget, or a --size of 4 "
		    "times that", least);
	else if (r->budget >= r->size)
		rc = usage_error(cmd->name, "--budget (%" PRIu64 ") must be "
		    "below --size (%" PRIu64 "): the budgeted runs must not "
		    "hold the whole file", r->budget, r->size);
	else if (r->runs > 1000)
		rc = usage_error(cmd->name, "bad --runs '%" PRIu64 "' (1 to "
		    "1000)", r->runs);
	else if (direrr != 0)
		rc = usage_error(cmd->name, "bad --dir '%s': %s", r->dir,
		    strerror(direrr));
	return rc;
}

/*
 * out_dir: make the results directory: --out DIR (an existing directory
 * is used as it is), or a new upager-bench-YYYYmmdd-HHMMSS here.
 * Returns 0, 2 for a DIR that cannot be (no parent), or 1.
 */
static int out_dir(const struct command *cmd, struct bench_run *r,
    const char *out)
{
	time_t t = time(NULL);
	struct stat st;
	int rc = 0, err = 0;

	if (out != NULL)
		snprintf(r->out, sizeof(r->out), "%s", out);
	else
		strftime(r->out, sizeof(r->out), "upager-bench-%Y%m%d-%H%M%S",
		    localtime(&t));
	if (mkdir(r->out, 0755) == 0)
		err = 0;
	else if (errno == EEXIST && out != NULL)
		err = stat(r->out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 :
		    ENOTDIR;
	else
		err = errno;
	if (err != 0 && out != NULL && arg_errno(err))
		rc = usage_error(cmd->name, "bad --out '%s': %s", out,
		    strerror(err));
	else if (err != 0)
		rc = fail(cmd->name, "cannot make %s: %s", r->out,
		    strerror(err));
	return rc;
}

/* bench_suites: every benchmark in turn, into an empty results.csv. */
static int bench_suites(struct bench_run *r)
{
	char path[4200];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/results.csv", r->out);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		rc = fail(r->cmd, "cannot create %s: %s", path,
		    strerror(errno));
	else
		close(fd);
	for (size_t i = 0; rc == 0 && i < NSUITES; i++)
		rc = run_suite(r, &suites[i]);
	return rc;
}

/* print_files: where everything is, at the end. */
static void print_files(const struct bench_run *r)
{
	printf("\nin %s:\n"
	    "  results.csv     every figure: suite,workload,side,unit,median,"
	    "min,max,runs,ratio\n"
	    "  throughput.png  every workload against the kernel, bars with "
	    "min-max whiskers\n"
	    "  latency.png     first touch of a page, cold, upager view and "
	    "kernel mmap (CDF)\n"
	    "  resident.png    resident memory over time under the budget\n"
	    "  *.dat plots.gp  the plots' data and gnuplot script\n"
	    "  mmap.log pread.log budget.log  each benchmark's full report\n",
	    r->out);
}

/*
 * cmd_bench: `upager bench`: the benchmarks, results.csv, the summary,
 * the plots.  Exits 0 only when all of them were made.
 */
int cmd_bench(const struct command *cmd, int argc, char **argv)
{
	struct bench_run r = { .cmd = cmd->name, .size = 256ull << 20,
	    .runs = 5, .dir = default_dir() };
	static struct row rows[128];
	const char *out = NULL;
	const struct cmd_option opts[] = {
		{ "--size", OPT_SIZE, &r.size },
		{ "--budget", OPT_SIZE, &r.budget },
		{ "--runs", OPT_COUNT, &r.runs },
		{ "--out", OPT_STRING, &out },
		{ "--dir", OPT_STRING, &r.dir },
		{ NULL, OPT_SIZE, NULL },
	};
	char b1[32], b2[32];
	size_t nrows = 0;
	int npos, rc, err;

	rc = parse_opts(cmd, argc, argv, opts, &npos);
	rc = rc > 0 ? -1 : rc < 0 ? EXIT_USAGE : 0;     /* -1: help shown */
	if (rc == 0 && npos > 0)
		rc = usage_error(cmd->name, "unexpected argument '%s'",
		    argv[0]);
	if (rc == 0)
		rc = bench_args(cmd, &r);
	if (rc == 0)
		rc = out_dir(cmd, &r, out);
	if (rc == 0) {
		prog.tty = isatty(STDERR_FILENO);
		printf("upager bench: a %s test file in %s, a budget of %s for "
		    "the budgeted runs,\n%" PRIu64 " runs of every figure, %"
		    PRIu64 " random 4 KiB touches (reads) per pass; %ld CPUs"
		    "\nresults in %s\n", human(r.size, b1, sizeof(b1)), r.dir,
		    human(r.budget, b2, sizeof(b2)), r.runs, r.touches,
		    sysconf(_SC_NPROCESSORS_ONLN), r.out);
		rc = bench_suites(&r);
	}
	if (rc == 0)
		rc = read_results(&r, rows, sizeof(rows) / sizeof(rows[0]),
		    &nrows);
	if (rc == 0) {
		print_rows(rows, nrows);
		rc = print_extras(&r);
	}
	if (rc == 0 && ((err = write_throughput(&r, rows, nrows)) < 0 ||
	    (err = write_script(&r)) < 0))
		rc = fail(cmd->name, "writing the plots' data in %s: %s",
		    r.out, strerror(-err));
	if (rc == 0) {
		if (!prog.tty)
			fprintf(stderr, "bench: plots\n");
		rc = plot(&r);
	}
	if (rc == 0)
		print_files(&r);
	return rc < 0 ? 0 : rc;
}
