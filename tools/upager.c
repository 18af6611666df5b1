/* upager.c: the upager command: a demo, cat, run, stat, and help for each subcommand */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "upager.h"

#define MIB (1ull << 20)

/* usage_error: one line on stderr for bad arguments; returns status 2. */
int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "upager: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* fail: one line on stderr for a runtime failure; returns status 1. */
int fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "upager: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/*
 * arg_errno: whether an error opening a named path is the user's (a missing
 * or wrong file: status 2) rather than the system's (status 1).
 */
int arg_errno(int err)
{
	return err == ENOENT || err == ENOTDIR || err == EISDIR ||
	    err == ENODEV || err == EACCES || err == EPERM || err == ELOOP ||
	    err == ENAMETOOLONG;
}

/* show_help: a subcommand's --help, on stdout. */
static void show_help(const struct command *cmd)
{
	printf("usage: upager %s\n\n%s", cmd->usage, cmd->help);
}

/* parse_count: a positive whole number, without parse_size's suffixes. */
static int parse_count(const char *s, uint64_t *out)
{
	size_t n = strlen(s);

	/* parse_size would take 3K for 3072 */
	return n > 0 && s[n - 1] >= '0' && s[n - 1] <= '9' ?
	    parse_size(s, out) : -1;
}

/*
 * parse_opts: one parser for every subcommand's option table, and --help;
 * positional arguments are moved to the front of argv and counted in
 * *npos.  Returns 0, 1 after showing help, or -1 after reporting an error.
 */
int parse_opts(const struct command *cmd, int argc, char **argv,
    const struct cmd_option *opts, int *npos)
{
	int only_pos = 0;

	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct cmd_option *o;
		size_t n = 0;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			argv[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			show_help(cmd);
			return 1;
		}
		for (o = opts; o->name != NULL; o++) {
			n = strlen(o->name);
			if (strncmp(a, o->name, n) == 0 &&
			    (a[n] == '\0' || a[n] == '='))
				break;
		}
		if (o->name == NULL) {
			usage_error(cmd->name, "unknown option '%s'", a);
			return -1;
		}
		if (a[n] == '=') {
			val = a + n + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			usage_error(cmd->name, "%s needs a value", o->name);
			return -1;
		}
		if (o->kind == OPT_STRING) {
			if (val[0] == '\0') {
				usage_error(cmd->name, "bad %s ''", o->name);
				return -1;
			}
			*(const char **)o->dst = val;
		} else if (o->kind == OPT_COUNT ? parse_count(val, o->dst) < 0 :
		    parse_size(val, o->dst) < 0) {
			usage_error(cmd->name, "bad %s '%s'", o->name, val);
			return -1;
		}
	}
	return 0;
}

/* human: a byte count in B, KiB, MiB or GiB, for the reports. */
const char *human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

/* first_diff: the first differing byte of two buffers, or len. */
static size_t first_diff(const void *a, const void *b, size_t len)
{
	const unsigned char *p = a, *q = b;
	size_t i = 0;

	while (i < len && p[i] == q[i])
		i++;
	return i;
}

/* ---- demo ---- */

#define DEMO_CHUNK MIB          /* sequential phases move 1 MiB per call */
#define DEMO_OPS 10000          /* random 4 KiB pwrite + pread pairs */
#define DEMO_IO 4096

/* The demo's phases, each timed on both sides. */
enum phase { PH_WRITE, PH_SYNC, PH_READ, PH_RANDOM, PH_MSCAN, PH_MWRITE,
	PH_CLOSE, NPHASE };

static const char *const phase_name[NPHASE] = {
	"write 1 MiB chunks", "sync (wait)", "read back 1 MiB chunks",
	"10000 x 4K pwrite+pread", "map + scan", "write 1/16 + msync",
	"sync + close",
};

/* Paths of the demo's temporary files, global for the signal handler. */
static char demo_dir[4096], demo_file[4200], demo_ref[4200];

/* demo_cleanup: remove the temporary files and directory, if made. */
static void demo_cleanup(void)
{
	if (demo_file[0] != '\0')
		unlink(demo_file);
	if (demo_ref[0] != '\0')
		unlink(demo_ref);
	if (demo_dir[0] != '\0')
		rmdir(demo_dir);
}

/* demo_signal: an interrupted demo must not leave its files behind. */
static void demo_signal(int sig)
{
	demo_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The demo's state: one side through upager, one side plain. */
struct demo {
	const char *cmd;
	uint64_t size, budget;
	upager_t *pg;
	upager_file_t *uf;
	int ref;                        /* the reference file, plain I/O */
	unsigned char *ubuf, *kbuf, *pbuf;  /* upager, kernel, pattern */
	unsigned char *src;             /* random data for the 4 KiB writes */
	double t[NPHASE][2];            /* seconds: [0] upager, [1] kernel */
	struct upager_stats st;
};

/* demo_write: phase 1, the sample file in 1 MiB chunks on both sides. */
static int demo_write(struct demo *d)
{
	for (uint64_t off = 0; off < d->size; off += DEMO_CHUNK) {
		size_t len = d->size - off < DEMO_CHUNK ?
		    (size_t)(d->size - off) : DEMO_CHUNK;
		ssize_t n;
		double t0;

		fill_pattern(d->pbuf, off, len);
		t0 = now();
		n = upager_pwrite(d->uf, d->pbuf, len, (off_t)off);
		d->t[PH_WRITE][0] += now() - t0;
		if (n != (ssize_t)len)
			return fail(d->cmd, "upager_pwrite at %" PRIu64 ": %s",
			    off, n < 0 ? upager_strerror((int)n) :
			    "short write");
		t0 = now();
		n = pwrite(d->ref, d->pbuf, len, (off_t)off);
		d->t[PH_WRITE][1] += now() - t0;
		if (n != (ssize_t)len)
			return fail(d->cmd, "pwrite at %" PRIu64 ": %s", off,
			    n < 0 ? strerror(errno) : "short write");
	}
	return 0;
}

/* demo_sync: phase 2, everything on stable storage on both sides. */
static int demo_sync(struct demo *d)
{
	double t0 = now();
	int err = upager_sync(d->uf, 0, 0, UPAGER_SYNC_WAIT);

	d->t[PH_SYNC][0] = now() - t0;
	if (err < 0)
		return fail(d->cmd, "upager_sync: %s", upager_strerror(err));
	t0 = now();
	if (fdatasync(d->ref) < 0)
		return fail(d->cmd, "fdatasync: %s", strerror(errno));
	d->t[PH_SYNC][1] = now() - t0;
	return 0;
}

/* demo_read: phase 3, read both files in order, check against the pattern. */
static int demo_read(struct demo *d)
{
	for (uint64_t off = 0; off < d->size; off += DEMO_CHUNK) {
		size_t len = d->size - off < DEMO_CHUNK ?
		    (size_t)(d->size - off) : DEMO_CHUNK, i;
		ssize_t n;
		double t0 = now();

		n = upager_pread(d->uf, d->ubuf, len, (off_t)off);
		d->t[PH_READ][0] += now() - t0;
		if (n != (ssize_t)len)
			return fail(d->cmd, "upager_pread at %" PRIu64 ": %s",
			    off, n < 0 ? upager_strerror((int)n) :
			    "short read");
		t0 = now();
		n = pread(d->ref, d->kbuf, len, (off_t)off);
		d->t[PH_READ][1] += now() - t0;
		if (n != (ssize_t)len)
			return fail(d->cmd, "pread at %" PRIu64 ": %s", off,
			    n < 0 ? strerror(errno) : "short read");
		fill_pattern(d->pbuf, off, len);
		if ((i = first_diff(d->ubuf, d->pbuf, len)) < len)
			return fail(d->cmd, "upager_pread returned wrong data "
			    "at byte %" PRIu64, off + i);
		if ((i = first_diff(d->kbuf, d->pbuf, len)) < len)
			return fail(d->cmd, "the reference file has wrong data "
			    "at byte %" PRIu64, off + i);
	}
	return 0;
}

/* demo_scan: the sum of a mapping's 64-bit words, timed into *t */
static uint64_t demo_scan(const unsigned char *m, uint64_t size, double *t)
{
	const volatile uint64_t *w = (const volatile uint64_t *)m;
	uint64_t sum = 0;
	double t0 = now();

	for (uint64_t i = 0; i < size / 8; i++)
		sum += w[i];
	*t += now() - t0;
	return sum;
}

/* demo_mwrite: write every 16th page through a mapping, msync it */
static int demo_mwrite(unsigned char *m, uint64_t size, double *t, bool up)
{
	double t0 = now();
	int err;

	for (uint64_t off = 0; off + 16 <= size; off += 16 * DEMO_IO)
		memcpy(m + off, &off, sizeof(off));
	err = up ? upager_msync(m, (size_t)size, MS_SYNC) :
	    (msync(m, (size_t)size, MS_SYNC) < 0 ? -errno : 0);
	*t += now() - t0;
	return err;
}

/*
 * demo_map: phases 5 and 6: map the file through upager (a view, paged
 * within the budget) and the reference with the kernel's mmap; scan both,
 * which must sum the same; write every 16th page through both and msync.
 * demo_compare then checks the files on disk.
 */
static int demo_map(struct demo *d)
{
	unsigned char *u = NULL, *k;
	uint64_t su, sk;
	int err;

	err = upager_map(d->uf, 0, (size_t)d->size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, (void **)&u);
	if (err < 0)
		return fail(d->cmd, "upager_map: %s", upager_strerror(err));
	k = mmap(NULL, (size_t)d->size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    d->ref, 0);
	if (k == MAP_FAILED) {
		(void)upager_unmap(u, (size_t)d->size);
		return fail(d->cmd, "mmap: %s", strerror(errno));
	}
	su = demo_scan(u, d->size, &d->t[PH_MSCAN][0]);
	sk = demo_scan(k, d->size, &d->t[PH_MSCAN][1]);
	if (su != sk)
		err = fail(d->cmd, "the view and the kernel's mapping differ");
	else if ((err = demo_mwrite(u, d->size, &d->t[PH_MWRITE][0],
	    true)) < 0)
		err = fail(d->cmd, "upager_msync: %s", upager_strerror(err));
	else if ((err = demo_mwrite(k, d->size, &d->t[PH_MWRITE][1],
	    false)) < 0)
		err = fail(d->cmd, "msync: %s", strerror(-err));
	(void)upager_unmap(u, (size_t)d->size);
	(void)munmap(k, (size_t)d->size);
	return err;
}

/*
 * demo_random: phase 4, the same random unaligned 4 KiB writes and reads
 * on both sides; every upager read must match the reference read.
 */
static int demo_random(struct demo *d)
{
	uint64_t span = d->size - DEMO_IO + 1;

	for (uint64_t i = 0; i < DEMO_OPS; i++) {
		uint64_t woff = mix64(3 * i + 1) % span;
		uint64_t roff = mix64(3 * i + 2) % span;
		const unsigned char *data = d->src + mix64(3 * i + 3) % MIB;
		ssize_t n, m;
		double t0 = now(), t1, t2;
		size_t at;

		n = upager_pwrite(d->uf, data, DEMO_IO, (off_t)woff);
		m = n == DEMO_IO ? upager_pread(d->uf, d->ubuf, DEMO_IO,
		    (off_t)roff) : 0;
		t1 = now();
		if (n != DEMO_IO)
			return fail(d->cmd, "random op %" PRIu64 ": upager_"
			    "pwrite at %" PRIu64 ": %s", i, woff, n < 0 ?
			    upager_strerror((int)n) : "short write");
		if (m != DEMO_IO)
			return fail(d->cmd, "random op %" PRIu64 ": upager_"
			    "pread at %" PRIu64 ": %s", i, roff, m < 0 ?
			    upager_strerror((int)m) : "short read");
		errno = 0;
		n = pwrite(d->ref, data, DEMO_IO, (off_t)woff);
		m = n == DEMO_IO ? pread(d->ref, d->kbuf, DEMO_IO,
		    (off_t)roff) : 0;
		t2 = now();
		if (n != DEMO_IO || m != DEMO_IO)
			return fail(d->cmd, "random op %" PRIu64 ": plain I/O "
			    "failed: %s", i, errno ? strerror(errno) :
			    "short transfer");
		d->t[PH_RANDOM][0] += t1 - t0;
		d->t[PH_RANDOM][1] += t2 - t1;
		if ((at = first_diff(d->ubuf, d->kbuf, DEMO_IO)) < DEMO_IO)
			return fail(d->cmd, "random op %" PRIu64 ": upager_"
			    "pread at %" PRIu64 " differs from the reference "
			    "at byte %" PRIu64, i, roff, roff + at);
	}
	return 0;
}

/* demo_close: phase 5, write back and close both sides; keep the stats. */
static int demo_close(struct demo *d)
{
	double t0 = now();
	int err = upager_sync(d->uf, 0, 0, UPAGER_SYNC_WAIT);
	int err2 = upager_close(d->uf);

	d->uf = NULL;
	d->t[PH_CLOSE][0] = now() - t0;
	if (err < 0 || err2 < 0)
		return fail(d->cmd, "closing through upager: %s",
		    upager_strerror(err < 0 ? err : err2));
	t0 = now();
	err = fdatasync(d->ref);
	err2 = close(d->ref);
	d->ref = -1;
	d->t[PH_CLOSE][1] = now() - t0;
	if (err < 0 || err2 < 0)
		return fail(d->cmd, "closing the reference: %s",
		    strerror(errno));
	if ((err = upager_stats(d->pg, &d->st)) < 0)
		return fail(d->cmd, "upager_stats: %s", upager_strerror(err));
	return 0;
}

/* demo_compare: the two files on disk must be identical, byte for byte. */
static int demo_compare(struct demo *d)
{
	int a = open(demo_file, O_RDONLY), b = open(demo_ref, O_RDONLY);
	struct stat sa, sb;
	int rc = 0;

	if (a < 0 || b < 0 || fstat(a, &sa) < 0 || fstat(b, &sb) < 0) {
		rc = fail(d->cmd, "reopening the files: %s", strerror(errno));
		goto out;
	}
	if (sa.st_size != sb.st_size || (uint64_t)sa.st_size != d->size) {
		rc = fail(d->cmd, "file sizes differ: %jd through upager, "
		    "%jd reference, %" PRIu64 " expected",
		    (intmax_t)sa.st_size, (intmax_t)sb.st_size, d->size);
		goto out;
	}
	for (uint64_t off = 0; off < d->size; off += DEMO_CHUNK) {
		size_t len = d->size - off < DEMO_CHUNK ?
		    (size_t)(d->size - off) : DEMO_CHUNK, i;

		if (pread(a, d->ubuf, len, (off_t)off) != (ssize_t)len ||
		    pread(b, d->kbuf, len, (off_t)off) != (ssize_t)len) {
			rc = fail(d->cmd, "reading back at %" PRIu64 ": %s",
			    off, errno ? strerror(errno) : "short read");
			goto out;
		}
		if ((i = first_diff(d->ubuf, d->kbuf, len)) < len) {
			rc = fail(d->cmd, "on disk, the file differs from the "
			    "reference at byte %" PRIu64, off + i);
			goto out;
		}
	}
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return rc;
}

/* print_stats: what the pager did, in human units. */
static void print_stats(const struct upager_stats *st)
{
	char b1[32], b2[32];
	uint64_t ps = st->page_size;

	printf("\nwhat the pager did:\n");
	printf("  pages in        %" PRIu64 " (%s) in %" PRIu64 " reads "
	    "(%s read)\n", st->pages_in, human(st->pages_in * ps, b1,
	    sizeof(b1)), st->read_ios, human(st->bytes_read, b2, sizeof(b2)));
	printf("  pages out       %" PRIu64 " (%s) in %" PRIu64 " writes "
	    "(%s written)\n", st->pages_out, human(st->pages_out * ps, b1,
	    sizeof(b1)), st->write_ios, human(st->bytes_written, b2,
	    sizeof(b2)));
	printf("  lookups         %" PRIu64 " hits, %" PRIu64 " misses, %"
	    PRIu64 " zero-filled\n", st->hits, st->misses, st->zero_fills);
	printf("  read-ahead      %" PRIu64 " pages, %" PRIu64 " used, %"
	    PRIu64 " wasted\n", st->ra_pages, st->ra_used, st->ra_wasted);
	printf("  reclaimed       %" PRIu64 " pages (%" PRIu64 " of them "
	    "laundered first)\n", st->reclaimed, st->laundered);
	printf("  peak resident   %" PRIu64 " pages (%s) of a budget of %"
	    PRIu64 " (%s)\n", st->peak_resident, human(st->peak_resident *
	    ps, b1, sizeof(b1)), st->budget_pages, human(st->budget_pages *
	    ps, b2, sizeof(b2)));
	if (st->read_errors != 0 || st->write_errors != 0)
		printf("  I/O errors      %" PRIu64 " reads, %" PRIu64
		    " writes\n", st->read_errors, st->write_errors);
	printf("  write clusters  (size in pages: count)\n");
	for (int i = 0; i < UPAGER_CLUSTER_BUCKETS; i++) {
		uint64_t lo = 1ull << i, hi = (2ull << i) - 1;

		if (st->cluster_hist[i] == 0)
			continue;
		if (lo == hi)
			printf("    %4" PRIu64 "       %10" PRIu64 "\n", lo,
			    st->cluster_hist[i]);
		else
			printf("    %4" PRIu64 "-%-4" PRIu64 "  %10" PRIu64
			    "\n", lo, hi, st->cluster_hist[i]);
	}
}

/* print_phases: elapsed time of each phase on both sides, and the ratio. */
static void print_phases(const struct demo *d)
{
	double tu = 0, tk = 0;

	printf("\nthe same work, upager against the kernel (pread/pwrite, "
	    "mmap):\n");
	printf("  %-24s %10s %10s %13s\n", "phase", "upager", "kernel",
	    "upager/kernel");
	for (int p = 0; p < NPHASE; p++) {
		printf("  %-24s %8.3f s %8.3f s %13.2f\n", phase_name[p],
		    d->t[p][0], d->t[p][1], d->t[p][0] / d->t[p][1]);
		tu += d->t[p][0];
		tk += d->t[p][1];
	}
	printf("  %-24s %8.3f s %8.3f s %13.2f\n", "total", tu, tk, tu / tk);
	printf("  (ratios of times: above 1, upager was slower; the kernel's "
	    "cache is not\n   bounded and holds the whole reference file, "
	    "upager holds its budget)\n");
}

/* demo_run: the phases in order; 0, or 1 after reporting a failure. */
static int demo_run(struct demo *d)
{
	struct upager_config cfg = { .budget = (size_t)d->budget };
	int err;

	err = upager_create(&cfg, &d->pg);
	if (err < 0)
		return fail(d->cmd, "upager_create: %s", upager_strerror(err));
	err = upager_open(d->pg, demo_file, O_RDWR | O_CREAT | O_TRUNC, 0600,
	    &d->uf);
	if (err < 0)
		return fail(d->cmd, "upager_open %s: %s", demo_file,
		    upager_strerror(err));
	d->ref = open(demo_ref, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (d->ref < 0)
		return fail(d->cmd, "open %s: %s", demo_ref, strerror(errno));
	if (demo_write(d) || demo_sync(d) || demo_read(d) ||
	    demo_random(d) || demo_map(d) || demo_close(d) ||
	    demo_compare(d))
		return 1;
	print_stats(&d->st);
	print_phases(d);
	if (d->st.peak_resident > d->st.budget_pages)
		return fail(d->cmd, "the pager went over its budget: %" PRIu64
		    " pages resident at peak, budget %" PRIu64,
		    d->st.peak_resident, d->st.budget_pages);
	return 0;
}

/* demo_alloc: the demo's buffers; the random source is 1 MiB + 4 KiB. */
static int demo_alloc(struct demo *d)
{
	if (posix_memalign((void **)&d->ubuf, 4096, DEMO_CHUNK) != 0 ||
	    posix_memalign((void **)&d->kbuf, 4096, DEMO_CHUNK) != 0 ||
	    posix_memalign((void **)&d->pbuf, 4096, DEMO_CHUNK) != 0 ||
	    posix_memalign((void **)&d->src, 4096, MIB + DEMO_IO) != 0)
		return fail(d->cmd, "out of memory");
	fill_pattern(d->src, 1ull << 40, MIB + DEMO_IO);
	return 0;
}

/* demo_release: free whatever demo_alloc and demo_run left behind. */
static int demo_release(struct demo *d, int rc)
{
	int err;

	if (d->uf != NULL)
		upager_close(d->uf);
	if (d->pg != NULL && (err = upager_destroy(d->pg)) < 0 && rc == 0)
		rc = fail(d->cmd, "upager_destroy: %s", upager_strerror(err));
	if (d->ref >= 0)
		close(d->ref);
	free(d->ubuf);
	free(d->kbuf);
	free(d->pbuf);
	free(d->src);
	return rc;
}

/*
 * cmd_demo: write a sample file several times the budget through upager,
 * read it back, mix in random writes and reads, and check all of it
 * against a reference file written with plain I/O.
 */
static int cmd_demo(const struct command *cmd, int argc, char **argv)
{
	struct demo d = { .cmd = cmd->name, .size = 64 * MIB,
	    .budget = 16 * MIB, .ref = -1 };
	const char *dir = default_dir();
	const struct cmd_option opts[] = {
		{ "--size", OPT_SIZE, &d.size },
		{ "--budget", OPT_SIZE, &d.budget },
		{ "--dir", OPT_STRING, &dir },
		{ NULL, OPT_SIZE, NULL },
	};
	uint64_t min_budget = least_budget();
	int npos, rc;
	char b1[32], b2[32];

	if ((rc = parse_opts(cmd, argc, argv, opts, &npos)) != 0)
		return rc < 0 ? EXIT_USAGE : 0;
	if (npos > 0)
		return usage_error(cmd->name, "unexpected argument '%s'",
		    argv[0]);
	if (d.size < DEMO_IO)
		return usage_error(cmd->name, "--size must be at least %d",
		    DEMO_IO);
	if (d.budget < min_budget)
		return usage_error(cmd->name, "--budget must be at least %"
		    PRIu64 " (64 pages)", min_budget);

	snprintf(demo_dir, sizeof(demo_dir), "%s/upager-demo-XXXXXX", dir);
	if (mkdtemp(demo_dir) == NULL) {
		int err = errno;

		demo_dir[0] = '\0';
		if (arg_errno(err))
			return usage_error(cmd->name, "bad --dir '%s': %s",
			    dir, strerror(err));
		return fail(cmd->name, "cannot make a directory in %s: %s",
		    dir, strerror(err));
	}
	snprintf(demo_file, sizeof(demo_file), "%s/sample.dat", demo_dir);
	snprintf(demo_ref, sizeof(demo_ref), "%s/reference.dat", demo_dir);
	on_interrupt(demo_signal);

	printf("upager demo: a %s sample file, %.1fx a budget of %s, in %s\n",
	    human(d.size, b1, sizeof(b1)), (double)d.size / (double)d.budget,
	    human(d.budget, b2, sizeof(b2)), demo_dir);
	printf("  write it through upager_pwrite in 1 MiB chunks, sync, read "
	    "it back,\n  do %d random 4 KiB pwrite+pread pairs, map it and "
	    "scan it, write every\n  16th page through the map and msync, "
	    "close; the same with the kernel\n  (pread/pwrite, mmap) on a "
	    "reference file, then compare the two files on disk\n",
	    DEMO_OPS);
	fflush(stdout);
	rc = demo_alloc(&d);
	if (rc == 0)
		rc = demo_run(&d);
	rc = demo_release(&d, rc);
	demo_cleanup();
	if (rc == 0)
		printf("\ndemo: verified OK\n");
	return rc;
}

/* ---- cat ---- */

/* write_all: all of buf to fd, through short writes and signals. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* cmd_cat: stream one file through the pager to standard output. */
static int cmd_cat(const struct command *cmd, int argc, char **argv)
{
	enum { CAT_BUF = 256 * 1024 };
	uint64_t budget = 0;
	const struct cmd_option opts[] = {
		{ "--budget", OPT_SIZE, &budget },
		{ NULL, OPT_SIZE, NULL },
	};
	struct upager_config cfg = { 0 };
	upager_t *pg = NULL;
	upager_file_t *uf = NULL;
	char *buf = NULL;
	off_t off = 0;
	int npos, rc = 0, err;

	if ((rc = parse_opts(cmd, argc, argv, opts, &npos)) != 0)
		return rc < 0 ? EXIT_USAGE : 0;
	if (npos == 0)
		return usage_error(cmd->name, "missing FILE");
	if (npos > 1)
		return usage_error(cmd->name, "unexpected argument '%s'",
		    argv[1]);
	if (budget != 0 && budget < least_budget())
		return usage_error(cmd->name, "--budget must be at least "
		    "64 pages");
	cfg.budget = (size_t)budget;
	if ((err = upager_create(&cfg, &pg)) < 0)
		return fail(cmd->name, "upager_create: %s",
		    upager_strerror(err));
	if ((err = upager_open(pg, argv[0], O_RDONLY, 0, &uf)) < 0) {
		rc = arg_errno(-err) ?
		    usage_error(cmd->name, "%s: %s", argv[0],
		    upager_strerror(err)) :
		    fail(cmd->name, "%s: %s", argv[0], upager_strerror(err));
		goto out;
	}
	if ((buf = malloc(CAT_BUF)) == NULL) {
		rc = fail(cmd->name, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = upager_pread(uf, buf, CAT_BUF, off);

		if (n == 0)
			break;
		if (n < 0) {
			rc = fail(cmd->name, "%s: %s", argv[0],
			    upager_strerror((int)n));
			break;
		}
		if ((err = write_all(STDOUT_FILENO, buf, (size_t)n)) < 0) {
			rc = fail(cmd->name, "writing to standard output: %s",
			    strerror(-err));
			break;
		}
		off += n;
	}
out:
	free(buf);
	if (uf != NULL && (err = upager_close(uf)) < 0 && rc == 0)
		rc = fail(cmd->name, "%s: %s", argv[0], upager_strerror(err));
	if ((err = upager_destroy(pg)) < 0 && rc == 0)
		rc = fail(cmd->name, "upager_destroy: %s",
		    upager_strerror(err));
	return rc;
}

/* ---- help and dispatch ---- */

/*
 * preload_path: libupager-preload.so next to this program (the build
 * tree), in the library directory of an installed one (found from the
 * bin directory, wherever the prefix is), or $UPAGER_PRELOAD_LIB.
 * Returns 0, or -1 when there is none.
 */
static int preload_path(char *buf, size_t len)
{
	static const char *const rel[] = { "libupager-preload.so",
#ifdef UPAGER_BIN_TO_LIB
	    UPAGER_BIN_TO_LIB "/libupager-preload.so",
#endif
	    "../lib/libupager-preload.so" };
	const char *env = getenv("UPAGER_PRELOAD_LIB");
	char exe[4096], *slash;
	ssize_t n;

	if (env != NULL && env[0] != '\0') {
		snprintf(buf, len, "%s", env);
		return access(buf, R_OK) == 0 ? 0 : -1;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		int w = snprintf(buf, len, "%.3000s/%s", exe, rel[i]);

		if (w > 0 && (size_t)w < len && access(buf, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* The options of run and stat, and where CMD starts in argv. */
struct run_opts {
	const char *match;
	uint64_t budget;
	int stats;              /* --stats (run only) */
	int at;                 /* argv[at] is CMD */
};

/*
 * run_parse: the command line of run (with --stats when stats_ok) and of
 * stat; options end at CMD, whose own options are not ours.  Returns 0,
 * -1 after showing help, or EXIT_USAGE after reporting an error.
 */
static int run_parse(const struct command *cmd, int argc, char **argv,
    bool stats_ok, struct run_opts *ro)
{
	int i, rc = 0;

	memset(ro, 0, sizeof(*ro));
	for (i = 1; rc == 0 && i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			show_help(cmd);
			rc = -1;
		} else if (stats_ok && strcmp(a, "--stats") == 0) {
			ro->stats = 1;
		} else if (strcmp(a, "-m") != 0 && strcmp(a, "--budget") != 0 &&
		    strcmp(a, "--match") != 0) {
			rc = usage_error(cmd->name, "unknown option '%s'", a);
		} else if (i + 1 >= argc) {
			rc = usage_error(cmd->name, "%s needs a value", a);
		} else if (strcmp(a, "--match") == 0) {
			ro->match = argv[++i];
			if (ro->match[0] == '\0')
				rc = usage_error(cmd->name, "bad --match ''");
		} else if (parse_size(argv[++i], &ro->budget) < 0) {
			rc = usage_error(cmd->name, "bad %s '%s'", a, argv[i]);
		}
	}
	ro->at = i;
	if (rc == 0 && i >= argc)
		rc = usage_error(cmd->name, "missing CMD");
	else if (rc == 0 && ro->budget != 0 && ro->budget < least_budget())
		rc = usage_error(cmd->name, "the budget must be at least "
		    "64 pages");
	return rc;
}

/*
 * run_env: the environment that starts CMD under the interposer: the
 * library first in LD_PRELOAD, the budget and the patterns for it.
 * Returns 0, or 1 after reporting a failure.
 */
static int run_env(const struct command *cmd, const struct run_opts *ro)
{
	const char *old = getenv("LD_PRELOAD");
	char lib[4096], num[32], *pre = NULL;
	int rc = 0;

	if (preload_path(lib, sizeof(lib)) < 0)
		rc = fail(cmd->name, "cannot find libupager-preload.so "
		    "(set UPAGER_PRELOAD_LIB)");
	else if (old != NULL && old[0] != '\0' &&
	    asprintf(&pre, "%s:%s", lib, old) < 0)
		rc = fail(cmd->name, "out of memory");
	else
		setenv("LD_PRELOAD", pre != NULL ? pre : lib, 1);
	free(pre);
	if (rc == 0 && ro->budget != 0) {
		snprintf(num, sizeof(num), "%" PRIu64, ro->budget);
		setenv("UPAGER_BUDGET", num, 1);
	}
	if (rc == 0 && ro->match != NULL)
		setenv("UPAGER_MATCH", ro->match, 1);
	return rc;
}

/* exec_status: CMD could not be started; a missing or forbidden program
 * is the user's error (status 2), anything else the system's (1). */
static int exec_status(const struct command *cmd, const char *prog, int err)
{
	return err == ENOENT || err == EACCES || err == ENOTDIR ?
	    usage_error(cmd->name, "%s: %s", prog, strerror(err)) :
	    fail(cmd->name, "%s: %s", prog, strerror(err));
}

/* cmd_run: run a program with its shared file mappings through upager. */
static int cmd_run(const struct command *cmd, int argc, char **argv)
{
	struct run_opts ro;
	int rc = run_parse(cmd, argc, argv, true, &ro);

	if (rc == 0)
		rc = run_env(cmd, &ro);
	if (rc == 0 && ro.stats)
		setenv("UPAGER_STATS", "1", 1);
	if (rc == 0) {
		execvp(argv[ro.at], &argv[ro.at]);
		rc = exec_status(cmd, argv[ro.at], errno);
	}
	return rc < 0 ? 0 : rc;
}

/* ---- stat ---- */

/* What the processes of a run did, from their UPAGER_STATS_FILE lines:
 * sums, but for the peak and the budget, each process's own. */
struct stat_sum {
	unsigned procs;
	uint64_t faults, pages_in, pages_out, ra_pages, ra_used, write_ios;
	uint64_t laundered, peak_resident, budget_pages, page_size;
};

/* The names in a stats line, where each goes, and whether the run's
 * figure is the largest of the processes' (else their sum). */
static const struct stat_field {
	const char *name;
	size_t off;
	bool max;
} stat_fields[] = {
	{ "faults", offsetof(struct stat_sum, faults), false },
	{ "pages_in", offsetof(struct stat_sum, pages_in), false },
	{ "pages_out", offsetof(struct stat_sum, pages_out), false },
	{ "ra_pages", offsetof(struct stat_sum, ra_pages), false },
	{ "ra_used", offsetof(struct stat_sum, ra_used), false },
	{ "write_ios", offsetof(struct stat_sum, write_ios), false },
	{ "laundered", offsetof(struct stat_sum, laundered), false },
	{ "peak_resident", offsetof(struct stat_sum, peak_resident), true },
	{ "budget_pages", offsetof(struct stat_sum, budget_pages), true },
	{ "page_size", offsetof(struct stat_sum, page_size), true },
};

/* stat_line: add one process's line ("pid N name value ...") to *s. */
static void stat_line(char *line, struct stat_sum *s)
{
	char *save = NULL, *name = strtok_r(line, " \n", &save), *val;

	if (name == NULL || strcmp(name, "pid") != 0)
		name = NULL;
	else
		s->procs++;
	while (name != NULL && (val = strtok_r(NULL, " \n", &save)) != NULL) {
		uint64_t v = strtoull(val, NULL, 10);

		for (size_t i = 0; i < sizeof(stat_fields) /
		    sizeof(stat_fields[0]); i++) {
			uint64_t *f = (uint64_t *)((char *)s +
			    stat_fields[i].off);

			if (strcmp(name, stat_fields[i].name) != 0)
				continue;
			*f = stat_fields[i].max ? (v > *f ? v : *f) : *f + v;
		}
		name = strtok_r(NULL, " \n", &save);
	}
}

/* stat_read: sum the stats file's lines; 0, or -errno. */
static int stat_read(const char *path, struct stat_sum *s)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int err = f == NULL ? -errno : 0;

	memset(s, 0, sizeof(*s));
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		stat_line(line, s);
	if (f != NULL && ferror(f))
		err = -EIO;
	if (f != NULL)
		fclose(f);
	return err;
}

/*
 * stat_print: the table, on stderr as time(1) prints its own, so that
 * CMD's standard output stays what it was.
 */
static void stat_print(const struct stat_sum *s, double wall)
{
	char b1[32], b2[32];
	uint64_t ps = s->page_size;

	fprintf(stderr, "\nupager stat: %u process%s used the pager\n",
	    s->procs, s->procs == 1 ? "" : "es");
	if (s->procs == 0) {
		fprintf(stderr, "  (none mapped a file MAP_SHARED or opened "
		    "one that --match names)\n");
	} else {
		fprintf(stderr, "  %-14s %" PRIu64 "\n", "faults", s->faults);
		fprintf(stderr, "  %-14s %" PRIu64 " pages (%s)\n", "pages in",
		    s->pages_in, human(s->pages_in * ps, b1, sizeof(b1)));
		fprintf(stderr, "  %-14s %" PRIu64 " pages (%s)\n",
		    "pages out", s->pages_out, human(s->pages_out * ps, b1,
		    sizeof(b1)));
		fprintf(stderr, "  %-14s %" PRIu64 " pages, %" PRIu64 " used "
		    "(%.0f%%)\n", "read-ahead", s->ra_pages, s->ra_used,
		    s->ra_pages != 0 ? 100.0 * (double)s->ra_used /
		    (double)s->ra_pages : 0.0);
		fprintf(stderr, "  %-14s %" PRIu64 " clusters, %.1f pages "
		    "each\n", "write-back", s->write_ios, s->write_ios != 0 ?
		    (double)s->pages_out / (double)s->write_ios : 0.0);
		fprintf(stderr, "  %-14s %" PRIu64 " pages\n", "laundered",
		    s->laundered);
		fprintf(stderr, "  %-14s %" PRIu64 " pages (%s) of a budget of "
		    "%" PRIu64 " (%s)%s\n", "peak resident", s->peak_resident,
		    human(s->peak_resident * ps, b1, sizeof(b1)),
		    s->budget_pages, human(s->budget_pages * ps, b2,
		    sizeof(b2)), s->procs > 1 ? ", per process" : "");
	}
	fprintf(stderr, "  %-14s %.3f s\n", "wall time", wall);
}

/*
 * stat_wait: start CMD (argv) and wait for its end, ignoring the
 * terminal's SIGINT and SIGQUIT meanwhile as system(3) does: they are
 * CMD's to act on.  Sets *status to CMD's exit status (128 + the signal
 * that killed it); returns 0, or -errno when CMD could not be started
 * (an exec failure comes back through a close-on-exec pipe).
 */
static int stat_wait(char **argv, int *status)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, oint, oquit;
	int pfd[2] = { -1, -1 }, err = 0, st = 0;
	pid_t pid = -1;

	fflush(NULL);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		err = -errno;
	if (pid == 0) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		execvp(argv[0], argv);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			err = 0;        /* the parent sees status 127 alone */
		_exit(127);
	}
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (pid > 0 && read(pfd[0], &err, sizeof(err)) == sizeof(err))
		err = -err;
	if (pfd[0] >= 0)
		close(pfd[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	return err;
}

/*
 * cmd_stat: run a program as `run` does, then say what the pager did in
 * it: each process that used one appends its counters to a temporary
 * file (UPAGER_STATS_FILE) at exit.  Exits with the program's status.
 */
static int cmd_stat(const struct command *cmd, int argc, char **argv)
{
	struct run_opts ro;
	struct stat_sum sum;
	char path[4200];
	double wall;
	int rc = run_parse(cmd, argc, argv, false, &ro), fd = -1, st, err;

	if (rc == 0)
		rc = run_env(cmd, &ro);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/upager-stat-XXXXXX",
		    default_dir());
		if ((fd = mkstemp(path)) < 0)
			rc = fail(cmd->name, "cannot make a file in %s: %s",
			    default_dir(), strerror(errno));
	}
	if (rc == 0) {
		close(fd);
		setenv("UPAGER_STATS_FILE", path, 1);
		wall = now();
		err = stat_wait(argv + ro.at, &st);
		wall = now() - wall;
		if (err < 0)
			rc = exec_status(cmd, argv[ro.at], -err);
		else if ((err = stat_read(path, &sum)) < 0)
			rc = fail(cmd->name, "reading %s: %s", path,
			    strerror(-err));
		else
			stat_print(&sum, wall);
		if (err == 0)
			rc = st;
		unlink(path);
	}
	return rc < 0 ? 0 : rc;
}

static int cmd_help(const struct command *cmd, int argc, char **argv);

static const struct command commands[] = {
	{ "demo", "write, read and check a file bigger than the budget, "
	    "against plain I/O",
	  "demo [--size S] [--budget B] [--dir D]",
	  "Builds a sample file several times the budget in a temporary\n"
	  "directory: writes it through upager_pwrite in 1 MiB chunks, syncs,\n"
	  "reads it back through upager_pread and verifies it, then does\n"
	  "10000 random 4 KiB pwrite+pread pairs.  A reference file gets the\n"
	  "same operations with plain pwrite/pread; every read is checked\n"
	  "against it, and so are the files on disk at the end.  Prints what\n"
	  "the pager did and the time of each phase on both sides, then\n"
	  "\"demo: verified OK\".  The temporary files are removed.\n\n"
	  "  --size S     sample file size (default 64M)\n"
	  "  --budget B   upager budget (default 16M, at least 64 pages)\n"
	  "  --dir D      where the temporary directory goes\n"
	  "               (default $TMPDIR or /tmp)\n\n"
	  "Sizes take a K, M or G suffix (powers of 1024).\n",
	  cmd_demo },
	{ "cat", "stream a file through the pager to standard output",
	  "cat FILE [--budget B]",
	  "Reads FILE through upager_pread, writes it to standard output.\n\n"
	  "  --budget B   upager budget (default: the library's, 256M)\n\n"
	  "Sizes take a K, M or G suffix (powers of 1024).\n",
	  cmd_cat },
	{ "run", "run a program with its file mappings served by upager",
	  "run [-m BUDGET] [--match PATTERNS] [--stats] [--] CMD [ARGS...]",
	  "Runs CMD with libupager-preload.so: every regular file it maps\n"
	  "MAP_SHARED (and every file whose path matches PATTERNS) is served\n"
	  "by upager within BUDGET: its mappings are upager views, and the\n"
	  "I/O on every descriptor of the file (read, write and their vector\n"
	  "and positional forms, lseek, stat sizes, truncate, fsync) goes\n"
	  "through the same pages.  Dirty pages are written back at close,\n"
	  "munmap, msync, fsync, fork, exec and exit; a program killed by\n"
	  "SIGKILL loses what it had not synced, as with the kernel.\n\n"
	  "  -m, --budget BUDGET  the pager's budget (default 256M)\n"
	  "  --match PATTERNS     colon-separated glob patterns of paths to\n"
	  "                       manage from open on\n"
	  "  --stats              print the pager's counters at exit\n\n"
	  "Sizes take a K, M or G suffix (powers of 1024).\n",
	  cmd_run },
	{ "stat", "run a program as run does, then show what the pager did",
	  "stat [-m BUDGET] [--match PATTERNS] [--] CMD [ARGS...]",
	  "Runs CMD as 'upager run' does, then prints on standard error what\n"
	  "the pager did in it, summed over its processes that used one:\n"
	  "faults served, pages read in and written out, read-ahead pages and\n"
	  "how many were used, write-back clusters and their mean size, pages\n"
	  "laundered, the peak resident size against the budget (the largest\n"
	  "of one process), and the wall time.  Exits with CMD's status.\n\n"
	  "  -m, --budget BUDGET  the pager's budget (default 256M)\n"
	  "  --match PATTERNS     colon-separated glob patterns of paths to\n"
	  "                       manage from open on\n\n"
	  "Sizes take a K, M or G suffix (powers of 1024).\n",
	  cmd_stat },
#ifdef BENCH_IN_CMD
	{ "bench", "the benchmark suite: upager against the kernel, a CSV "
	    "and plots",
	  "bench [--size S] [--budget B] [--runs N] [--out DIR] [--dir D]",
	  "Runs the benchmarks of bench_mmap (views against the kernel's\n"
	  "mmap), bench_pread (upager_pread against pread) and bench_budget\n"
	  "(views under a budget of --budget against unbudgeted and the\n"
	  "kernel; write-back against the disk's write rate), each figure the\n"
	  "median of N runs with its min and max and its ratio to the\n"
	  "kernel's (or the disk's).  Writes to DIR: results.csv, the plots\n"
	  "throughput.png, latency.png (the first touch of a page in a cold\n"
	  "random pass, through a view and through mmap) and resident.png\n"
	  "(resident memory over time under the budget), their data and\n"
	  "gnuplot script, and each benchmark's full report (*.log).  Prints\n"
	  "a summary; progress goes to standard error.  Needs gnuplot.\n\n"
	  "  --size S     the test file's size (default 256M)\n"
	  "  --budget B   the budget of the budgeted runs (default size/4,\n"
	  "               below --size); bench_mmap's views get the whole\n"
	  "               file (size + 64M), as the kernel does\n"
	  "  --runs N     runs of every figure (default 5)\n"
	  "  --out DIR    where the results go (default a new directory\n"
	  "               upager-bench-YYYYmmdd-HHMMSS here)\n"
	  "  --dir D      where the test files go (default $TMPDIR or /tmp)\n\n"
	  "Sizes take a K, M or G suffix (powers of 1024).\n",
	  cmd_bench },
#endif
	{ "help", "show the help of a subcommand",
	  "help [SUBCOMMAND]",
	  "Shows the help of SUBCOMMAND, or the list of subcommands.\n",
	  cmd_help },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* find_command: the table entry for a name, or NULL. */
static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* main_usage: the list of subcommands. */
static void main_usage(FILE *out)
{
	fprintf(out, "usage: upager SUBCOMMAND [OPTIONS]\n\n"
	    "upager %s: a user-space vnode pager.  Subcommands:\n",
	    UPAGER_VERSION_STRING);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-6s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out, "\nRun 'upager SUBCOMMAND --help' for its options.\n");
}

/* cmd_help: `upager help [SUB]`. */
static int cmd_help(const struct command *cmd, int argc, char **argv)
{
	const struct command *c;
	int npos, rc;
	const struct cmd_option opts[] = { { NULL, OPT_SIZE, NULL } };

	if ((rc = parse_opts(cmd, argc, argv, opts, &npos)) != 0)
		return rc < 0 ? EXIT_USAGE : 0;
	if (npos == 0) {
		main_usage(stdout);
		return 0;
	}
	if (npos > 1)
		return usage_error(cmd->name, "unexpected argument '%s'",
		    argv[1]);
	if ((c = find_command(argv[0])) == NULL)
		return usage_error(cmd->name, "unknown subcommand '%s'",
		    argv[0]);
	show_help(c);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2)
		return usage_error(NULL, "missing subcommand (see upager "
		    "--help)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		main_usage(stdout);
		return 0;
	}
	if ((c = find_command(argv[1])) == NULL) {
		if (argv[1][0] == '-')
			return usage_error(NULL, "unknown option '%s' (see "
			    "upager --help)", argv[1]);
		return usage_error(NULL, "unknown subcommand '%s' (see "
		    "upager --help)", argv[1]);
	}
	return c->run(c, argc - 1, argv + 1);
}
