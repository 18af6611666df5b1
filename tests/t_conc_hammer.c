/*
 * t_conc_hammer.c: threads hammering overlapping ranges of one file through
 * shared and private upager handles, with a budget small enough that
 * reclaim and write-back run under them, looking for torn and lost writes.
 *
 * The file is cut into slots of SLOT bytes (odd, so slots straddle pages).
 * Every write covers whole slots and fills each with a pattern made from
 * (phase, thread, sequence number, slot, the write's first and last slot)
 * that a reader can decode and regenerate.  A slot read back must be all
 * zeros or exactly one valid pattern for that slot: anything else is a
 * torn write.
 *
 *   [0, OWNED_END)       owned slots: slot % nthreads == tid is written by
 *                        that thread alone, one slot per write; after each
 *                        write and at the end it must hold exactly the last
 *                        pattern its owner wrote (lost writes).  Truncation
 *                        never cuts below OWNED_END.
 *   [OWNED_END, END)     shared slots: every thread writes runs of 1..MAXW
 *                        slots, truncates cut into it (at slot boundaries).
 *                        A read must not see part of one write: two slots
 *                        of the same write, the later one showing it and the
 *                        earlier one showing zeros or an older write of the
 *                        same thread, are a non-atomic write.
 *
 *   t_conc_hammer [SEED]      seed also from $UPAGER_SEED, else time-based
 *   UPAGER_HAMMER_ROUNDS=N    operations per thread (defaults below)
 *   UPAGER_STRESS_SECONDS=S   repeat both phases for at least S seconds
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "testlib.h"

#define SLOT 1000
#define OWNED_SLOTS 1200                /* 1.2 MB: more than the budget */
#define SHARED_SLOTS 1800
#define TOTAL_SLOTS (OWNED_SLOTS + SHARED_SLOTS)
#define OWNED_END ((off_t)OWNED_SLOTS * SLOT)
#define TOTAL_END ((off_t)TOTAL_SLOTS * SLOT)
#define MAXW 8                          /* slots per shared write */
#define MAXR 64                         /* slots per read */
#define HDR 24                          /* slot header bytes */
#define MAGIC 0x55504700u               /* | phase */
#define MAXT 4
#define BUDGET ((size_t)512 * 1024)

static uint64_t g_seed;
static int g_phase;

/* on_abort: how to rerun a failure. */
static void on_abort(int sig)
{
	(void)sig;
	abort_note("t_conc_hammer: FAILED seed=%" PRIu64 " phase=%d (rerun "
	    "with UPAGER_SEED=%" PRIu64 "; threads make it nondeterministic)"
	    "\n", g_seed, g_phase, g_seed);
}

/* ---- slot patterns ---- */

struct slot_hdr {
	uint32_t magic;         /* MAGIC | phase */
	uint32_t tid;
	uint32_t seq;
	uint32_t slot;
	uint32_t first;         /* the write's first and last slot */
	uint32_t last;
};

static void make_slot(unsigned char *buf, uint32_t tid, uint32_t seq,
    uint32_t slot, uint32_t first, uint32_t last)
{
	struct slot_hdr h = { MAGIC | ((uint32_t)g_phase & 0xff), tid, seq,
	    slot, first, last };
	uint64_t x = mix64(((uint64_t)tid << 56) ^ ((uint64_t)seq << 24) ^
	    slot ^ ((uint64_t)g_phase << 52) ^ 0x5a5a);
	size_t i;

	memcpy(buf, &h, sizeof(h));
	for (i = HDR; i < SLOT; i += 8) {
		uint64_t v;

		x = mix64(x + 0x9e3779b97f4a7c15ull);
		v = x;
		memcpy(buf + i, &v, SLOT - i < 8 ? SLOT - i : 8);
	}
}

/*
 * check_slot: 0 if the slot is all zeros, 1 if it holds a valid pattern
 * for slot `slot` (header in *h); fails the test otherwise.
 */
static int check_slot(const unsigned char *p, uint32_t slot, int nthreads,
    struct slot_hdr *h, const char *where)
{
	unsigned char want[SLOT];
	size_t i;

	if (all_zero(p, SLOT))
		return 0;
	memcpy(h, p, sizeof(*h));
	if (h->magic != (MAGIC | ((uint32_t)g_phase & 0xff)) ||
	    h->tid >= (uint32_t)nthreads || h->slot != slot ||
	    h->first > slot || h->last < slot || h->seq == 0)
		FAIL("%s: slot %u (file offset %lld) has a bad header: magic "
		    "%#x tid %u seq %u slot %u first %u last %u (torn or "
		    "misplaced write)", where, slot,
		    (long long)slot * SLOT, h->magic, h->tid, h->seq, h->slot,
		    h->first, h->last);
	make_slot(want, h->tid, h->seq, h->slot, h->first, h->last);
	if ((i = mem_diff(want, p, SLOT)) < SLOT)
		FAIL("%s: slot %u (tid %u seq %u) is torn at byte %zu (file "
		    "offset %lld): %#x != %#x", where, slot, h->tid, h->seq, i,
		    (long long)slot * SLOT + (long long)i, p[i], want[i]);
	return 1;
}

/* ---- the shared state and the workers ---- */

struct worker;

struct hammer {
	upager_t *pg;
	upager_file_t *h[2];    /* shared by all threads */
	int nthreads;
	unsigned long rounds;
	char names[3][600];     /* spellings of the file */
	struct worker *w[MAXT];
};

struct worker {
	pthread_t th;
	struct hammer *hm;
	int tid;
	struct rng rng;
	_Atomic uint32_t seq;   /* last sequence number used */
	uint32_t *last;         /* per slot: the last seq this thread wrote
	                         * to its owned slots (0: never) */
	upager_file_t *priv;    /* this thread's own handle, or NULL */
	unsigned char wbuf[MAXW * SLOT];
	unsigned char rbuf[MAXR * SLOT];
	unsigned char ebuf[SLOT];
	unsigned long n_ow, n_sw, n_rd, n_tr, n_sy, n_reopen, n_slots;
};

static upager_file_t *pick_handle(struct worker *w)
{
	uint64_t r = rnd(&w->rng, 5);

	if (r < 2)
		return w->hm->h[0];
	if (r < 4 || w->priv == NULL)
		return w->hm->h[1];
	return w->priv;
}

static void check_owned_mine(struct worker *w, const unsigned char *p,
    uint32_t s, const char *where)
{
	if (w->last[s] == 0) {
		if (!all_zero(p, SLOT))
			FAIL("%s: tid %d: owned slot %u never written but not "
			    "zero", where, w->tid, s);
		return;
	}
	make_slot(w->ebuf, (uint32_t)w->tid, w->last[s], s, s, s);
	if (memcmp(w->ebuf, p, SLOT) != 0) {
		struct slot_hdr h;

		memset(&h, 0, sizeof(h));
		if (!all_zero(p, SLOT))
			memcpy(&h, p, sizeof(h));
		FAIL("%s: tid %d: owned slot %u (file offset %lld) lost its "
		    "last write seq %u: holds %s tid %u seq %u", where,
		    w->tid, s, (long long)s * SLOT, w->last[s],
		    all_zero(p, SLOT) ? "zeros," : "pattern", h.tid, h.seq);
	}
}

/* validate a read of slots [first, first + n) that returned `got` bytes */
static void check_read(struct worker *w, uint32_t first, uint32_t n,
    ssize_t got, const unsigned char *buf)
{
	int nt = w->hm->nthreads;
	struct slot_hdr hs[MAXR];
	int kind[MAXR];
	uint32_t k, m;

	if (got < 0)
		FAIL("tid %d: upager_pread(%u slots at slot %u): %zd (%s)",
		    w->tid, n, first, got, upager_strerror((int)got));
	if (got % SLOT != 0 || got > (ssize_t)n * SLOT)
		FAIL("tid %d: upager_pread(%u slots at slot %u) returned %zd, "
		    "not whole slots (the size is always a slot multiple)",
		    w->tid, n, first, got);
	m = (uint32_t)(got / SLOT);
	if (first < OWNED_SLOTS) {
		uint32_t need = OWNED_SLOTS - first < n ? OWNED_SLOTS - first :
		    n;

		if (m < need)
			FAIL("tid %d: upager_pread(%u slots at slot %u) "
			    "returned %zd: short inside the owned region",
			    w->tid, n, first, got);
	}
	for (k = 0; k < m; k++) {
		uint32_t s = first + k;
		const unsigned char *p = buf + (size_t)k * SLOT;

		if (s < OWNED_SLOTS && (int)(s % (uint32_t)nt) == w->tid) {
			check_owned_mine(w, p, s, "read");
			kind[k] = 2;
			continue;
		}
		kind[k] = check_slot(p, s, nt, &hs[k], "read");
		if (kind[k] == 0)
			continue;
		if (s < OWNED_SLOTS && (hs[k].tid != s % (uint32_t)nt ||
		    hs[k].first != s || hs[k].last != s))
			FAIL("read: owned slot %u holds a write of tid %u "
			    "(slots %u-%u)", s, hs[k].tid, hs[k].first,
			    hs[k].last);
		if (hs[k].seq > atomic_load_explicit(
		    &w->hm->w[hs[k].tid]->seq, memory_order_acquire))
			FAIL("read: slot %u holds tid %u seq %u, which that "
			    "thread has not written yet", s, hs[k].tid,
			    hs[k].seq);
	}
	/* atomicity: one write is seen whole or not at all */
	for (k = 0; k < m; k++) {
		uint32_t j;

		if (kind[k] != 1 || hs[k].first == hs[k].last)
			continue;
		for (j = hs[k].first; j <= hs[k].last; j++) {
			uint32_t kj;

			if (j < first || j >= first + m || j == first + k)
				continue;
			kj = j - first;
			if (kind[kj] == 0 && j < first + k)
				FAIL("read: slot %u shows tid %u seq %u (slots "
				    "%u-%u) but slot %u of the same write is "
				    "zero: the read saw part of a write",
				    first + k, hs[k].tid, hs[k].seq,
				    hs[k].first, hs[k].last, j);
			if (kind[kj] == 1 && hs[kj].tid == hs[k].tid &&
			    hs[kj].seq < hs[k].seq)
				FAIL("read: slot %u shows tid %u seq %u (slots "
				    "%u-%u) but slot %u shows the older seq "
				    "%u: the read saw part of a write",
				    first + k, hs[k].tid, hs[k].seq,
				    hs[k].first, hs[k].last, j, hs[kj].seq);
		}
	}
}

static void op_owned_write(struct worker *w)
{
	int nt = w->hm->nthreads;
	uint32_t s = (uint32_t)w->tid + (uint32_t)nt *
	    (uint32_t)rnd(&w->rng, OWNED_SLOTS / (uint32_t)nt);
	uint32_t seq = atomic_load_explicit(&w->seq, memory_order_relaxed)
	    + 1;
	upager_file_t *h = pick_handle(w);
	ssize_t r;

	atomic_store_explicit(&w->seq, seq, memory_order_release);
	make_slot(w->wbuf, (uint32_t)w->tid, seq, s, s, s);
	r = upager_pwrite(h, w->wbuf, SLOT, (off_t)s * SLOT);
	if (r != SLOT)
		FAIL("tid %d: upager_pwrite(owned slot %u): %zd (%s)", w->tid,
		    s, r, r < 0 ? upager_strerror((int)r) : "short");
	w->last[s] = seq;
	/* read it back, through any handle, maybe with its neighbours */
	{
		uint32_t lo = s >= 2 ? s - (uint32_t)rnd(&w->rng, 3) : s;
		uint32_t n = (s - lo) + 1 + (uint32_t)rnd(&w->rng, 3);

		h = pick_handle(w);
		r = upager_pread(h, w->rbuf, (size_t)n * SLOT,
		    (off_t)lo * SLOT);
		check_read(w, lo, n, r, w->rbuf);
		if (r < (ssize_t)(s - lo + 1) * SLOT)
			FAIL("tid %d: owned slot %u not read back", w->tid, s);
	}
	w->n_ow++;
	w->n_slots++;
}

static void op_shared_write(struct worker *w)
{
	uint32_t first = OWNED_SLOTS + (uint32_t)rnd(&w->rng, SHARED_SLOTS);
	uint32_t n = 1 + (uint32_t)rnd(&w->rng, MAXW), last;
	uint32_t seq = atomic_load_explicit(&w->seq, memory_order_relaxed)
	    + 1;
	upager_file_t *h = pick_handle(w);
	ssize_t r;

	if (first + n > TOTAL_SLOTS)
		n = TOTAL_SLOTS - first;
	last = first + n - 1;
	atomic_store_explicit(&w->seq, seq, memory_order_release);
	for (uint32_t k = 0; k < n; k++)
		make_slot(w->wbuf + (size_t)k * SLOT, (uint32_t)w->tid, seq,
		    first + k, first, last);
	r = upager_pwrite(h, w->wbuf, (size_t)n * SLOT, (off_t)first * SLOT);
	if (r != (ssize_t)n * SLOT)
		FAIL("tid %d: upager_pwrite(%u slots at slot %u): %zd (%s)",
		    w->tid, n, first, r,
		    r < 0 ? upager_strerror((int)r) : "short");
	w->n_sw++;
	w->n_slots += n;
}

static void op_read(struct worker *w, int owned)
{
	uint32_t first, n;
	upager_file_t *h = pick_handle(w);
	ssize_t r;

	if (owned) {
		first = (uint32_t)rnd(&w->rng, OWNED_SLOTS);
		n = 1 + (uint32_t)rnd(&w->rng, MAXR);
	} else {
		first = (uint32_t)rnd(&w->rng, TOTAL_SLOTS);
		n = 1 + (uint32_t)rnd(&w->rng, 16);
	}
	if (first + n > TOTAL_SLOTS + 2)
		n = TOTAL_SLOTS + 2 - first;
	r = upager_pread(h, w->rbuf, (size_t)n * SLOT, (off_t)first * SLOT);
	check_read(w, first, n, r, w->rbuf);
	w->n_rd++;
}

static void op_truncate(struct worker *w)
{
	off_t to = ((off_t)OWNED_SLOTS +
	    (off_t)rnd(&w->rng, SHARED_SLOTS + 1)) * SLOT;
	upager_file_t *h = pick_handle(w);
	int r = upager_truncate(h, to);

	if (r != 0)
		FAIL("tid %d: upager_truncate(%lld): %d (%s)", w->tid,
		    (long long)to, r, upager_strerror(r));
	w->n_tr++;
}

static void op_sync(struct worker *w)
{
	upager_file_t *h = pick_handle(w);
	off_t off = (off_t)rnd(&w->rng, (uint64_t)TOTAL_END);
	off_t len = rnd(&w->rng, 3) ? (off_t)rnd(&w->rng, 256 * 1024) : 0;
	int fl = 0, r;

	if (rnd(&w->rng, 2))
		fl |= UPAGER_SYNC_INVALIDATE;
	if (rnd(&w->rng, 64) == 0)             /* fdatasync: slow */
		fl |= UPAGER_SYNC_WAIT;
	r = upager_sync(h, off, len, fl);
	if (r != 0)
		FAIL("tid %d: upager_sync(%lld, %lld, %#x): %d (%s)", w->tid,
		    (long long)off, (long long)len, fl, r, upager_strerror(r));
	w->n_sy++;
}

static void op_size(struct worker *w)
{
	off_t sz = upager_size(pick_handle(w));

	/* not necessarily a slot multiple: the size may be looked at in
	 * the middle of a write that extends the file */
	if (sz < OWNED_END || sz > TOTAL_END)
		FAIL("tid %d: upager_size = %lld: not in [%lld, %lld]",
		    w->tid, (long long)sz,
		    (long long)OWNED_END, (long long)TOTAL_END);
}

static void op_reopen(struct worker *w)
{
	struct hammer *hm = w->hm;
	int r;

	if (w->priv != NULL) {
		r = upager_close(w->priv);
		w->priv = NULL;
		if (r != 0)
			FAIL("tid %d: upager_close(private): %d (%s)", w->tid,
			    r, upager_strerror(r));
	} else {
		const char *name = hm->names[rnd(&w->rng, 3)];

		r = upager_open(hm->pg, name, O_RDWR, 0, &w->priv);
		if (r != 0)
			FAIL("tid %d: upager_open(%s): %d (%s)", w->tid, name,
			    r, upager_strerror(r));
	}
	w->n_reopen++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned long i = 0; i < w->hm->rounds; i++) {
		uint64_t r = rnd(&w->rng, 1000);

		if (r < 330)
			op_owned_write(w);
		else if (r < 550)
			op_shared_write(w);
		else if (r < 800)
			op_read(w, 0);
		else if (r < 880)
			op_read(w, 1);
		else if (r < 920)
			op_truncate(w);
		else if (r < 975)
			op_sync(w);
		else if (r < 990)
			op_size(w);
		else
			op_reopen(w);
	}
	return NULL;
}

/* validate a whole image of the file (from upager or from disk) */
static void check_image(struct hammer *hm, const unsigned char *img,
    off_t size, const char *where)
{
	int nt = hm->nthreads;

	if (size < OWNED_END || size > TOTAL_END || size % SLOT != 0)
		FAIL("%s: size %lld is not a slot multiple in [%lld, %lld]",
		    where, (long long)size, (long long)OWNED_END,
		    (long long)TOTAL_END);
	for (uint32_t s = 0; s < (uint32_t)(size / SLOT); s++) {
		const unsigned char *p = img + (size_t)s * SLOT;
		struct slot_hdr h;

		if (s < OWNED_SLOTS) {
			struct worker *w = hm->w[s % (uint32_t)nt];

			check_owned_mine(w, p, s, where);
		} else {
			(void)check_slot(p, s, nt, &h, where);
		}
	}
}

static void run_phase(struct hammer *hm, int nthreads, unsigned long rounds,
    const char *path, uint64_t seed, int destroy_open)
{
	unsigned char *img = xmalloc((size_t)TOTAL_END);
	unsigned char *disk = xmalloc((size_t)TOTAL_END);
	struct upager_config cfg;
	struct upager_stats st;
	double t0 = mono_now();
	off_t size, off, dsz;
	size_t i;

	g_phase++;
	hm->nthreads = nthreads;
	hm->rounds = rounds;
	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = BUDGET;
	cfg.cluster = 32 * 1024;
	cfg.readahead = 64 * 1024;
	CHECK_OK(upager_create(&cfg, &hm->pg));
	CHECK_OK(upager_open(hm->pg, path, O_RDWR | O_CREAT | O_TRUNC, 0644,
	    &hm->h[0]));
	CHECK_OK(upager_open(hm->pg, hm->names[g_phase % 2 + 1], O_RDWR, 0,
	    &hm->h[1]));
	CHECK_OK(upager_truncate(hm->h[0], OWNED_END));

	for (int t = 0; t < nthreads; t++) {
		struct worker *w = xcalloc(sizeof(*w));

		w->hm = hm;
		w->tid = t;
		rseed(&w->rng, seed ^ ((uint64_t)g_phase << 32) ^
		    (uint64_t)t * 0x1234567ull);
		atomic_init(&w->seq, 0);
		w->last = xcalloc(OWNED_SLOTS * sizeof(*w->last));
		hm->w[t] = w;
	}
	for (int t = 0; t < nthreads; t++)
		CHECK(pthread_create(&hm->w[t]->th, NULL, worker_main,
		    hm->w[t]) == 0);
	for (int t = 0; t < nthreads; t++)
		CHECK(pthread_join(hm->w[t]->th, NULL) == 0);

	/* quiet now: check the pager and the file through upager */
	CHECK_ZERO(dbg_check_pager(hm->pg));
	CHECK_OK(upager_stats(hm->pg, &st));
	if (st.resident > st.budget_pages || st.peak_resident >
	    st.budget_pages)
		FAIL("resident %" PRIu64 " (peak %" PRIu64 ") pages > budget "
		    "%" PRIu64, st.resident, st.peak_resident,
		    st.budget_pages);
	size = upager_size(hm->h[0]);
	CHECK_EQ(upager_size(hm->h[1]), size);
	CHECK(size >= OWNED_END && size <= TOTAL_END);
	for (off = 0; off < size; off += 100 * SLOT) {
		size_t n = size - off < 100 * SLOT ? (size_t)(size - off) :
		    100 * SLOT;

		CHECK_EQ(upager_pread(hm->h[(off / SLOT) % 2], img + off, n,
		    off), (ssize_t)n);
	}
	CHECK_EQ(upager_pread(hm->h[0], disk, SLOT, size), 0);
	check_image(hm, img, size, "final read through upager");

	for (int t = 0; t < nthreads; t++) {
		if (hm->w[t]->priv != NULL && !destroy_open)
			CHECK_ZERO(upager_close(hm->w[t]->priv));
		hm->w[t]->priv = NULL;
	}
	if (!destroy_open) {
		CHECK_ZERO(upager_close(hm->h[1]));
		CHECK_ZERO(upager_close(hm->h[0]));
	}
	CHECK_ZERO(upager_destroy(hm->pg));
	hm->pg = NULL;
	hm->h[0] = hm->h[1] = NULL;

	/* and on disk, with plain reads */
	if ((dsz = disk_size(path)) != size)
		FAIL("file size on disk %lld, upager said %lld",
		    (long long)dsz, (long long)size);
	CHECK_EQ(disk_read(path, disk, (size_t)size, 0), size);
	check_image(hm, disk, size, "on disk");
	if ((i = mem_diff(img, disk, (size_t)size)) < (size_t)size)
		FAIL("file on disk differs from the final upager read at byte "
		    "%zu (slot %zu)", i, i / SLOT);

	{
		unsigned long ow = 0, sw = 0, rd = 0, tr = 0, sy = 0, ro = 0;

		for (int t = 0; t < nthreads; t++) {
			struct worker *w = hm->w[t];

			ow += w->n_ow;
			sw += w->n_sw;
			rd += w->n_rd;
			tr += w->n_tr;
			sy += w->n_sy;
			ro += w->n_reopen;
			free(w->last);
			free(w);
			hm->w[t] = NULL;
		}
		fprintf(stderr, "t_conc_hammer: phase %d: %d threads x %lu "
		    "ops: %lu owned writes, %lu shared writes, %lu reads, "
		    "%lu truncates, %lu syncs, %lu opens/closes; reclaimed "
		    "%" PRIu64 ", laundered %" PRIu64 ", final size %lld; "
		    "%.1f s\n", g_phase, nthreads, rounds, ow, sw, rd, tr, sy,
		    ro, st.reclaimed, st.laundered, (long long)size,
		    mono_now() - t0);
	}
	free(img);
	free(disk);
}

int main(int argc, char **argv)
{
	struct hammer hm;
	const char *dir = test_dir(), *s;
	char path[512], linkpath[512];
	unsigned long rounds2 = 20000, rounds4 = 8000;
	double stress = 0, t0, el;
	int iter = 0;

	g_seed = test_seed(argc, argv);
	if ((s = env_value("UPAGER_HAMMER_ROUNDS")) != NULL) {
		rounds2 = strtoul(s, NULL, 0);
		rounds4 = rounds2 / 2;
	}
	if ((s = env_value("UPAGER_STRESS_SECONDS")) != NULL)
		stress = strtod(s, NULL);
	fprintf(stderr, "t_conc_hammer: seed=%" PRIu64 "\n", g_seed);
	at_abort(on_abort);

	memset(&hm, 0, sizeof(hm));
	snprintf(path, sizeof(path), "%s/hammer.dat", dir);
	snprintf(linkpath, sizeof(linkpath), "%s/hammer.lnk", dir);
	disk_resize(path, 0, O_TRUNC);
	CHECK(link(path, linkpath) == 0);
	snprintf(hm.names[0], sizeof(hm.names[0]), "%s", path);
	snprintf(hm.names[1], sizeof(hm.names[1]), "%s/./hammer.dat", dir);
	snprintf(hm.names[2], sizeof(hm.names[2]), "%s", linkpath);

	t0 = mono_now();
	do {
		run_phase(&hm, 2, rounds2, path, g_seed + (uint64_t)iter, 0);
		run_phase(&hm, 4, rounds4, path, g_seed + (uint64_t)iter, 1);
		iter++;
		el = mono_now() - t0;
	} while (el < stress);

	CHECK(unlink(linkpath) == 0);
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0);
	printf("t_conc_hammer: ok seed=%" PRIu64 " %d iteration(s) of 2 "
	    "threads x %lu ops and 4 threads x %lu ops in %.1f s\n", g_seed,
	    iter, rounds2, rounds4, el);
	return 0;
}
