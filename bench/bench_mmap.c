/* bench_mmap.c: upager views against the kernel's mmap(MAP_SHARED) */

/*
 * One file, both sides in the same run, the side order alternating per
 * run: whole-file MAP_SHARED views through mmap(2) of a plain descriptor
 * and through upager_map.  Workload groups, each from cold (fdatasync +
 * POSIX_FADV_DONTNEED + drop_caches as root; upager also a fresh pager):
 *   seq        scan every page in order (seq-cold), unmap, map a fresh
 *              view and scan again (seq-warm: minor faults only);
 *   rand 1t/2t random 4 KiB page touches, one 8-byte read each (cold),
 *              then, after an untimed whole-file scan, the same touches
 *              through a fresh view (warm);
 *   dirty16    on a warm file, a fresh writeable view: write 8 bytes of
 *              every 16th page, msync(MS_SYNC) (upager_msync); the words
 *              are then read back from disk with pread(2).
 * Every scan and touch pass is checked against the file's known contents.
 * --latency FILE adds, after the runs, one cold random pass per side on
 * one thread that times each first touch of a page alone, and writes the
 * latencies; --csv FILE appends the figures (benchlib.h's csv_row).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BENCH_NAME "bench_mmap"
#include "benchlib.h"

#define DIRTY_STRIDE 16         /* dirty16: every 16th page is written */
#define DIRTY_WORD 1            /* the word a dirty16 pass writes (byte 8) */
#define MAXTHREADS 2

/*
 * The workloads, in report order.  DIRTY_TOUCH and DIRTY_SYNC are the two
 * parts of DIRTY_TOTAL, timed in the same pass.
 */
enum workload {
	SEQ_COLD, SEQ_WARM, RND_COLD1, RND_WARM1, RND_COLD2, RND_WARM2,
	DIRTY_TOTAL, DIRTY_TOUCH, DIRTY_SYNC, NWORK
};

static const char *const work_name[NWORK] = {
	"seq-cold", "seq-warm", "rand-cold-1t", "rand-warm-1t",
	"rand-cold-2t", "rand-warm-2t", "dirty16-msync", " dirty16 writes",
	" msync(MS_SYNC)",
};

/* the same, for csv lines */
static const char *const work_csv[NWORK] = {
	"seq-cold", "seq-warm", "rand-cold-1t", "rand-warm-1t",
	"rand-cold-2t", "rand-warm-2t", "dirty16-msync", "dirty16-writes",
	"dirty16-msync-only",
};

enum unit { GBS, TPS, MS };

static const char *const unit_name[] = { "GB/s", "touch/s", "ms" };

static enum unit work_unit(int w)
{
	return w <= SEQ_WARM ? GBS : w < DIRTY_TOTAL ? TPS : MS;
}

struct params {
	uint64_t size;          /* bytes in the test file */
	uint64_t budget;        /* upager budget in bytes */
	unsigned runs;
	uint64_t touches;       /* page touches per random pass */
	uint64_t readahead;     /* upager read-ahead in bytes; 0: as the device */
	const char *dir;
	const char *csv;        /* --csv: where the figures go, or NULL */
	const char *latency;    /* --latency: the first-touch latencies */
};

/* usage: the option summary, on stdout for --help, stderr for errors. */
static void usage(FILE *out)
{
	fputs("usage: bench_mmap [--size BYTES] [--budget BYTES] [--runs N]\n"
	    "                  [--dir DIR] [--touches N] [--csv FILE]\n"
	    "                  [--latency FILE]\n"
	    "  --size BYTES      test file size (default 256M, K/M/G suffix)\n"
	    "  --budget BYTES    upager budget (default size + 64M: the file "
	    "fits)\n"
	    "  --readahead BYTES upager's read-ahead (default: the device's\n"
	    "                    read_ahead_kb, as the kernel uses, 16M at most)\n"
	    "  --runs N          measurements per workload (default 5)\n"
	    "  --dir DIR         where the test file goes "
	    "(default $TMPDIR or /tmp)\n"
	    "  --touches N       4 KiB page touches per random pass "
	    "(default 20000)\n"
	    "  --csv FILE        append the figures to FILE (a header first\n"
	    "                    if it is empty)\n"
	    "  --latency FILE    after the runs, time each first touch of a\n"
	    "                    page in one cold random pass per side; write\n"
	    "                    the latencies (ns) to FILE\n",
	    out);
}

/* parse_args: fill *p from the command line, or exit with status 2. */
static void parse_args(int argc, char **argv, struct params *p)
{
	const char *v;

	common_defaults(&p->size, &p->budget, &p->runs, &p->dir);
	p->touches = 20000;
	for (int i = 1; i < argc; i++) {
		if (common_option(argc, argv, &i, usage, &p->size, &p->budget,
		    &p->runs, &p->dir) ||
		    path_option(argc, argv, &i, "--csv", &p->csv) ||
		    path_option(argc, argv, &i, "--latency", &p->latency))
			continue;
		if ((v = option_value(argc, argv, &i, "--readahead"))) {
			if (parse_size(v, &p->readahead) < 0 ||
			    p->readahead % 4096 != 0)
				bad_arg("bad --readahead '%s'", v);
		} else if (!touches_option(argc, argv, &i, &p->touches)) {
			bad_arg("unknown argument '%s'", argv[i]);
		}
	}
	if (sysconf(_SC_PAGESIZE) != PAGE)
		die("this benchmark assumes %d-byte pages, not %ld", PAGE,
		    sysconf(_SC_PAGESIZE));
	p->size -= p->size % PAGE;
	if (p->size < DIRTY_STRIDE * PAGE)
		bad_arg("--size must be at least %d bytes",
		    DIRTY_STRIDE * PAGE);
	if (p->budget == 0)
		p->budget = p->size + (64ull << 20);
	if (p->budget < least_budget())
		bad_arg("--budget must be at least 64 pages (%" PRIu64
		    " bytes)", least_budget());
	if (p->budget < p->size)
		fprintf(stderr, "bench_mmap: note: --budget (%" PRIu64 ") is "
		    "below --size (%" PRIu64 "): upager's warm passes keep only"
		    " what the budget holds\n", p->budget, p->size);
}

/* thread_faults: minor plus major faults taken by the calling thread. */
static long thread_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/*
 * A share of a random pass: touches offs[lo, hi) of the view at base,
 * timed by the thread itself (the pass runs from the first start to the
 * last end: a thread may be done before another is even scheduled).
 */
struct toucher {
	const char *base;
	const uint64_t *offs;
	uint64_t lo, hi;
	uint64_t sum;
	long faults;
	double t0, t1;
	pthread_barrier_t *start;
};

static void touch_range(struct toucher *t)
{
	uint64_t s = 0;
	long f0 = thread_faults();

	t->t0 = now();
	for (uint64_t i = t->lo; i < t->hi; i++)
		s += fold(*(const volatile uint64_t *)(t->base + t->offs[i]),
		    t->offs[i]);
	t->t1 = now();
	t->faults = thread_faults() - f0;
	t->sum = s;
}

static void *touch_thread(void *arg)
{
	struct toucher *t = arg;

	pthread_barrier_wait(t->start);
	touch_range(t);
	return NULL;
}

/*
 * rnd_touch: one 8-byte read at each of offs[0..n), split in contiguous
 * halves between nthreads threads; returns seconds, sets *sum and the
 * faults the touching threads took.
 */
static double rnd_touch(const char *base, const uint64_t *offs, uint64_t n,
    int nthreads, uint64_t *sum, long *nfaults)
{
	struct toucher t[MAXTHREADS];
	pthread_t tid[MAXTHREADS];
	pthread_barrier_t start;
	double t0, t1;
	int i;

	if (nthreads == 1) {
		t[0] = (struct toucher){ .base = base, .offs = offs, .lo = 0,
		    .hi = n };
		touch_range(&t[0]);
		*sum = t[0].sum;
		*nfaults = t[0].faults;
		return t[0].t1 - t[0].t0;
	}
	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		t[i] = (struct toucher){ .base = base, .offs = offs,
		    .lo = n * (uint64_t)i / (uint64_t)nthreads,
		    .hi = n * (uint64_t)(i + 1) / (uint64_t)nthreads,
		    .start = &start };
		if ((errno = pthread_create(&tid[i], NULL, touch_thread,
		    &t[i])) != 0)
			die("pthread_create: %s", strerror(errno));
	}
	pthread_barrier_wait(&start);
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	*sum = 0;
	*nfaults = 0;
	t0 = t[0].t0;
	t1 = t[0].t1;
	for (i = 0; i < nthreads; i++) {
		*sum += t[i].sum;
		*nfaults += t[i].faults;
		t0 = t[i].t0 < t0 ? t[i].t0 : t0;
		t1 = t[i].t1 > t1 ? t[i].t1 : t1;
	}
	pthread_barrier_destroy(&start);
	return t1 - t0;
}

/* dirty_value: what dirty16 writes in run `run` on side s at page pgno. */
static uint64_t dirty_value(unsigned run, enum side s, uint64_t pgno)
{
	return mix64(0xd1b54a32d192ed03ull ^ ((uint64_t)run << 40) ^
	    ((uint64_t)s << 39) ^ pgno);
}

/* dirty16: write one word of every 16th page of the view. */
static void dirty16(char *base, uint64_t size, unsigned run, enum side s)
{
	for (uint64_t off = 0; off < size; off += DIRTY_STRIDE * PAGE)
		((volatile uint64_t *)(base + off))[DIRTY_WORD] =
		    dirty_value(run, s, off / PAGE);
}

/* The state of a whole benchmark. */
struct bench {
	struct params p;
	int fd;                         /* plain descriptor, O_RDWR */
	uint64_t seq_sum;               /* checksum of a whole-file scan */
	uint64_t *offs;                 /* the random touch sequence */
	uint64_t rnd_sum;               /* its checksum */
	double *res[NWORK][NSIDE];      /* GB/s, touches/s or ms, per run */
	long faults[NWORK][NSIDE];      /* faults of the accessing threads,
					 * run 1 */
	struct upager_stats cold_stats; /* run 1's upager seq-cold */
};

/*
 * One side's view of the file for one workload group: the kernel's mmap
 * of b->fd, or a fresh pager with the file open and its view.
 */
struct target {
	enum side s;
	upager_t *pg;
	upager_file_t *uf;
};

/* side_begin: cold: nothing of the file cached, on either side. */
static void side_begin(struct bench *b, struct target *sd, enum side s,
    int oflags)
{
	struct upager_config cfg = { .budget = (size_t)b->p.budget,
	    .readahead = (size_t)b->p.readahead };
	int err;

	memset(sd, 0, sizeof(*sd));
	sd->s = s;
	make_cold(b->fd);
	if (s == KERNEL)
		return;
	err = upager_create(&cfg, &sd->pg);
	if (err < 0)
		die("upager_create: %s", upager_strerror(err));
	err = upager_open(sd->pg, file_path, oflags, 0, &sd->uf);
	if (err < 0)
		die("upager_open %s: %s", file_path, upager_strerror(err));
}

/* side_end: close the pager (nothing is left dirty by then). */
static void side_end(struct target *sd)
{
	int err;

	if (sd->s == KERNEL)
		return;
	if ((err = upager_close(sd->uf)) < 0)
		die("upager_close: %s", upager_strerror(err));
	if ((err = upager_destroy(sd->pg)) < 0)
		die("upager_destroy: %s", upager_strerror(err));
}

/* side_map: a fresh view of the whole file. */
static char *side_map(struct bench *b, struct target *sd, int prot)
{
	void *a;
	int err;

	if (sd->s == KERNEL) {
		a = mmap(NULL, (size_t)b->p.size, prot, MAP_SHARED, b->fd, 0);
		if (a == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		return a;
	}
	err = upager_map(sd->uf, 0, (size_t)b->p.size, prot, MAP_SHARED, &a);
	if (err < 0)
		die("upager_map: %s", upager_strerror(err));
	return a;
}

static void side_unmap(struct bench *b, struct target *sd, char *a)
{
	int err;

	if (sd->s == KERNEL) {
		if (munmap(a, (size_t)b->p.size) < 0)
			die("munmap: %s", strerror(errno));
	} else if ((err = upager_unmap(a, (size_t)b->p.size)) < 0) {
		die("upager_unmap: %s", upager_strerror(err));
	}
}

static void side_msync(struct bench *b, struct target *sd, char *a)
{
	int err;

	if (sd->s == KERNEL) {
		if (msync(a, (size_t)b->p.size, MS_SYNC) < 0)
			die("msync: %s", strerror(errno));
	} else if ((err = upager_msync(a, (size_t)b->p.size, MS_SYNC)) < 0) {
		die("upager_msync: %s", upager_strerror(err));
	}
}

/* record: one measurement; faults are kept from run 1 only. */
static void record(struct bench *b, int w, enum side s, unsigned run,
    double v, long nfaults)
{
	b->res[w][s][run] = v;
	if (run == 0)
		b->faults[w][s] = nfaults;
}

static void check_sum(enum side s, int w, uint64_t sum, uint64_t want)
{
	if (sum != want)
		die("data mismatch: %s %s checksum %016" PRIx64 ", expected "
		    "%016" PRIx64, side_name[s], work_name[w], sum, want);
}

/* seq_pass: one timed whole-file scan through a fresh view, as work w;
 * upager's stats are kept from its first cold scan. */
static void seq_pass(struct bench *b, struct target *sd, enum side s,
    unsigned run, enum workload w)
{
	char *a = side_map(b, sd, PROT_READ);
	long f0 = thread_faults();
	uint64_t sum;
	double t = seq_scan(a, b->p.size, &sum);

	record(b, w, s, run, (double)b->p.size / t / 1e9,
	    thread_faults() - f0);
	check_sum(s, w, sum, b->seq_sum);
	if (w == SEQ_COLD && s == UPAGER && run == 0 &&
	    upager_stats(sd->pg, &b->cold_stats) < 0)
		die("upager_stats failed");
	side_unmap(b, sd, a);
}

/* group_seq: seq-cold, then seq-warm through a fresh view. */
static void group_seq(struct bench *b, enum side s, unsigned run)
{
	struct target sd;

	side_begin(b, &sd, s, O_RDONLY);
	seq_pass(b, &sd, s, run, SEQ_COLD);
	seq_pass(b, &sd, s, run, SEQ_WARM);
	side_end(&sd);
}

/*
 * group_rnd: rand-cold, then rand-warm through a fresh view, with nthreads
 * threads.  Warm means what the cold pass brought in plus the rest of the
 * file: a whole-file scan (untimed, through its own view) makes all of it
 * resident on both sides first.
 */
static void group_rnd(struct bench *b, enum side s, unsigned run,
    int nthreads)
{
	int wc = nthreads == 1 ? RND_COLD1 : RND_COLD2, ww = wc + 1;
	struct target sd;
	uint64_t sum;
	double t;
	long nf;
	char *a;

	side_begin(b, &sd, s, O_RDONLY);
	a = side_map(b, &sd, PROT_READ);
	t = rnd_touch(a, b->offs, b->p.touches, nthreads, &sum, &nf);
	record(b, wc, s, run, (double)b->p.touches / t, nf);
	check_sum(s, wc, sum, b->rnd_sum);
	(void)seq_scan(a, b->p.size, &sum);
	check_sum(s, wc, sum, b->seq_sum);
	side_unmap(b, &sd, a);

	a = side_map(b, &sd, PROT_READ);
	t = rnd_touch(a, b->offs, b->p.touches, nthreads, &sum, &nf);
	record(b, ww, s, run, (double)b->p.touches / t, nf);
	check_sum(s, ww, sum, b->rnd_sum);
	side_unmap(b, &sd, a);
	side_end(&sd);
}

/*
 * verify_dirty: read what dirty16 wrote back from the disk with pread(2):
 * every dirtied word, after dropping the kernel's cached copy of the file
 * (clean by now, on both sides, if the msync did its job).
 */
static void verify_dirty(struct bench *b, enum side s, unsigned run)
{
	uint64_t w, npages = b->p.size / PAGE;
	int err;

	err = posix_fadvise(b->fd, 0, 0, POSIX_FADV_DONTNEED);
	if (err != 0)
		die("posix_fadvise(DONTNEED): %s", strerror(err));
	for (uint64_t pgno = 0; pgno < npages; pgno += DIRTY_STRIDE) {
		off_t off = (off_t)(pgno * PAGE + DIRTY_WORD * 8);
		ssize_t n = pread(b->fd, &w, sizeof(w), off);

		if (n != (ssize_t)sizeof(w))
			die("verify pread at %jd: %s", (intmax_t)off,
			    n < 0 ? strerror(errno) : "short read");
		if (w != dirty_value(run, s, pgno))
			die("data mismatch: %s dirty16-msync: page %" PRIu64
			    " has %016" PRIx64 " on disk after msync, wrote "
			    "%016" PRIx64, side_name[s], pgno, w,
			    dirty_value(run, s, pgno));
	}
}

/*
 * group_dirty: on a warm file (a whole-file scan first, untimed, through
 * its own view), map a fresh writeable view, write a word of every 16th
 * page, msync(MS_SYNC); the two are timed together and apart.
 */
static void group_dirty(struct bench *b, enum side s, unsigned run)
{
	struct target sd;
	uint64_t sum;
	double t0, t1, t2;
	long f0;
	char *a;

	side_begin(b, &sd, s, O_RDWR);
	a = side_map(b, &sd, PROT_READ);
	(void)seq_scan(a, b->p.size, &sum);
	check_sum(s, DIRTY_TOTAL, sum, b->seq_sum);
	side_unmap(b, &sd, a);

	a = side_map(b, &sd, PROT_READ | PROT_WRITE);
	f0 = thread_faults();
	t0 = now();
	dirty16(a, b->p.size, run, s);
	t1 = now();
	side_msync(b, &sd, a);
	t2 = now();
	record(b, DIRTY_TOTAL, s, run, (t2 - t0) * 1e3, thread_faults() - f0);
	record(b, DIRTY_TOUCH, s, run, (t1 - t0) * 1e3, 0);
	record(b, DIRTY_SYNC, s, run, (t2 - t1) * 1e3, 0);
	verify_dirty(b, s, run);
	side_unmap(b, &sd, a);
	side_end(&sd);
}

#define NGROUP 4

/* the groups' names in the progress of `upager bench` */
static const char *const group_name[NGROUP] = {
	"seq", "rand 1t", "rand 2t", "dirty16",
};

/* run_group: one workload group on one side. */
static void run_group(struct bench *b, int g, enum side s, unsigned run)
{
	bench_step(group_name[g], side_name[s], run, b->p.runs);
	switch (g) {
	case 0:
		group_seq(b, s, run);
		break;
	case 1:
		group_rnd(b, s, run, 1);
		break;
	case 2:
		group_rnd(b, s, run, 2);
		break;
	default:
		group_dirty(b, s, run);
		break;
	}
}

/* print_header: the command line and every parameter that shapes a run. */
static void print_header(const struct bench *b, int argc, char **argv)
{
	const struct params *p = &b->p;
	long ra = read_ahead_kb(b->fd);

	print_command(argc, argv, p->size);
	printf("budget     %" PRIu64 " bytes (%.1f MiB, %.2fx the file)\n",
	    p->budget, (double)p->budget / (1 << 20),
	    (double)p->budget / (double)p->size);
	printf("runs       %u (side order alternates: even runs kernel "
	    "first, per workload group)\n", p->runs);
	printf("views      whole file, MAP_SHARED, MADV_NORMAL; kernel: "
	    "mmap(2) of a plain fd;\n           upager: upager_map; every "
	    "pass maps a fresh view (mapping untimed)\n");
	printf("scans      8-byte read every %d bytes of every page, in "
	    "order\n", LINE);
	printf("random     %" PRIu64 " touches per pass (one 8-byte read in a "
	    "random page, fixed seed;\n           2t: halves of the same "
	    "sequence on two threads)\n", p->touches);
	printf("dirty16    8-byte write to every %dth page (%" PRIu64
	    " pages), then msync(MS_SYNC)\n", DIRTY_STRIDE,
	    (p->size / PAGE + DIRTY_STRIDE - 1) / DIRTY_STRIDE);
	print_view_env(ra, p->readahead, "");
}

/* print_stats: what upager did in one cold sequential scan. */
static void print_stats(const struct upager_stats *st)
{
	printf("\nupager stats, run 1, one cold sequential scan (fresh "
	    "pager):\n");
	print_io_stats(st);
	printf("  hits          %" PRIu64 "\n", st->hits);
	printf("  misses        %" PRIu64 "\n", st->misses);
	print_peak(st);
}

/*
 * ratio: how upager compares, >1 meaning upager is better: upager/kernel
 * for rates, kernel/upager for times.
 */
static double ratio(int w, double sum[NSIDE][3])
{
	if (work_unit(w) == MS)
		return sum[KERNEL][0] / sum[UPAGER][0];
	return sum[UPAGER][0] / sum[KERNEL][0];
}

/* print_report: the aligned table, notes, and the csv block. */
static void print_report(const struct bench *b)
{
	double sum[NWORK][NSIDE][3];
	const double pages = (double)(b->p.size / PAGE);

	for (int w = 0; w < NWORK; w++)
		for (int s = 0; s < NSIDE; s++)
			summarize(b->res[w][s], b->p.runs, sum[w][s]);
	printf("\n%-16s %-7s | %29s | %29s | %s\n", "", "",
	    "kernel mmap(MAP_SHARED)", "upager_map(MAP_SHARED)", "ratio");
	printf("%-16s %-7s | %9s %9s %9s | %9s %9s %9s | %s\n", "workload",
	    "unit", "median", "min", "max", "median", "min", "max",
	    "(>1: upager better)");
	for (int w = 0; w < NWORK; w++) {
		const char *fmt = work_unit(w) == GBS ? " %9.3f %9.3f %9.3f |"
		    : work_unit(w) == TPS ? " %9.0f %9.0f %9.0f |" :
		    " %9.2f %9.2f %9.2f |";

		printf("%-16s %-7s |", work_name[w], unit_name[work_unit(w)]);
		for (int s = 0; s < NSIDE; s++)
			printf(fmt, sum[w][s][0], sum[w][s][1], sum[w][s][2]);
		printf(" %6.2f %s\n", ratio(w, sum[w]),
		    work_unit(w) == MS ? "kernel_ms/upager_ms" :
		    "upager/kernel");
	}
	printf("\nfaults taken by the accessing threads (run 1; in brackets "
	    "per page of the\nfile for seq, per touch for random, per dirtied"
	    " page for dirty16; upager's\nfault threads and its I/O into the "
	    "frames are not counted):\n");
	for (int w = 0; w < NWORK; w++) {
		double per = work_unit(w) == GBS ? pages :
		    work_unit(w) == TPS ? (double)b->p.touches :
		    (pages + DIRTY_STRIDE - 1) / DIRTY_STRIDE;

		if (w == DIRTY_TOUCH || w == DIRTY_SYNC)
			continue;
		printf("  %-16s kernel %9ld (%.3f)   upager %9ld (%.3f)\n",
		    work_name[w], b->faults[w][KERNEL],
		    (double)b->faults[w][KERNEL] / per,
		    b->faults[w][UPAGER], (double)b->faults[w][UPAGER] / per);
	}
	printf("\nnotes: GB = 10^9 bytes. Median of %u runs. Ratios compare "
	    "medians; for dirty16\nrows the ratio is kernel_ms/upager_ms, so "
	    ">1 there too means upager is faster.\nWarm random passes follow "
	    "an untimed whole-file scan: the file is resident on\nboth sides "
	    "(budget %.2fx the file). Checksums of every scan and touch pass "
	    "and\nevery dirtied word (pread back after msync) were verified."
	    "%s\n", b->p.runs, (double)b->p.budget / (double)b->p.size,
	    dropped_caches == 0 ? "\ndrop_caches was not allowed: cold is "
	    "fdatasync + POSIX_FADV_DONTNEED." : "");
	print_loadavg("end");
	printf("\ncsv,workload,unit,kernel_median,kernel_min,kernel_max,"
	    "upager_median,upager_min,upager_max,ratio,ratio_is\n");
	for (int w = 0; w < NWORK; w++)
		printf("csv,%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%s\n",
		    work_csv[w], unit_name[work_unit(w)],
		    sum[w][KERNEL][0], sum[w][KERNEL][1], sum[w][KERNEL][2],
		    sum[w][UPAGER][0], sum[w][UPAGER][1], sum[w][UPAGER][2],
		    ratio(w, sum[w]), work_unit(w) == MS ?
		    "kernel/upager" : "upager/kernel");
}

/* write_csv: --csv: both sides of every workload, the kernel's the
 * reference (ratio 1). */
static void write_csv(const struct bench *b)
{
	FILE *f = csv_open(b->p.csv);
	double sum[NSIDE][3];

	for (int w = 0; w < NWORK; w++) {
		for (int s = 0; s < NSIDE; s++)
			summarize(b->res[w][s], b->p.runs, sum[s]);
		for (int s = 0; s < NSIDE; s++)
			csv_row(f, "mmap", work_csv[w], side_name[s],
			    unit_name[work_unit(w)], sum[s], b->p.runs,
			    s == KERNEL ? 1.0 : ratio(w, sum));
	}
	csv_close(f, b->p.csv);
}

/*
 * latency_pass: one cold pass of the random touches on side s, one
 * thread, timing each first touch of a page alone (clock_gettime around
 * its 8-byte read: a fault, or little where read-around brought the page
 * in first).  Kept apart from the timed passes, whose figures a clock
 * read per touch would change.  Puts one latency per page touched in lat
 * (ns, at least 1) and returns how many.
 */
static uint64_t latency_pass(struct bench *b, enum side s, uint64_t *lat)
{
	unsigned char *seen = calloc(b->p.size / PAGE, 1);
	uint64_t n = 0, sum = 0;
	struct target sd;
	char *a;

	if (seen == NULL)
		die("out of memory");
	bench_step("fault latency", side_name[s], 0, 0);
	side_begin(b, &sd, s, O_RDONLY);
	a = side_map(b, &sd, PROT_READ);
	for (uint64_t i = 0; i < b->p.touches; i++) {
		uint64_t off = b->offs[i], w, ns;
		struct timespec t0, t1;

		if (seen[off / PAGE]) {
			w = *(const volatile uint64_t *)(a + off);
		} else {
			seen[off / PAGE] = 1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			w = *(const volatile uint64_t *)(a + off);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ns = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000ll +
			    (t1.tv_nsec - t0.tv_nsec));
			lat[n++] = ns > 0 ? ns : 1;
		}
		sum += fold(w, off);
	}
	check_sum(s, RND_COLD1, sum, b->rnd_sum);
	side_unmap(b, &sd, a);
	side_end(&sd);
	free(seen);
	return n;
}

/* cmp_u64: for qsort, latencies in order for their percentiles. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * write_latency: --latency: each side's first-touch latencies (ns) as a
 * gnuplot data block, the kernel's first (index 0), upager's second;
 * their percentiles end the report.
 */
static void write_latency(struct bench *b)
{
	uint64_t *lat = malloc(b->p.touches * sizeof(*lat));
	FILE *f = fopen(b->p.latency, "w");
	int bad;

	if (f == NULL)
		die("cannot open %s: %s", b->p.latency, strerror(errno));
	if (lat == NULL)
		die("out of memory");
	printf("\nfirst touch of a page, one cold random pass per side, one "
	    "thread, %" PRIu64 " touches\n(microseconds; written to %s):\n",
	    b->p.touches, b->p.latency);
	for (int s = 0; s < NSIDE; s++) {
		uint64_t n = latency_pass(b, (enum side)s, lat);

		fprintf(f, "# %s: the first touch of each page of a cold "
		    "random pass, ns\n", side_name[s]);
		for (uint64_t i = 0; i < n; i++)
			fprintf(f, "%" PRIu64 "\n", lat[i]);
		fputs("\n\n", f);
		qsort(lat, n, sizeof(*lat), cmp_u64);
		printf("  %-6s %7" PRIu64 " pages   p50 %9.1f   p90 %9.1f   "
		    "p99 %9.1f   max %9.1f\n", side_name[s], n,
		    (double)lat[(n - 1) / 2] / 1e3,
		    (double)lat[(n - 1) * 9 / 10] / 1e3,
		    (double)lat[(n - 1) * 99 / 100] / 1e3,
		    (double)lat[n - 1] / 1e3);
	}
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		die("writing %s: %s", b->p.latency, strerror(errno));
	free(lat);
}

int BENCH_MAIN(bench_mmap)(int argc, char **argv)
{
	struct bench b = { .fd = -1 };

	parse_args(argc, argv, &b.p);
	atexit(remove_file);
	on_interrupt(on_signal);

	b.seq_sum = make_file(b.p.dir, b.p.size, PAGE, page_sum_of);
	b.fd = open(file_path, O_RDWR);
	if (b.fd < 0)
		die("open %s: %s", file_path, strerror(errno));
	b.offs = touch_offsets(b.p.touches, b.p.size / PAGE, 1, &b.rnd_sum);
	/* like for like: upager reads around a fault what the kernel does,
	 * the device's read-ahead (upager takes 16 MiB at most) */
	if (b.p.readahead == 0)
		b.p.readahead = device_readahead(b.fd);
	alloc_results(&b.res[0][0], NWORK * NSIDE, b.p.runs);
	print_header(&b, argc, argv);
	bench_steps(b.p.runs * NGROUP * NSIDE +
	    (b.p.latency != NULL ? NSIDE : 0));

	for (unsigned run = 0; run < b.p.runs; run++) {
		double t0 = now();
		enum side first = run % 2 == 0 ? KERNEL : UPAGER;

		for (int g = 0; g < NGROUP; g++) {
			run_group(&b, g, first, run);
			run_group(&b, g, (enum side)(NSIDE - 1 - first), run);
		}
		run_done(run, b.p.runs, now() - t0);
	}

	print_stats(&b.cold_stats);
	print_report(&b);
	if (b.p.csv != NULL)
		write_csv(&b);
	if (b.p.latency != NULL)
		write_latency(&b);
	close(b.fd);
	free_results(&b.res[0][0], NWORK * NSIDE);
	free(b.offs);
	return 0;
}
