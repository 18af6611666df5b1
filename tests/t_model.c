/*
 * t_model.c: the model test.  Random operations run in lockstep against
 * upager and against a plain reference file driven with pread/pwrite/
 * ftruncate; every result, every size and every byte read must agree, and
 * at checkpoints the file upager wrote must equal the reference on disk.
 *
 *   t_model [SEED]        seed also from $UPAGER_SEED, else time-based
 *   UPAGER_MODEL_OPS=N    number of operations (default 100000)
 *   UPAGER_MODEL_TRACE=1  print every operation to stderr
 *
 * The same seed and op count give the same operations.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "sys.h"
#include "testlib.h"

#define KIB ((off_t)1024)
#define MIB ((off_t)1024 * 1024)
#define MAX_IO ((size_t)(3 * MIB))      /* largest read or write */
#define MAX_OFF (24 * MIB)              /* largest random offset */
#define MAX_SIZE (MAX_OFF + (off_t)MAX_IO)
#define CMP_CHUNK ((size_t)MIB)
#define HOT_LEN (640 * KIB)             /* a window of frequent access */

/* ---- reproducibility: the seed and the current operation ---- */

static uint64_t g_seed;
static unsigned long g_nops;
static unsigned long g_op;      /* number of the current operation */
static int g_pass;
static int g_trace;
static char g_desc[256];        /* what the current operation is */

/* on_abort: how to reproduce a failure. */
static void on_abort(int sig)
{
	(void)sig;
	abort_note("t_model: FAILED seed=%" PRIu64 " pass=%d op=%lu: %s\n"
	    "t_model: reproduce with UPAGER_SEED=%" PRIu64
	    " UPAGER_MODEL_OPS=%lu (UPAGER_MODEL_TRACE=1 lists the ops)\n",
	    g_seed, g_pass, g_op, g_desc, g_seed, g_nops);
}

static void set_desc(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void set_desc(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_desc, sizeof(g_desc), fmt, ap);
	va_end(ap);
	if (g_trace)
		fprintf(stderr, "[%d:%lu] %s\n", g_pass, g_op, g_desc);
}

/* ---- random numbers: one sequence, from the seed ---- */

static struct rng g_rng;

/* pick(n): uniform in [0, n); n > 0. */
static uint64_t pick(uint64_t n)
{
	return rnd(&g_rng, n);
}

/* ---- the model ---- */

struct model {
	upager_t *pg;
	upager_file_t *f;       /* main handle, O_RDWR */
	upager_file_t *g;       /* second handle or NULL */
	int gmode;              /* its access mode */
	int ref;                /* the reference file */
	off_t page;
	uint64_t budget_pages;
	off_t last_end;         /* end of the last read or write */
	off_t hot;              /* start of the hot window */
	char path[512];
	char names[4][600];     /* spellings of the file: plain, ./, //, link */
	unsigned char *wbuf, *rbuf, *ebuf;
	/* counters */
	unsigned long n_read, n_write, n_trunc, n_sync, n_reopen, n_second,
	    n_check, n_disk, n_ebadf;
	uint64_t bytes_read, bytes_written;
};

static const char *mode_name(int mode)
{
	return mode == O_RDONLY ? "O_RDONLY" : mode == O_WRONLY ?
	    "O_WRONLY" : "O_RDWR";
}

static off_t ref_size(struct model *m)
{
	return fd_size(m->ref);
}

/* after every operation: sizes agree, the budget holds */
static void check_after(struct model *m)
{
	struct upager_stats st;
	off_t rsz = ref_size(m);
	off_t usz = upager_size(m->f);

	if (usz != rsz)
		FAIL("upager_size(f) = %lld, reference size %lld",
		    (long long)usz, (long long)rsz);
	if (m->g != NULL && upager_size(m->g) != rsz)
		FAIL("upager_size(g) = %lld, reference size %lld",
		    (long long)upager_size(m->g), (long long)rsz);
	CHECK_OK(upager_stats(m->pg, &st));
	if (st.resident > st.budget_pages)
		FAIL("resident %" PRIu64 " pages > budget %" PRIu64,
		    st.resident, st.budget_pages);
	if (st.budget_pages != m->budget_pages)
		FAIL("budget_pages changed: %" PRIu64 " != %" PRIu64,
		    st.budget_pages, m->budget_pages);
}

/* compare the file on disk, read with plain pread, to the reference */
static void compare_disk(struct model *m, const char *why)
{
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	off_t dsz, rsz, off;

	CHECK(fd >= 0);
	dsz = fd_size(fd);
	rsz = ref_size(m);
	if (dsz != rsz)
		FAIL("after %s: file size on disk %lld, reference %lld", why,
		    (long long)dsz, (long long)rsz);
	for (off = 0; off < rsz; off += (off_t)CMP_CHUNK) {
		size_t a = fd_pread_full(fd, m->rbuf, CMP_CHUNK, off);
		size_t b = fd_pread_full(m->ref, m->ebuf, CMP_CHUNK, off);
		size_t i = mem_diff(m->rbuf, m->ebuf, a);

		if (a != b)
			FAIL("after %s: on-disk read at %lld: %zu bytes, "
			    "reference %zu", why, (long long)off, a, b);
		if (i < a)
			FAIL("after %s: file on disk differs from the "
			    "reference at byte %lld (%#x != %#x)", why,
			    (long long)off + (long long)i, m->rbuf[i],
			    m->ebuf[i]);
	}
	CHECK(close(fd) == 0);
	m->n_disk++;
}

static const char *pick_name(struct model *m)
{
	return m->names[pick(4)];
}

/* a length: mostly small, sometimes large */
static size_t pick_len(struct model *m)
{
	uint64_t r = pick(1000);
	size_t p = (size_t)m->page;

	if (r < 5)
		return 0;
	if (r < 850) {                          /* up to 16 KiB */
		uint64_t s = pick(10);

		if (s < 3)
			return p * (1 + pick(4));
		if (s < 4)
			return 1 + pick(16);
		return 1 + pick((uint64_t)(16 * KIB));
	}
	if (r < 970) {                          /* up to 256 KiB */
		if (pick(3) == 0)
			return p * (1 + pick((uint64_t)(256 * KIB) / p));
		return 1 + pick((uint64_t)(256 * KIB));
	}
	if (pick(3) == 0)                        /* up to 3 MiB */
		return p * (1 + pick(MAX_IO / p));
	return 1 + pick(MAX_IO);
}

/* an offset: just after the last operation, in the hot window (smaller
 * than the budget, so that there are cache hits), random, page-aligned,
 * near EOF, near a page boundary or past EOF */
static off_t pick_off(struct model *m, off_t size)
{
	uint64_t r = pick(100);
	off_t lim = pick(4) == 0 ? MAX_OFF : (size > 0 ? size : m->page);
	off_t off;

	if (pick(500) == 0)                      /* move the hot window */
		m->hot = (off_t)pick((uint64_t)(size / m->page) + 1) * m->page;
	if (r < 12) {
		off = m->last_end;
	} else if (r < 35) {
		off = m->hot + (off_t)pick((uint64_t)HOT_LEN);
		if (pick(3) == 0)
			off &= ~(m->page - 1);
	} else if (r < 55) {
		off = (off_t)pick((uint64_t)(lim / m->page) + 1) * m->page;
	} else if (r < 65) {
		off = size + (off_t)pick((uint64_t)(4 * m->page + 1)) -
		    2 * m->page;
	} else if (r < 77) {
		off = (off_t)pick((uint64_t)(lim / m->page) + 1) * m->page +
		    (off_t)pick(129) - 64;
	} else if (r < 80) {
		off = size + (off_t)pick((uint64_t)MIB);
	} else {
		off = (off_t)pick((uint64_t)lim + 1);
	}
	if (off < 0)
		off = 0;
	if (off > MAX_OFF)
		off = MAX_OFF;
	return off;
}

/* fill the write buffer: random bytes, zeros or one repeated byte */
static void fill_random(unsigned char *buf, size_t len)
{
	uint64_t r = pick(100);

	if (r < 15) {
		memset(buf, 0, len);
	} else if (r < 25) {
		memset(buf, (int)(1 + pick(255)), len);
	} else {
		size_t i = 0;

		for (; i + 8 <= len; i += 8) {
			uint64_t v = rnext(&g_rng);

			memcpy(buf + i, &v, 8);
		}
		if (i < len) {
			uint64_t v = rnext(&g_rng);

			memcpy(buf + i, &v, len - i);
		}
	}
}

/* the handle an operation uses: the second one, if open, a third of the
 * time */
static upager_file_t *pick_handle(struct model *m, int *mode, char *which)
{
	if (m->g != NULL && pick(3) == 0) {
		*mode = m->gmode;
		*which = 'g';
		return m->g;
	}
	*mode = O_RDWR;
	*which = 'f';
	return m->f;
}

/*
 * refused: whether the call was made on a handle whose access mode does
 * not allow it (`denied`), in which case it must have failed with -EBADF.
 */
static int refused(struct model *m, const char *call, int mode, int denied,
    long long got)
{
	if (mode != denied)
		return 0;
	if (got != -EBADF)
		FAIL("%s on an %s handle: %lld, want -EBADF", call,
		    mode_name(mode), got);
	m->n_ebadf++;
	return 1;
}

static void op_read(struct model *m)
{
	off_t size = ref_size(m);
	size_t len = pick_len(m);
	off_t off = pick_off(m, size);
	int mode;
	char which;
	upager_file_t *h = pick_handle(m, &mode, &which);
	ssize_t got, want;
	size_t i;

	set_desc("pread(%c, len=%zu, off=%lld) size=%lld", which, len,
	    (long long)off, (long long)size);
	got = upager_pread(h, m->rbuf, len, off);
	if (refused(m, "pread", mode, O_WRONLY, got))
		return;
	want = (ssize_t)fd_pread_full(m->ref, m->ebuf, len, off);
	if (got != want)
		FAIL("pread returned %zd (%s), reference %zd", got,
		    got < 0 ? upager_strerror((int)got) : "ok", want);
	if ((i = mem_diff(m->rbuf, m->ebuf, (size_t)want)) < (size_t)want)
		FAIL("pread data differs from the reference at file offset "
		    "%lld (byte %zu of %zd): %#x != %#x",
		    (long long)off + (long long)i, i, want, m->rbuf[i],
		    m->ebuf[i]);
	m->last_end = off + (off_t)len;
	m->n_read++;
	m->bytes_read += (uint64_t)want;
}

static void op_write(struct model *m)
{
	off_t size = ref_size(m);
	size_t len = pick_len(m);
	off_t off = pick_off(m, size);
	int mode;
	char which;
	upager_file_t *h = pick_handle(m, &mode, &which);
	ssize_t got;

	fill_random(m->wbuf, len);
	set_desc("pwrite(%c, len=%zu, off=%lld) size=%lld", which, len,
	    (long long)off, (long long)size);
	got = upager_pwrite(h, m->wbuf, len, off);
	if (refused(m, "pwrite", mode, O_RDONLY, got))
		return;
	fd_pwrite_full(m->ref, m->wbuf, len, off);
	if (got != (ssize_t)len)
		FAIL("pwrite returned %zd (%s), want %zu", got,
		    got < 0 ? upager_strerror((int)got) : "ok", len);
	m->last_end = off + (off_t)len;
	m->n_write++;
	m->bytes_written += len;
}

static void op_truncate(struct model *m)
{
	off_t size = ref_size(m), to;
	uint64_t r = pick(100);
	int mode;
	char which;
	upager_file_t *h = pick_handle(m, &mode, &which);
	int got;

	if (r < 10)
		to = 0;
	else if (r < 45)                        /* down, unaligned */
		to = size > 0 ? (off_t)pick((uint64_t)size) : 0;
	else if (r < 60)                        /* down, page-aligned */
		to = size > 0 ? (off_t)pick((uint64_t)(size / m->page) + 1) *
		    m->page : 0;
	else if (r < 70)                        /* a little down */
		to = size - (off_t)pick((uint64_t)(2 * m->page));
	else if (r < 75)                        /* the same */
		to = size;
	else if (r < 90)                        /* a little up */
		to = size + 1 + (off_t)pick((uint64_t)(2 * m->page));
	else                                    /* up, up to 4 MiB */
		to = size + 1 + (off_t)pick((uint64_t)(4 * MIB));
	if (to < 0)
		to = 0;
	if (to > MAX_SIZE)
		to = MAX_SIZE - (off_t)pick(100);
	set_desc("truncate(%c, %lld) size=%lld", which, (long long)to,
	    (long long)size);
	got = upager_truncate(h, to);
	if (refused(m, "truncate", mode, O_RDONLY, got))
		return;
	if (got != 0)
		FAIL("upager_truncate: %d (%s)", got, upager_strerror(got));
	CHECK(ftruncate(m->ref, to) == 0);
	m->n_trunc++;
}

static const char *sync_flags_name(int fl)
{
	static const char *const n[] = { "0", "WAIT", "INVALIDATE",
	    "WAIT|INVALIDATE" };

	return n[fl & 3];
}

static void op_sync(struct model *m)
{
	off_t size = ref_size(m), off, len;
	int fl = (int)pick(4);
	upager_file_t *h = m->f;
	char which = 'f';

	/* WAIT means fdatasync: keep it rare (1 sync in 32), it is slow */
	if ((fl & UPAGER_SYNC_WAIT) && pick(16) != 0)
		fl &= ~UPAGER_SYNC_WAIT;
	if (m->g != NULL && m->gmode != O_RDONLY && pick(3) == 0) {
		h = m->g;
		which = 'g';
	}
	switch (pick(5)) {
	case 0:
		off = 0;
		len = 0;
		break;
	case 1:
		off = (off_t)pick((uint64_t)size + 1);
		len = 0;
		break;
	case 2:
		off = (off_t)pick((uint64_t)(size / m->page) + 1) * m->page;
		len = (off_t)(1 + pick((uint64_t)(64 * m->page)));
		break;
	case 3:
		off = (off_t)pick((uint64_t)size + 1);
		len = (off_t)(1 + pick((uint64_t)(4 * MIB)));
		break;
	default:                                /* past EOF */
		off = size + (off_t)pick((uint64_t)MIB);
		len = (off_t)pick((uint64_t)MIB);
		break;
	}
	set_desc("sync(%c, off=%lld, len=%lld, %s) size=%lld", which,
	    (long long)off, (long long)len, sync_flags_name(fl),
	    (long long)size);
	CHECK_ZERO(upager_sync(h, off, len, fl));
	m->n_sync++;
}

static void op_reopen(struct model *m)
{
	const char *name = pick_name(m);
	int trunc = pick(10) == 0;

	set_desc("close(f) and reopen as %s%s", name,
	    trunc ? " with O_TRUNC" : "");
	CHECK_ZERO(upager_close(m->f));
	m->f = NULL;
	m->f = uopen(m->pg, name, O_RDWR | (trunc ? O_TRUNC : 0));
	if (trunc)
		CHECK(ftruncate(m->ref, 0) == 0);
	m->n_reopen++;
}

static void op_second(struct model *m)
{
	if (m->g != NULL) {
		set_desc("close(g)");
		CHECK_ZERO(upager_close(m->g));
		m->g = NULL;
	} else {
		const char *name = pick_name(m);
		uint64_t r = pick(10);

		m->gmode = r < 6 ? O_RDWR : r < 8 ? O_RDONLY : O_WRONLY;
		set_desc("open(g) as %s %s", name, mode_name(m->gmode));
		m->g = uopen(m->pg, name, m->gmode);
		m->n_second++;
	}
}

static void op_sync_all(struct model *m)
{
	set_desc("sync_all");
	CHECK_ZERO(upager_sync_all(m->pg));
	m->n_sync++;
}

/* a checkpoint: get everything to the file, then compare it on disk */
static void checkpoint(struct model *m)
{
	uint64_t r = pick(3);

	if (r == 0) {
		set_desc("checkpoint: close all handles, compare the file");
		if (m->g != NULL) {
			CHECK_ZERO(upager_close(m->g));
			m->g = NULL;
		}
		CHECK_ZERO(upager_close(m->f));
		m->f = NULL;
		compare_disk(m, "close");
		m->f = uopen(m->pg, pick_name(m), O_RDWR);
		m->n_reopen++;
	} else if (r == 1) {
		int fl = pick(2) ? UPAGER_SYNC_INVALIDATE : 0;
		upager_file_t *h = m->f;

		if (m->g != NULL && m->gmode != O_RDONLY && pick(2))
			h = m->g;
		set_desc("checkpoint: sync(%c, 0, 0, %s), compare the file",
		    h == m->f ? 'f' : 'g', sync_flags_name(fl));
		CHECK_ZERO(upager_sync(h, 0, 0, fl));
		compare_disk(m, "sync");
	} else {
		set_desc("checkpoint: sync_all, compare the file");
		CHECK_ZERO(upager_sync_all(m->pg));
		compare_disk(m, "sync_all");
	}
	check_after(m);
}

static void dbg_check(struct model *m)
{
	set_desc("dbg_check_pager");
	CHECK_ZERO(dbg_check_pager(m->pg));
	m->n_check++;
}

static void run_pass(struct model *m, const struct upager_config *cfg,
    unsigned long nops)
{
	struct upager_stats st;
	unsigned long next_cp = 2000 + (unsigned long)pick(2000);

	set_desc("upager_create(budget=%zu, cluster=%zu, readahead=%zu, "
	    "flags=%#x)", cfg->budget, cfg->cluster, cfg->readahead,
	    cfg->flags);
	CHECK_ZERO(upager_create(cfg, &m->pg));
	CHECK_OK(upager_stats(m->pg, &st));
	CHECK_EQ(st.page_size, (uint64_t)m->page);
	CHECK_EQ(st.budget_pages, cfg->budget / (size_t)m->page);
	m->budget_pages = st.budget_pages;
	m->f = uopen(m->pg, pick_name(m), O_RDWR | O_CREAT);
	m->g = NULL;
	check_after(m);

	for (unsigned long i = 0; i < nops; i++, g_op++) {
		uint64_t r1000 = pick(1000);

		/* for a stretch of each pass, frames are not punched out of
		 * the memfd when freed (fault injection): stale data stays
		 * behind and whoever reuses the frame must overwrite or zero
		 * it */
		if (i == nops / 2) {
			struct sys_fault fl = { .err = EIO };

			sys_fault_set(SYS_PUNCH, &fl);
		} else if (i == nops * 3 / 4) {
			sys_fault_clear(SYS_PUNCH);
		}

		if (r1000 < 420)
			op_read(m);
		else if (r1000 < 850)
			op_write(m);
		else if (r1000 < 880)
			op_truncate(m);
		else if (r1000 < 960)
			op_sync(m);
		else if (r1000 < 965)
			op_sync_all(m);
		else if (r1000 < 970)
			op_reopen(m);
		else if (r1000 < 975)
			op_second(m);
		else if (r1000 < 990)
			op_read(m);
		else
			op_write(m);
		check_after(m);
		if (i % 1000 == 999)
			dbg_check(m);
		if (i == next_cp) {
			checkpoint(m);
			next_cp += 2000 + (unsigned long)pick(2000);
		}
	}

	sys_fault_clear(SYS_PUNCH);
	/* the end of a pass: check, then destroy with the handles still
	 * open half of the time (destroy closes them), and compare */
	dbg_check(m);
	CHECK_OK(upager_stats(m->pg, &st));
	if (g_trace)
		fprintf(stderr, "pass %d: hits %" PRIu64 " misses %" PRIu64
		    " reclaimed %" PRIu64 " laundered %" PRIu64 " ra %" PRIu64
		    "/%" PRIu64 " peak %" PRIu64 "\n", g_pass, st.hits,
		    st.misses, st.reclaimed, st.laundered, st.ra_used,
		    st.ra_pages, st.peak_resident);
	CHECK(st.peak_resident <= st.budget_pages);
	if (pick(2)) {
		set_desc("end of pass: close handles, destroy");
		if (m->g != NULL)
			CHECK_ZERO(upager_close(m->g));
		CHECK_ZERO(upager_close(m->f));
	} else {
		set_desc("end of pass: destroy with handles open");
	}
	m->f = m->g = NULL;
	CHECK_ZERO(upager_destroy(m->pg));
	m->pg = NULL;
	compare_disk(m, "destroy");
}

int main(int argc, char **argv)
{
	struct model m;
	struct upager_config cfg;
	double t0;
	const char *s;
	char refpath[512], linkpath[512];
	const char *dir = test_dir();
	unsigned long n1, n2;
	unsigned pass2_flags;

	g_seed = test_seed(argc, argv);
	g_nops = 100000;
	if ((s = env_value("UPAGER_MODEL_OPS")) != NULL)
		g_nops = strtoul(s, NULL, 0);
	g_trace = (s = env_value("UPAGER_MODEL_TRACE")) != NULL &&
	    strcmp(s, "0") != 0;
	fprintf(stderr, "t_model: seed=%" PRIu64 " ops=%lu\n", g_seed,
	    g_nops);
	snprintf(g_desc, sizeof(g_desc), "setup");
	at_abort(on_abort);

	rseed(&g_rng, g_seed);
	t0 = mono_now();

	memset(&m, 0, sizeof(m));
	m.page = sysconf(_SC_PAGESIZE);
	CHECK(m.page > 0);
	m.wbuf = xmalloc(MAX_IO);
	m.rbuf = xmalloc(MAX_IO);
	m.ebuf = xmalloc(MAX_IO);
	snprintf(m.path, sizeof(m.path), "%s/model.dat", dir);
	snprintf(refpath, sizeof(refpath), "%s/model.ref", dir);
	snprintf(linkpath, sizeof(linkpath), "%s/model.lnk", dir);
	m.ref = open(refpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(m.ref >= 0);
	/* create the file, empty, and a hard link to it */
	disk_resize(m.path, 0, O_TRUNC);
	CHECK(link(m.path, linkpath) == 0);
	snprintf(m.names[0], sizeof(m.names[0]), "%s/model.dat", dir);
	snprintf(m.names[1], sizeof(m.names[1]), "%s/./model.dat", dir);
	snprintf(m.names[2], sizeof(m.names[2]), "%s//model.dat", dir);
	snprintf(m.names[3], sizeof(m.names[3]), "%s", linkpath);

	n1 = g_nops * 7 / 10;
	n2 = g_nops - n1;

	/* pass 1: a 1 MiB budget, default cluster and read-ahead */
	g_pass = 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = (size_t)MIB;
	run_pass(&m, &cfg, n1);

	/* pass 2: 4 MiB, small clusters and read-ahead, on the file left by
	 * pass 1 (a cold cache); O_DIRECT or not as the seed says */
	g_pass = 2;
	pass2_flags = pick(2) ? UPAGER_NODIRECT : 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = (size_t)(4 * MIB);
	cfg.cluster = (size_t)(16 * KIB);
	cfg.readahead = (size_t)(128 * KIB);
	cfg.flags = pass2_flags;
	run_pass(&m, &cfg, n2);

	printf("t_model: ok seed=%" PRIu64 " ops=%lu (reads %lu, writes %lu, "
	    "truncates %lu, syncs %lu, reopens %lu, second opens %lu, "
	    "EBADF %lu, checks %lu, disk compares %lu; %.1f MiB read, "
	    "%.1f MiB written; pass 2 %s) in %.1f s\n", g_seed, g_nops,
	    m.n_read, m.n_write, m.n_trunc, m.n_sync, m.n_reopen,
	    m.n_second, m.n_ebadf, m.n_check, m.n_disk,
	    (double)m.bytes_read / (double)MIB,
	    (double)m.bytes_written / (double)MIB,
	    pass2_flags ? "NODIRECT" : "direct", mono_now() - t0);

	CHECK(close(m.ref) == 0);
	CHECK(unlink(refpath) == 0);
	CHECK(unlink(linkpath) == 0);
	CHECK(unlink(m.path) == 0);
	CHECK(rmdir(dir) == 0);
	free(m.wbuf);
	free(m.rbuf);
	free(m.ebuf);
	return 0;
}
