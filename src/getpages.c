/* getpages.c: the read path: find or fill pages, holes, EOF, read-ahead */
#include <errno.h>
#include <string.h>

#include "upager_int.h"


/*
 * gp_readahead: add up to `want` pages after pgno for read-ahead.
 * => object locked.  Stops at EOF, at the first resident page and when no
 *    frame is free (read-ahead never waits).  The pages got are BUSY|FAKE.
 */
static int gp_readahead(struct uobj *o, uint64_t pgno, int want,
    struct vpage **rapps)
{
	uint64_t eofpg = atop(round_page(o->size));
	int n = 0, err;

	/* the frames must exist: the file may have grown by truncation */
	if (obj_window(o, ptoa(MIN(pgno + (uint64_t)want, eofpg))) != 0)
		return 0;
	while (n < want && pgno + (uint64_t)n < eofpg &&
	    pg_lookup(o, pgno + (uint64_t)n) == NULL) {
		if ((rapps[n] = pg_alloc(o, pgno + (uint64_t)n, &err)) == NULL)
			break;
		n++;
	}
	return n;
}

/*
 * gp_readasync: start reading the pages of [lo, hi) that are not resident
 * in the I/O engine, a request a run of at most GP_MAXRA pages; with
 * `mark`, the first page read is marked PG_RAMARK (see gp_ramark).
 * => object locked.  Never waits: with no free frame, it reads less.
 */
void gp_readasync(struct uobj *o, uint64_t lo, uint64_t hi, bool mark)
{
	struct vpage *run[GP_MAXRA];
	uint64_t k = lo;
	int n;

	LOCK_ASSERT_HELD(&o->lock);
	while (k < hi) {
		if (pg_lookup(o, k) != NULL) {
			k++;
			continue;
		}
		n = gp_readahead(o, k, (int)MIN(hi - k, (uint64_t)GP_MAXRA),
		    run);
		if (n == 0)
			break;
		if (mark)
			run[0]->flags |= PG_RAMARK;
		if (aio_read(o, run, n, 0) != 0) {
			run[0]->flags &= ~PG_RAMARK;
			pg_release(o, run, n);
			break;
		}
		mark = false;
		k += (uint64_t)n;
	}
}

/*
 * gp_ranote: count read-ahead pages of o used on demand (hits) and freed
 * unused (waste), lately: the counts halve as they grow, so old history
 * fades.  A miss read without read-around counts -1 waste, so that
 * reading around is tried again after a while.  => no lock needed.
 */
void gp_ranote(struct uobj *o, int hits, int waste)
{
	uint32_t h, w;

	h = __atomic_add_fetch(&o->ra_hits, (uint32_t)hits, __ATOMIC_RELAXED);
	if (waste < 0) {
		w = __atomic_load_n(&o->ra_waste, __ATOMIC_RELAXED);
		if (w > 0)
			__atomic_store_n(&o->ra_waste, w - 1, __ATOMIC_RELAXED);
		return;
	}
	w = __atomic_add_fetch(&o->ra_waste, (uint32_t)waste,
	    __ATOMIC_RELAXED);
	if (h + w > GP_RAHISTORY) {
		__atomic_store_n(&o->ra_hits, h / 2, __ATOMIC_RELAXED);
		__atomic_store_n(&o->ra_waste, w / 2, __ATOMIC_RELAXED);
	}
}

/*
 * gp_rawasteful: is most of what reading around brings into o freed
 * unused?  Then a fault that is not sequential reads its page alone: a
 * random pattern over a file larger than the budget, where each page read
 * around pushes out another the program may want.
 */
bool gp_rawasteful(struct uobj *o)
{
	return __atomic_load_n(&o->ra_waste, __ATOMIC_RELAXED) >
	    4 * __atomic_load_n(&o->ra_hits, __ATOMIC_RELAXED) + GP_RASLACK;
}

/*
 * gp_ramark: a reader reached the first page of an asynchronous read-ahead
 * window: start the next window, `win` pages (the read-ahead limit if 0)
 * from the first page after p's window that is not resident, so the
 * reading stays a window ahead of the reader.
 * => object locked.  Never waits: no free frame, no read-ahead.
 */
void gp_ramark(struct uobj *o, struct vpage *p, int win)
{
	uint64_t eofpg = atop(round_page(o->size)), k = p->pgno + 1, end;

	LOCK_ASSERT_HELD(&o->lock);
	p->flags &= ~PG_RAMARK;
	win = (int)MIN((uint32_t)(win > 0 ? win : (int)o->pg->ra_max),
	    o->pg->ra_max);
	if (win < 2 * GP_SYNCRA)
		return;
	/* the window p starts is resident (or being read) up to its end,
	 * at most win pages on: the next one starts there */
	end = MIN(p->pgno + 2 * (uint64_t)win, eofpg);
	while (k < end && pg_lookup(o, k))
		k++;
	if (k < end)
		gp_readasync(o, k, MIN(k + (uint64_t)win, eofpg), true);
}

/*
 * gp_startread: start reading the missing page at pgno, and up to rapages
 * after it (read-ahead), in the I/O engine: the page and the first
 * GP_SYNCRA pages after it go first in the engine's queue, the rest of
 * the window after them, its first page marked (PG_RAMARK).
 * => object locked; pgno below EOF and not resident.  Never sleeps.
 * => returns 0: the page is BUSY|FAKE, owned by the engine, which
 *    unbusies it when the read is done (aio_done); -EAGAIN: no free frame
 *    (the caller waits for the page daemon, then tries again); -ENOMEM or
 *    another error of the engine: nothing was started.
 */
int gp_startread(struct uobj *o, uint64_t pgno, int rapages)
{
	struct vpage *pps[1 + GP_SYNCRA];
	uint64_t eofpg = atop(round_page(o->size));
	int n, err;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(pg_lookup(o, pgno) == NULL);
	if ((err = obj_window(o, ptoa(pgno + 1))) != 0)
		return err;
	if ((n = gp_readahead(o, pgno, 1 + MIN(rapages, GP_SYNCRA), pps)) == 0)
		return -EAGAIN;
	ST_ADD(o->pg, misses, 1);
	if ((err = aio_read(o, pps, n, AIO_DEMAND)) != 0) {
		pg_release(o, pps, n);
		return err;
	}
	if (rapages > n - 1)
		gp_readasync(o, pgno + (uint64_t)n, MIN(pgno + 1 +
		    (uint64_t)rapages, eofpg), true);
	return 0;
}

/*
 * gp_fill: read the pages among pps[0..n) marked in fill[] from the file.
 * => object unlocked: the pages are BUSY, owned by the caller, so their
 *    frames are ours to write; fill[] (which were FAKE) was taken under
 *    the lock, as flags may not be read without it.  `limit` is the file
 *    size when the pages were taken: nothing at or past it is read.
 * => holes[i] is set for pages that were holes (no I/O was done).
 * => returns 0 or the first read error.
 */
static int gp_fill(struct uobj *o, struct vpage **pps, int n,
    const char *fill, off_t limit, char *holes)
{
	int i = 0, j, err = 0;

	while (i < n) {
		if (!fill[i]) {
			i++;
			continue;
		}
		for (j = i + 1; j < n && fill[j] &&
		    pps[j]->pgno == pps[j - 1]->pgno + 1; j++)
			;
		err = store_read(o, ptoa(pps[i]->pgno), (size_t)ptoa(j - i),
		    limit, &holes[i]);
		if (err != 0)
			break;
		i = j;
	}
	return err;
}

/*
 * gp_getpages: get *npages pages from pgno, resident and valid
 * (genfs_getpages, synchronous).
 * => object locked on entry and on return; dropped during I/O and while
 *    waiting for frames or busy pages.
 * => on success pps[0..*npages) are BUSY, owned by the caller; *npages is
 *    cut at EOF (at the request's end with PGO_PASTEOF).  On error no page
 *    is held.
 * => access VM_PROT_WRITE: holes and pages past the file's allocated end
 *    get their blocks (store_alloc) before return, so a write into them
 *    cannot fail later for want of space; RDONLY is cleared.
 * => PGO_OVERWRITE: the caller overwrites the pages whole: missing pages
 *    are not read and come back still PG_FAKE, for the caller to fill and
 *    clear.  PGO_PASTEOF: the pages may lie past EOF (extending write).
 * => rapages: when I/O is needed anyway, read up to this many pages after
 *    the request in the same I/O (read-ahead), left unbusied.
 * => returns 0, -EINVAL (pgno at or past EOF), -EIO and other read
 *    errors, -ENOSPC and other allocation errors, -ENOMEM.
 */
int gp_getpages(struct uobj *o, uint64_t pgno, int *npages,
    struct vpage **pps, int access, int flags, int rapages)
{
	struct upager *pg = o->pg;
	bool write = (access & VM_PROT_WRITE) != 0;
	struct vpage *all[UBC_MAXPAGES + GP_MAXRA];
	char holes[UBC_MAXPAGES + GP_MAXRA], fill[UBC_MAXPAGES + GP_MAXRA];
	int n, got, i, nra = 0, err = 0;
	bool needio, needalloc;
	off_t memeof, limit;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(*npages > 0 && *npages <= UBC_MAXPAGES);
retry:
	memeof = o->size;
	if (flags & PGO_PASTEOF)
		memeof = MAX(memeof, ptoa(pgno + (uint64_t)*npages));
	if (ptoa(pgno) >= memeof)
		return -EINVAL;
	n = (int)MIN((uint64_t)*npages, atop(round_page(memeof)) - pgno);
	if ((err = obj_window(o, ptoa(pgno + (uint64_t)n))) != 0)
		return err;

	/* the resident pass */
	got = n;
	err = pg_findpages(o, pgno, &got, pps, UFP_ALL);
	if (got < n) {
		pg_release(o, pps, got);
		if (err != -EAGAIN)
			return err != 0 ? err : -ENOMEM;
		pthread_mutex_unlock(&o->lock);
		err = pd_wait_free(pg, (uint64_t)n);
		pthread_mutex_lock(&o->lock);
		if (err != 0)
			return err;
		goto retry;
	}
	needio = needalloc = false;
	for (i = 0; i < n; i++) {
		struct vpage *p = pps[i];

		if (p->flags & PG_FAKE) {
			needio = true;
			ST_ADD(pg, misses, 1);
		} else {
			ST_ADD(pg, hits, 1);
			if (p->flags & PG_RAHEAD) {
				p->flags &= ~PG_RAHEAD;
				ST_ADD(pg, ra_used, 1);
				gp_ranote(o, 1, 0);
			}
			if ((p->flags & PG_RAMARK) && !write)
				gp_ramark(o, p, rapages);
			if (write && (p->flags & PG_RDONLY))
				needalloc = true;
		}
	}
	if (!needio)
		goto alloc;
	if (flags & PGO_OVERWRITE) {
		needalloc = write;
		goto alloc;
	}

	/* the I/O pass: one read per run of missing pages, with the start
	 * of the read-ahead; the rest of the window goes to the I/O engine,
	 * so the caller waits for its pages, not for the whole window */
	memcpy(all, pps, (size_t)n * sizeof(*all));
	if (!write && rapages > 0)
		nra = gp_readahead(o, pgno + (uint64_t)n, MIN(rapages, GP_MAXRA),
		    &all[n]);
	if (nra > GP_SYNCRA) {
		all[n + GP_SYNCRA]->flags |= PG_RAMARK;
		if (aio_read(o, &all[n + GP_SYNCRA], nra - GP_SYNCRA, 0) == 0)
			nra = GP_SYNCRA;
		else
			all[n + GP_SYNCRA]->flags &= ~PG_RAMARK;
	}
	limit = o->size;
	memset(holes, 0, (size_t)(n + nra));
	for (i = 0; i < n; i++)
		fill[i] = (pps[i]->flags & PG_FAKE) != 0;
	memset(&fill[n], 1, (size_t)nra);
	pthread_mutex_unlock(&o->lock);
	err = gp_fill(o, all, n + nra, fill, limit, holes);
	pthread_mutex_lock(&o->lock);
	obj_unmapwin(o, ptoa(pgno), ptoa(n + nra));
	if (err != 0) {
		/* FAKE pages are freed as they are unbusied: nothing bad stays */
		ST_ADD(pg, read_errors, 1);
		pg_release(o, all, n + nra);
		return err;
	}
	for (i = 0; i < n + nra; i++) {
		struct vpage *p = all[i];

		if (!(p->flags & PG_FAKE))
			continue;
		p->flags &= ~PG_FAKE;
		if (holes[i]) {
			p->flags |= PG_RDONLY;
			needalloc |= write;
		}
		if (i >= n) {
			p->flags |= PG_RAHEAD;
			pg_unbusy(o, p);
		}
	}
	ST_ADD(pg, ra_pages, nra);

alloc:
	if (needalloc) {
		pthread_mutex_unlock(&o->lock);
		err = store_alloc(o, ptoa(pgno), ptoa(n));
		pthread_mutex_lock(&o->lock);
		if (err != 0) {
			pg_release(o, pps, n);
			return err;
		}
		for (i = 0; i < n; i++)
			pps[i]->flags &= ~PG_RDONLY;
	}
	*npages = n;
	return 0;
}
