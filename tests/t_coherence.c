/*
 * t_coherence.c: the coherence matrix of views and pread/pwrite
 *
 * Four actors share one file: view A (MAP_SHARED at offset 0), view B
 * (MAP_SHARED at a later page overlapping A), the pread/pwrite path, and a
 * MAP_PRIVATE view P.  For every ordered pair (writer, reader) the writer
 * writes a distinct pattern (within a page, across page boundaries, in the
 * last partial page) and the reader must see it at once, with no sync in
 * between; P's writes must be seen by nobody else nor reach the file.
 * Then the file on disk must hold exactly the shared writes after
 * upager_msync, after upager_close with the views still mapped (a view
 * outlives its handle), after the last unmap and destroy, and after a
 * destroy with views still mapped.  Truncation shrinks what views see
 * (SIGBUS past the new end) and growing reads as zeros; bytes past EOF in
 * the last page read as zeros and never reach the file.
 *
 * The file starts with a hole in the middle, which some of the writes
 * fill.  Each variant runs twice: with a budget larger than the file, and
 * with a 256 KiB budget for a 1 MiB file, where every write is followed by
 * a read of the whole file so that pages are evicted and refaulted in
 * between.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "testlib.h"

enum { VA, VB, IO, VP, NACT };
static const char *const actname[NACT] = {
	"view A", "view B", "pread/pwrite", "private view P"
};

/* what the test is doing, for failure messages */
static char ctx[256];

/* EXPECT_SIG: an access to p raises sig, reported at p. */
#define EXPECT_SIG(p, write, sig) do { \
	char *es_p_ = (char *)(p); \
	int es_s_ = probe(es_p_, (write), 0x5A); \
	if (es_s_ != (sig)) \
		FAIL("%s: %s at %p: signal %d, want %d", ctx, \
		    (write) ? "write" : "read", (void *)es_p_, es_s_, (sig)); \
	if (probe_addr != (void *)es_p_) \
		FAIL("%s: si_addr %p, want %p", ctx, probe_addr, \
		    (void *)es_p_); \
} while (0)

/* EXPECT_NOSIG: an access to p works. */
#define EXPECT_NOSIG(p, write) do { \
	int en_s_ = probe((char *)(p), (write), 0); \
	if (en_s_ != 0) \
		FAIL("%s: access at %p: signal %d", ctx, (void *)(p), en_s_); \
} while (0)

/* ---- the actors and the model of what each must see ---- */

struct co {
	upager_t *pg;
	upager_file_t *f;          /* NULL once closed */
	const char *path;
	size_t size;               /* the file size */
	size_t cap;                /* bytes the models hold */
	unsigned char *model;      /* the file: shared writes, zeros past EOF */
	unsigned char *pmodel;     /* P's private pages */
	unsigned char *pcow;       /* per page: P has its own copy */
	unsigned char *exp, *buf, *src;
	char *v[NACT];             /* the views (NULL for IO) */
	size_t voff[NACT], vlen[NACT];
	bool churn;
	unsigned seed;
};

static size_t rup(size_t x)
{
	return (x + PG - 1) / PG * PG;
}

static void map_view(struct co *c, int who, size_t off, size_t len,
    int flags)
{
	void *a = NULL;

	CHECK_ZERO(upager_map(c->f, (off_t)off, len, PROT_READ | PROT_WRITE,
	    flags, &a));
	CHECK(a != NULL && ((uintptr_t)a & (PG - 1)) == 0);
	c->v[who] = a;
	c->voff[who] = off;
	c->vlen[who] = len;
}

static void unmap_view(struct co *c, int who)
{
	CHECK_ZERO(upager_unmap(c->v[who], c->vlen[who]));
	c->v[who] = NULL;
}

/* in_view: [off, off + len) lies in the view. */
static char *in_view(struct co *c, int who, size_t off, size_t len)
{
	if (c->v[who] == NULL || off < c->voff[who] ||
	    off + len > c->voff[who] + c->vlen[who])
		FAIL("%s: [%zu, +%zu) not in %s", ctx, off, len, actname[who]);
	return c->v[who] + (off - c->voff[who]);
}

/* act_write: `who` writes the pattern of seed at [off, off + len). */
static void act_write(struct co *c, int who, size_t off, size_t len,
    unsigned seed)
{
	size_t pn;

	CHECK(off + len <= c->cap);
	fill(c->src, len, off, seed);
	if (who == IO) {
		CHECK(c->f != NULL);
		UWRITE(c->f, c->src, len, (off_t)off);
	} else {
		CHECK(off + len <= c->size);  /* views never extend the file */
		memcpy(in_view(c, who, off, len), c->src, len);
	}
	if (who == VP) {
		/* each page P touches becomes its own copy of the file's */
		for (pn = off / PG; pn <= (off + len - 1) / PG; pn++)
			if (!c->pcow[pn]) {
				memcpy(c->pmodel + pn * PG, c->model + pn * PG,
				    PG);
				c->pcow[pn] = 1;
			}
		memcpy(c->pmodel + off, c->src, len);
	} else {
		memcpy(c->model + off, c->src, len);
		if (off + len > c->size)
			c->size = off + len;
	}
}

/* expected: what `who` must see at [off, off + len), into c->exp. */
static void expected(struct co *c, int who, size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		size_t o = off + i;

		c->exp[i] = who == VP && c->pcow[o / PG] ? c->pmodel[o] :
		    c->model[o];
	}
}

/* act_check: `who` reads [off, off + len) and sees what it must. */
static void act_check(struct co *c, int who, size_t off, size_t len)
{
	const unsigned char *got;
	size_t d;

	expected(c, who, off, len);
	if (who == IO) {
		ssize_t r;

		CHECK(c->f != NULL);
		r = upager_pread(c->f, c->buf, len, (off_t)off);
		if (r != (ssize_t)len)
			FAIL("%s: pread [%zu, +%zu): %zd", ctx, off, len, r);
		got = c->buf;
	} else {
		got = (const unsigned char *)in_view(c, who, off, len);
	}
	if ((d = mem_diff(got, c->exp, len)) != len)
		FAIL("%s: %s reads %#x at %zu (page %zu), want %#x", ctx,
		    actname[who], got[d], off + d, (off + d) / PG, c->exp[d]);
}

/* check_eof_zeros: the bytes of the last page past EOF read as zeros. */
static void check_eof_zeros(struct co *c, int who)
{
	size_t end = rup(c->size), i;
	const char *p;

	if (end == c->size)
		return;
	p = in_view(c, who, c->size, end - c->size);
	for (i = 0; i < end - c->size; i++)
		if (p[i] != 0)
			FAIL("%s: %s: byte %zu past EOF (%zu) is %#x", ctx,
			    actname[who], c->size + i, c->size,
			    (unsigned char)p[i]);
}

/* churn: read the whole file once (through pread, or view A once the
 * handle is closed), so that with a small budget every page is evicted
 * and later refaulted; what is read must be the model. */
static void churn(struct co *c)
{
	size_t d;

	if (!c->churn)
		return;
	if (c->f != NULL) {
		CHECK_EQ(upager_pread(c->f, c->buf, c->size + PG, 0), c->size);
		d = mem_diff(c->buf, c->model, c->size);
	} else {
		d = mem_diff(in_view(c, VA, 0, c->size), c->model, c->size);
	}
	if (d != c->size)
		FAIL("%s: churn read differs at %zu (page %zu)", ctx, d,
		    d / PG);
}

/* disk_range: the file on disk holds model[off, off + len). */
static void disk_range(struct co *c, size_t off, size_t len)
{
	size_t d;

	CHECK_EQ(disk_read(c->path, c->buf, len, (off_t)off), len);
	if ((d = mem_diff(c->buf, c->model + off, len)) != len)
		FAIL("%s: disk has %#x at %zu (page %zu), want %#x", ctx,
		    c->buf[d], off + d, (off + d) / PG, c->model[off + d]);
}

static void disk_all(struct co *c)
{
	CHECK_EQ(disk_size(c->path), c->size);
	disk_range(c, 0, c->size);
}

/* ---- the matrix ---- */

#define NRANGE 5
#define PAIR_PAGES 6

/* range t of pair k: within a page, across one boundary, across several,
 * the last partial page to EOF, across into the last partial page */
static void range_of(struct co *c, size_t base, int t, size_t *off,
    size_t *len)
{
	size_t tail = c->size % PG, last = c->size - tail;

	CHECK(tail >= 200);
	switch (t) {
	case 0:
		*off = base + 100;
		*len = 200;
		break;
	case 1:
		*off = base + 2 * PG - 37;
		*len = 100;
		break;
	case 2:
		*off = base + 2 * PG + PG / 2 + 3;
		*len = 2 * PG + 11;
		break;
	case 3:
		*off = c->size - tail / 2;
		*len = tail / 2;
		break;
	default:
		*off = last - 50;
		*len = 50 + tail - 1;
		break;
	}
}

static void matrix(struct co *c, size_t offb)
{
	/* P writes last: until then it has no private page, and is a
	 * reader of the file like the others */
	static const int order[NACT] = { VA, VB, IO, VP };
	int wi, r, t, k = 0;

	for (wi = 0; wi < NACT; wi++) {
		int w = order[wi];

		for (r = 0; r < NACT; r++) {
			size_t base = offb + (size_t)(2 + k * PAIR_PAGES) * PG;

			if (r == w)
				continue;
			CHECK(base + PAIR_PAGES * PG < c->size - PG);
			for (t = 0; t < NRANGE; t++) {
				size_t off, len;
				unsigned seed = ++c->seed;

				range_of(c, base, t, &off, &len);
				snprintf(ctx, sizeof(ctx), "%s -> %s, range %d "
				    "[%zu, +%zu)", actname[w], actname[r], t,
				    off, len);
				act_write(c, w, off, len, seed);
				churn(c);
				act_check(c, r, off, len);
				if (w == VP) {
					/* the others did not see it: the
					 * check above read the file's data,
					 * which must differ from P's */
					CHECK(memcmp(c->pmodel + off,
					    c->model + off, len) != 0);
					act_check(c, VA, off, len);
					act_check(c, VP, off, len);
				} else {
					act_check(c, w, off, len);
				}
				PCHECK(c->pg);
			}
			k++;
		}
	}
}

/* check_all: every actor sees the whole file as the model says. */
static void check_all(struct co *c)
{
	int who;

	for (who = 0; who < NACT; who++) {
		if (who == IO ? c->f == NULL : c->v[who] == NULL)
			continue;
		if (who == VB)
			act_check(c, who, c->voff[VB], c->size - c->voff[VB]);
		else
			act_check(c, who, 0, c->size);
		if (who != IO)
			check_eof_zeros(c, who);
	}
}

/* ---- truncation through upager_truncate, seen by views ---- */

static void set_size(struct co *c, size_t nsize)
{
	size_t pn;

	CHECK_ZERO(upager_truncate(c->f, (off_t)nsize));
	if (nsize < c->size) {
		memset(c->model + nsize, 0, c->cap - nsize);
		/* the kernel drops private copies past the new end */
		for (pn = rup(nsize) / PG; pn < c->cap / PG; pn++)
			c->pcow[pn] = 0;
	}
	c->size = nsize;
	CHECK_EQ(upager_size(c->f), nsize);
}

static void truncation(struct co *c)
{
	size_t old = c->size, s2 = old - 20 * PG - 700, g, i;
	int who;

	snprintf(ctx, sizeof(ctx), "shrink to %zu", s2);
	set_size(c, s2);
	PCHECK(c->pg);
	check_all(c);
	/* pages wholly past the new end: SIGBUS, through every view; P's
	 * private copy of the old last page went with it */
	for (who = 0; who < NACT; who++) {
		if (who == IO)
			continue;
		EXPECT_SIG(in_view(c, who, rup(s2), 1), false, SIGBUS);
		EXPECT_SIG(in_view(c, who, rup(s2) + 3 * PG + 5, 1), true,
		    SIGBUS);
		EXPECT_SIG(in_view(c, who, old - 1, 1), false, SIGBUS);
	}
	CHECK_EQ(upager_pread(c->f, c->buf, 1000, (off_t)s2 - 100), 100);
	CHECK_EQ(upager_pread(c->f, c->buf, 10, (off_t)old - 10), 0);
	disk_all(c);
	PCHECK(c->pg);

	/* writes past EOF in the last page through a view: never in the
	 * file (the checker's view of such bytes is test_tail's business:
	 * the grow below zeroes them) */
	snprintf(ctx, sizeof(ctx), "view writes past EOF at %zu", s2);
	in_view(c, VA, s2, 1)[10] = 0x11;
	in_view(c, VB, s2, 1)[20] = 0x22;
	CHECK_ZERO(upager_msync(c->v[VA], c->vlen[VA], MS_SYNC));
	disk_all(c);
	CHECK_EQ(upager_pread(c->f, c->buf, 1000, (off_t)s2 - 50), 50);
	CHECK_MEM(c->buf, c->model + s2 - 50, 50);
	CHECK_EQ(upager_sync(c->f, 0, 0, UPAGER_SYNC_WAIT), 0);
	disk_all(c);

	/* grow past the old size: the new range reads as zeros everywhere,
	 * what views wrote past the old EOF included */
	g = old + 5 * PG + 10;
	snprintf(ctx, sizeof(ctx), "grow from %zu to %zu", s2, g);
	set_size(c, g);
	PCHECK(c->pg);
	for (who = 0; who < NACT; who++)
		if (who != IO)
			act_check(c, who, s2, g - s2);
	act_check(c, IO, s2, g - s2);
	check_all(c);
	EXPECT_SIG(in_view(c, VA, rup(g), 1), false, SIGBUS);
	disk_all(c);
	for (i = s2; i < g; i++)
		CHECK_EQ(c->model[i], 0);
	PCHECK(c->pg);

	/* the new range is file data like any other */
	snprintf(ctx, sizeof(ctx), "after growing to %zu", g);
	act_write(c, VB, s2 + 5, 2 * PG, ++c->seed);
	churn(c);
	act_check(c, VA, s2, g - s2);
	act_check(c, IO, s2, g - s2);
	act_check(c, VP, s2, g - s2);
	act_write(c, IO, g - 100, 100, ++c->seed);
	churn(c);
	act_check(c, VB, g - 100, 100);
	act_check(c, VP, g - 100, 100);
	CHECK_ZERO(upager_msync(c->v[VB], c->vlen[VB], MS_SYNC));
	disk_all(c);
	PCHECK(c->pg);
}

/* ---- one variant ---- */

struct counts {
	uint64_t reclaimed, pages_in;
};

static struct co co_new(size_t budget, bool do_churn, const char *name)
{
	struct co c;

	memset(&c, 0, sizeof(c));
	c.pg = mkpager(budget);
	set_page_size(c.pg);
	c.path = tpath(name);
	c.churn = do_churn;
	c.size = 256 * PG + 1500;
	c.cap = rup(c.size) + 16 * PG;
	c.model = xcalloc(c.cap);
	c.pmodel = xcalloc(c.cap);
	c.pcow = xcalloc(c.cap / PG);
	c.exp = xmalloc(c.cap);
	c.buf = xmalloc(c.cap);
	c.src = xmalloc(c.cap);
	return c;
}

static void co_free(struct co *c)
{
	free(c->model);
	free(c->pmodel);
	free(c->pcow);
	free(c->exp);
	free(c->buf);
	free(c->src);
}

/* make_file: the file of c->size bytes, data but for a hole at pages
 * [100, 200), which the model holds as zeros */
static void make_file(struct co *c, unsigned seed)
{
	fill(c->model, c->size, 0, seed);
	memset(c->model + 100 * PG, 0, 100 * PG);
	disk_write(c->path, c->model, 100 * PG, 0, O_EXCL);
	disk_write(c->path, c->model + 200 * PG, c->size - 200 * PG,
	    200 * (off_t)PG, 0);
	CHECK_EQ(disk_size(c->path), c->size);
}

/* variant_main: the matrix, msync, truncation, then close with the views
 * still mapped, the last unmap, and destroy. */
static struct counts variant_main(size_t budget, bool do_churn,
    const char *name)
{
	struct co c = co_new(budget, do_churn, name);
	size_t offb = 64 * PG, vlen;
	struct upager_stats st;
	struct counts n;
	int r;

	make_file(&c, 1000);
	c.f = uopen(c.pg, c.path, O_RDWR);
	vlen = rup(c.size) + 8 * PG;
	map_view(&c, VA, 0, vlen, MAP_SHARED);
	map_view(&c, VB, offb, vlen - offb, MAP_SHARED);
	map_view(&c, VP, 0, vlen, MAP_PRIVATE);
	snprintf(ctx, sizeof(ctx), "%s: first look", name);
	check_all(&c);
	EXPECT_SIG(c.v[VA] + rup(c.size), false, SIGBUS);
	EXPECT_SIG(c.v[VB] + rup(c.size) - offb + PG, true, SIGBUS);
	EXPECT_SIG(c.v[VP] + rup(c.size) + 2 * PG, false, SIGBUS);
	PCHECK(c.pg);

	matrix(&c, offb);
	snprintf(ctx, sizeof(ctx), "%s: after the matrix", name);
	check_all(&c);
	PCHECK(c.pg);

	/* msync of B writes what anyone shared in B's range */
	snprintf(ctx, sizeof(ctx), "%s: msync", name);
	CHECK_ZERO(upager_msync(c.v[VB], c.vlen[VB], MS_SYNC));
	disk_range(&c, offb, c.size - offb);
	CHECK_ZERO(upager_msync(c.v[VA], c.vlen[VA], MS_SYNC));
	disk_all(&c);
	/* P's writes are its own: msync of P writes nothing of them */
	CHECK_ZERO(upager_msync(c.v[VP], c.vlen[VP], MS_SYNC));
	disk_all(&c);
	PCHECK(c.pg);
	check_all(&c);

	truncation(&c);

	/* close with the views mapped: close writes back; the views keep
	 * working and stay coherent without a handle */
	snprintf(ctx, sizeof(ctx), "%s: close with views mapped", name);
	act_write(&c, VA, 3 * PG - 10, 20, ++c.seed);
	act_write(&c, VB, offb + 7, 3 * PG, ++c.seed);
	act_write(&c, IO, 10 * PG + 1, PG, ++c.seed);
	act_write(&c, VP, 30 * PG + 5, 100, ++c.seed);
	churn(&c);
	CHECK_ZERO(upager_close(c.f));
	c.f = NULL;
	disk_all(&c);
	PCHECK(c.pg);
	snprintf(ctx, sizeof(ctx), "%s: views after close", name);
	check_all(&c);
	act_write(&c, VA, offb + 5 * PG - 3, 2 * PG, ++c.seed);
	churn(&c);
	act_check(&c, VB, offb + 5 * PG - 3, 2 * PG);
	act_check(&c, VP, offb + 5 * PG - 3, 2 * PG);
	act_write(&c, VB, c.size - 300, 300, ++c.seed);
	churn(&c);
	act_check(&c, VA, c.size - 300, 300);
	act_check(&c, VP, c.size - 300, 300);
	act_write(&c, VP, 40 * PG, 2 * PG, ++c.seed);
	churn(&c);
	act_check(&c, VA, 40 * PG, 2 * PG);
	check_all(&c);
	PCHECK(c.pg);
	/* msync needs no handle */
	CHECK_ZERO(upager_msync(c.v[VA], c.vlen[VA], MS_SYNC));
	disk_all(&c);
	/* the last writes reach the file after the last unmap, by destroy */
	act_write(&c, VB, offb + 20 * PG + 9, 5 * PG, ++c.seed);
	act_write(&c, VA, 1, 2 * PG, ++c.seed);
	churn(&c);
	act_check(&c, VB, offb, c.size - offb);
	unmap_view(&c, VP);
	unmap_view(&c, VB);
	act_check(&c, VA, 0, c.size);
	act_write(&c, VA, 5 * PG + 100, 100, ++c.seed);
	unmap_view(&c, VA);
	PCHECK(c.pg);
	CHECK_ZERO(upager_stats(c.pg, &st));
	n.reclaimed = st.reclaimed;
	n.pages_in = st.pages_in;
	r = upager_destroy(c.pg);
	CHECK_EQ(r, 0);
	snprintf(ctx, sizeof(ctx), "%s: after the last unmap and destroy",
	    name);
	disk_all(&c);
	co_free(&c);
	return n;
}

/* variant_destroy: destroy with the views still mapped (handle open, or
 * closed first); what they wrote reaches the file. */
static void variant_destroy(size_t budget, bool do_churn, bool close_first,
    const char *name)
{
	struct co c = co_new(budget, do_churn, name);
	size_t offb = 32 * PG, vlen;

	make_file(&c, 2000);
	c.f = uopen(c.pg, c.path, O_RDWR);
	vlen = rup(c.size);
	map_view(&c, VA, 0, vlen, MAP_SHARED);
	map_view(&c, VB, offb, vlen - offb, MAP_SHARED);
	map_view(&c, VP, 0, vlen, MAP_PRIVATE);
	snprintf(ctx, sizeof(ctx), "%s: writes", name);
	act_write(&c, VA, 100, 3 * PG, ++c.seed);
	act_write(&c, VB, offb + PG - 1, 2, ++c.seed);
	act_write(&c, IO, offb + 10 * PG, 4 * PG + 1, ++c.seed);
	act_write(&c, VP, 50 * PG, PG, ++c.seed);
	act_write(&c, VB, c.size - 1000, 1000, ++c.seed);
	churn(&c);
	check_all(&c);
	PCHECK(c.pg);
	if (close_first) {
		CHECK_ZERO(upager_close(c.f));
		c.f = NULL;
		disk_all(&c);
		act_write(&c, VA, 70 * PG + 70, 2 * PG, ++c.seed);
		act_write(&c, VB, offb + 100 * PG, 3 * PG + 5, ++c.seed);
		churn(&c);
		check_all(&c);
		PCHECK(c.pg);
	}
	/* the views are unmapped by destroy: do not touch them after */
	CHECK_EQ(upager_destroy(c.pg), 0);
	snprintf(ctx, sizeof(ctx), "%s: after destroy with views mapped",
	    name);
	disk_all(&c);
	co_free(&c);
}

/*
 * test_tail: the bytes of the last page past EOF read as zeros in views
 * and never reach the file, even when a view writes there; growing the
 * file (truncate, or a pwrite past EOF) turns them into zeros.  Last, as
 * its final check (the pager's invariants after a view wrote past EOF and
 * the page was written back) is the one most likely to be argued over.
 */
static void test_tail(size_t budget, const char *name)
{
	struct co c = co_new(budget, false, name);
	size_t vlen, s0;
	int who;

	c.size = 5 * PG + 300;
	fill(c.model, c.size, 0, 3000);
	disk_write(c.path, c.model, c.size, 0, O_EXCL);
	c.f = uopen(c.pg, c.path, O_RDWR);
	vlen = 12 * PG;
	map_view(&c, VA, 0, vlen, MAP_SHARED);
	map_view(&c, VB, PG, vlen - PG, MAP_SHARED);
	map_view(&c, VP, 0, vlen, MAP_PRIVATE);
	snprintf(ctx, sizeof(ctx), "%s: first look", name);
	check_all(&c);
	PCHECK(c.pg);

	/* garbage past EOF through A and B, then truncate up: zeros */
	s0 = c.size;
	snprintf(ctx, sizeof(ctx), "%s: view writes past EOF %zu, truncate "
	    "up", name, s0);
	in_view(&c, VA, s0, 1)[0] = 0x11;
	in_view(&c, VB, s0 + 100, 1)[0] = 0x22;
	CHECK_EQ(upager_size(c.f), s0);
	CHECK_EQ(upager_pread(c.f, c.buf, 1000, (off_t)s0 - 50), 50);
	CHECK_MEM(c.buf, c.model + s0 - 50, 50);
	set_size(&c, s0 + PG);
	for (who = 0; who < NACT; who++)
		act_check(&c, who, s0 - 10, PG + 10);
	check_all(&c);
	disk_all(&c);
	PCHECK(c.pg);

	/* garbage past EOF, then a pwrite past EOF in the same page */
	s0 = c.size;
	snprintf(ctx, sizeof(ctx), "%s: view writes past EOF %zu, pwrite "
	    "in the page", name, s0);
	memset(in_view(&c, VA, s0, 200), 0x33, 200);
	act_write(&c, IO, s0 + 300, 50, ++c.seed);
	for (who = 0; who < NACT; who++)
		act_check(&c, who, s0 - 10, 360);
	check_all(&c);
	PCHECK(c.pg);

	/* garbage past EOF, then a pwrite in a later page */
	s0 = c.size;
	snprintf(ctx, sizeof(ctx), "%s: view writes past EOF %zu, pwrite "
	    "beyond", name, s0);
	memset(in_view(&c, VB, s0, rup(s0) - s0), 0x44, rup(s0) - s0);
	act_write(&c, IO, rup(s0) + PG + 7, 20, ++c.seed);
	for (who = 0; who < NACT; who++)
		act_check(&c, who, s0 - 10, c.size - s0 + 10);
	check_all(&c);
	CHECK_ZERO(upager_msync(c.v[VA], c.vlen[VA], MS_SYNC));
	disk_all(&c);
	PCHECK(c.pg);

	/* garbage past EOF, written back: still not in the file, and the
	 * pager's invariants hold after the write-back */
	s0 = c.size;
	snprintf(ctx, sizeof(ctx), "%s: view writes past EOF %zu, msync",
	    name, s0);
	in_view(&c, VA, s0, 1)[10] = 0x55;
	in_view(&c, VB, s0, 1)[20] = 0x66;
	CHECK_ZERO(upager_msync(c.v[VA], c.vlen[VA], MS_SYNC));
	disk_all(&c);
	CHECK_EQ(upager_pread(c.f, c.buf, 1000, (off_t)s0 - 50), 50);
	CHECK_MEM(c.buf, c.model + s0 - 50, 50);
	CHECK_ZERO(upager_sync(c.f, 0, 0, UPAGER_SYNC_WAIT));
	disk_all(&c);
	PCHECK(c.pg);
	CHECK_ZERO(upager_close(c.f));
	c.f = NULL;
	disk_all(&c);
	unmap_view(&c, VP);
	unmap_view(&c, VB);
	unmap_view(&c, VA);
	CHECK_ZERO(upager_destroy(c.pg));
	disk_all(&c);
	co_free(&c);
}

int main(void)
{
	const size_t small = 256 * KiB;
	struct counts n;
	double t0 = mono_now();

	probe_install();
	(void)variant_main(4 * MiB, false, "big");
	n = variant_main(small, true, "small");
	/* the small budget did make pages go and come back */
	CHECK(n.reclaimed > 0);
	CHECK(n.pages_in > 2 * 257);
	variant_destroy(4 * MiB, false, false, "destroy-big");
	variant_destroy(small, true, false, "destroy-small");
	variant_destroy(4 * MiB, false, true, "destroy-closed-big");
	variant_destroy(small, true, true, "destroy-closed-small");
	test_tail(4 * MiB, "tail");
	rm_test_dir();
	printf("t_coherence: ok (%d actors, %d ranges per pair, budgets "
	    "4 MiB and 256 KiB, %.2f s)\n", NACT, NRANGE, mono_now() - t0);
	return 0;
}
