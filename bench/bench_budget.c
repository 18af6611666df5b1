/* bench_budget.c: what upager's memory budget costs views and write-back */

/*
 * What the budget costs (issue 4, page daemon and memory budget,
 * acceptance point 5).  One file, every side in the same run, each from
 * cold (fdatasync + POSIX_FADV_DONTNEED + drop_caches as root; upager
 * also a fresh pager), the side order reversing per run.  Workloads:
 *   seq        scan a whole-file MAP_SHARED view in order, an 8-byte read
 *              every LINE bytes of every page, GB/s, on three sides:
 *              upager with a budget of size/4 ("budgeted": the scan
 *              reclaims three quarters of the file as it goes), upager
 *              with size + 64M ("unbudgeted": the file fits), and the
 *              kernel's mmap(2) of a plain descriptor;
 *   rand       random 4 KiB page touches, one 8-byte read each, fixed
 *              seed, touches/s, on the same three sides;
 *   wb-pwrite  "dirty everything", the write-back itself: a budgeted pager,
 *              the file open O_RDWR, every page of it overwritten with
 *              upager_pwrite in 1 MiB writes, in order (whole pages: none
 *              is read first; the budget fills a quarter of the way in,
 *              so the page daemon launders during the writes), then
 *              upager_sync(UPAGER_SYNC_WAIT) and upager_close; MB/s of the
 *              file.  Against it the disk's sequential write rate: the
 *              same number of bytes pwritten over a second file in 1 MiB
 *              O_DIRECT blocks (buffered where O_DIRECT is refused), then
 *              fdatasync.
 *   wb-view    "dirty everything" through a view: a writeable MAP_SHARED
 *              view of the same budgeted pager, an 8-byte write into
 *              every page in order, upager_msync(MS_SYNC), upager_close.
 *              A write fault reads the page first (as the kernel's does),
 *              so this moves the file twice: in, then out.
 * upager reads around a fault the device's read_ahead_kb, as the kernel
 * does (16 MiB at most).  Every scan and touch pass is checked against the
 * file's known contents, and every written word is read back from the
 * disk with pread(2); a mismatch ends the run with status 1.
 * --trace FILE adds, after the runs, one budgeted seq and one budgeted
 * rand pass, untimed, that sample the pager's resident frames and its
 * budget as they go; --csv FILE appends the figures (benchlib.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BENCH_NAME "bench_budget"
#include "benchlib.h"

#define WB_WORD 1               /* the word writeback writes (byte 8) */
#define DISK_BLOCK (1u << 20)   /* the disk's rate: 1 MiB writes */
#define UNBUDGETED_SLACK (64ull << 20)  /* unbudgeted: size + 64 MiB */
#define TRACE_SAMPLES 1000      /* --trace: samples per pass, about */

/* The sides of the seq and rand comparisons. */
enum vside { BUDGETED, UNBUDGETED, KMMAP, NVSIDE };

/*
 * What is measured, in report order: each workload on each of its sides.
 * SEQ_B + s and RND_B + s are workload and side s (the vside order);
 * WB_WRITES and WB_SYNC are the two parts of WB_UPAGER, timed in the same
 * pass.
 */
enum meas {
	SEQ_B, SEQ_U, SEQ_K, RND_B, RND_U, RND_K,
	WBP_UPAGER, WBP_WRITES, WBP_SYNC,
	WB_UPAGER, WB_WRITES, WB_SYNC, WB_DISK, NMEAS
};

static const char *const meas_work[NMEAS] = {
	"seq-cold", "seq-cold", "seq-cold", "rand-cold", "rand-cold",
	"rand-cold", "wb-pwrite", " writes", " sync+close",
	"wb-view", " writes", " msync+close", "disk-write",
};

/* the same, for csv lines */
static const char *const meas_csv[NMEAS] = {
	"seq-cold", "seq-cold", "seq-cold", "rand-cold", "rand-cold",
	"rand-cold", "wb-pwrite", "wb-pwrite-writes", "wb-pwrite-sync-close",
	"wb-view", "wb-view-writes", "wb-view-msync-close", "disk-write",
};

static const char *const meas_side[NMEAS] = {
	"budgeted", "unbudgeted", "kernel", "budgeted", "unbudgeted",
	"kernel", "budgeted", "budgeted", "budgeted", "budgeted", "budgeted",
	"budgeted", "disk",
};

enum unit { GBS, TPS, MBS, MS };

static const char *const unit_name[] = { "GB/s", "touch/s", "MB/s", "ms" };

/* meas_unit: the unit measurement m is reported in. */
static enum unit meas_unit(int m)
{
	return m <= SEQ_K ? GBS : m <= RND_K ? TPS :
	    m == WB_WRITES || m == WB_SYNC || m == WBP_WRITES ||
	    m == WBP_SYNC ? MS : MBS;
}

/* The ratios reported: num / den of the medians, with the targets. */
static const struct ratio {
	int num, den;
	const char *name;       /* for the table and the csv lines */
	double target;          /* the least acceptable; 0: none */
} ratios[] = {
	{ SEQ_B, SEQ_U, "seq budgeted/unbudgeted", 0.8 },
	{ SEQ_B, SEQ_K, "seq budgeted/kernel", 0 },
	{ RND_B, RND_U, "rand budgeted/unbudgeted", 0 },
	{ RND_B, RND_K, "rand budgeted/kernel", 0 },
	{ WBP_UPAGER, WB_DISK, "wb-pwrite/disk", 0.8 },
	{ WB_UPAGER, WB_DISK, "wb-view/disk", 0 },
};

#define NRATIO (sizeof(ratios) / sizeof(ratios[0]))

struct params {
	uint64_t size;          /* bytes in the test file */
	uint64_t budget;        /* the budgeted side's budget in bytes */
	unsigned runs;
	uint64_t touches;       /* page touches per random pass */
	const char *dir;
	const char *csv;        /* --csv: where the figures go, or NULL */
	const char *trace;      /* --trace: resident memory over time */
};

/* usage: the option summary, on stdout for --help, stderr for errors. */
static void usage(FILE *out)
{
	fputs("usage: bench_budget [--size BYTES] [--runs N] [--touches N]\n"
	    "                    [--dir DIR] [--budget BYTES] [--csv FILE]\n"
	    "                    [--trace FILE]\n"
	    "  --size BYTES      test file size (default 256M, K/M/G suffix)\n"
	    "  --runs N          measurements per workload (default 5)\n"
	    "  --touches N       4 KiB page touches per random pass "
	    "(default 20000)\n"
	    "  --dir DIR         where the test files go "
	    "(default $TMPDIR or /tmp)\n"
	    "  --budget BYTES    the budgeted side's budget (default size/4;"
	    " the\n"
	    "                    unbudgeted side has size + 64M)\n"
	    "  --csv FILE        append the figures to FILE (a header first\n"
	    "                    if it is empty)\n"
	    "  --trace FILE      after the runs, sample the resident memory\n"
	    "                    of one budgeted seq and one rand pass; write\n"
	    "                    the samples to FILE\n",
	    out);
}

/* parse_args: fill *p from the command line, or exit with status 2. */
static void parse_args(int argc, char **argv, struct params *p)
{
	common_defaults(&p->size, &p->budget, &p->runs, &p->dir);
	p->touches = 20000;
	for (int i = 1; i < argc; i++) {
		if (common_option(argc, argv, &i, usage, &p->size, &p->budget,
		    &p->runs, &p->dir) ||
		    path_option(argc, argv, &i, "--csv", &p->csv) ||
		    path_option(argc, argv, &i, "--trace", &p->trace))
			continue;
		if (!touches_option(argc, argv, &i, &p->touches))
			bad_arg("unknown argument '%s'", argv[i]);
	}
	if (sysconf(_SC_PAGESIZE) != PAGE)
		die("this benchmark assumes %d-byte pages, not %ld", PAGE,
		    sysconf(_SC_PAGESIZE));
	p->size -= p->size % PAGE;
	if (p->budget == 0)
		p->budget = p->size / 4;
	if (p->budget < least_budget())
		bad_arg("the budget must be at least 64 pages (%" PRIu64
		    " bytes): --budget, or a --size of 4 times that",
		    least_budget());
	if (p->budget >= p->size)
		bad_arg("--budget (%" PRIu64 ") must be below --size (%" PRIu64
		    "): the budgeted side must not hold the whole file",
		    p->budget, p->size);
}

/* wb_value: what writeback writes in run `run` at page pgno. */
static uint64_t wb_value(unsigned run, uint64_t pgno)
{
	return mix64(0x8cb92ba72f3d8dd7ull ^ ((uint64_t)run << 40) ^ pgno);
}

static char disk_path[4096];    /* the disk-rate file, removed at exit */

/* remove_disk_file: as remove_file, for the second file. */
static void remove_disk_file(void)
{
	if (disk_path[0] != '\0')
		unlink(disk_path);
}

/* on_budget_signal: Ctrl-C leaves neither file behind. */
static void on_budget_signal(int sig)
{
	if (disk_path[0] != '\0')
		unlink(disk_path);
	on_signal(sig);
}

/* The state of a whole benchmark. */
struct bench {
	struct params p;
	uint64_t ubudget;               /* the unbudgeted side's budget */
	uint64_t readahead;             /* upager's, as the device's */
	int fd;                         /* plain descriptor, O_RDWR */
	uint64_t seq_sum;               /* checksum of a whole-file scan */
	uint64_t *offs;                 /* the random touch sequence */
	uint64_t rnd_sum;               /* its checksum */
	int dfd;                        /* the disk-rate file */
	int direct;                     /* is dfd O_DIRECT */
	uint64_t *dbuf;                 /* one DISK_BLOCK, aligned */
	uint64_t *wbuf;                 /* the whole file's bytes, for
	                                   wb-pwrite to stamp and write */
	double *res[NMEAS];             /* in meas_unit, one per run */
	struct upager_stats seq_stats;  /* run 1's budgeted seq */
	struct upager_stats rnd_stats;  /* run 1's budgeted rand */
	struct upager_stats wb_stats;   /* run 1's wb-view, after close */
	struct upager_stats wbp_stats;  /* run 1's wb-pwrite, after close */
};

/*
 * One side's view of the file, from cold: the kernel's mmap of b->fd, or
 * a fresh pager with the side's budget, the file open, and its view.
 */
struct target {
	enum vside s;
	upager_t *pg;
	upager_file_t *uf;      /* NULL once closed */
	char *a;                /* the whole-file MAP_SHARED view */
};

/* view_begin: cold: nothing of the file cached; then map the view. */
static void view_begin(struct bench *b, struct target *t, enum vside s,
    int oflags, int prot)
{
	struct upager_config cfg = { .budget = (size_t)(s == BUDGETED ?
	    b->p.budget : b->ubudget), .readahead = (size_t)b->readahead };
	void *a;
	int err;

	memset(t, 0, sizeof(*t));
	t->s = s;
	make_cold(b->fd);
	if (s == KMMAP) {
		a = mmap(NULL, (size_t)b->p.size, prot, MAP_SHARED, b->fd, 0);
		if (a == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		t->a = a;
		return;
	}
	if ((err = upager_create(&cfg, &t->pg)) < 0)
		die("upager_create: %s", upager_strerror(err));
	if ((err = upager_open(t->pg, file_path, oflags, 0, &t->uf)) < 0)
		die("upager_open %s: %s", file_path, upager_strerror(err));
	err = upager_map(t->uf, 0, (size_t)b->p.size, prot, MAP_SHARED, &a);
	if (err < 0)
		die("upager_map: %s", upager_strerror(err));
	t->a = a;
}

/* view_close: upager_close, the last step of a writeback pass. */
static void view_close(struct target *t)
{
	int err = upager_close(t->uf);

	t->uf = NULL;
	if (err < 0)
		die("upager_close: %s", upager_strerror(err));
}

/* view_end: unmap, close if still open, destroy the pager. */
static void view_end(struct bench *b, struct target *t)
{
	int err;

	if (t->s == KMMAP) {
		if (munmap(t->a, (size_t)b->p.size) < 0)
			die("munmap: %s", strerror(errno));
		return;
	}
	if ((err = upager_unmap(t->a, (size_t)b->p.size)) < 0)
		die("upager_unmap: %s", upager_strerror(err));
	if (t->uf != NULL)
		view_close(t);
	if ((err = upager_destroy(t->pg)) < 0)
		die("upager_destroy: %s", upager_strerror(err));
}

/* check_sum: every pass must see the file as written. */
static void check_sum(int m, uint64_t sum, uint64_t want)
{
	if (sum != want)
		die("data mismatch: %s %s checksum %016" PRIx64 ", expected "
		    "%016" PRIx64, meas_side[m], meas_work[m], sum, want);
}

/* touch_pass: one 8-byte read at each of offs[0..n); seconds, sets *sum. */
static double touch_pass(const char *base, const uint64_t *offs, uint64_t n,
    uint64_t *sum)
{
	uint64_t s = 0;
	double t0 = now();

	for (uint64_t i = 0; i < n; i++)
		s += fold(*(const volatile uint64_t *)(base + offs[i]),
		    offs[i]);
	*sum = s;
	return now() - t0;
}

/* group_seq: one cold whole-file scan on side s. */
static void group_seq(struct bench *b, enum vside s, unsigned run)
{
	struct target t;
	uint64_t sum;
	double secs;

	bench_step("seq", meas_side[SEQ_B + s], run, b->p.runs);
	view_begin(b, &t, s, O_RDONLY, PROT_READ);
	secs = seq_scan(t.a, b->p.size, &sum);
	check_sum(SEQ_B + (int)s, sum, b->seq_sum);
	b->res[SEQ_B + s][run] = (double)b->p.size / secs / 1e9;
	if (s == BUDGETED && run == 0 && upager_stats(t.pg, &b->seq_stats) < 0)
		die("upager_stats failed");
	view_end(b, &t);
}

/* group_rnd: one cold pass of the random touches on side s. */
static void group_rnd(struct bench *b, enum vside s, unsigned run)
{
	struct target t;
	uint64_t sum;
	double secs;

	bench_step("rand", meas_side[RND_B + s], run, b->p.runs);
	view_begin(b, &t, s, O_RDONLY, PROT_READ);
	secs = touch_pass(t.a, b->offs, b->p.touches, &sum);
	check_sum(RND_B + (int)s, sum, b->rnd_sum);
	b->res[RND_B + s][run] = (double)b->p.touches / secs;
	if (s == BUDGETED && run == 0 && upager_stats(t.pg, &b->rnd_stats) < 0)
		die("upager_stats failed");
	view_end(b, &t);
}

/*
 * verify_wb: read what writeback wrote back from the disk with pread(2),
 * after dropping the kernel's copy of the file (upager reads and writes
 * it O_DIRECT where it can, so that copy may be stale): in every page the
 * written word, and word 0, which no pass writes, so a page written to
 * the wrong place shows too.
 */
static void verify_wb(struct bench *b, unsigned run)
{
	uint64_t *w = malloc(DISK_BLOCK);
	int err;

	if (w == NULL)
		die("out of memory");

	err = posix_fadvise(b->fd, 0, 0, POSIX_FADV_DONTNEED);
	if (err != 0)
		die("posix_fadvise(DONTNEED): %s", strerror(err));
	for (uint64_t off = 0; off < b->p.size; off += DISK_BLOCK) {
		size_t len = b->p.size - off < DISK_BLOCK ?
		    (size_t)(b->p.size - off) : DISK_BLOCK;
		ssize_t n = pread(b->fd, w, len, (off_t)off);

		if (n != (ssize_t)len)
			die("verify pread at %" PRIu64 ": %s", off,
			    n < 0 ? strerror(errno) : "short read");
		for (size_t i = 0; i < len; i += PAGE) {
			const uint64_t *pw = w + i / 8;
			uint64_t pgno = (off + i) / PAGE;

			if (pw[0] != expected_word(off + i) ||
			    pw[WB_WORD] != wb_value(run, pgno))
				die("data mismatch: writeback: page %" PRIu64
				    " has %016" PRIx64 " %016" PRIx64 " on "
				    "disk after msync and close, expected %016"
				    PRIx64 " %016" PRIx64, pgno, pw[0],
				    pw[WB_WORD], expected_word(off + i),
				    wb_value(run, pgno));
		}
	}
	free(w);
}

/*
 * group_wb: dirty every page of the file through a budgeted pager's
 * view, in order, then msync(MS_SYNC) and close; timed from the first
 * write to the end of the close (mapping untimed, as in bench_mmap).
 */
static void group_wb(struct bench *b, unsigned run)
{
	struct target t;
	double t0, t1, t2;
	int err;

	bench_step("wb-view", meas_side[WB_UPAGER], run, b->p.runs);
	view_begin(b, &t, BUDGETED, O_RDWR, PROT_READ | PROT_WRITE);
	t0 = now();
	for (uint64_t off = 0; off < b->p.size; off += PAGE)
		((volatile uint64_t *)(t.a + off))[WB_WORD] =
		    wb_value(run, off / PAGE);
	t1 = now();
	if ((err = upager_msync(t.a, (size_t)b->p.size, MS_SYNC)) < 0)
		die("upager_msync: %s", upager_strerror(err));
	view_close(&t);
	t2 = now();
	b->res[WB_UPAGER][run] = (double)b->p.size / (t2 - t0) / 1e6;
	b->res[WB_WRITES][run] = (t1 - t0) * 1e3;
	b->res[WB_SYNC][run] = (t2 - t1) * 1e3;
	if (run == 0 && upager_stats(t.pg, &b->wb_stats) < 0)
		die("upager_stats failed");
	view_end(b, &t);
	verify_wb(b, run);
}

/*
 * group_wbp: overwrite every page of the file through a budgeted pager's
 * upager_pwrite, DISK_BLOCK at a time, in order, each page stamped as
 * group_wb stamps it, then upager_sync(UPAGER_SYNC_WAIT) and close; timed
 * from the first write to the end of the close.
 */
static void group_wbp(struct bench *b, unsigned run)
{
	struct upager_config cfg = { .budget = (size_t)b->p.budget,
	    .readahead = (size_t)b->readahead };
	upager_t *pg;
	upager_file_t *f;
	double t0, t1, t2;
	int err;

	bench_step("wb-pwrite", meas_side[WBP_UPAGER], run, b->p.runs);
	for (uint64_t pgno = 0; pgno < b->p.size / PAGE; pgno++)
		b->wbuf[pgno * (PAGE / 8) + WB_WORD] = wb_value(run, pgno);
	make_cold(b->fd);
	if ((err = upager_create(&cfg, &pg)) < 0)
		die("upager_create: %s", upager_strerror(err));
	if ((err = upager_open(pg, file_path, O_RDWR, 0, &f)) < 0)
		die("upager_open %s: %s", file_path, upager_strerror(err));
	t0 = now();
	for (uint64_t off = 0; off < b->p.size; off += DISK_BLOCK) {
		size_t len = b->p.size - off < DISK_BLOCK ?
		    (size_t)(b->p.size - off) : DISK_BLOCK;
		ssize_t n = upager_pwrite(f, (const char *)b->wbuf + off, len,
		    (off_t)off);

		if (n != (ssize_t)len)
			die("upager_pwrite at %" PRIu64 ": %s", off,
			    n < 0 ? upager_strerror((int)n) : "short write");
	}
	t1 = now();
	if ((err = upager_sync(f, 0, 0, UPAGER_SYNC_WAIT)) < 0)
		die("upager_sync: %s", upager_strerror(err));
	if ((err = upager_close(f)) < 0)
		die("upager_close: %s", upager_strerror(err));
	t2 = now();
	b->res[WBP_UPAGER][run] = (double)b->p.size / (t2 - t0) / 1e6;
	b->res[WBP_WRITES][run] = (t1 - t0) * 1e3;
	b->res[WBP_SYNC][run] = (t2 - t1) * 1e3;
	if (run == 0 && upager_stats(pg, &b->wbp_stats) < 0)
		die("upager_stats failed");
	if ((err = upager_destroy(pg)) < 0)
		die("upager_destroy: %s", upager_strerror(err));
	verify_wb(b, run);
}

/*
 * disk_write: write the disk file whole, DISK_BLOCK at a time, then
 * fdatasync; seconds, or -errno of a failed write (the caller decides
 * whether O_DIRECT is to blame).  Each page's word WB_WORD is stamped
 * with the run, as writeback writes, so no two runs write the same bytes.
 */
static double disk_write(struct bench *b, unsigned run)
{
	double t0 = now();

	for (uint64_t off = 0; off < b->p.size; off += DISK_BLOCK) {
		size_t len = b->p.size - off < DISK_BLOCK ?
		    (size_t)(b->p.size - off) : DISK_BLOCK;
		ssize_t n;

		for (size_t i = 0; i < len; i += PAGE)
			b->dbuf[i / 8 + WB_WORD] = wb_value(run,
			    (off + i) / PAGE);
		n = pwrite(b->dfd, b->dbuf, len, (off_t)off);
		if (n < 0)
			return -errno;
		if (n != (ssize_t)len)
			die("writing %s: short write", disk_path);
	}
	if (fdatasync(b->dfd) < 0)
		die("fdatasync %s: %s", disk_path, strerror(errno));
	return now() - t0;
}

/* group_disk: one timed pass of the disk's sequential write rate. */
static void group_disk(struct bench *b, unsigned run)
{
	double secs;

	bench_step("disk-write", meas_side[WB_DISK], run, b->p.runs);
	secs = disk_write(b, run);

	if (secs < 0)
		die("writing %s: %s", disk_path, strerror((int)-secs));
	b->res[WB_DISK][run] = (double)b->p.size / secs / 1e6;
}

/*
 * disk_prepare: make the disk-rate file and write it whole once,
 * untimed, so that the timed passes overwrite allocated blocks in place,
 * as writeback does the test file's.  O_DIRECT keeps the kernel's cache
 * out of the figure; where the file system refuses it (at open, or with
 * EINVAL at the first write) the file is written buffered, and the
 * fdatasync in each pass counts the flush.
 */
static void disk_prepare(struct bench *b)
{
	void *buf;
	double r;
	int fd;

	snprintf(disk_path, sizeof(disk_path), "%s/upager-bench-disk-XXXXXX",
	    b->p.dir);
	fd = mkstemp(disk_path);
	if (fd < 0) {
		disk_path[0] = '\0';
		die("cannot create a file in %s: %s", b->p.dir,
		    strerror(errno));
	}
	close(fd);
	if (posix_memalign(&buf, PAGE, DISK_BLOCK) != 0)
		die("out of memory");
	b->dbuf = buf;
	fill_pattern(b->dbuf, 0, DISK_BLOCK);
	b->direct = 1;
	b->dfd = open(disk_path, O_RDWR | O_DIRECT);
	if (b->dfd < 0 && errno == EINVAL) {
		b->direct = 0;
		b->dfd = open(disk_path, O_RDWR);
	}
	if (b->dfd < 0)
		die("open %s: %s", disk_path, strerror(errno));
	r = disk_write(b, ~0u);
	if (r == -EINVAL && b->direct) {
		close(b->dfd);
		b->direct = 0;
		if ((b->dfd = open(disk_path, O_RDWR)) < 0)
			die("open %s: %s", disk_path, strerror(errno));
		r = disk_write(b, ~0u);
	}
	if (r < 0)
		die("writing %s: %s", disk_path, strerror((int)-r));
}

/* run_order: the side order of a run: forward on even runs, else reversed. */
static int run_order(unsigned run, int i, int n)
{
	return run % 2 == 0 ? i : n - 1 - i;
}

/* one_run: every workload, each on every side, in this run's order. */
static void one_run(struct bench *b, unsigned run)
{
	for (int i = 0; i < NVSIDE; i++)
		group_seq(b, (enum vside)run_order(run, i, NVSIDE), run);
	for (int i = 0; i < NVSIDE; i++)
		group_rnd(b, (enum vside)run_order(run, i, NVSIDE), run);
	for (int i = 0; i < 3; i++) {
		switch (run_order(run, i, 3)) {
		case 0:
			group_wbp(b, run);
			break;
		case 1:
			group_wb(b, run);
			break;
		default:
			group_disk(b, run);
		}
	}
}

/* print_header: the command line and every parameter that shapes a run. */
static void print_header(const struct bench *b, int argc, char **argv)
{
	const struct params *p = &b->p;
	long ra = read_ahead_kb(b->fd);

	print_command(argc, argv, p->size);
	printf("budgets    budgeted %" PRIu64 " bytes (%.1f MiB, %.2fx the "
	    "file)\n           unbudgeted %" PRIu64 " bytes (%.1f MiB, size + "
	    "64 MiB: the file fits)\n", p->budget,
	    (double)p->budget / (1 << 20), (double)p->budget / (double)p->size,
	    b->ubudget, (double)b->ubudget / (1 << 20));
	printf("runs       %u (side order: even runs budgeted, unbudgeted, "
	    "kernel, and wb-pwrite,\n           wb-view, disk; odd runs the "
	    "reverse)\n", p->runs);
	printf("views      whole file, MAP_SHARED, MADV_NORMAL; kernel: "
	    "mmap(2) of a plain fd;\n           upager: upager_map of a fresh "
	    "pager; every pass starts cold (mapping\n           untimed)\n");
	printf("seq        8-byte read every %d bytes of every page, in "
	    "order\n", LINE);
	printf("rand       %" PRIu64 " touches per pass (one 8-byte read in a "
	    "random page, fixed seed)\n", p->touches);
	printf("wb-pwrite  budgeted pager, O_RDWR: upager_pwrite of every page, "
	    "%u MiB at a time,\n           in order, upager_sync(WAIT), "
	    "upager_close; timed from the first\n           write to the end "
	    "of the close; MB/s of the file\n", DISK_BLOCK >> 20);
	printf("wb-view    budgeted pager, O_RDWR, PROT_READ|PROT_WRITE view: "
	    "8-byte write into\n           every page in order, "
	    "upager_msync(MS_SYNC), upager_close; timed from\n           the "
	    "first write to the end of the close; MB/s of the file\n");
	printf("disk       pwrite of %u MiB %s blocks over a second file of "
	    "the same\n           size, already written (no allocation), then "
	    "fdatasync\n", DISK_BLOCK >> 20, b->direct ? "O_DIRECT" :
	    "buffered (O_DIRECT refused)");
	print_view_env(ra, b->readahead, " (the device's, 16 MiB at most)");
}

/* print_cluster_hist: write clusters by size, the non-empty buckets. */
static void print_cluster_hist(const struct upager_stats *st)
{
	printf("  cluster_hist ");
	for (int i = 0; i < UPAGER_CLUSTER_BUCKETS; i++)
		if (st->cluster_hist[i] != 0)
			printf(" [%u-%u]:%" PRIu64, 1u << i,
			    (2u << i) - 1, st->cluster_hist[i]);
	printf("  (pages: count)\n");
}

/*
 * print_stats: what upager did in a budgeted scan, a budgeted random
 * pass (which shows what a miss reads) and a writeback.
 */
static void print_stats(const struct bench *b)
{
	const struct upager_stats *seq = &b->seq_stats, *rnd = &b->rnd_stats,
	    *wbs[2] = { &b->wbp_stats, &b->wb_stats };
	static const char *const wbname[2] = { "wb-pwrite", "wb-view" };

	printf("\nupager stats, run 1, one budgeted cold sequential scan "
	    "(fresh pager):\n");
	print_io_stats(seq);
	printf("  laundered     %" PRIu64 "\n", seq->laundered);
	print_peak(seq);
	printf("\nupager stats, run 1, one budgeted cold random pass (fresh "
	    "pager):\n");
	print_io_stats(rnd);
	printf("  hits          %" PRIu64 "\n", rnd->hits);
	printf("  misses        %" PRIu64 "\n", rnd->misses);
	printf("  pages_in per touch %.1f\n",
	    (double)rnd->pages_in / (double)b->p.touches);
	print_peak(rnd);
	for (int i = 0; i < 2; i++) {
		const struct upager_stats *wb = wbs[i];

		printf("\nupager stats, run 1, one %s (fresh pager, after "
		    "the sync and close):\n", wbname[i]);
		print_io_stats(wb);
		printf("  pages_out     %" PRIu64 "\n", wb->pages_out);
		printf("  write_ios     %" PRIu64 " (%.1f pages per write)\n",
		    wb->write_ios, wb->write_ios ?
		    (double)wb->pages_out / (double)wb->write_ios : 0.0);
		printf("  laundered     %" PRIu64 " (%.2f of the pages "
		    "written)\n", wb->laundered, wb->pages_out ?
		    (double)wb->laundered / (double)wb->pages_out : 0.0);
		printf("  daemon passes %" PRIu64 "\n", wb->pdaemon_passes);
		print_cluster_hist(wb);
		print_peak(wb);
	}
}

/* print_report: the aligned table, the ratios, notes, and the csv block. */
static void print_report(const struct bench *b)
{
	double sum[NMEAS][3];

	for (int m = 0; m < NMEAS; m++)
		summarize(b->res[m], b->p.runs, sum[m]);
	printf("\n%-13s %-10s %-7s | %11s %11s %11s\n", "workload", "side",
	    "unit", "median", "min", "max");
	for (int m = 0; m < NMEAS; m++) {
		const char *fmt = meas_unit(m) == GBS ? " %11.3f %11.3f %11.3f"
		    : meas_unit(m) == TPS ? " %11.0f %11.0f %11.0f" :
		    " %11.1f %11.1f %11.1f";

		printf("%-13s %-10s %-7s |", meas_work[m], meas_side[m],
		    unit_name[meas_unit(m)]);
		printf(fmt, sum[m][0], sum[m][1], sum[m][2]);
		printf("\n");
	}
	printf("\n%-26s %7s   %s\n", "ratio of medians", "value", "target");
	for (size_t r = 0; r < NRATIO; r++) {
		double v = sum[ratios[r].num][0] / sum[ratios[r].den][0];

		printf("%-26s %7.2f", ratios[r].name, v);
		if (ratios[r].target > 0)
			printf("   >= %.2f %s", ratios[r].target,
			    v >= ratios[r].target ? "met" : "NOT MET");
		printf("\n");
	}
	printf("\ntarget: budgeted seq >= 0.8 of unbudgeted; write-back >= 0.8 "
	    "of the disk's rate\nnotes: GB = 10^9 bytes, MB = 10^6. Median of "
	    "%u runs; ratios compare medians.\nwb-view reads every page in "
	    "as it first writes it (as a write fault does with\nthe kernel), "
	    "so it moves the file twice. writes and (m)sync+close are the two\n"
	    "parts of each wb- figure. Checksums of every scan and touch "
	    "pass, and every\nwritten word (pread back from disk after close), "
	    "were verified.%s\n",
	    b->p.runs, dropped_caches == 0 ? "\ndrop_caches was not allowed: "
	    "cold is fdatasync + POSIX_FADV_DONTNEED." : "");
	print_loadavg("end");
	printf("\ncsv,workload,side,unit,median,min,max,target\n");
	for (int m = 0; m < NMEAS; m++)
		printf("csv,%s,%s,%s,%.4f,%.4f,%.4f,\n", meas_csv[m],
		    meas_side[m], unit_name[meas_unit(m)], sum[m][0], sum[m][1],
		    sum[m][2]);
	for (size_t r = 0; r < NRATIO; r++) {
		double v = sum[ratios[r].num][0] / sum[ratios[r].den][0];

		printf("csv,ratio,%s,ratio,%.4f,,,", ratios[r].name, v);
		if (ratios[r].target > 0)
			printf("%.2f", ratios[r].target);
		printf("\n");
	}
}

/*
 * csv_ref: what measurement m is compared with in the csv: the kernel's
 * mmap for the views, the disk's rate for write-back; -1 for the parts
 * of a write-back figure, which have none.
 */
static int csv_ref(int m)
{
	return m <= SEQ_K ? SEQ_K : m <= RND_K ? RND_K :
	    m == WBP_UPAGER || m == WB_UPAGER || m == WB_DISK ? WB_DISK : -1;
}

/* write_csv: --csv: every measurement, each with its ratio to csv_ref's
 * (all of them rates: above 1 is faster). */
static void write_csv(const struct bench *b)
{
	FILE *f = csv_open(b->p.csv);
	double sum[NMEAS][3];

	for (int m = 0; m < NMEAS; m++)
		summarize(b->res[m], b->p.runs, sum[m]);
	for (int m = 0; m < NMEAS; m++)
		csv_row(f, "budget", meas_csv[m], meas_side[m],
		    unit_name[meas_unit(m)], sum[m], b->p.runs,
		    csv_ref(m) < 0 ? -1.0 : sum[m][0] / sum[csv_ref(m)][0]);
	csv_close(f, b->p.csv);
}

/* trace_sample: one line of a trace: ms since t0, resident and budget
 * in MiB. */
static void trace_sample(FILE *f, upager_t *pg, double t0)
{
	struct upager_stats st;
	double mib;

	if (upager_stats(pg, &st) < 0)
		die("upager_stats failed");
	mib = (double)st.page_size / (1 << 20);
	fprintf(f, "%.3f %.3f %.3f\n", (now() - t0) * 1e3,
	    (double)st.resident * mib, (double)st.budget_pages * mib);
}

/*
 * trace_pass: one budgeted cold pass, the scan (rnd 0) or the random
 * touches (rnd 1), untimed, sampling the pager's resident frames about
 * TRACE_SAMPLES times as it goes, written to f as a gnuplot data block.
 * The accessing thread samples between two accesses: each sample takes
 * a lock (upager_stats), which the timed passes must not pay.
 */
static void trace_pass(struct bench *b, int rnd, FILE *f)
{
	uint64_t n = rnd ? b->p.touches : b->p.size / PAGE, sum = 0;
	uint64_t every = n / TRACE_SAMPLES > 0 ? n / TRACE_SAMPLES : 1;
	struct target t;
	double t0;

	bench_step(rnd ? "trace rand" : "trace seq", meas_side[SEQ_B], 0, 0);
	view_begin(b, &t, BUDGETED, O_RDONLY, PROT_READ);
	fprintf(f, "# budgeted %s: ms, resident MiB, budget MiB\n", rnd ?
	    "random 4 KiB touches" : "sequential scan");
	t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t off = rnd ? b->offs[i] : i * PAGE;

		if (i % every == 0)
			trace_sample(f, t.pg, t0);
		sum += rnd ? fold(*(const volatile uint64_t *)(t.a + off),
		    off) : page_sum((const volatile uint64_t *)(t.a + off),
		    off);
	}
	trace_sample(f, t.pg, t0);
	check_sum(rnd ? RND_B : SEQ_B, sum, rnd ? b->rnd_sum : b->seq_sum);
	fputs("\n\n", f);
	view_end(b, &t);
}

/* write_trace: --trace: the seq block (gnuplot index 0), then rand (1). */
static void write_trace(struct bench *b)
{
	FILE *f = fopen(b->p.trace, "w");
	int bad;

	if (f == NULL)
		die("cannot open %s: %s", b->p.trace, strerror(errno));
	trace_pass(b, 0, f);
	trace_pass(b, 1, f);
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		die("writing %s: %s", b->p.trace, strerror(errno));
	printf("\nresident memory of one budgeted seq and one rand pass, "
	    "sampled: %s\n", b->p.trace);
}

int BENCH_MAIN(bench_budget)(int argc, char **argv)
{
	struct bench b = { .fd = -1, .dfd = -1 };

	parse_args(argc, argv, &b.p);
	atexit(remove_file);
	atexit(remove_disk_file);
	on_interrupt(on_budget_signal);

	b.ubudget = b.p.size + UNBUDGETED_SLACK;
	b.seq_sum = make_file(b.p.dir, b.p.size, PAGE, page_sum_of);
	b.fd = open(file_path, O_RDWR);
	if (b.fd < 0)
		die("open %s: %s", file_path, strerror(errno));
	b.offs = touch_offsets(b.p.touches, b.p.size / PAGE, 1, &b.rnd_sum);
	/* like for like: upager reads around a fault what the kernel does */
	b.readahead = device_readahead(b.fd);
	disk_prepare(&b);
	/* wb-pwrite's source: the file's own bytes, so that the passes
	 * after it still find them, but for the stamped word */
	if ((b.wbuf = malloc((size_t)b.p.size)) == NULL)
		die("out of memory for a %" PRIu64 "-byte write buffer",
		    b.p.size);
	fill_pattern(b.wbuf, 0, (size_t)b.p.size);
	alloc_results(b.res, NMEAS, b.p.runs);
	print_header(&b, argc, argv);
	bench_steps(b.p.runs * (2 * NVSIDE + 3) +
	    (b.p.trace != NULL ? 2 : 0));

	for (unsigned run = 0; run < b.p.runs; run++) {
		double t0 = now();

		one_run(&b, run);
		run_done(run, b.p.runs, now() - t0);
	}

	print_stats(&b);
	print_report(&b);
	if (b.p.csv != NULL)
		write_csv(&b);
	if (b.p.trace != NULL)
		write_trace(&b);
	close(b.fd);
	close(b.dfd);
	free_results(b.res, NMEAS);
	free(b.offs);
	free(b.wbuf);
	free(b.dbuf);
	return 0;
}
