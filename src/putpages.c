/* putpages.c: the write path: clusters, flush flags, retry and error keeping */
#include <errno.h>
#include <sys/mman.h>
#include <stdlib.h>

#include "sys.h"
#include "policy.h"
#include "upager_int.h"

#define PP_MAXCLUSTER 1024  /* pages: a 4 MiB write at most */
#define PP_MAXRUN 64        /* pages freed with one punch */
#define PP_MINASYNC 16      /* pages: smaller clusters a sync's first pass
                               leaves to its second (see pp_put) */

/*
 * pp_freerun: free a run of consecutive pages, BUSY and owned by the
 * caller: all of them if force (their data is being discarded), else
 * those no view wrote since the harvest (pg_tryfree).  Returns how many.
 * => object locked.
 */
static int pp_freerun(struct uobj *o, struct vpage **run, int n, bool force)
{
	if (!force)
		return pg_tryfree(o, run, n);
	pg_freerun(o, run, n);
	return n;
}

/* pp_transient: an error that a second try of the same write may cure. */
static bool pp_transient(int err)
{
	return err == -EAGAIN || err == -ENOMEM || err == -EINTR ||
	    err == -ENOBUFS;
}

/*
 * pp_mkcluster: gather the dirty idle pages around p into one run
 * (uvm_mk_pcluster): back up to half the cluster, then forward.
 * => object locked; p BUSY (owned by the caller).
 * => fills pps[0..n) in ascending order, all BUSY and owned by the caller;
 *    returns n.
 */
static int pp_mkcluster(struct uobj *o, struct vpage *p, struct vpage **pps)
{
	int maxpages = (int)MIN(o->pg->cluster_pages, PP_MAXCLUSTER);
	int nback, nfwd;

	nback = (int)MIN((uint64_t)(maxpages - 1) / 2, p->pgno);
	if (nback > 0)
		(void)pg_findpages(o, p->pgno - 1, &nback, pps,
		    UFP_NOWAIT | UFP_NOALLOC | UFP_DIRTYONLY | UFP_BACKWARD);
	/* findpages filled the tail of pps[0..asked); the count is nback */
	if (nback > 0) {
		int asked = (int)MIN((uint64_t)(maxpages - 1) / 2, p->pgno);
		int i;

		for (i = 0; i < nback; i++)
			pps[i] = pps[asked - nback + i];
	}
	pps[nback] = p;
	nfwd = maxpages - nback - 1;
	(void)pg_findpages(o, p->pgno + 1, &nfwd, &pps[nback + 1],
	    UFP_NOWAIT | UFP_NOALLOC | UFP_DIRTYONLY);
	return nback + 1 + nfwd;
}

/*
 * pp_span: the bytes of the file that pages pps[0..n) (consecutive) hold,
 * [*off, *off + return): cut at EOF, so possibly none.  When views exist,
 * the span is also mapped into the pager map, for the write to read: were
 * the write to fault the frames in there itself, the kernel would map the
 * resident pages around them too (fault-around), frames views map as
 * well, and the process would be seen using more than the budget; mapped
 * beforehand by write faults, which do not map around, exactly the
 * cluster is (pp_iodone drops it after).
 * => object locked; the pages BUSY, owned by the caller.
 */
static size_t pp_span(struct uobj *o, struct vpage **pps, int n, off_t *off)
{
	off_t end = MIN(ptoa(pps[n - 1]->pgno + 1), o->size);

	*off = ptoa(pps[0]->pgno);
	if (end <= *off)
		return 0;
	if (!TAILQ_EMPTY(&o->views))
		(void)sys_madvise(o->win + *off,
		    (size_t)(round_page(end) - *off), MADV_POPULATE_WRITE);
	return (size_t)(end - *off);
}

/*
 * pp_write: write pages pps[0..n) (consecutive) to the file, now
 * (gop_write).  => object locked on entry and on return; unlocked during
 * the I/O.  The pages are BUSY, owned by the caller.
 */
static int pp_write(struct uobj *o, struct vpage **pps, int n, bool bufio)
{
	off_t off;
	size_t len = pp_span(o, pps, n, &off);
	int err;

	if (len == 0)
		return 0;
	pthread_mutex_unlock(&o->lock);
	err = store_write(o, off, len, bufio);
	pthread_mutex_lock(&o->lock);
	return err;
}

static void pp_count_cluster(struct upager *pg, int n)
{
	int b = 0;

	while (b < UPAGER_CLUSTER_BUCKETS - 1 && (2 << b) <= n)
		b++;
	ST_ADD(pg, cluster_hist[b], 1);
}

/*
 * pp_iodone: a pageout of pps[0..n) (consecutive) is over, with error err
 * (0, or the error to keep on the object); the pages whose write failed
 * are dirty again already.  The end of every pageout, synchronous or not
 * (aiodone's part for writes).
 * => object locked; the pages BUSY, owned by the caller, and given up
 *    here.  The pager map's view of the cluster (pp_span) is dropped.
 *    PGO_FREE: the pageout was to free them: free those that are clean,
 *    cold (inactive), idle and unreferenced; the others are unbusied.
 *    Returns how many were freed.
 */
static int pp_iodone(struct uobj *o, struct vpage **pps, int n, int err,
    int flags)
{
	struct upager *pg = o->pg;
	struct vpage *run[PP_MAXCLUSTER];
	bool cold[PP_MAXCLUSTER];
	int i, nrun = 0, nfreed = 0;

	LOCK_ASSERT_HELD(&o->lock);
	if (!(flags & PGO_NOKEEP))
		obj_seterror(o, err);
	if (err != 0) {
		/* back to the active queue, as UVM does: the daemon
		 * goes on with other pages, and comes back to these later */
		obj_dirtied(o);
		pthread_mutex_lock(&pg->pqlock);
		for (i = 0; i < n; i++)
			if (!(pps[i]->flags & PG_CLEAN))
				pg->policy->keep(pg, pps[i]);
		pthread_mutex_unlock(&pg->pqlock);
	}
	obj_unmapwin(o, ptoa(pps[0]->pgno), ptoa(n));
	if (!(flags & PGO_FREE)) {
		for (i = 0; i < n; i++)
			pg_unbusy(o, pps[i]);
		return 0;
	}
	pthread_mutex_lock(&pg->pqlock);
	for (i = 0; i < n; i++)
		cold[i] = pg->policy->iscold(pg, pps[i]);
	pthread_mutex_unlock(&pg->pqlock);
	for (i = 0; i < n; i++) {
		struct vpage *q = pps[i];

		if (cold[i] && (q->flags & (PG_CLEAN | PG_WANTED)) ==
		    PG_CLEAN && q->wire == 0 &&
		    !__atomic_load_n(&q->referenced, __ATOMIC_RELAXED))
			run[nrun++] = q;
		else
			pg_unbusy(o, q);
	}
	if (nrun > 0)
		nfreed = pg_tryfree(o, run, nrun);
	ST_ADD(pg, reclaimed, nfreed);
	return nfreed;
}

/* pp_launder: pps[0..n) enter (or leave) an asynchronous pageout that
 * will free them: they count towards the daemon's target, and it looks
 * past them (PQ_LAUNDRY) rather than take them for pages in use.
 * => pqlock not held */
static void pp_launder(struct upager *pg, struct vpage **pps, int n,
    int flags, bool enter)
{
	int i;

	if (!(flags & PGO_FREE))
		return;
	pthread_mutex_lock(&pg->pqlock);
	if (enter)
		pg->nlaunder += (uint64_t)n;
	else
		pg->nlaunder -= (uint64_t)n;
	for (i = 0; i < n; i++)
		pps[i]->pqflags = enter ? pps[i]->pqflags | PQ_LAUNDRY :
		    pps[i]->pqflags & ~PQ_LAUNDRY;
	pthread_mutex_unlock(&pg->pqlock);
}

/*
 * pp_aiodone: the I/O engine's asynchronous pageout of pps[0..n) is over
 * with error err: the pages are dirty again if it failed, and the error
 * is kept for the next sync, whatever it was (nobody else hears of it),
 * unless PGO_NOKEEP (a sync's first pass: its second writes them again
 * and reports); then as pp_iodone.
 * => object locked; the pages BUSY, owned by the engine, given up here.
 */
void pp_aiodone(struct uobj *o, struct vpage **pps, int n, int err,
    int flags)
{
	struct upager *pg = o->pg;
	int i;

	LOCK_ASSERT_HELD(&o->lock);
	if (err == 0) {
		pp_count_cluster(pg, n);
			if (flags & PGO_FREE)
			ST_ADD(pg, laundered, n);
	} else {
		ST_ADD(pg, write_errors, 1);
		for (i = 0; i < n; i++)
			pps[i]->flags &= ~PG_CLEAN;
	}
	pp_launder(pg, pps, n, flags, false);
	(void)pp_iodone(o, pps, n, err, flags);
	pthread_mutex_lock(&pg->pqlock);
	if ((flags & PGO_FREE) && err != 0)
		pg->pd_lerr = err;
	pthread_cond_signal(&pg->pdcv);
	pthread_mutex_unlock(&pg->pqlock);
}

/*
 * pp_put: write back the cluster around a dirty page (uvm_pager_put).
 * => object locked on entry and on return (dropped during I/O); pqlock not
 *    held; p is BUSY, owned by the caller, and is given up here.
 * => the pages are marked clean before the write, so a page written during
 *    write-back is dirty again afterwards and not lost.
 * => PGO_SYNCIO: write now.  A cluster that fails with a transient error
 *    is retried page by page (dropcluster); after a hard one (EIO,
 *    ENOSPC, ...) no retry.  Pages whose write failed are dirty again and
 *    the error is kept on the object.  Without it, the I/O engine writes
 *    the cluster (aio_write) and pp_aiodone finishes it; only when the
 *    engine cannot take it (out of memory) is it written now.
 * => PGO_ASYNC (a sync's first pass): a cluster of fewer than
 *    PP_MINASYNC pages is not written but left dirty, for the synchronous
 *    pass: through the kernel's cache, scattered small writes reach the
 *    disk together at the fdatasync, where the engine would send each
 *    alone (bench_mmap's dirty16: 123 ms so against 84 ms).
 * => PGO_FREE: free the pages written that are cold and unused since
 *    (pp_iodone); *nfreed gets how many were freed here, 0 when the write
 *    is asynchronous.  *nput gets the cluster's size: its pages are
 *    consecutive, p among them.
 * => returns 0 or the first error of a synchronous write.
 */
int pp_put(struct uobj *o, struct vpage *p, int flags, int *nfreed,
    int *nput)
{
	struct upager *pg = o->pg;
	struct vpage *pps[PP_MAXCLUSTER];
	bool bufio = (flags & PGO_BUFIO) != 0;
	size_t len;
	off_t off;
	int n, i, err, e;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(p->flags & PG_BUSY);
	n = pp_mkcluster(o, p, pps);
	*nput = n;
	*nfreed = 0;
	if ((flags & PGO_ASYNC) && n < PP_MINASYNC) {
		for (i = 0; i < n; i++)
			pg_unbusy(o, pps[i]);
		return 0;
	}
	for (i = 0; i < n; i++)
		pps[i]->flags |= PG_CLEAN;
	if (!(flags & PGO_SYNCIO) && (len = pp_span(o, pps, n, &off)) > 0) {
		pp_launder(pg, pps, n, flags, true);
		if (aio_write(o, pps, n, len, flags) == 0)
			return 0;
		pp_launder(pg, pps, n, flags, false);
	}
	err = pp_write(o, pps, n, bufio);
	if (err == 0) {
		pp_count_cluster(pg, n);
		if (flags & PGO_FREE)
			ST_ADD(pg, laundered, n);
	} else if (pp_transient(err)) {
		/* drop the cluster: each page alone, so that a shortage of
		 * memory or queue slots costs only the pages it hits */
		ST_ADD(pg, write_errors, 1);
		err = 0;
		for (i = 0; i < n; i++) {
			e = pp_write(o, &pps[i], 1, bufio);
			if (e == 0) {
				pp_count_cluster(pg, 1);
				continue;
			}
			ST_ADD(pg, write_errors, 1);
			pps[i]->flags &= ~PG_CLEAN;
			if (err == 0)
				err = e;
		}
	} else {
		/* a hard error: retrying will not cure it; keep it all */
		ST_ADD(pg, write_errors, 1);
		for (i = 0; i < n; i++)
			pps[i]->flags &= ~PG_CLEAN;
	}
	*nfreed = pp_iodone(o, pps, n, err, flags);
	return err;
}

/*
 * pp_flush: clean and/or free the pages of [start, end) (genfs_putpages).
 * => object locked on entry and on return; dropped during I/O and sleeps.
 * => PGO_CLEANIT: write dirty pages back, clustered; PGO_FREE: free the
 *    pages (busy or wired ones are marked RELEASED when not cleaning, else
 *    waited for); PGO_DEACTIVATE: move them to the inactive queue;
 *    PGO_ALLPAGES: the whole object; PGO_BUSYFAIL: -EDEADLK at a busy
 *    page instead of waiting.  PGO_SYNCIO: all I/O here is synchronous.
 * => a busy page is waited for (its owner may be writing it), so when this
 *    returns every page that was dirty on entry has been written or has
 *    failed.  Returns 0 or the first error.
 * => PGO_ASYNC (with PGO_CLEANIT): only start writing the dirty pages, in
 *    the I/O engine, as many clusters at once as it takes, and skip busy
 *    pages: a pass with PGO_SYNCIO after it waits for them (obj_sync).
 */
int pp_flush(struct uobj *o, uint64_t start, uint64_t end, int flags)
{
	bool force = (flags & (PGO_FREE | PGO_CLEANIT)) == PGO_FREE;
	bool async = (flags & PGO_ASYNC) != 0;
	struct vpage *run[PP_MAXRUN], *p;
	uint64_t key = start;
	uint64_t zlo = UINT64_MAX, zhi = 0, zn = 0;
	int err = 0, e, nfreed, nrun = 0, n;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(flags & (PGO_CLEANIT | PGO_FREE | PGO_DEACTIVATE));
	if (flags & PGO_ALLPAGES) {
		key = start = 0;
		end = UINT64_MAX;
	}
	while ((p = rdx_next(&o->idx, &key)) != NULL && key < end) {
		bool dirty = !(p->flags & PG_CLEAN);
		bool idle = !(p->flags & PG_BUSY) && p->wire == 0;

		/* pages to free are gathered in runs: one punch a run */
		if ((flags & PGO_FREE) && idle && (force || !dirty) &&
		    (nrun == 0 || (nrun < PP_MAXRUN &&
		    p->pgno == run[nrun - 1]->pgno + 1))) {
			pg_busy(p);
			run[nrun++] = p;
			key++;
			continue;
		}
		if (nrun > 0) {
			/* pages a view wrote since the harvest are kept,
			 * dirty: look at them again */
			if (pp_freerun(o, run, nrun, force) < nrun)
				key = run[0]->pgno;
			nrun = 0;
			continue;
		}
		if (!idle && (p->flags & PG_BUSY || (flags & PGO_FREE))) {
			if (flags & PGO_BUSYFAIL) {
				err = -EDEADLK;
				break;
			}
			if (async) {
				key++;
				continue;
			}
			if (force) {
				/* not cleaning: whoever holds it frees it;
				 * with SYNCIO, also wait for that, so that no
				 * write-back of it is still running */
				p->flags |= PG_RELEASED;
				if (flags & PGO_SYNCIO) {
					pg_wait(o, p);
					continue;
				}
				key++;
				continue;
			}
			pg_wait(o, p);
			continue;
		}
		if ((flags & PGO_CLEANIT) && dirty) {
			pg_busy(p);
			e = pp_put(o, p, async ? flags & (PGO_ASYNC | PGO_NOKEEP) :
			    (flags & PGO_BUFIO) | PGO_SYNCIO, &nfreed, &n);
			if (async) {
				key++;
				continue;
			}
			/* the writes mapped what they wrote into the pager
			 * map: drop that a cluster's worth at a time (p may
			 * be gone: key is its page number) */
			zlo = MIN(zlo, key - MIN(key, (uint64_t)n));
			zhi = MAX(zhi, key + (uint64_t)n);
			if ((zn += (uint64_t)n) >= o->pg->cluster_pages) {
				obj_unmapwin(o, ptoa(zlo), ptoa(zhi - zlo));
				zlo = UINT64_MAX;
				zhi = zn = 0;
			}
			if (e != 0 && err == 0)
				err = e;
			/* look at p again: free or deactivate it now */
			if (e == 0 && (flags & (PGO_FREE | PGO_DEACTIVATE)))
				continue;
		} else if (flags & PGO_DEACTIVATE) {
			pthread_mutex_lock(&o->pg->pqlock);
			o->pg->policy->cold(o->pg, p);
			pthread_mutex_unlock(&o->pg->pqlock);
		}
		key++;
	}
	if (nrun > 0)
		(void)pp_freerun(o, run, nrun, force);
	if (zn > 0)
		obj_unmapwin(o, ptoa(zlo), ptoa(zhi - zlo));
	return err;
}
