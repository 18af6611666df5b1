/* bench_pread.c: upager_pread against pread(2), cold and warm */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_NAME "bench_pread"
#include "benchlib.h"

#define BLOCK 4096              /* every read is one 4 KiB block */

/* The workloads, in report order. */
enum workload { SEQ_COLD, SEQ_WARM, RND_COLD, RND_WARM, RND_REGION, NWORK };

static const char *const work_name[NWORK] = {
	"seq-cold", "seq-warm", "rand-cold", "rand-warm", "rand-warm-region",
};

struct params {
	uint64_t size;          /* bytes in the test file */
	uint64_t budget;        /* upager budget in bytes */
	unsigned runs;
	uint64_t random_ops;    /* reads per random pass */
	const char *dir;
	const char *csv;        /* --csv: where the figures go, or NULL */
};

/* What a pass reads from: a plain descriptor or a upager handle. */
struct reader {
	int fd;
	upager_file_t *uf;
};

/* usage: the option summary, on stdout for --help, stderr for errors. */
static void usage(FILE *out)
{
	fputs("usage: bench_pread [--size BYTES] [--budget BYTES] [--runs N]\n"
	    "                   [--dir DIR] [--random-ops N] [--csv FILE]\n"
	    "  --size BYTES      test file size (default 256M, K/M/G suffix)\n"
	    "  --budget BYTES    upager budget (default size/4)\n"
	    "  --runs N          measurements per workload (default 5)\n"
	    "  --dir DIR         where the test file goes "
	    "(default $TMPDIR or /tmp)\n"
	    "  --random-ops N    4 KiB reads per random pass (default 20000)\n"
	    "  --csv FILE        append the figures to FILE (a header first\n"
	    "                    if it is empty)\n",
	    out);
}

/* parse_args: fill *p from the command line, or exit with status 2. */
static void parse_args(int argc, char **argv, struct params *p)
{
	const char *v;

	common_defaults(&p->size, &p->budget, &p->runs, &p->dir);
	p->random_ops = 20000;
	for (int i = 1; i < argc; i++) {
		if (common_option(argc, argv, &i, usage, &p->size, &p->budget,
		    &p->runs, &p->dir) ||
		    path_option(argc, argv, &i, "--csv", &p->csv))
			continue;
		if ((v = option_value(argc, argv, &i, "--random-ops"))) {
			if (parse_size(v, &p->random_ops) < 0 ||
			    p->random_ops > (1ull << 32))
				bad_arg("bad --random-ops '%s'", v);
		} else {
			bad_arg("unknown argument '%s'", argv[i]);
		}
	}
	p->size -= p->size % BLOCK;
	if (p->budget == 0)
		p->budget = p->size / 4;
	if (p->size < 2 * BLOCK)
		bad_arg("--size must be at least %d bytes", 2 * BLOCK);
	if (p->budget < least_budget())
		bad_arg("--budget must be at least 64 pages (%" PRIu64
		    " bytes)", least_budget());
	if (p->size <= p->budget)
		bad_arg("--size (%" PRIu64 ") must exceed --budget (%" PRIu64
		    "): the file has to be larger than the budget",
		    p->size, p->budget);
}

/*
 * block_sum: a checksum of one block at one offset.  Cheap (it runs inside
 * the timed loops, the same on both sides) yet it catches wrong bytes,
 * words moved within the block, and blocks from the wrong offset.
 */
static uint64_t block_sum(const void *buf, uint64_t off)
{
	const uint64_t *w = buf;
	uint64_t a = 0, x = 0;

	for (uint64_t i = 0; i < BLOCK / 8; i++) {
		a += w[i] ^ i;
		x ^= w[i] + i;
	}
	return mix64(a ^ mix64(x ^ off));
}

/* read_block: one 4 KiB read from either side; anything short is fatal. */
static void read_block(const struct reader *r, void *buf, uint64_t off)
{
	ssize_t n;

	if (r->uf != NULL)
		n = upager_pread(r->uf, buf, BLOCK, (off_t)off);
	else
		n = pread(r->fd, buf, BLOCK, (off_t)off);
	if (n == BLOCK)
		return;
	if (n < 0)
		die("%s read at %" PRIu64 ": %s", r->uf ? "upager" : "plain",
		    off, r->uf ? upager_strerror((int)n) : strerror(errno));
	die("%s read at %" PRIu64 ": short read (%zd bytes)",
	    r->uf ? "upager" : "plain", off, n);
}

/* seq_pass: read the whole file in order; returns seconds, sets *sum. */
static double seq_pass(const struct reader *r, void *buf, uint64_t size,
    uint64_t *sum)
{
	uint64_t s = 0;
	double t0 = now();

	for (uint64_t off = 0; off < size; off += BLOCK) {
		read_block(r, buf, off);
		s += block_sum(buf, off);
	}
	*sum = s;
	return now() - t0;
}

/* rnd_pass: read the given offsets in order; returns seconds, sets *sum. */
static double rnd_pass(const struct reader *r, void *buf,
    const uint64_t *offs, uint64_t n, uint64_t *sum)
{
	uint64_t s = 0;
	double t0 = now();

	for (uint64_t i = 0; i < n; i++) {
		read_block(r, buf, offs[i]);
		s += block_sum(buf, offs[i]);
	}
	*sum = s;
	return now() - t0;
}

/*
 * make_offsets: a fixed-seed sequence of n block offsets in the first
 * `blocks` blocks, so that every run and both sides read the same blocks.
 */
static uint64_t *make_offsets(uint64_t n, uint64_t blocks, uint64_t seed)
{
	uint64_t *offs = malloc(n * sizeof(*offs));

	if (offs == NULL)
		die("out of memory");
	for (uint64_t i = 0; i < n; i++)
		offs[i] = mix64(seed ^ mix64(i)) % blocks * BLOCK;
	return offs;
}

/* The state of a whole benchmark. */
struct bench {
	struct params p;
	int fd;                         /* plain descriptor of the file */
	void *buf;                      /* one aligned block */
	uint64_t seq_sum;               /* checksum of a whole-file pass */
	uint64_t *rnd_offs, *reg_offs;  /* the random sequences */
	uint64_t reg_size;              /* bytes in the warm region */
	uint64_t rnd_sum, reg_sum;      /* their checksums, once known */
	int rnd_known, reg_known;
	double *res[NWORK][NSIDE];      /* MB/s or ops/s, one per run */
	struct upager_stats cold_stats; /* after run 1's upager seq-cold */
};

/* check_seq: every sequential pass must see exactly what was written. */
static void check_seq(const struct bench *b, enum side s, enum workload w,
    uint64_t sum)
{
	if (sum != b->seq_sum)
		die("data mismatch: %s %s checksum %016" PRIx64 ", file "
		    "written with %016" PRIx64, side_name[s], work_name[w],
		    sum, b->seq_sum);
}

/* check_rnd: every pass over one sequence must see the same data. */
static void check_rnd(enum side s, enum workload w, uint64_t sum,
    uint64_t *known_sum, int *known)
{
	if (!*known) {
		*known_sum = sum;
		*known = 1;
	} else if (sum != *known_sum) {
		die("data mismatch: %s %s checksum %016" PRIx64 ", earlier "
		    "passes %016" PRIx64, side_name[s], work_name[w], sum,
		    *known_sum);
	}
}

/* seq_rate, rnd_rate: the units of the report (MB is 10^6 bytes). */
static double seq_rate(const struct bench *b, double secs)
{
	return (double)b->p.size / secs / 1e6;
}

static double rnd_rate(const struct bench *b, double secs)
{
	return (double)b->p.random_ops / secs;
}

/*
 * prime_region: read the warm region once so that it is resident; both
 * sides start it cold, so both caches fill it the same way.
 */
static void prime_region(struct bench *b, const struct reader *r)
{
	for (uint64_t off = 0; off < b->reg_size; off += BLOCK)
		read_block(r, b->buf, off);
}

/* run_kernel: one run of every workload through plain pread(2). */
static void run_kernel(struct bench *b, unsigned run)
{
	struct reader r = { .fd = b->fd, .uf = NULL };
	uint64_t sum;
	double t;

	bench_step("every workload", side_name[KERNEL], run, b->p.runs);
	make_cold(b->fd);
	t = seq_pass(&r, b->buf, b->p.size, &sum);
	check_seq(b, KERNEL, SEQ_COLD, sum);
	b->res[SEQ_COLD][KERNEL][run] = seq_rate(b, t);
	t = seq_pass(&r, b->buf, b->p.size, &sum);
	check_seq(b, KERNEL, SEQ_WARM, sum);
	b->res[SEQ_WARM][KERNEL][run] = seq_rate(b, t);

	make_cold(b->fd);
	t = rnd_pass(&r, b->buf, b->rnd_offs, b->p.random_ops, &sum);
	check_rnd(KERNEL, RND_COLD, sum, &b->rnd_sum, &b->rnd_known);
	b->res[RND_COLD][KERNEL][run] = rnd_rate(b, t);
	t = rnd_pass(&r, b->buf, b->rnd_offs, b->p.random_ops, &sum);
	check_rnd(KERNEL, RND_WARM, sum, &b->rnd_sum, &b->rnd_known);
	b->res[RND_WARM][KERNEL][run] = rnd_rate(b, t);

	make_cold(b->fd);
	prime_region(b, &r);
	t = rnd_pass(&r, b->buf, b->reg_offs, b->p.random_ops, &sum);
	check_rnd(KERNEL, RND_REGION, sum, &b->reg_sum, &b->reg_known);
	b->res[RND_REGION][KERNEL][run] = rnd_rate(b, t);
}

/* fresh_pager: a new pager with the file open and nothing resident. */
static void fresh_pager(struct bench *b, upager_t **pg, upager_file_t **uf)
{
	struct upager_config cfg = { .budget = (size_t)b->p.budget };
	int err;

	make_cold(b->fd);
	err = upager_create(&cfg, pg);
	if (err < 0)
		die("upager_create: %s", upager_strerror(err));
	err = upager_open(*pg, file_path, O_RDONLY, 0, uf);
	if (err < 0)
		die("upager_open %s: %s", file_path, upager_strerror(err));
}

/* close_pager: the end of a fresh_pager. */
static void close_pager(upager_t *pg, upager_file_t *uf)
{
	int err = upager_close(uf);

	if (err < 0)
		die("upager_close: %s", upager_strerror(err));
	err = upager_destroy(pg);
	if (err < 0)
		die("upager_destroy: %s", upager_strerror(err));
}

/*
 * run_upager: one run of every workload through upager_pread.  Each cold
 * workload starts from a fresh pager; "warm" is a second pass with the same
 * pager, which keeps only what fits in the budget.  The region workload
 * gets its own pager so that its region, half the budget, is all resident.
 */
static void run_upager(struct bench *b, unsigned run)
{
	struct reader r = { .fd = -1 };
	upager_t *pg;
	uint64_t sum;
	double t;

	bench_step("every workload", side_name[UPAGER], run, b->p.runs);
	fresh_pager(b, &pg, &r.uf);
	t = seq_pass(&r, b->buf, b->p.size, &sum);
	check_seq(b, UPAGER, SEQ_COLD, sum);
	b->res[SEQ_COLD][UPAGER][run] = seq_rate(b, t);
	if (run == 0 && upager_stats(pg, &b->cold_stats) < 0)
		die("upager_stats failed");
	t = seq_pass(&r, b->buf, b->p.size, &sum);
	check_seq(b, UPAGER, SEQ_WARM, sum);
	b->res[SEQ_WARM][UPAGER][run] = seq_rate(b, t);
	close_pager(pg, r.uf);

	fresh_pager(b, &pg, &r.uf);
	t = rnd_pass(&r, b->buf, b->rnd_offs, b->p.random_ops, &sum);
	check_rnd(UPAGER, RND_COLD, sum, &b->rnd_sum, &b->rnd_known);
	b->res[RND_COLD][UPAGER][run] = rnd_rate(b, t);
	t = rnd_pass(&r, b->buf, b->rnd_offs, b->p.random_ops, &sum);
	check_rnd(UPAGER, RND_WARM, sum, &b->rnd_sum, &b->rnd_known);
	b->res[RND_WARM][UPAGER][run] = rnd_rate(b, t);
	close_pager(pg, r.uf);

	fresh_pager(b, &pg, &r.uf);
	prime_region(b, &r);
	t = rnd_pass(&r, b->buf, b->reg_offs, b->p.random_ops, &sum);
	check_rnd(UPAGER, RND_REGION, sum, &b->reg_sum, &b->reg_known);
	b->res[RND_REGION][UPAGER][run] = rnd_rate(b, t);
	close_pager(pg, r.uf);
}

/* print_header: the command line and every parameter that shapes a run. */
static void print_header(const struct bench *b, int argc, char **argv)
{
	const struct params *p = &b->p;

	print_command(argc, argv, p->size);
	printf("budget     %" PRIu64 " bytes (%.1f MiB, file is %.2fx the "
	    "budget)\n", p->budget, (double)p->budget / (1 << 20),
	    (double)p->size / (double)p->budget);
	printf("runs       %u (side order alternates: even runs kernel "
	    "first)\n", p->runs);
	printf("random     %" PRIu64 " reads of 4 KiB per pass, page-aligned,"
	    " fixed seed\n", p->random_ops);
	printf("region     first %" PRIu64 " bytes (%.1f MiB, budget/2) for "
	    "rand-warm-region\n", b->reg_size, (double)b->reg_size / (1 << 20));
	printf("cold       fdatasync + POSIX_FADV_DONTNEED%s; upager also a "
	    "fresh pager\n", geteuid() == 0 ? " + drop_caches" : "");
	print_loadavg("start");
	fflush(stdout);
}

/* print_stats: what upager did in one cold sequential pass. */
static void print_stats(const struct upager_stats *st)
{
	printf("\nupager stats, run 1, one cold sequential pass:\n");
	print_io_stats(st);
	print_peak(st);
}

/* print_report: the aligned table, notes, and the csv block. */
static void print_report(const struct bench *b)
{
	double sum[NWORK][NSIDE][3];

	for (int w = 0; w < NWORK; w++)
		for (int s = 0; s < NSIDE; s++)
			summarize(b->res[w][s], b->p.runs, sum[w][s]);
	printf("\n%-17s %-5s | %27s | %27s | %s\n", "", "",
	    "kernel pread(2)", "upager_pread", "upager/");
	printf("%-17s %-5s | %9s %8s %8s | %9s %8s %8s | %s\n", "workload",
	    "unit", "median", "min", "max", "median", "min", "max", "kernel");
	for (int w = 0; w < NWORK; w++) {
		printf("%-17s %-5s |", work_name[w],
		    w <= SEQ_WARM ? "MB/s" : "ops/s");
		for (int s = 0; s < NSIDE; s++)
			printf(" %9.0f %8.0f %8.0f |", sum[w][s][0],
			    sum[w][s][1], sum[w][s][2]);
		printf(" %6.2f\n", sum[w][UPAGER][0] / sum[w][KERNEL][0]);
	}
	printf("\nnotes: the file is %.2fx the budget, so upager's seq-warm "
	    "and rand-warm keep\nonly what the budget holds; rand-warm-region "
	    "reads a primed region of budget/2,\nresident on both sides. "
	    "MB = 10^6 bytes. Median of %u runs.\n",
	    (double)b->p.size / (double)b->p.budget, b->p.runs);
	print_loadavg("end");
	printf("\ncsv,workload,unit,kernel_median,kernel_min,kernel_max,"
	    "upager_median,upager_min,upager_max,ratio\n");
	for (int w = 0; w < NWORK; w++)
		printf("csv,%s,%s,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.4f\n",
		    work_name[w], w <= SEQ_WARM ? "MB/s" : "ops/s",
		    sum[w][KERNEL][0], sum[w][KERNEL][1], sum[w][KERNEL][2],
		    sum[w][UPAGER][0], sum[w][UPAGER][1], sum[w][UPAGER][2],
		    sum[w][UPAGER][0] / sum[w][KERNEL][0]);
}

/* write_csv: --csv: both sides of every workload, plain pread(2) the
 * reference (ratio 1). */
static void write_csv(const struct bench *b)
{
	FILE *f = csv_open(b->p.csv);
	double sum[NSIDE][3];

	for (int w = 0; w < NWORK; w++) {
		for (int s = 0; s < NSIDE; s++)
			summarize(b->res[w][s], b->p.runs, sum[s]);
		for (int s = 0; s < NSIDE; s++)
			csv_row(f, "pread", work_name[w], side_name[s],
			    w <= SEQ_WARM ? "MB/s" : "ops/s", sum[s], b->p.runs,
			    sum[s][0] / sum[KERNEL][0]);
	}
	csv_close(f, b->p.csv);
}

int BENCH_MAIN(bench_pread)(int argc, char **argv)
{
	struct bench b = { .fd = -1 };

	parse_args(argc, argv, &b.p);
	atexit(remove_file);
	on_interrupt(on_signal);

	b.reg_size = b.p.budget / 2 / BLOCK * BLOCK;
	b.seq_sum = make_file(b.p.dir, b.p.size, BLOCK, block_sum);
	b.fd = open(file_path, O_RDONLY);
	if (b.fd < 0)
		die("open %s: %s", file_path, strerror(errno));
	if (posix_memalign(&b.buf, BLOCK, BLOCK) != 0)
		die("out of memory");
	b.rnd_offs = make_offsets(b.p.random_ops, b.p.size / BLOCK, 1);
	b.reg_offs = make_offsets(b.p.random_ops, b.reg_size / BLOCK, 2);
	alloc_results(&b.res[0][0], NWORK * NSIDE, b.p.runs);
	print_header(&b, argc, argv);
	bench_steps(b.p.runs * NSIDE);

	for (unsigned run = 0; run < b.p.runs; run++) {
		double t0 = now();

		if (run % 2 == 0) {
			run_kernel(&b, run);
			run_upager(&b, run);
		} else {
			run_upager(&b, run);
			run_kernel(&b, run);
		}
		run_done(run, b.p.runs, now() - t0);
	}

	print_stats(&b.cold_stats);
	print_report(&b);
	if (b.p.csv != NULL)
		write_csv(&b);
	close(b.fd);
	free_results(&b.res[0][0], NWORK * NSIDE);
	free(b.rnd_offs);
	free(b.reg_offs);
	free(b.buf);
	return 0;
}
