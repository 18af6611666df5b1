/*
 * t_model.c: the model test.  Random operations run in lockstep against
 * upager and against a plain reference file driven with pread/pwrite/
 * ftruncate; every result, every size and every byte read must agree, and
 * at checkpoints the file upager wrote must equal the reference on disk.
 *
 * Mapped views take part: one or two MAP_SHARED views of the file (mostly
 * read-write, covering more than the largest size the file reaches, so
 * they need no remapping as it grows) are read and written with memcpy,
 * used as the buffer of pread/pwrite, msync'ed and madvise'd, unmapped in
 * part or whole and mapped again, kept across close and reopen or made
 * again from the new handle.  A write through a view is a pwrite of the
 * same bytes at the same offset on the reference.  Views never touch a
 * page wholly past EOF (SIGBUS); they may write the last page past EOF,
 * which must never reach the file nor change its size, and which must
 * read as zeros again once the size changes.
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
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
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
#define NVIEWS 2                        /* view slots */
#define NSEG 4                          /* mapped parts of one view */
#define VIEW_END (MAX_SIZE + MIB)       /* where a full-length view ends */
#define VIEW_MAXOFF (8 * MIB)           /* largest view offset */

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

/* the file offsets [lo, hi) a part of a view maps */
struct seg {
	off_t lo, hi;
};

/*
 * A view slot: a mapping made by upager_map at `addr` for file offsets
 * [off, end), of which the parts seg[0..nseg) (ascending, page-aligned,
 * apart) are still mapped; addr NULL: no view.
 */
struct view {
	char *addr;
	off_t off, end;
	int prot;
	char from;              /* the handle it was made from: f or g */
	int nseg;
	struct seg seg[NSEG];
};

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
	struct view v[NVIEWS];
	/* a view wrote the last page past EOF since the size last changed:
	 * those bytes need not read as zeros through a view */
	int tail_junk;
	off_t tail_size;        /* the size when tail_junk was last cleared */
	/* counters */
	unsigned long n_read, n_write, n_trunc, n_sync, n_reopen, n_second,
	    n_check, n_disk, n_ebadf;
	unsigned long n_vread, n_vwrite, n_vtail, n_vio, n_msync, n_madvise,
	    n_map, n_unmap, n_punmap, n_verr, n_rdisk;
	uint64_t bytes_read, bytes_written, bytes_vread, bytes_vwritten;
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
	/* any change of size zeroes the last page past EOF again */
	if (rsz != m->tail_size) {
		m->tail_size = rsz;
		m->tail_junk = 0;
	}
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

/* ---- mapped views ---- */

/* vaddr: the address of file offset fo in view v (fo in one of its parts) */
static char *vaddr(const struct view *v, off_t fo)
{
	return v->addr + (fo - v->off);
}

static off_t pgdown(struct model *m, off_t x)
{
	return x & ~(m->page - 1);
}

static off_t pgup(struct model *m, off_t x)
{
	return (x + m->page - 1) & ~(m->page - 1);
}

static const char *prot_name(int prot)
{
	return prot & PROT_WRITE ? "rw" : "r";
}

/*
 * the SIGSEGV/SIGBUS handler: say where, then die by the signal (a fault
 * thread sends SIGBUS with tgkill when a page cannot be had: si_code
 * SI_TKILL, and returning would not fault again)
 */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	abort_note("t_model: signal %d (si_code %d) at address %p during: "
	    "%s\n", sig, si->si_code, si->si_code == SI_TKILL ? NULL :
	    si->si_addr, g_desc);
	on_abort(sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* view_map: make a view in empty slot i, from f or from g */
static void view_map(struct model *m, int i)
{
	struct view *v = &m->v[i];
	off_t off = 0;
	size_t len;
	int prot = pick(8) == 0 ? PROT_READ : PROT_READ | PROT_WRITE;
	upager_file_t *h = m->f;
	char from = 'f';
	void *a = NULL;
	int r;

	CHECK(v->addr == NULL);
	if (pick(3) == 0)
		off = (off_t)pick((uint64_t)(VIEW_MAXOFF / m->page) + 1) *
		    m->page;
	if (pick(8) == 0)       /* a short view, the length unaligned */
		len = 1 + (size_t)pick((uint64_t)(4 * MIB));
	else
		len = (size_t)(VIEW_END - off);
	if (m->g != NULL && pick(3) == 0) {
		/* the kernel's rules: no view of an O_WRONLY descriptor, no
		 * shared writeable view without O_RDWR */
		if (m->gmode == O_WRONLY ||
		    (m->gmode == O_RDONLY && (prot & PROT_WRITE))) {
			set_desc("map(g %s, off=%lld, len=%zu, %s): want "
			    "-EACCES", mode_name(m->gmode), (long long)off,
			    len, prot_name(prot));
			r = upager_map(m->g, off, len, prot, MAP_SHARED, &a);
			if (r != -EACCES)
				FAIL("upager_map on an %s handle, %s: %d, want "
				    "-EACCES", mode_name(m->gmode),
				    prot_name(prot), r);
			m->n_verr++;
		} else {
			h = m->g;
			from = 'g';
		}
	}
	set_desc("map(v%d from %c, off=%lld, len=%zu, %s, MAP_SHARED) "
	    "size=%lld", i, from, (long long)off, len, prot_name(prot),
	    (long long)ref_size(m));
	CHECK_ZERO(upager_map(h, off, len, prot, MAP_SHARED, &a));
	CHECK(a != NULL && ((uintptr_t)a & (uintptr_t)(m->page - 1)) == 0);
	v->addr = a;
	v->off = off;
	v->end = off + pgup(m, (off_t)len);
	v->prot = prot;
	v->from = from;
	v->nseg = 1;
	v->seg[0].lo = v->off;
	v->seg[0].hi = v->end;
	m->n_map++;
}

/* view_unmap: unmap all that is left of the view in slot i */
static void view_unmap(struct model *m, int i, const char *why)
{
	struct view *v = &m->v[i];
	int k;

	if (v->addr == NULL)
		return;
	set_desc("unmap(v%d from %c) whole, %d part(s)%s", i, v->from,
	    v->nseg, why);
	for (k = 0; k < v->nseg; k++)
		CHECK_ZERO(upager_unmap(vaddr(v, v->seg[k].lo),
		    (size_t)(v->seg[k].hi - v->seg[k].lo)));
	memset(v, 0, sizeof(*v));
	m->n_unmap++;
}

/* nviews: how many slots hold a view */
static int nviews(struct model *m)
{
	int i, n = 0;

	for (i = 0; i < NVIEWS; i++)
		n += m->v[i].addr != NULL;
	return n;
}

/*
 * pick_part: a mapped part of a view (writeable if `wr`) holding some of
 * the file offsets [lo, hi); the offsets it maps there in [*plo, *phi).
 * Returns the view, or NULL if there is none.
 */
static struct view *pick_part(struct model *m, int wr, off_t lo, off_t hi,
    off_t *plo, off_t *phi, int *slot)
{
	struct { int i, k; } c[NVIEWS * NSEG];
	int n = 0, i, k, j;

	for (i = 0; i < NVIEWS; i++) {
		struct view *v = &m->v[i];

		if (v->addr == NULL || (wr && !(v->prot & PROT_WRITE)))
			continue;
		for (k = 0; k < v->nseg; k++)
			if (v->seg[k].lo < hi && v->seg[k].hi > lo) {
				c[n].i = i;
				c[n++].k = k;
			}
	}
	if (n == 0)
		return NULL;
	j = (int)pick((uint64_t)n);
	i = c[j].i;
	k = c[j].k;
	*plo = m->v[i].seg[k].lo > lo ? m->v[i].seg[k].lo : lo;
	*phi = m->v[i].seg[k].hi < hi ? m->v[i].seg[k].hi : hi;
	*slot = i;
	return &m->v[i];
}

/* pick_in: an offset in [lo, hi), often where pick_off would go */
static off_t pick_in(struct model *m, off_t size, off_t lo, off_t hi)
{
	off_t off = pick_off(m, size);

	if (off < lo || off >= hi)
		off = lo + (off_t)pick((uint64_t)(hi - lo));
	return off;
}

/*
 * pick_vlen: a length for a copy through a view at off that stays below
 * hi: as pick_len, but the large ones rarer and at most 2 MiB (still
 * twice the budget of pass 1): every page of a copy into a view is a
 * fault of its own
 */
static size_t pick_vlen(struct model *m, off_t off, off_t hi)
{
	size_t len = pick_len(m);

	if (len > (size_t)(256 * KIB) && pick(3) != 0)
		len = 1 + (size_t)pick((uint64_t)(256 * KIB));
	else if (len > (size_t)(2 * MIB))
		len = 1 + (size_t)pick((uint64_t)(2 * MIB));

	if ((off_t)len > hi - off)
		len = (size_t)(hi - off);
	return len;
}

/* vcompare: len bytes got from file offset off equal the reference */
static void vcompare(struct model *m, const unsigned char *got, size_t len,
    off_t off, const char *what)
{
	size_t want = fd_pread_full(m->ref, m->ebuf, len, off), i;

	if (want != len)
		FAIL("%s: the reference has %zu bytes at %lld, want %zu",
		    what, want, (long long)off, len);
	if ((i = mem_diff(got, m->ebuf, len)) < len)
		FAIL("%s: data differs from the reference at file offset "
		    "%lld (byte %zu of %zu): %#x != %#x", what,
		    (long long)off + (long long)i, i, len, got[i],
		    m->ebuf[i]);
}

/* op_vread: memcpy out of a view, within the file */
static void op_vread(struct model *m)
{
	off_t size = ref_size(m), lo, hi, off;
	struct view *v;
	size_t len;
	int i;

	if ((v = pick_part(m, 0, 0, size, &lo, &hi, &i)) == NULL)
		return;
	off = pick_in(m, size, lo, hi);
	len = pick_vlen(m, off, hi);
	set_desc("view read(v%d, len=%zu, off=%lld) size=%lld", i, len,
	    (long long)off, (long long)size);
	memcpy(m->rbuf, vaddr(v, off), len);
	vcompare(m, m->rbuf, len, off, "view read");
	m->last_end = off + (off_t)len;
	m->n_vread++;
	m->bytes_vread += len;
}

/* op_vwrite: memcpy into a view, within the file */
static void op_vwrite(struct model *m)
{
	off_t size = ref_size(m), lo, hi, off;
	struct view *v;
	size_t len;
	int i;

	if ((v = pick_part(m, 1, 0, size, &lo, &hi, &i)) == NULL)
		return;
	off = pick_in(m, size, lo, hi);
	len = pick_vlen(m, off, hi);
	fill_random(m->wbuf, len);
	set_desc("view write(v%d, len=%zu, off=%lld) size=%lld", i, len,
	    (long long)off, (long long)size);
	memcpy(vaddr(v, off), m->wbuf, len);
	fd_pwrite_full(m->ref, m->wbuf, len, off);
	m->last_end = off + (off_t)len;
	m->n_vwrite++;
	m->bytes_vwritten += len;
}

/*
 * op_vtail: a copy through the last page, ending past EOF: a read sees
 * the file, then zeros (unless a view wrote there since the size last
 * changed); a write changes the file only up to EOF.
 */
static void op_vtail(struct model *m)
{
	off_t size = ref_size(m), eof = pgup(m, size), lo, hi, x, y, in;
	int wr = pick(2), i, k;
	struct view *v;
	size_t len, j;

	if (size == eof ||
	    (v = pick_part(m, wr, size, eof, &lo, &hi, &i)) == NULL)
		return;
	/* the part starts before EOF (it is page-aligned): the copy may
	 * start up to two pages before EOF, where the part allows */
	for (k = 0; !(v->seg[k].lo <= lo && lo < v->seg[k].hi); k++)
		;
	y = size + 1 + (off_t)pick((uint64_t)(hi - size));
	x = size - (off_t)pick((uint64_t)(2 * m->page));
	if (x < v->seg[k].lo)
		x = v->seg[k].lo;
	len = (size_t)(y - x);
	in = x < size ? size - x : 0;   /* bytes of that within the file */
	if (wr) {
		fill_random(m->wbuf, len);
		set_desc("view write past EOF(v%d, len=%zu, off=%lld) "
		    "size=%lld", i, len, (long long)x, (long long)size);
		memcpy(vaddr(v, x), m->wbuf, len);
		fd_pwrite_full(m->ref, m->wbuf, (size_t)in, x);
		m->tail_junk = 1;
	} else {
		set_desc("view read past EOF(v%d, len=%zu, off=%lld) "
		    "size=%lld%s", i, len, (long long)x, (long long)size,
		    m->tail_junk ? " (written past EOF)" : "");
		memcpy(m->rbuf, vaddr(v, x), len);
		vcompare(m, m->rbuf, (size_t)in, x, "view read at EOF");
		if (!m->tail_junk)
			for (j = (size_t)in; j < len; j++)
				if (m->rbuf[j] != 0)
					FAIL("view read at EOF: byte %lld, past "
					    "EOF %lld, is %#x, not 0",
					    (long long)x + (long long)j,
					    (long long)size, m->rbuf[j]);
	}
	m->n_vtail++;
}

/*
 * compare_range: after a write-back of file offsets [lo, hi), the file on
 * disk holds there what the reference holds; past the end on disk the
 * reference has zeros only (nothing there was written).
 */
static void compare_range(struct model *m, off_t lo, off_t hi,
    const char *why)
{
	off_t rsz = ref_size(m);
	int fd;

	if (hi > rsz)
		hi = rsz;
	if (lo >= hi)
		return;
	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	for (; lo < hi; lo += (off_t)CMP_CHUNK) {
		size_t n = (size_t)(hi - lo) < CMP_CHUNK ? (size_t)(hi - lo) :
		    CMP_CHUNK;
		size_t a = fd_pread_full(fd, m->rbuf, n, lo);
		size_t b = fd_pread_full(m->ref, m->ebuf, n, lo);
		size_t i = mem_diff(m->rbuf, m->ebuf, a);

		CHECK(b == n);
		if (i < a)
			FAIL("after %s: file on disk differs from the "
			    "reference at byte %lld (%#x != %#x)", why,
			    (long long)lo + (long long)i, m->rbuf[i],
			    m->ebuf[i]);
		for (i = a; i < n; i++)
			if (m->ebuf[i] != 0)
				FAIL("after %s: the file on disk ends at "
				    "%lld, but byte %lld (%#x) was written",
				    why, (long long)lo + (long long)a,
				    (long long)lo + (long long)i, m->ebuf[i]);
	}
	CHECK(close(fd) == 0);
	m->n_rdisk++;
}

/* pick_vrange: page-aligned [*lo, *lo + *len) inside a mapped part (len
 * maybe unaligned, its end rounded up inside); NULL if nothing is mapped */
static struct view *pick_vrange(struct model *m, off_t *lo, size_t *len,
    int *slot)
{
	off_t plo, phi, pages, a, n;
	struct view *v = pick_part(m, 0, 0, VIEW_END, &plo, &phi, slot);

	if (v == NULL)
		return NULL;
	pages = (phi - plo) / m->page;
	switch (pick(4)) {
	case 0:                                 /* the whole part */
		a = 0;
		n = pages;
		break;
	case 1:                                 /* around EOF */
		a = pgdown(m, ref_size(m)) / m->page - (plo / m->page) -
		    (off_t)pick(8);
		if (a < 0)
			a = 0;
		if (a >= pages)
			a = (off_t)pick((uint64_t)pages);
		n = 1 + (off_t)pick(16);
		break;
	case 2:                                 /* small */
		a = (off_t)pick((uint64_t)pages);
		n = 1 + (off_t)pick(64);
		break;
	default:                                /* up to 4 MiB */
		a = (off_t)pick((uint64_t)pages);
		n = 1 + (off_t)pick((uint64_t)(4 * MIB / m->page));
		break;
	}
	if (n > pages - a)
		n = pages - a;
	*lo = plo + a * m->page;
	*len = (size_t)(n * m->page);
	if (pick(4) == 0)
		*len -= (size_t)pick((uint64_t)m->page);
	return v;
}

/* reread: after an msync or madvise of [lo, hi) of view v (in one of
 * its parts), read up to 64 KiB of it back through the view, in the file */
static void reread(struct model *m, struct view *v, off_t lo, off_t hi,
    const char *what)
{
	off_t size = ref_size(m), off;
	size_t len;

	if (hi > size)
		hi = size;
	if (lo >= hi || pick(2))
		return;
	off = lo + (off_t)pick((uint64_t)(hi - lo));
	len = 1 + (size_t)pick((uint64_t)(64 * KIB));
	if ((off_t)len > hi - off)
		len = (size_t)(hi - off);
	memcpy(m->rbuf, vaddr(v, off), len);
	vcompare(m, m->rbuf, len, off, what);
}

static void op_msync(struct model *m)
{
	static const struct { int fl; const char *name; } f[] = {
		{ MS_ASYNC, "MS_ASYNC" },
		{ MS_INVALIDATE, "MS_INVALIDATE" },
		{ MS_ASYNC | MS_INVALIDATE, "MS_ASYNC|MS_INVALIDATE" },
		{ MS_SYNC, "MS_SYNC" },
		{ MS_SYNC | MS_INVALIDATE, "MS_SYNC|MS_INVALIDATE" },
	};
	struct view *v;
	off_t lo;
	size_t len;
	int i, k;

	if ((v = pick_vrange(m, &lo, &len, &i)) == NULL)
		return;
	k = (int)pick(5);
	/* MS_SYNC means fdatasync: keep it rare, it is slow */
	if (k >= 3 && pick(8) != 0)
		k -= 3;
	set_desc("msync(v%d, off=%lld, len=%zu, %s) size=%lld", i,
	    (long long)lo, len, f[k].name, (long long)ref_size(m));
	CHECK_ZERO(upager_msync(vaddr(v, lo), len, f[k].fl));
	/* MS_SYNC and MS_INVALIDATE write back what the range holds */
	if (f[k].fl & (MS_SYNC | MS_INVALIDATE))
		compare_range(m, lo, pgup(m, lo + (off_t)len), "msync");
	reread(m, v, lo, pgup(m, lo + (off_t)len), "view read after msync");
	m->n_msync++;
}

static void op_madvise(struct model *m)
{
	static const struct { int adv; const char *name; } a[] = {
		{ MADV_DONTNEED, "DONTNEED" },
		{ MADV_WILLNEED, "WILLNEED" },
		{ MADV_SEQUENTIAL, "SEQUENTIAL" },
		{ MADV_RANDOM, "RANDOM" },
		{ MADV_NORMAL, "NORMAL" },
	};
	struct view *v;
	off_t lo;
	size_t len;
	int i, k = (int)pick(5);

	if ((v = pick_vrange(m, &lo, &len, &i)) == NULL)
		return;
	set_desc("madvise(v%d, off=%lld, len=%zu, MADV_%s) size=%lld", i,
	    (long long)lo, len, a[k].name, (long long)ref_size(m));
	CHECK_ZERO(upager_madvise(vaddr(v, lo), len, a[k].adv));
	reread(m, v, lo, pgup(m, lo + (off_t)len), "view read after madvise");
	m->n_madvise++;
}

/* disjoint: no page holds bytes of both [a, a + n) and [b, b + n) */
static int disjoint(struct model *m, off_t a, off_t b, size_t n)
{
	return pgup(m, a + (off_t)n) <= pgdown(m, b) ||
	    pgup(m, b + (off_t)n) <= pgdown(m, a);
}

/*
 * op_vio: pread into a view or pwrite from one: the other side of the
 * copy is another part of the same file (never sharing a page with it).
 */
static void op_vio(struct model *m)
{
	off_t size = ref_size(m), lo, hi, voff, foff;
	int mode, i, rd = pick(2);
	char which;
	upager_file_t *h;
	struct view *v;
	ssize_t got, want;
	size_t len;

	if ((v = pick_part(m, rd, 0, size, &lo, &hi, &i)) == NULL)
		return;
	voff = pick_in(m, size, lo, hi);
	len = pick_vlen(m, voff, hi);
	foff = pick_off(m, size);
	if (!disjoint(m, voff, foff, len))
		return;
	h = pick_handle(m, &mode, &which);
	if (rd) {
		set_desc("pread(%c, v%d at %lld, len=%zu, off=%lld) size=%lld",
		    which, i, (long long)voff, len, (long long)foff,
		    (long long)size);
		got = upager_pread(h, vaddr(v, voff), len, foff);
		if (refused(m, "pread", mode, O_WRONLY, got))
			return;
		want = (ssize_t)fd_pread_full(m->ref, m->ebuf, len, foff);
		if (got != want)
			FAIL("pread into a view returned %zd (%s), reference "
			    "%zd", got, got < 0 ? upager_strerror((int)got) :
			    "ok", want);
		fd_pwrite_full(m->ref, m->ebuf, (size_t)want, voff);
		memcpy(m->rbuf, vaddr(v, voff), (size_t)want);
		vcompare(m, m->rbuf, (size_t)want, voff, "pread into a view");
		m->bytes_read += (uint64_t)want;
	} else {
		set_desc("pwrite(%c, v%d at %lld, len=%zu, off=%lld) size=%lld",
		    which, i, (long long)voff, len, (long long)foff,
		    (long long)size);
		CHECK(fd_pread_full(m->ref, m->wbuf, len, voff) == len);
		got = upager_pwrite(h, vaddr(v, voff), len, foff);
		if (refused(m, "pwrite", mode, O_RDONLY, got))
			return;
		fd_pwrite_full(m->ref, m->wbuf, len, foff);
		if (got != (ssize_t)len)
			FAIL("pwrite from a view returned %zd (%s), want %zu",
			    got, got < 0 ? upager_strerror((int)got) : "ok",
			    len);
		m->bytes_written += len;
	}
	m->last_end = foff + (off_t)len;
	m->n_vio++;
}

/* op_punmap: unmap part of a view: its head, its tail, a middle (which
 * splits it) or, if the view has other parts, a whole part */
static void op_punmap(struct model *m)
{
	off_t lo, hi, pages, a, b;
	struct view *v;
	struct seg *s;
	int i, k, kind;

	if ((v = pick_part(m, 0, 0, VIEW_END, &lo, &hi, &i)) == NULL)
		return;
	for (k = 0; v->seg[k].lo != lo; k++)
		;
	s = &v->seg[k];
	pages = (s->hi - s->lo) / m->page;
	kind = (int)pick(4);
	if (kind == 3 && v->nseg == 1)
		kind = (int)pick(3);
	if (pages < 2 && kind != 3)
		return;
	if (kind == 2 && (v->nseg == NSEG || pages < 3))
		kind = (int)pick(2);
	switch (kind) {
	case 0:                                 /* the head */
		a = s->lo;
		b = s->lo + (1 + (off_t)pick((uint64_t)(pages - 1))) * m->page;
		break;
	case 1:                                 /* the tail */
		a = s->lo + (1 + (off_t)pick((uint64_t)(pages - 1))) * m->page;
		b = s->hi;
		break;
	case 2:                                 /* a middle */
		a = s->lo + (1 + (off_t)pick((uint64_t)(pages - 2))) * m->page;
		b = a + (1 + (off_t)pick((uint64_t)((s->hi - a) / m->page -
		    1))) * m->page;
		break;
	default:                                /* the whole part */
		a = s->lo;
		b = s->hi;
		break;
	}
	set_desc("unmap(v%d, off=%lld, len=%lld) of part [%lld, %lld)", i,
	    (long long)a, (long long)(b - a), (long long)s->lo,
	    (long long)s->hi);
	CHECK_ZERO(upager_unmap(vaddr(v, a), (size_t)(b - a)));
	if (a == s->lo && b == s->hi) {
		memmove(s, s + 1, (size_t)(v->nseg - k - 1) * sizeof(*s));
		v->nseg--;
	} else if (a == s->lo) {
		s->lo = b;
	} else if (b == s->hi) {
		s->hi = a;
	} else {
		memmove(s + 2, s + 1, (size_t)(v->nseg - k - 1) * sizeof(*s));
		s[1].lo = b;
		s[1].hi = s->hi;
		s->hi = a;
		v->nseg++;
	}
	m->n_punmap++;
}

/* mapped_at: whether any view part maps an address in [a, b) */
static int mapped_at(struct model *m, const char *a, const char *b)
{
	int i, k;

	for (i = 0; i < NVIEWS; i++)
		for (k = 0; k < m->v[i].nseg; k++) {
			const struct view *v = &m->v[i];

			if (vaddr(v, v->seg[k].lo) < b &&
			    vaddr(v, v->seg[k].hi) > a)
				return 1;
		}
	return 0;
}

/*
 * op_verr: calls on ranges that are not all views fail, doing nothing:
 * a part and the page after it (unmapped: never a view of ours) give
 * -ENOMEM; and msync with MS_SYNC|MS_ASYNC gives -EINVAL.
 */
static void op_verr(struct model *m)
{
	off_t lo, hi;
	struct view *v;
	char *a, *end;
	size_t len;
	int i, r;

	if ((v = pick_part(m, 0, 0, VIEW_END, &lo, &hi, &i)) == NULL)
		return;
	a = vaddr(v, lo);
	end = vaddr(v, hi);
	if (pick(4) == 0) {
		set_desc("msync(v%d, off=%lld, MS_SYNC|MS_ASYNC): want -EINVAL",
		    i, (long long)lo);
		r = upager_msync(a, (size_t)m->page, MS_SYNC | MS_ASYNC);
		if (r != -EINVAL)
			FAIL("msync with MS_SYNC|MS_ASYNC: %d, want -EINVAL", r);
		m->n_verr++;
		return;
	}
	if (mapped_at(m, end, end + m->page))
		return;
	len = (size_t)(end - a) + (size_t)m->page;
	switch (pick(3)) {
	case 0:
		set_desc("unmap(v%d, off=%lld, len=%zu) past its part: want "
		    "-ENOMEM", i, (long long)lo, len);
		r = upager_unmap(a, len);
		break;
	case 1:
		set_desc("msync(v%d, off=%lld, len=%zu, MS_ASYNC) past its "
		    "part: want -ENOMEM", i, (long long)lo, len);
		r = upager_msync(a, len, MS_ASYNC);
		break;
	default:
		set_desc("madvise(v%d, off=%lld, len=%zu, MADV_DONTNEED) past "
		    "its part: want -ENOMEM", i, (long long)lo, len);
		r = upager_madvise(a, len, MADV_DONTNEED);
		break;
	}
	if (r != -ENOMEM)
		FAIL("a range running past a view: %d, want -ENOMEM", r);
	m->n_verr++;
}

/* op_remap: unmap a view (if any) and map one in its place */
static void op_remap(struct model *m)
{
	int i = (int)pick(NVIEWS);

	if (m->v[i].addr != NULL) {
		view_unmap(m, i, "");
		/* now and then, leave the slot empty for a while */
		if (nviews(m) > 0 && pick(3) == 0)
			return;
	}
	view_map(m, i);
}

/* a view operation: a fifth of all */
static void op_view(struct model *m)
{
	uint64_t r = pick(1000);

	if (nviews(m) == 0) {
		view_map(m, (int)pick(NVIEWS));
		return;
	}
	if (r < 330)
		op_vread(m);
	else if (r < 660)
		op_vwrite(m);
	else if (r < 720)
		op_vtail(m);
	else if (r < 800)
		op_msync(m);
	else if (r < 870)
		op_madvise(m);
	else if (r < 920)
		op_vio(m);
	else if (r < 950)
		op_remap(m);
	else if (r < 980)
		op_punmap(m);
	else
		op_verr(m);
}

/*
 * Around a close and reopen of f: each view is either kept (it outlives
 * the handle) or made again from the new handle, unmapped before the
 * close or after it.
 */
static void views_before_close(struct model *m, int remap[NVIEWS])
{
	int i;

	for (i = 0; i < NVIEWS; i++) {
		remap[i] = m->v[i].addr != NULL && pick(2);
		if (remap[i] && pick(2))
			view_unmap(m, i, " before the close");
	}
}

/*
 * views_while_closed: with no handle open, the views that are left still
 * read and write the file's pages (they hold the object): a few copies.
 */
static void views_while_closed(struct model *m)
{
	int n = nviews(m) > 0 && pick(2) ? 1 + (int)pick(3) : 0;

	while (n-- > 0) {
		uint64_t r = pick(10);

		if (r < 4)
			op_vread(m);
		else if (r < 8)
			op_vwrite(m);
		else
			op_vtail(m);
	}
}

static void views_after_open(struct model *m, const int remap[NVIEWS])
{
	int i;

	for (i = 0; i < NVIEWS; i++) {
		if (!remap[i])
			continue;
		view_unmap(m, i, " after the close");
		view_map(m, i);
	}
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
	int remap[NVIEWS];

	views_before_close(m, remap);
	set_desc("close(f) and reopen as %s%s", name,
	    trunc ? " with O_TRUNC" : "");
	CHECK_ZERO(upager_close(m->f));
	m->f = NULL;
	if (m->g == NULL)
		views_while_closed(m);
	m->f = uopen(m->pg, name, O_RDWR | (trunc ? O_TRUNC : 0));
	if (trunc)
		CHECK(ftruncate(m->ref, 0) == 0);
	views_after_open(m, remap);
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
		int remap[NVIEWS];

		/* the close writes back what the views wrote too, those
		 * that stay mapped included */
		views_before_close(m, remap);
		set_desc("checkpoint: close all handles, compare the file "
		    "(%d view(s) mapped)", nviews(m));
		if (m->g != NULL) {
			CHECK_ZERO(upager_close(m->g));
			m->g = NULL;
		}
		CHECK_ZERO(upager_close(m->f));
		m->f = NULL;
		compare_disk(m, "close");
		views_while_closed(m);
		m->f = uopen(m->pg, pick_name(m), O_RDWR);
		views_after_open(m, remap);
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
	m->tail_junk = 0;
	m->tail_size = ref_size(m);
	/* one or two views from the start */
	view_map(m, 0);
	if (pick(2))
		view_map(m, 1);
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

		if (pick(5) == 0)
			op_view(m);
		else if (r1000 < 420)
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
	/* views: unmapped first, or left for destroy to unmap (after it
	 * harvests what they wrote) */
	if (pick(2))
		for (int i = 0; i < NVIEWS; i++)
			view_unmap(m, i, " at the end of the pass");
	if (pick(2)) {
		set_desc("end of pass: close handles, destroy (%d view(s) "
		    "mapped)", nviews(m));
		if (m->g != NULL)
			CHECK_ZERO(upager_close(m->g));
		CHECK_ZERO(upager_close(m->f));
	} else {
		set_desc("end of pass: destroy with handles open (%d view(s) "
		    "mapped)", nviews(m));
	}
	m->f = m->g = NULL;
	CHECK_ZERO(upager_destroy(m->pg));
	memset(m->v, 0, sizeof(m->v));
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
	{
		/* a view access that faults: say which operation */
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fault;
		sa.sa_flags = (int)(SA_SIGINFO | SA_RESETHAND);
		sigemptyset(&sa.sa_mask);
		CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
		CHECK(sigaction(SIGBUS, &sa, NULL) == 0);
	}

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
	    "%.1f MiB written; views: reads %lu, writes %lu, at EOF %lu, "
	    "pread/pwrite %lu, msyncs %lu (range compares %lu), madvises "
	    "%lu, maps %lu, unmaps %lu, partial unmaps %lu, errors %lu; "
	    "%.1f MiB read, %.1f MiB written; pass 2 %s) in %.1f s\n",
	    g_seed, g_nops,
	    m.n_read, m.n_write, m.n_trunc, m.n_sync, m.n_reopen,
	    m.n_second, m.n_ebadf, m.n_check, m.n_disk,
	    (double)m.bytes_read / (double)MIB,
	    (double)m.bytes_written / (double)MIB,
	    m.n_vread, m.n_vwrite, m.n_vtail, m.n_vio, m.n_msync, m.n_rdisk,
	    m.n_madvise, m.n_map, m.n_unmap, m.n_punmap, m.n_verr,
	    (double)m.bytes_vread / (double)MIB,
	    (double)m.bytes_vwritten / (double)MIB,
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
