/* t_faults.c: the model test under injected faults at every kind of call */
/*
 * Random operations on one file (pwrite, pread, writes and reads through a
 * MAP_SHARED view, truncate, sync, msync, madvise, close and reopen, unmap
 * and map again), checked against an in-memory model of the file, while a
 * fault fires at a fraction of the calls of one kind: EIO, ENOSPC, EINTR,
 * EAGAIN, ENOMEM, short transfers or added latency, at pread, pwrite,
 * fdatasync, fallocate, ftruncate, lseek, mmap, io_uring submissions,
 * memfd, punch, madvise, userfaultfd, PAGEMAP_SCAN, open, fstat and close;
 * and EINTR, short transfers and latency at every kind at once.
 * The budget is a quarter of the file's largest size, so the page daemon
 * launders under the faults, and the syncer writes back in the background.
 *
 * What must hold, in every pass:
 *   - an operation that succeeds did all it says: pread returns the
 *     model's bytes (all of them, or fewer when an error stopped it), a
 *     write (or its short count) changes the model;
 *   - one that fails changed nothing (truncate: all or nothing; a write
 *     that returns an error wrote no byte), and fails with the injected
 *     error or -ENOMEM (no frame to be had while write-back fails);
 *     where the fault cannot be an error (EINTR is retried, short
 *     transfers are completed, delays only delay) nothing fails at all;
 *   - a view access dies of SIGBUS only where a page could not be had
 *     (an injected error), and then wrote nothing from that byte on;
 *   - a sync or MS_SYNC msync that returns 0 put its range on disk: a
 *     raw pread of the file shows the model's bytes there;
 *   - once the fault is cleared, a sync may report an error kept from
 *     before (once), the next returns 0, and the file on disk equals the
 *     model byte for byte; close and destroy succeed;
 *   - no descriptor and no mapping of the pager's is left after destroy.
 *
 *   t_faults [SEED]             seed also from $UPAGER_SEED, else time
 *   UPAGER_FAULTS_OPS=N         operations per pass (default 300)
 *   UPAGER_FAULTS_ONLY=KIND[:E] run only the passes of that kind (and
 *                               error: EIO, ENOSPC, EINTR, EAGAIN,
 *                               ENOMEM, short, delay)
 *   UPAGER_FAULTS_TRACE=1       print every operation
 *
 * Before any pager exists, forked children check UPAGER_FAULTS itself:
 * malformed values make upager_create fail with -EINVAL, a valid one arms
 * what it says, and a seed gives the same failures every time.
 */
#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "sys.h"
#include "testlib.h"

#define MAXF (4 * MiB)          /* the largest size the file reaches */
#define VLEN (MAXF + MiB)       /* the view: more than the file ever is */
#define BUDGET MiB
#define MAXIO (256 * KiB)
#define FRAC 0.15               /* of the calls of the kind that fail */
#define FRAC_RARE 0.5           /* ... of a kind the operations make few of */
/* (arguments evaluated twice: no calls in them) */
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* ---- reproducibility ---- */

static uint64_t g_seed;
static const char *g_pass = "setup";
static unsigned long g_op, g_nops = 300;
static int g_trace;
static char g_desc[200];

static void on_abort(int sig)
{
	(void)sig;
	abort_note("t_faults: FAILED seed=%" PRIu64 " pass %s op %lu: %s\n"
	    "t_faults: rerun with UPAGER_SEED=%" PRIu64 " UPAGER_FAULTS_ONLY="
	    "%s UPAGER_FAULTS_TRACE=1\n", g_seed, g_pass, g_op, g_desc,
	    g_seed, g_pass);
}

static void desc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void desc(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_desc, sizeof(g_desc), fmt, ap);
	va_end(ap);
	if (g_trace)
		fprintf(stderr, "[%s %lu] %s\n", g_pass, g_op, g_desc);
}

/* ---- what the process holds: descriptors and the pager's mappings ---- */

static void fds_same(const struct fdset *a, const struct fdset *b)
{
	int i;

	for (i = 0; i < a->n && i < b->n && a->fd[i] == b->fd[i]; i++)
		;
	if (i < a->n || i < b->n)
		FAIL("descriptors differ: %d before, %d after; first "
		    "difference: %d vs %d", a->n, b->n, i < a->n ? a->fd[i] :
		    -1, i < b->n ? b->fd[i] : -1);
}

/* memfd_maps: mappings of the pager's memfds in the process. */
static int memfd_maps(void)
{
	FILE *fp = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	CHECK(fp != NULL);
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, "memfd:upager") != NULL;
	fclose(fp);
	return n;
}

/* ---- view accesses that may die of SIGBUS ---- */

static sigjmp_buf v_jb;
static volatile sig_atomic_t v_armed;
static volatile size_t v_at;    /* bytes of the copy done */

static void v_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (!v_armed) {
		abort_note("t_faults: signal %d outside a view access "
		    "during: %s\n", sig, g_desc);
		on_abort(sig);
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	v_armed = 0;
	siglongjmp(v_jb, sig);
}

/*
 * vcopy: copy n bytes, one at a time and in order, so that a SIGBUS at
 * byte i means bytes [0, i) were copied and none after.  The signal it
 * died of, or 0; *done gets the bytes copied.
 */
static int vcopy(volatile unsigned char *dst, const volatile unsigned char *src,
    size_t n, size_t *done)
{
	int sig;

	v_at = 0;
	if ((sig = sigsetjmp(v_jb, 1)) == 0) {
		v_armed = 1;
		for (size_t i = 0; i < n; i++) {
			dst[i] = src[i];
			v_at = i + 1;
		}
		v_armed = 0;
	}
	*done = v_at;
	return sig;
}

/* ---- the passes ---- */

#define E_SHORT (-1)
#define E_DELAY (-2)

struct pass {
	enum sys_kind kind;
	const char *kname;
	int err;                /* an errno, E_SHORT or E_DELAY */
	double frac;
};

static const struct {
	enum sys_kind kind;
	const char *name;
	double frac;
} kinds[] = {
	{ SYS_PREAD, "pread", FRAC }, { SYS_PWRITE, "pwrite", FRAC },
	{ SYS_FDATASYNC, "fdatasync", FRAC_RARE },
	{ SYS_FALLOCATE, "fallocate", FRAC },
	{ SYS_FTRUNCATE, "ftruncate", FRAC_RARE },
	{ SYS_LSEEK, "lseek", FRAC }, { SYS_MMAP, "mmap", FRAC_RARE },
	{ SYS_URING, "uring", FRAC }, { SYS_MEMFD, "memfd", FRAC_RARE },
	{ SYS_PUNCH, "punch", FRAC }, { SYS_MADVISE, "madvise", FRAC },
	{ SYS_UFFD, "uffd", FRAC }, { SYS_PAGEMAP, "pagemap", FRAC },
	{ SYS_OPEN, "open", FRAC_RARE }, { SYS_FSTAT, "fstat", FRAC_RARE },
	{ SYS_CLOSE, "close", FRAC_RARE },
};
static const int errs[] = { EIO, ENOSPC, EINTR, EAGAIN, ENOMEM };

static const char *err_name(int e)
{
	switch (e) {
	case EIO: return "EIO";
	case ENOSPC: return "ENOSPC";
	case EINTR: return "EINTR";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case E_SHORT: return "short";
	case E_DELAY: return "delay";
	}
	return "?";
}

/* ---- one pass ---- */

struct st {
	const struct pass *ps;
	struct rng rng;
	const char *path;
	upager_t *pg;
	upager_file_t *f;
	unsigned char *view;            /* NULL: none mapped */
	unsigned char *mdl;             /* the file as acknowledged */
	size_t size;
	unsigned char *buf, *dbuf;
	unsigned long n_err, n_sigbus, n_short, n_dcheck, n_ok;
};

static uint64_t pick(struct st *s, uint64_t n)
{
	return rnd(&s->rng, n);
}

/* benign: the pass's fault cannot be an error the caller sees */
static bool benign(const struct st *s)
{
	return s->ps->err == EINTR || s->ps->err < 0;
}

/*
 * err_ok: may a call fail with e under this pass's fault?  The injected
 * error itself, or ENOMEM: when write-back fails, frames cannot be freed.
 */
static void err_ok(struct st *s, const char *call, long long e)
{
	if (e >= 0)
		return;
	if (benign(s) || (e != -s->ps->err && e != -ENOMEM))
		FAIL("%s: %lld (%s) with %s injected at %s", call, e,
		    upager_strerror((int)e), err_name(s->ps->err),
		    s->ps->kname);
	if (g_trace)
		fprintf(stderr, "    -> %s: %lld (%s)\n", call, e,
		    upager_strerror((int)e));
	s->n_err++;
}

/*
 * disk_check: [lo, hi) of the file on disk holds the model's bytes (the
 * part past the end on disk must be zeros in the model: never written).
 */
static void disk_check(struct st *s, size_t lo, size_t hi, const char *why)
{
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	size_t got, i;

	if (hi > s->size)
		hi = s->size;
	CHECK(fd >= 0);
	if (lo < hi) {
		got = fd_pread_full(fd, s->dbuf, hi - lo, (off_t)lo);
		if ((i = mem_diff(s->dbuf, s->mdl + lo, got)) < got)
			FAIL("%s returned 0, but byte %zu on disk is %#x, not "
			    "%#x", why, lo + i, s->dbuf[i], s->mdl[lo + i]);
		for (i = lo + got; i < hi; i++)
			if (s->mdl[i] != 0)
				FAIL("%s returned 0, but the file on disk ends "
				    "at %zu, before byte %zu (%#x)", why,
				    lo + got, i, s->mdl[i]);
	}
	CHECK(close(fd) == 0);
	s->n_dcheck++;
}

static void fill_rand(struct st *s, unsigned char *b, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			v = rnext(&s->rng);
		b[i] = (unsigned char)(v >> (8 * (i % 8)));
	}
}

static size_t pick_len(struct st *s)
{
	uint64_t r = pick(s, 10);

	if (r < 5)
		return 1 + pick(s, 8 * KiB);
	if (r < 8)
		return PG * (1 + pick(s, 16));
	return 1 + pick(s, MAXIO);
}

static size_t pick_off(struct st *s)
{
	uint64_t r = pick(s, 10);

	if (r < 6 && s->size > 0)
		return pick(s, s->size);
	if (r < 8)
		return PG * pick(s, MAXF / PG);
	return pick(s, MAXF);
}

static void op_pwrite(struct st *s)
{
	size_t off = pick_off(s), len = pick_len(s);
	ssize_t r;

	if (off + len > MAXF)
		len = MAXF - off;
	if (len == 0)
		return;
	fill_rand(s, s->buf, len);
	desc("pwrite(off=%zu, len=%zu) size=%zu", off, len, s->size);
	r = upager_pwrite(s->f, s->buf, len, (off_t)off);
	err_ok(s, "pwrite", r);
	if (r <= 0)
		return;
	if ((size_t)r < len) {
		if (benign(s))
			FAIL("pwrite: short (%zd of %zu) with %s injected",
			    r, len, err_name(s->ps->err));
		s->n_short++;
	}
	memcpy(s->mdl + off, s->buf, (size_t)r);
	if (off + (size_t)r > s->size)
		s->size = off + (size_t)r;
	s->n_ok++;
}

static void op_pread(struct st *s)
{
	size_t off = pick_off(s), len = pick_len(s), want, i;
	ssize_t r;

	desc("pread(off=%zu, len=%zu) size=%zu", off, len, s->size);
	r = upager_pread(s->f, s->buf, len, (off_t)off);
	err_ok(s, "pread", r);
	if (r < 0)
		return;
	want = off >= s->size ? 0 : MIN(len, s->size - off);
	/* short when an error stops it after some bytes (as with read(2)) */
	if ((size_t)r < want && !benign(s) && r > 0) {
		want = (size_t)r;
		s->n_short++;
	}
	if ((size_t)r != want)
		FAIL("pread returned %zd, want %zu", r, want);
	if ((i = mem_diff(s->buf, s->mdl + off, want)) < want)
		FAIL("pread: byte %zu is %#x, the model has %#x", off + i,
		    s->buf[i], s->mdl[off + i]);
	s->n_ok++;
}

/* a range of the view inside the file: [*off, *off + *len) */
static bool pick_vrange(struct st *s, size_t *off, size_t *len)
{
	size_t n;

	if (s->view == NULL || s->size == 0)
		return false;
	n = pick_len(s) % (64 * KiB) + 1;

	*off = pick(s, s->size);
	*len = MIN(n, s->size - *off);
	return true;
}

static void op_vwrite(struct st *s)
{
	size_t off, len, done;
	int sig;

	if (!pick_vrange(s, &off, &len))
		return;
	fill_rand(s, s->buf, len);
	desc("view write(off=%zu, len=%zu) size=%zu", off, len, s->size);
	sig = vcopy(s->view + off, s->buf, len, &done);
	memcpy(s->mdl + off, s->buf, done);
	if (sig != 0) {
		if (sig != SIGBUS || benign(s))
			FAIL("view write: signal %d at byte %zu with %s "
			    "injected at %s", sig, off + done,
			    err_name(s->ps->err), s->ps->kname);
		s->n_sigbus++;
		return;
	}
	s->n_ok++;
}

static void op_vread(struct st *s)
{
	size_t off, len, done, i;
	int sig;

	if (!pick_vrange(s, &off, &len))
		return;
	desc("view read(off=%zu, len=%zu) size=%zu", off, len, s->size);
	sig = vcopy(s->buf, s->view + off, len, &done);
	if ((i = mem_diff(s->buf, s->mdl + off, done)) < done)
		FAIL("view read: byte %zu is %#x, the model has %#x", off + i,
		    s->buf[i], s->mdl[off + i]);
	if (sig != 0) {
		if (sig != SIGBUS || benign(s))
			FAIL("view read: signal %d at byte %zu with %s "
			    "injected at %s", sig, off + done,
			    err_name(s->ps->err), s->ps->kname);
		s->n_sigbus++;
		return;
	}
	s->n_ok++;
}

static void op_truncate(struct st *s)
{
	size_t down = pick(s, 64 * KiB);
	size_t to = pick(s, 3) == 0 ? pick(s, MAXF + 1) :
	    s->size - MIN(s->size, down);
	int r;

	desc("truncate(%zu) size=%zu", to, s->size);
	r = upager_truncate(s->f, (off_t)to);
	err_ok(s, "truncate", r);
	if (r != 0)
		return;
	if (to < s->size)
		memset(s->mdl + to, 0, s->size - to);
	s->size = to;
	s->n_ok++;
}

static void op_sync(struct st *s)
{
	size_t off = pick(s, 2) ? 0 : pick(s, MAXF);
	size_t len = pick(s, 2) ? 0 : 1 + pick(s, MiB);
	int fl = (int)pick(s, 4), r;

	desc("sync(off=%zu, len=%zu, flags=%d) size=%zu", off, len, fl,
	    s->size);
	r = upager_sync(s->f, (off_t)off, (off_t)len, fl);
	err_ok(s, "sync", r);
	if (r == 0) {
		disk_check(s, off, len == 0 ? MAXF : off + len, "sync");
		s->n_ok++;
	}
}

static void op_msync(struct st *s)
{
	size_t off, len;
	int fl = pick(s, 4) == 0 ? MS_SYNC | MS_INVALIDATE : MS_SYNC, r;

	if (!pick_vrange(s, &off, &len))
		return;
	off &= ~(PG - 1);
	desc("msync(off=%zu, len=%zu, %s) size=%zu", off, len,
	    fl & MS_INVALIDATE ? "MS_SYNC|MS_INVALIDATE" : "MS_SYNC", s->size);
	r = upager_msync(s->view + off, len, fl);
	err_ok(s, "msync", r);
	if (r == 0) {
		disk_check(s, off, off + len, "msync");
		s->n_ok++;
	}
}

static void op_madvise(struct st *s)
{
	size_t off, len;
	int adv = pick(s, 2) ? MADV_DONTNEED : MADV_WILLNEED;

	if (!pick_vrange(s, &off, &len))
		return;
	off &= ~(PG - 1);
	desc("madvise(off=%zu, len=%zu, %s)", off, len,
	    adv == MADV_DONTNEED ? "DONTNEED" : "WILLNEED");
	CHECK_ZERO(upager_madvise(s->view + off, len, adv));
}

/* reopen: close the handle (it may report a write-back error: the pages
 * stay dirty) and open the file again, as often as the fault says no */
static void op_reopen(struct st *s)
{
	int r, tries;

	desc("close and reopen, size=%zu", s->size);
	r = upager_close(s->f);
	err_ok(s, "close", r);
	s->f = NULL;
	for (tries = 0; tries < 1000 && s->f == NULL; tries++) {
		r = upager_open(s->pg, s->path, O_RDWR, 0, &s->f);
		err_ok(s, "open", r);
	}
	CHECK(s->f != NULL);
	CHECK_EQ(upager_size(s->f), s->size);
}

static void op_remap(struct st *s)
{
	void *a = NULL;
	int r;

	desc("unmap and map the view");
	if (s->view != NULL)
		CHECK_ZERO(upager_unmap(s->view, VLEN));
	s->view = NULL;
	r = upager_map(s->f, 0, VLEN, PROT_READ | PROT_WRITE, MAP_SHARED, &a);
	err_ok(s, "map", r);
	if (r == 0)
		s->view = a;
}

/* the end of a pass: the fault is gone; the file converges to the model */
static void converge(struct st *s)
{
	int r;

	sys_fault_clear(SYS_NKIND);
	desc("converge: size");
	CHECK_EQ(upager_size(s->f), s->size);
	desc("converge: first sync");
	r = upager_sync(s->f, 0, 0, UPAGER_SYNC_WAIT);
	err_ok(s, "first sync after the fault", r);
	desc("converge: second sync");
	CHECK_ZERO(upager_sync(s->f, 0, 0, UPAGER_SYNC_WAIT));
	desc("converge: the file on disk");
	CHECK_EQ(disk_size(s->path), s->size);
	disk_check(s, 0, s->size, "the final sync");
	desc("converge: through the cache");
	CHECK_EQ(upager_pread(s->f, s->dbuf, MAXF, 0), s->size);
	CHECK_MEM(s->dbuf, s->mdl, s->size);
	PCHECK(s->pg);
}

/* hits_of: calls the faults of this kind (SYS_NKIND: of all) hit */
static unsigned long hits_of(enum sys_kind kind)
{
	unsigned long n = 0;

	for (int k = 0; k < SYS_NKIND; k++)
		if (kind == SYS_NKIND || (int)kind == k)
			n += sys_fault_hits((enum sys_kind)k);
	return n;
}

static void run_pass(const struct pass *ps, uint64_t seed)
{
	char name[64];
	struct st s;
	struct fdset before, after;
	struct sys_fault flt;
	struct upager_config cfg;
	void *a = NULL;
	double t0 = mono_now();

	snprintf(name, sizeof(name), "%s:%s", ps->kname, err_name(ps->err));
	g_pass = name;
	g_op = 0;
	memset(&s, 0, sizeof(s));
	s.ps = ps;
	rseed(&s.rng, seed);
	s.path = tpath("faults.dat");
	s.mdl = xcalloc(MAXF);
	s.buf = xmalloc(MAXF);
	s.dbuf = xmalloc(MAXF);
	(void)unlink(s.path);
	before = fds_now();

	desc("create and open");
	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = BUDGET;
	cfg.syncer_delay_ms = 20;       /* background write-back, faults too */
	cfg.flags = pick(&s, 2) ? UPAGER_NODIRECT : 0;
	CHECK_ZERO(upager_create(&cfg, &s.pg));
	s.f = uopen(s.pg, s.path, O_RDWR | O_CREAT | O_EXCL);
	/* a first MiB, on disk before the faults: reads go to the disk */
	fill_rand(&s, s.mdl, MiB);
	UWRITE(s.f, s.mdl, MiB, 0);
	s.size = MiB;
	CHECK_ZERO(upager_sync(s.f, 0, 0, UPAGER_SYNC_INVALIDATE));
	CHECK_ZERO(upager_map(s.f, 0, VLEN, PROT_READ | PROT_WRITE,
	    MAP_SHARED, &a));
	s.view = a;

	memset(&flt, 0, sizeof(flt));
	flt.frac = ps->frac;
	flt.seed = seed;
	if (ps->err == E_SHORT)
		flt.short_io = 1;
	else if (ps->err == E_DELAY)
		flt.delay_ms = 1;
	else
		flt.err = ps->err;
	/* SYS_NKIND: every kind at once */
	for (int k = 0; k < SYS_NKIND; k++)
		if (ps->kind == SYS_NKIND || (int)ps->kind == k)
			sys_fault_set((enum sys_kind)k, &flt);

	for (g_op = 1; g_op <= g_nops; g_op++) {
		uint64_t r = pick(&s, 100);

		if (r < 28)
			op_pwrite(&s);
		else if (r < 48)
			op_pread(&s);
		else if (r < 60)
			op_vwrite(&s);
		else if (r < 70)
			op_vread(&s);
		else if (r < 75)
			op_truncate(&s);
		else if (r < 85)
			op_sync(&s);
		else if (r < 89)
			op_msync(&s);
		else if (r < 92)
			op_madvise(&s);
		else if (r < 95)
			op_reopen(&s);
		else
			op_remap(&s);
		desc("size after the operation");
		CHECK_EQ(upager_size(s.f), s.size);
	}
	converge(&s);
	desc("take it down");
	if (s.view != NULL)
		CHECK_ZERO(upager_unmap(s.view, VLEN));
	CHECK_ZERO(upager_close(s.f));
	CHECK_ZERO(upager_destroy(s.pg));
	CHECK_EQ(disk_size(s.path), s.size);
	disk_check(&s, 0, s.size, "destroy");
	after = fds_now();
	fds_same(&before, &after);
	CHECK_EQ(memfd_maps(), 0);
	printf("t_faults: %-16s ok: %lu calls hit; %lu ops done, %lu failed, "
	    "%lu short, %lu SIGBUS, %lu disk checks (%.2f s)\n", name,
	    hits_of(ps->kind), s.n_ok, s.n_err, s.n_short,
	    s.n_sigbus, s.n_dcheck, mono_now() - t0);
	fflush(stdout);
	CHECK(unlink(s.path) == 0);
	free(s.mdl);
	free(s.buf);
	free(s.dbuf);
}

/* ---- UPAGER_FAULTS itself, in children with no pager yet ---- */

/*
 * env_child: fork; the child sets the environment and runs fn, whose
 * return is its exit status; the status it ended with.
 */
static int env_child(const char *faults, const char *seed,
    int (*fn)(void *), void *arg)
{
	pid_t pid;
	int st;

	fflush(NULL);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		if (faults != NULL)
			setenv("UPAGER_FAULTS", faults, 1);
		else
			unsetenv("UPAGER_FAULTS");
		if (seed != NULL)
			setenv("UPAGER_FAULTS_SEED", seed, 1);
		else
			unsetenv("UPAGER_FAULTS_SEED");
		_exit(fn(arg));
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	return st;
}

/* create_fails: upager_create says -EINVAL, twice, and a line on stderr */
static int create_fails(void *arg)
{
	struct upager_config cfg = { 0 };
	upager_t *pg = NULL;
	int p[2], r1, r2, saved;
	char msg[512];
	ssize_t n;

	(void)arg;
	CHECK(pipe(p) == 0);
	CHECK((saved = dup(2)) >= 0);
	CHECK(dup2(p[1], 2) == 2);
	r1 = upager_create(&cfg, &pg);
	r2 = upager_create(&cfg, &pg);
	CHECK(dup2(saved, 2) == 2);
	CHECK(close(p[1]) == 0);
	n = read(p[0], msg, sizeof(msg) - 1);
	CHECK(n > 0);
	msg[n] = '\0';
	CHECK_EQ(r1, -EINVAL);
	CHECK_EQ(r2, -EINVAL);
	CHECK(strstr(msg, "upager: UPAGER_FAULTS") == msg);
	/* nothing armed */
	for (int k = 0; k < SYS_NKIND; k++) {
		unsigned ms;

		CHECK_EQ(sys_decide((enum sys_kind)k, &ms), 0);
		CHECK_EQ(sys_fault_hits((enum sys_kind)k), 0);
	}
	return 0;
}

/*
 * create_works: a valid UPAGER_FAULTS: pagers are made; the faults are
 * armed once per process, so once cleared they stay cleared.
 */
static int create_works(void *arg)
{
	struct upager_config cfg = { 0 };
	upager_t *pg = NULL;
	unsigned ms;

	(void)arg;
	CHECK_ZERO(upager_create(&cfg, &pg));
	CHECK_ZERO(upager_destroy(pg));
	sys_fault_clear(SYS_NKIND);
	CHECK_ZERO(upager_create(&cfg, &pg));
	CHECK_ZERO(upager_destroy(pg));
	CHECK_EQ(sys_decide(SYS_MMAP, &ms), 0);
	CHECK_EQ(sys_fault_hits(SYS_MMAP), 0);
	return 0;
}

static int decisions(void *arg)
{
	struct upager_config cfg = { 0 };
	upager_t *pg = NULL;
	uint64_t *out = arg;
	unsigned ms;
	int i, r, nshort = 0;

	CHECK_ZERO(upager_create(&cfg, &pg));
	CHECK_ZERO(upager_destroy(pg));
	/* a pager that did no file I/O made no pread or pwrite call */
	for (i = 0; i < 5; i++) {
		r = sys_decide(SYS_PWRITE, &ms);
		CHECK_EQ(r, i >= 2 ? -EIO : 0);
		CHECK_EQ(ms, 0);
	}
	for (i = 0; i < 5; i++)
		CHECK_EQ(sys_decide(SYS_PWRITE, &ms), 0);
	CHECK_EQ(sys_fault_hits(SYS_PWRITE), 3);
	CHECK_EQ(sys_decide(SYS_FDATASYNC, &ms), -ENOSPC);
	CHECK_EQ(sys_decide(SYS_FDATASYNC, &ms), -ENOSPC);
	/* pread: short at half the calls, drawn from the seed; each delayed */
	for (i = 0; i < 4000; i++) {
		r = sys_decide(SYS_PREAD, &ms);
		CHECK(r == 0 || r == 1);
		CHECK_EQ(ms, 1);
		nshort += r;
		if (i < 64 && r)
			out[0] |= (uint64_t)1 << i;
	}
	CHECK(nshort > 1800 && nshort < 2200);
	CHECK_EQ(sys_fault_hits(SYS_PREAD), 4000);
	/* the calls before the pager: not counted here */
	return 0;
}

/* decisions_child: decisions() in a child, its first 64 draws back */
static uint64_t decisions_child(const char *seed)
{
	uint64_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0), v;
	int st;

	CHECK(shared != MAP_FAILED);
	shared[0] = 0;
	st = env_child("pwrite:EIO:skip=2:count=3,pread:short:frac=0.5,"
	    "pread:delay=1,fdatasync:ENOSPC", seed, decisions, shared);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	v = shared[0];
	CHECK(munmap(shared, 4096) == 0);
	return v;
}

static void test_env(void)
{
	static const char *const bad[] = {
		"pwrite:EIO:bogus", "nosuch:EIO", "pread", "pread:EIO:short",
		"pread:EIO:frac=2", "pread:EIO:frac=0", "pread:EIO:skip=x",
		"pwrite:EIO,", ",pwrite:EIO", "pread:delay=", "pread:EIO:count=-1",
		"pread:delay=5,pread:short,pread:EIO,pread:ENOSPC,pread:EIO",
		"PREAD:EIO", "pread:eio",
	};
	uint64_t a, b, c;
	int st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st = env_child(bad[i], NULL, create_fails, NULL);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			FAIL("UPAGER_FAULTS=\"%s\": not refused (status %#x)",
			    bad[i], st);
	}
	st = env_child("pread:EIO", "12x", create_fails, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = env_child("pwrite:EIO:skip=2:count=3,uring:EAGAIN:frac=0.01,"
	    "mmap:ENOMEM:skip=1000000,pread:short:frac=0.5,pread:delay=1",
	    "7", create_works, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the same seed, the same failures; another seed, others */
	a = decisions_child("42");
	b = decisions_child("42");
	c = decisions_child("43");
	CHECK(a != 0 && a != ~(uint64_t)0);
	CHECK_EQ(a, b);
	CHECK(a != c);
	printf("t_faults: UPAGER_FAULTS: %zu malformed values refused, "
	    "seeded fractions reproducible\n", sizeof(bad) / sizeof(bad[0]));
}

int main(int argc, char **argv)
{
	struct pass ps[128];
	const char *only = env_value("UPAGER_FAULTS_ONLY"), *s;
	int n = 0, i;
	upager_t *pg;
	double t0 = mono_now();

	g_seed = test_seed(argc, argv);
	if ((s = env_value("UPAGER_FAULTS_OPS")) != NULL)
		g_nops = strtoul(s, NULL, 0);
	g_trace = env_value("UPAGER_FAULTS_TRACE") != NULL;
	fprintf(stderr, "t_faults: seed=%" PRIu64 "\n", g_seed);
	at_abort(on_abort);
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = v_handler;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		CHECK(sigaction(SIGBUS, &sa, NULL) == 0);
		CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
	}
	/* the environment's faults are parsed once per process: check them
	 * in children before this process makes a pager */
	if (only == NULL)
		test_env();

	pg = mkpager_quiet(0);
	set_page_size(pg);
	CHECK_ZERO(upager_destroy(pg));

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++)
			ps[n++] = (struct pass){ kinds[k].kind, kinds[k].name,
			    errs[e], kinds[k].frac };
		if (kinds[k].kind == SYS_PREAD || kinds[k].kind == SYS_PWRITE) {
			ps[n++] = (struct pass){ kinds[k].kind, kinds[k].name,
			    E_SHORT, kinds[k].frac };
			ps[n++] = (struct pass){ kinds[k].kind, kinds[k].name,
			    E_DELAY, kinds[k].frac };
		}
		CHECK(n <= 128 - 7);
	}
	/* what must never be seen, at every kind at once */
	ps[n++] = (struct pass){ SYS_NKIND, "all", EINTR, FRAC };
	ps[n++] = (struct pass){ SYS_NKIND, "all", E_SHORT, FRAC };
	ps[n++] = (struct pass){ SYS_NKIND, "all", E_DELAY, 0.02 };
	for (i = 0; i < n; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s:%s", ps[i].kname,
		    err_name(ps[i].err));
		if (only != NULL && strcmp(only, ps[i].kname) != 0 &&
		    strcmp(only, name) != 0)
			continue;
		run_pass(&ps[i], g_seed + (uint64_t)i);
	}
	g_pass = "end";
	rm_test_dir();
	printf("t_faults: ok seed=%" PRIu64 " (%.1f s)\n", g_seed,
	    mono_now() - t0);
	return 0;
}
