/*
 * t_conc_views.c: writers through views against sync, msync and truncate
 *
 * Four writer threads write recognisable patterns into 64-byte slots of a
 * file through MAP_SHARED views: two through the same view, two through
 * views of their own (one at another offset).  Every slot has a single
 * writer, its owner, who counts the versions it wrote, so the last value of
 * every slot is known.  Meanwhile:
 *
 *   - a sync thread calls upager_msync (MS_SYNC, MS_ASYNC, MS_INVALIDATE),
 *     upager_sync (plain and INVALIDATE), MADV_DONTNEED/WILLNEED,
 *     read-ahead advice (MADV_SEQUENTIAL/RANDOM/NORMAL), and
 *     upager_truncate down and back up above the writers' region (so they
 *     never see SIGBUS), checking the region it owns past the writers';
 *   - a reader thread reads the writers' region through pread and through
 *     a read-only view, and checks that every 8-byte word is whole (never
 *     torn) and that no word ever goes back to an older version;
 *   - each writer reads back through pread what it just wrote: exactly.
 *
 * The budget (512 KiB) is smaller than the region (768 KiB), so pages are
 * evicted and faulted in again under the writers.  At the end (msync,
 * unmap, close, destroy) the file on disk must hold, for every slot, the
 * last pattern its owner wrote.
 *
 * Run with a seed as argv[1] (or $UPAGER_SEED) to repeat a run's choices.
 * UPAGER_STRESS_SECONDS=S (stress mode) repeats the run, each time with
 * the next seed, until S seconds have passed; unset, it runs once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "testlib.h"

#define NWRITERS 4
#define SLOT 64                        /* bytes per slot */
#define WORDS (SLOT / 8)
#define WPAGES 192                     /* the writers' region, pages */
#define SHARED_PAGES 32                /* pages where W3 does not write */
#define BUDGET (512 * KiB)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#ifndef W_OPS
#define W_OPS 40000                    /* slot writes per writer */
#endif

static size_t wregion, full, shrunk, nslots, slots_per_page;
static upager_t *pg;
static upager_file_t *f;
static const char *path;
static uint64_t seed;

/* ver[s]: the last version slot s's owner began to write (atomic). */
static uint32_t *ver;
static atomic_int writers_done;

/* the views: V1 (0, whole file) for W0 and W1, V2 (0, the region) for
 * W2, V3 (from SHARED_PAGES, the rest of the region) for W3, and a
 * read-only view for the reader */
static char *v1, *v2, *v3, *vr;
static size_t v1len, v2len, v3len, v3off;

/* ---- slots and their patterns ---- */

static int owner_of(size_t s)
{
	return s / slots_per_page < SHARED_PAGES ? (int)(s % 3) :
	    (int)(s % NWRITERS);
}

/* enc: word j of slot s at version v: the version and a hash binding it
 * to its place; never zero, and a word made of two halves of different
 * words fails the hash. */
static uint64_t enc(size_t s, unsigned j, uint32_t v)
{
	uint32_t h = (uint32_t)mix64(((uint64_t)s << 3 | j) ^
	    ((uint64_t)v << 40) ^ 0x5bd1e995u);

	return (uint64_t)v << 32 | (h != 0 ? h : 1);
}

/* dec: the version of a word of slot s, word j; false if it is no
 * version's pattern (torn, zero, or from elsewhere). */
static bool dec(uint64_t w, size_t s, unsigned j, uint32_t *v)
{
	*v = (uint32_t)(w >> 32);
	return w == enc(s, j, *v);
}

static void abort_seed(int sig)
{
	(void)sig;
	abort_note("t_conc_views: failed with seed %llu: rerun as "
	    "t_conc_views %llu\n", (unsigned long long)seed,
	    (unsigned long long)seed);
}

/*
 * check_words: words [w0, w0 + n) of the region as read into buf are
 * whole and no newer than their owners' counters; for slots of `me`
 * (-1: none), exactly the owner's last version; seen (may be NULL): the
 * versions this reader saw before, which must not go back.
 */
static void check_words(const uint64_t *buf, size_t w0, size_t n, int me,
    uint32_t *seen, const char *how)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t wi = w0 + i, s = wi / WORDS;
		unsigned j = (unsigned)(wi % WORDS);
		uint32_t v, cur;

		if (!dec(buf[i], s, j, &v))
			FAIL("%s: slot %zu word %u (file offset %zu, page %zu)"
			    " is %#llx: not a whole pattern (torn or lost)",
			    how, s, j, wi * 8, wi * 8 / PG,
			    (unsigned long long)buf[i]);
		cur = __atomic_load_n(&ver[s], __ATOMIC_ACQUIRE);
		if (v > cur)
			FAIL("%s: slot %zu word %u at version %u, newer than "
			    "its owner's %u", how, s, j, v, cur);
		if (owner_of(s) == me && v != cur)
			FAIL("%s: writer %d reads version %u of its slot %zu "
			    "word %u just after writing %u (page %zu)", how, me,
			    v, s, j, cur, s / slots_per_page);
		if (seen != NULL) {
			if (v < seen[wi])
				FAIL("%s: slot %zu word %u went back from "
				    "version %u to %u (page %zu): a lost write",
				    how, s, j, seen[wi], v, s / slots_per_page);
			seen[wi] = v;
		}
	}
}

/* ---- writers ---- */

struct writer {
	int id;
	pthread_t t;
	char *view;
	size_t voff, vlen;          /* the view's file offset and length */
	size_t pglo;                /* the first page it writes */
	size_t *mine;               /* its slots, and how many */
	size_t nmine;
	uint64_t preads;
};

static void write_slot(struct writer *w, size_t s)
{
	uint64_t *p = (uint64_t *)(void *)(w->view + (s * SLOT - w->voff));
	uint32_t v = __atomic_load_n(&ver[s], __ATOMIC_RELAXED) + 1;
	unsigned j;

	/* the counter first: nobody may see a version beyond it */
	__atomic_store_n(&ver[s], v, __ATOMIC_RELEASE);
	for (j = 0; j < WORDS; j++)
		__atomic_store_n(&p[j], enc(s, j, v), __ATOMIC_RELAXED);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t *buf = aligned_alloc(64, PG);
	struct rng r;
	int ops = 0;

	CHECK(buf != NULL);
	rseed(&r, seed * 31 + (uint64_t)w->id);
	while (ops < W_OPS) {
		if (rnd(&r, 4) == 0) {
			/* a burst: every slot of ours in a page, then the
			 * whole page through pread */
			size_t pn = w->pglo + rnd(&r, WPAGES - w->pglo), s;

			for (s = pn * slots_per_page;
			    s < (pn + 1) * slots_per_page; s++)
				if (owner_of(s) == w->id) {
					write_slot(w, s);
					ops++;
				}
			CHECK_EQ(upager_pread(f, buf, PG, (off_t)(pn * PG)),
			    PG);
			check_words(buf, pn * PG / 8, PG / 8, w->id, NULL,
			    "writer burst");
		} else {
			size_t s = w->mine[rnd(&r, w->nmine)];

			write_slot(w, s);
			ops++;
			CHECK_EQ(upager_pread(f, buf, SLOT, (off_t)(s * SLOT)),
			    SLOT);
			check_words(buf, s * WORDS, WORDS, w->id, NULL,
			    "writer");
		}
		w->preads++;
	}
	free(buf);
	atomic_fetch_add(&writers_done, 1);
	return NULL;
}

/* ---- the reader ---- */

struct reader {
	pthread_t t;
	uint64_t reads, vreads;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	size_t nwords = wregion / 8, maxw = 8 * PG / 8;
	uint32_t *seen = xcalloc(nwords * sizeof(*seen));
	uint64_t *buf = aligned_alloc(64, 8 * PG);
	struct rng r;

	CHECK(buf != NULL);
	rseed(&r, seed * 31 + 1000);
	while (atomic_load(&writers_done) < NWRITERS) {
		/* 64-byte aligned ranges: the copy moves whole words */
		size_t w0 = rnd(&r, nwords / WORDS) * WORDS;
		size_t n = (1 + rnd(&r, maxw / WORDS)) * WORDS, i;

		if (w0 + n > nwords)
			n = nwords - w0;
		if (rnd(&r, 2) == 0) {
			CHECK_EQ(upager_pread(f, buf, n * 8, (off_t)(w0 * 8)),
			    n * 8);
			check_words(buf, w0, n, -1, seen, "reader pread");
			rd->reads++;
		} else {
			const uint64_t *p = (const uint64_t *)(void *)vr;

			for (i = 0; i < n; i++)
				buf[i] = __atomic_load_n(&p[w0 + i],
				    __ATOMIC_RELAXED);
			check_words(buf, w0, n, -1, seen, "reader view");
			rd->vreads++;
		}
	}
	free(buf);
	free(seen);
	return NULL;
}

/* ---- the sync and truncate thread ---- */

struct syncer {
	pthread_t t;
	unsigned char *model;      /* its region [wregion, full), 0-based */
	unsigned char *buf;
	uint64_t rounds, truncs;
};

/* tregion_check: the sync thread's region reads as its model. */
static void tregion_check(struct syncer *sy, size_t size)
{
	size_t len = size - wregion, d;

	CHECK_EQ(upager_size(f), size);
	CHECK_EQ(upager_pread(f, sy->buf, len + PG, (off_t)wregion), len);
	if ((d = mem_diff(sy->buf, sy->model, len)) != len)
		FAIL("sync thread: its region differs at %zu (size %zu)",
		    wregion + d, size);
	if ((d = mem_diff(v1 + wregion, sy->model, len)) != len)
		FAIL("sync thread: its region in V1 differs at %zu (size %zu)",
		    wregion + d, size);
}

static void *syncer_main(void *arg)
{
	struct syncer *sy = arg;
	struct rng r;

	rseed(&r, seed * 31 + 2000);
	while (atomic_load(&writers_done) < NWRITERS) {
		size_t lo = rnd(&r, WPAGES) * PG;
		size_t len = (1 + rnd(&r, 32)) * PG;

		if (lo + len > wregion)
			len = wregion - lo;
		switch (sy->rounds % 9) {
		case 0:
			CHECK_ZERO(upager_msync(v1, v1len, MS_SYNC));
			break;
		case 1:
			CHECK_ZERO(upager_sync(f, 0, 0, 0));
			break;
		case 2:
			/* down above the writers, then back up: the part cut
			 * reads as zeros after */
			CHECK_ZERO(upager_truncate(f, (off_t)shrunk));
			memset(sy->model + (shrunk - wregion), 0,
			    full - shrunk);
			tregion_check(sy, shrunk);
			CHECK_ZERO(upager_truncate(f, (off_t)full));
			tregion_check(sy, full);
			sy->truncs++;
			break;
		case 3:
			CHECK_ZERO(upager_msync(v2 + lo, len,
			    MS_SYNC | MS_INVALIDATE));
			break;
		case 4:
			CHECK_ZERO(upager_sync(f, (off_t)lo, (off_t)len,
			    UPAGER_SYNC_INVALIDATE));
			break;
		case 5:
			lo = MAX(lo, v3off);
			if (lo < wregion)
				CHECK_ZERO(upager_madvise(v3 + (lo - v3off),
				    MIN(len, wregion - lo), MADV_DONTNEED));
			break;
		case 6: {
			static const int adv[] = {
				MADV_SEQUENTIAL, MADV_RANDOM, MADV_NORMAL
			};

			CHECK_ZERO(upager_msync(v3, v3len, MS_ASYNC));
			CHECK_ZERO(upager_madvise(v1 + lo, len, MADV_WILLNEED));
			/* read-ahead advice changes under the faults */
			CHECK_ZERO(upager_madvise(v2, v2len,
			    adv[sy->rounds / 9 % 3]));
			CHECK_ZERO(upager_madvise(vr, wregion,
			    adv[(sy->rounds / 9 + 1) % 3]));
			break;
		}
		case 7:
			CHECK_ZERO(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT));
			break;
		default: {
			/* its own region: through pwrite and through V1 */
			size_t off = rnd(&r, full - wregion - 1);
			size_t n = 1 + rnd(&r, MIN(full - wregion - off,
			    (size_t)PG + 200));

			fill(sy->model + off, n, wregion + off,
			    (unsigned)sy->rounds);
			if (rnd(&r, 2) == 0)
				UWRITE(f, sy->model + off, n,
				    (off_t)(wregion + off));
			else
				memcpy(v1 + wregion + off, sy->model + off, n);
			tregion_check(sy, full);
			break;
		}
		}
		sy->rounds++;
	}
	return NULL;
}

/* ---- main ---- */

static void *map_rw(off_t off, size_t len, int prot)
{
	void *a = NULL;

	CHECK_ZERO(upager_map(f, off, len, prot, MAP_SHARED, &a));
	return a;
}

/* run_once: one run of it all, with the seed in `seed`. */
static void run_once(void)
{
	struct writer w[NWRITERS];
	struct reader rd;
	struct syncer sy;
	struct upager_stats st;
	uint64_t *img;
	size_t s, i, k;
	int id;
	double t0 = mono_now();

	atomic_store(&writers_done, 0);
	pg = mkpager(BUDGET);
	set_page_size(pg);
	wregion = WPAGES * PG;
	full = wregion + 16 * PG + 123;
	shrunk = wregion + PG + 77;
	slots_per_page = PG / SLOT;
	nslots = wregion / SLOT;
	path = tpath("views");

	/* the file: version 0 of every slot, then zeros to `full` */
	img = xmalloc(wregion);
	for (s = 0; s < nslots; s++)
		for (k = 0; k < WORDS; k++)
			img[s * WORDS + k] = enc(s, (unsigned)k, 0);
	disk_write(path, img, wregion, 0, O_EXCL);
	disk_resize(path, (off_t)full, 0);
	ver = xcalloc(nslots * sizeof(*ver));

	f = uopen(pg, path, O_RDWR);
	v1len = full;
	v2len = wregion;
	v3off = SHARED_PAGES * PG;
	v3len = wregion - v3off;
	v1 = map_rw(0, v1len, PROT_READ | PROT_WRITE);
	v2 = map_rw(0, v2len, PROT_READ | PROT_WRITE);
	v3 = map_rw((off_t)v3off, v3len, PROT_READ | PROT_WRITE);
	vr = map_rw(0, wregion, PROT_READ);

	for (id = 0; id < NWRITERS; id++) {
		struct writer *x = &w[id];

		memset(x, 0, sizeof(*x));
		x->id = id;
		x->view = id < 2 ? v1 : id == 2 ? v2 : v3;
		x->voff = id < 3 ? 0 : v3off;
		x->vlen = id < 2 ? v1len : id == 2 ? v2len : v3len;
		x->pglo = id < 3 ? 0 : SHARED_PAGES;
		x->mine = xmalloc(nslots * sizeof(size_t));
		for (s = 0; s < nslots; s++)
			if (owner_of(s) == id) {
				CHECK(s * SLOT >= x->voff &&
				    s * SLOT + SLOT <= x->voff + x->vlen);
				x->mine[x->nmine++] = s;
			}
		CHECK(x->nmine > 0);
	}
	memset(&rd, 0, sizeof(rd));
	memset(&sy, 0, sizeof(sy));
	sy.model = xcalloc(full - wregion);
	sy.buf = xmalloc(full - wregion + PG);

	for (id = 0; id < NWRITERS; id++)
		CHECK(pthread_create(&w[id].t, NULL, writer_main, &w[id]) == 0);
	CHECK(pthread_create(&rd.t, NULL, reader_main, &rd) == 0);
	CHECK(pthread_create(&sy.t, NULL, syncer_main, &sy) == 0);
	for (id = 0; id < NWRITERS; id++) {
		CHECK(pthread_join(w[id].t, NULL) == 0);
		CHECK_EQ(w[id].preads > 0, 1);
	}
	CHECK(pthread_join(rd.t, NULL) == 0);
	CHECK(pthread_join(sy.t, NULL) == 0);
	PCHECK(pg);

	/* every slot holds its owner's last version, through every path */
	for (s = 0; s < nslots; s++)
		for (k = 0; k < WORDS; k++)
			img[s * WORDS + k] = enc(s, (unsigned)k, ver[s]);
	{
		uint64_t *b = aligned_alloc(64, wregion);

		CHECK(b != NULL);
		CHECK_EQ(upager_pread(f, b, wregion, 0), wregion);
		check_words(b, 0, wregion / 8, -1, NULL, "final pread");
		CHECK_MEM(b, img, wregion);
		free(b);
	}
	CHECK_MEM(v2, img, wregion);
	CHECK_MEM(vr, img, wregion);
	tregion_check(&sy, full);
	CHECK_ZERO(upager_msync(v1, v1len, MS_SYNC));
	CHECK_ZERO(upager_stats(pg, &st));
	CHECK_ZERO(upager_unmap(vr, wregion));
	CHECK_ZERO(upager_unmap(v3, v3len));
	CHECK_ZERO(upager_unmap(v2, v2len));
	CHECK_ZERO(upager_unmap(v1, v1len));
	CHECK_ZERO(upager_close(f));
	CHECK_ZERO(upager_destroy(pg));

	/* on disk: the writers' last versions, then the sync thread's part */
	{
		unsigned char *d = xmalloc(full + 1);
		size_t at;

		CHECK_EQ(disk_size(path), full);
		CHECK_EQ(disk_read(path, d, full + 1, 0), full);
		if ((at = mem_diff(d, img, wregion)) != wregion)
			FAIL("disk: slot %zu (offset %zu, page %zu) differs "
			    "from its owner's last version %u", at / SLOT, at,
			    at / PG, ver[at / SLOT]);
		CHECK_MEM(d + wregion, sy.model, full - wregion);
		free(d);
	}
	/* the budget made pages go and come back under the writers */
	CHECK(st.reclaimed > 0);
	CHECK(st.pages_in > WPAGES);
	CHECK(sy.truncs > 0);

	for (id = 0; id < NWRITERS; id++)
		free(w[id].mine);
	for (i = 0, k = 0; i < nslots; i++)
		k += ver[i];
	free(sy.model);
	free(sy.buf);
	free(ver);
	free(img);
	CHECK(unlink(path) == 0);
	printf("t_conc_views: ok (seed %llu, %d writers, %zu slot writes, "
	    "%llu+%llu reader checks, %llu sync rounds, %llu truncates, "
	    "%llu reclaimed, %llu pages in, %.2f s)\n",
	    (unsigned long long)seed, NWRITERS, k,
	    (unsigned long long)rd.reads, (unsigned long long)rd.vreads,
	    (unsigned long long)sy.rounds, (unsigned long long)sy.truncs,
	    (unsigned long long)st.reclaimed, (unsigned long long)st.pages_in,
	    mono_now() - t0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	double t0 = mono_now(), stress = 0;
	const char *s;
	int iter = 0;

	seed = test_seed(argc, argv);
	at_abort(abort_seed);
	if ((s = env_value("UPAGER_STRESS_SECONDS")) != NULL)
		stress = strtod(s, NULL);
	/* stress: run after run, each with the next seed, for that long */
	do {
		run_once();
		seed++;
		iter++;
	} while (mono_now() - t0 < stress);
	rm_test_dir();
	printf("t_conc_views: ok, %d run(s) in %.1f s\n", iter,
	    mono_now() - t0);
	return 0;
}
