/* pdaemon.c: the page daemon: page queues, reclaim within budget, the syncer */
#include <errno.h>
#include <sched.h>
#include <time.h>

#include "policy.h"
#include "upager_int.h"

/*
 * The page daemon (uvm_pageout) is a thread that keeps free frames
 * between two water marks.  Whoever allocates a frame and leaves fewer
 * than pd_lowat free wakes it (pg_alloc); it reclaims until pd_hiwat are
 * free, or what its waiters want, and sleeps again.  A thread that finds
 * no frame waits for it (pd_wait_free), holding no lock and no busy page,
 * so the daemon can always take the pages it needs; the wait fails only
 * when the daemon can free nothing at all: every page's write-back fails
 * (the write error), or every page stays busy or wired for about ten
 * seconds (-ENOMEM).
 *
 * The daemon takes candidates in the order the replacement policy gives
 * (policy.h; CLOCK by default, clock.c), gives a page in use back to the
 * policy, frees a clean candidate on the spot with the run of cold pages
 * after it, and launders a dirty one in a cluster (pp_put): the I/O
 * engine writes it while the daemon goes on, and the pageout's aiodone
 * frees the pages (pp_aiodone).  Pages in such pageouts count towards the
 * daemon's target.  Below pd_min free frames the daemon launders
 * synchronously, one cluster at a time; synchronous pageout is also its
 * reserve, the emergva of this pager: it needs no memory, so laundering
 * goes on when the engine cannot take a request.
 *
 * The daemon's queue work is under pqlock; it goes against the lock order
 * only with pthread_mutex_trylock on an object's lock.  The syncer thread
 * (the end of this file) writes back pages dirty for longer than
 * syncer_delay_ms.
 */

#define PD_MAXRUN 64
#define PD_LAUNDERQ 4      /* clusters a pass launders at once, at least */
#define PD_STUCK_MS 10000  /* all busy or wired this long: -ENOMEM */
#define PD_MAXINUSE 16     /* candidates in use in a row: pause the scan */
#define PD_FUTILE 16       /* scans since a pageout failed, none freeing:
                              the failure is the pass's result */

/* pd_nfree: frames free now.  => pqlock held */
static uint64_t pd_nfree(struct upager *pg)
{
	LOCK_ASSERT_HELD(&pg->pqlock);
	return pg->budget_pages - pg->nresident;
}

/*
 * pd_marks: set the water marks at create.  Reclaim runs in batches of
 * at least a read-ahead window, as read-ahead never waits for frames and
 * would shrink without them, and of a cluster, or PD_LAUNDERQ clusters
 * where that is not more than an eighth of the budget, so that a writer
 * that outruns the disk keeps that many pageouts in flight rather than
 * one; the marks stay within a quarter and a half of the budget.
 */
void pd_marks(struct upager *pg)
{
	uint64_t b = pg->budget_pages;

	pg->pd_lowat = MIN(MAX(b / 64, (uint64_t)pg->ra_max), b / 4);
	pg->pd_hiwat = MIN(pg->pd_lowat + MAX(MAX(pg->pd_lowat / 2,
	    (uint64_t)pg->cluster_pages), MIN((uint64_t)PD_LAUNDERQ *
	    pg->cluster_pages, b / 8)), b / 2);
	pg->pd_min = MAX(pg->pd_lowat / 8, 1);
}

/*
 * pd_unsampled: is p mapped into views since the daemon last unmapped it
 * to sample its use (pd_deactivate)?  Until then its use does not show.
 */
static bool pd_unsampled(const struct vpage *p)
{
	return (p->flags & (PG_MAPPED | PG_ZAPPED)) == PG_MAPPED;
}

/*
 * pd_gather: p and the pages after it as cold as it (idle, unwired,
 * inactive, unreferenced), up to max: with `unsampled`, those mapped
 * since their use was last sampled (a run to deactivate); without, those
 * clean and sampled (a run to free: one punch).  A sequential scan leaves
 * long runs.
 * => object and pqlock held.  The pages are made BUSY, owned by the caller.
 */
static int pd_gather(struct uobj *o, struct vpage *p, struct vpage **run,
    int max, bool unsampled)
{
	int n = 0;

	do {
		pg_busy(p);
		run[n++] = p;
		if (n >= max)
			break;
		p = pg_lookup(o, p->pgno + 1);
	} while (p != NULL && !(p->flags & PG_BUSY) && p->wire == 0 &&
	    o->pg->policy->iscold(o->pg, p) &&
	    !__atomic_load_n(&p->referenced, __ATOMIC_RELAXED) &&
	    (unsampled ? pd_unsampled(p) :
	    (p->flags & PG_CLEAN) && !pd_unsampled(p)));
	return n;
}

/*
 * pd_deactivate: p, an idle inactive page mapped into views, and the
 * pages after it as cold and as unsampled (up to 64, pd_gather): unmap them
 * from the views (vm_deactivate), and if `tail` send them to the back of
 * the inactive queue.  A page accessed meanwhile faults (a minor fault: its
 * frame is there), which marks it referenced, and the daemon keeps it
 * when it comes back to it; one not accessed is freed then.  This is
 * UVM's deactivation, with the reference bit the kernel keeps for its own
 * mappings sampled by unmapping (as pmaps without one do).
 * => object and pqlock held; pqlock dropped meanwhile.
 */
static void pd_deactivate(struct uobj *o, struct vpage *p, bool tail)
{
	struct upager *pg = o->pg;
	struct vpage *run[PD_MAXRUN];
	int n = pd_gather(o, p, run, PD_MAXRUN, true), i;

	pthread_mutex_unlock(&pg->pqlock);
	vm_deactivate(o, run[0]->pgno, n);
	for (i = 0; i < n; i++) {
		run[i]->flags = (run[i]->flags & ~PG_MAPPED) | PG_ZAPPED;
		pg_unbusy(o, run[i]);
	}
	ST_ADD(pg, deactivated, n);
	pthread_mutex_lock(&pg->pqlock);
	for (i = 0; i < n; i++) {
		run[i]->pqflags &= ~PQ_FRESH;
		if (tail)
			pg->policy->cold(pg, run[i]);
	}
}

/*
 * pd_sample: unmap the pages the policy deactivated since the daemon last
 * looked (pd_deactivate), so that their use shows by the time the daemon
 * reaches them on the inactive queue, as UVM clears a page's reference
 * bit when it deactivates it.
 * => pqlock held on entry and on return; dropped meanwhile.
 */
static void pd_sample(struct upager *pg)
{
	struct vpage *p;
	struct uobj *o;
	int n = 0;

	while (n++ < PD_MAXRUN && (p = pg->policy->fresh(pg)) != NULL) {
		p->pqflags &= ~PQ_FRESH;
		o = p->obj;
		if (pthread_mutex_trylock(&o->lock) != 0)
			continue;
		if (!(p->flags & PG_BUSY) && p->wire == 0 && pd_unsampled(p) &&
		    !__atomic_load_n(&p->referenced, __ATOMIC_RELAXED))
			pd_deactivate(o, p, false);
		pthread_mutex_unlock(&o->lock);
	}
}

/*
 * pd_lockobj: lock the object of candidate p, whose lock trylock found
 * taken.  Skipped, the page would go back to the policy as if in use,
 * and the scan would end after a few more: a thread writing a file
 * through the cache holds its lock so often that a 256 MiB write under
 * a 64 MiB budget made 6,594 such skips (74 with this).  So the daemon
 * waits for the lock, pqlock dropped (the lock order), the object held
 * alive by pdhold (obj_terminate waits for it to go), and checks that p
 * is still the object's page after.  It holds nothing else meanwhile,
 * and whoever holds an object lock never waits for the daemon (frames
 * are waited for with no lock held), so this cannot deadlock.
 * => pqlock held on entry and on return, dropped meanwhile.  Returns
 *    true with the object locked and p still its page; false with
 *    neither.
 */
static bool pd_lockobj(struct upager *pg, struct vpage *p, struct uobj *o)
{
	uint32_t version = p->version;
	uint64_t pgno = p->pgno;
	bool same;

	LOCK_ASSERT_HELD(&pg->pqlock);
	o->pdhold++;
	pthread_mutex_unlock(&pg->pqlock);
	pthread_mutex_lock(&o->lock);
	pthread_mutex_lock(&pg->pqlock);
	o->pdhold--;
	same = p->obj == o && p->version == version && p->pgno == pgno &&
	    !(p->pqflags & PQ_FREE);
	if (!same)
		pthread_mutex_unlock(&o->lock);
	return same;
}

/*
 * pd_scan: free, or start laundering, up to `target` frames from the
 * inactive queue.
 * => pqlock held on entry and on return; dropped while freeing and
 *    laundering.  PGO_SYNCIO in flags: launder synchronously.
 * => returns the frames freed or in pageout; *werr gets the last
 *    laundering error and *skipped the pages passed over because they
 *    were busy or locked, or just unmapped to sample their use.
 */
static uint64_t pd_scan(struct upager *pg, uint64_t target, int flags,
    int *werr, uint64_t *skipped)
{
	uint64_t done = 0, budget = 2 * pg->nresident + 1, inuse = 0;
	uint64_t laundry = 0;
	const struct pd_policy *pol = pg->policy;
	struct vpage *p, *zapped = NULL;
	struct uobj *o;

	LOCK_ASSERT_HELD(&pg->pqlock);
	/* pages in use one after another: their owners are at work on
	 * them (a reader, a fault, a pageout); give them time (pd_run) */
	while (done < target && budget-- > 0 && inuse < PD_MAXINUSE) {
		/* back at a page unmapped in this scan: its use has had no
		 * time to show (and nothing else is left) */
		if ((p = pol->next(pg, target - done)) == NULL || p == zapped)
			break;
		/* being written by a pageout that will free it: the pages
		 * after it are the ones to look at now, until every page in
		 * pageout was passed over once */
		if (p->pqflags & PQ_LAUNDRY) {
			pol->skip(pg, p);
			if (++laundry > pg->nlaunder)
				break;
			continue;
		}
		/* a page in use goes back to the policy: left a candidate,
		 * it would count towards the target while the pages that
		 * can go were never reached */
		o = p->obj;
		if (pthread_mutex_trylock(&o->lock) != 0 &&
		    !pd_lockobj(pg, p, o)) {
			(*skipped)++;
			continue;
		}
		if ((p->flags & PG_BUSY) || p->wire != 0) {
			pol->keep(pg, p);
			(*skipped)++;
			inuse++;
			pthread_mutex_unlock(&o->lock);
			continue;
		}
		inuse = 0;
		if (__atomic_exchange_n(&p->referenced, 0,
		    __ATOMIC_RELAXED)) {
			p->flags &= ~PG_ZAPPED;
			pol->keep(pg, p);
			pthread_mutex_unlock(&o->lock);
			continue;
		}
		if (pd_unsampled(p)) {
			/* used through views, maybe, where no fault says
			 * so: unmap it and look again later */
			if (zapped == NULL)
				zapped = p;
			pd_deactivate(o, p, true);
			(*skipped)++;
			pthread_mutex_unlock(&o->lock);
			continue;
		}
		if ((p->flags & PG_CLEAN) && o->nwviews > 0) {
			/* what views wrote around p is only known by
			 * looking: look at a cluster's worth, so a dirty p
			 * is laundered with all its dirty neighbours.  p
			 * stays: freeing or busying it takes o's lock */
			uint64_t half = pg->cluster_pages / 2;
			uint64_t lo = p->pgno - MIN(p->pgno, half);

			pthread_mutex_unlock(&pg->pqlock);
			vm_harvest(o, lo, p->pgno + half + 1);
			pthread_mutex_lock(&pg->pqlock);
		}
		if (p->flags & PG_CLEAN) {
			struct vpage *run[PD_MAXRUN];
			int n = pd_gather(o, p, run,
			    (int)MIN(target - done, (uint64_t)PD_MAXRUN), false);

			/* pg_tryfree takes pqlock itself */
			pthread_mutex_unlock(&pg->pqlock);
			n = pg_tryfree(o, run, n);
			done += (uint64_t)n;
			ST_ADD(pg, reclaimed, n);
			pthread_mutex_lock(&pg->pqlock);
		} else {
			int nfreed = 0, nput, err;

			pg_busy(p);
			pthread_mutex_unlock(&pg->pqlock);
			err = pp_put(o, p, PGO_CLEANIT | PGO_FREE | flags,
			    &nfreed, &nput);
			if (err != 0)
				*werr = err;
			/* synchronous: what it freed; else all it started */
			done += (uint64_t)((flags & PGO_SYNCIO) ? nfreed :
			    err == 0 ? nput : 0);
			pthread_mutex_lock(&pg->pqlock);
		}
		pthread_mutex_unlock(&o->lock);
	}
	return done;
}

/*
 * pd_persist_free: free the pages of persisting objects (closed and
 * clean), oldest first, until `want` frames are free: a closed file's
 * cache is worth less than that of a file in use, whatever the policy
 * thinks of their pages.
 * => no locks held.  Persisting objects have no dirty page, so this does
 *    no I/O; it may wait for a read-ahead still in flight.
 */
static void pd_persist_free(struct upager *pg, uint64_t want)
{
	struct uobj *o;

	pthread_mutex_lock(&pg->olock);
	TAILQ_FOREACH(o, &pg->persist, persistq) {
		if (pd_have_free(pg, want))
			break;
		pthread_mutex_lock(&o->lock);
		if (o->npages > 0) {
			uint64_t n = o->npages;

			(void)pp_flush(o, 0, UINT64_MAX, PGO_ALLPAGES |
			    PGO_CLEANIT | PGO_FREE | PGO_SYNCIO);
			ST_ADD(pg, reclaimed, n - o->npages);
		}
		pthread_mutex_unlock(&o->lock);
	}
	pthread_mutex_unlock(&pg->olock);
}

/* pd_deadline: ms milliseconds from now, for pthread_cond_timedwait. */
static struct timespec pd_deadline(uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* pd_nap: sleep on the daemon's cv for ms at most.  => pqlock held */
static void pd_nap(struct upager *pg, uint64_t ms)
{
	struct timespec ts = pd_deadline(ms);

	pthread_cond_timedwait(&pg->pdcv, &pg->pqlock, &ts);
}

/* pd_have_free: are at least `want` frames free now?  => pqlock not held */
bool pd_have_free(struct upager *pg, uint64_t want)
{
	bool ok;

	pthread_mutex_lock(&pg->pqlock);
	ok = pd_nfree(pg) >= want;
	pthread_mutex_unlock(&pg->pqlock);
	return ok;
}

/*
 * pd_run: one pass of the daemon: reclaim until the target is free.
 * => pqlock held on entry and on return; dropped while freeing, laundering
 *    and sleeping.
 * => returns 0, or why nothing could be freed: the laundering error when
 *    write-back failed on every candidate, -ENOMEM when there was no
 *    candidate at all or all stayed busy or wired for PD_STUCK_MS.
 */
static int pd_run(struct upager *pg)
{
	uint64_t stuck = 0, target, nfree, skipped, got, seen, now;
	int werr = 0, tries = 0, futile = 0;

	/* progress is frames freed, by the daemon or its pageouts'
	 * aiodone; a pageout started is only a promise */
	seen = __atomic_load_n(&pg->st.reclaimed, __ATOMIC_RELAXED);
	pg->pd_lerr = 0;
	for (;;) {
		target = MAX(pg->pd_hiwat, pg->pd_want);
		if ((nfree = pd_nfree(pg)) >= target || pg->pdstop)
			return 0;
		if (nfree + pg->nlaunder >= target) {
			/* enough on its way: wait for pageouts to finish */
			pd_nap(pg, 10);
			continue;
		}
		if (__atomic_load_n(&pg->npersist, __ATOMIC_RELAXED) > 0) {
			/* a reader took what the last pass freed: closed
			 * files give up their frames first again */
			pthread_mutex_unlock(&pg->pqlock);
			pd_persist_free(pg, target);
			pthread_mutex_lock(&pg->pqlock);
			if (pd_nfree(pg) >= target)
				continue;
		}
		skipped = 0;
		got = pd_scan(pg, target - nfree - pg->nlaunder,
		    nfree < pg->pd_min ? PGO_SYNCIO : 0, &werr, &skipped);
		pd_sample(pg);
		now = __atomic_load_n(&pg->st.reclaimed, __ATOMIC_RELAXED);
		if (now != seen) {
			seen = now;
			stuck = 0;
			tries = futile = 0;
			werr = pg->pd_lerr = 0;
			continue;
		}
		/* pageouts that failed went back to the active queue: scan
		 * on for other pages a while, then give up */
		if (werr == 0)
			werr = pg->pd_lerr;
		if (werr != 0 && ++futile >= PD_FUTILE)
			return werr;
		if (pg->nlaunder > 0) {
			/* nothing freed yet: wait for pageouts */
			pd_nap(pg, 10);
			continue;
		}
		if (got > 0)
			continue;
		if (skipped == 0)
			return werr != 0 ? werr : -ENOMEM;
		/* every candidate was busy or its object locked: most such
		 * locks are held for microseconds, so yield a few times
		 * before sleeping until a page is unbusied */
		if (stuck == 0)
			stuck = now_ms();
		else if (now_ms() - stuck > PD_STUCK_MS)
			return werr != 0 ? werr : -ENOMEM;
		if (++tries <= 16) {
			pthread_mutex_unlock(&pg->pqlock);
			sched_yield();
			pthread_mutex_lock(&pg->pqlock);
			continue;
		}
		/* with nobody waiting, there is no hurry */
		pd_nap(pg, pg->pd_nwait > 0 ? 1 : 10);
	}
}

/*
 * pd_thread: the page daemon: sleep until free frames fall below the low
 * water mark or someone waits for frames, then reclaim (pd_run); each
 * pass ends with the waiters woken and its result in pd_err.
 */
static void *pd_thread(void *arg)
{
	struct upager *pg = arg;
	uint64_t want;
	int err;

	pthread_mutex_lock(&pg->pqlock);
	while (!pg->pdstop) {
		/* waiters whose frames are free are about to leave */
		if (pd_nfree(pg) >= MAX(pg->pd_lowat, pg->pd_want)) {
			pthread_cond_wait(&pg->pdcv, &pg->pqlock);
			continue;
		}
		want = MAX(pg->pd_hiwat, pg->pd_want);
		pthread_mutex_unlock(&pg->pqlock);
		pd_persist_free(pg, want);
		pthread_mutex_lock(&pg->pqlock);
		err = pd_run(pg);
		pg->pd_err = err;
		pg->pd_pass++;
		if (pg->pd_nwait == 0)
			pg->pd_want = 0;
		ST_ADD(pg, pdaemon_passes, 1);
		pthread_cond_broadcast(&pg->freecv);
		pthread_mutex_unlock(&pg->pqlock);
		vm_frames_wake(pg, err);
		pthread_mutex_lock(&pg->pqlock);
		if (err != 0 && !pg->pdstop) {
			/* nothing to be had for now: try again later, or
			 * when a new waiter comes */
			pd_nap(pg, 100);
		}
	}
	pthread_mutex_unlock(&pg->pqlock);
	return NULL;
}

/*
 * pd_reap: stop one of this file's threads (the daemon, the syncer):
 * *stop set under its lock m, its cv signalled, then joined.
 * => no locks held.
 */
static void pd_reap(pthread_mutex_t *m, pthread_cond_t *cv, bool *stop,
    pthread_t t, bool *started)
{
	if (!*started)
		return;
	pthread_mutex_lock(m);
	*stop = true;
	pthread_cond_signal(cv);
	pthread_mutex_unlock(m);
	pthread_join(t, NULL);
	*started = false;
}

/* pd_start: the page daemon, at create.  => no locks held */
int pd_start(struct upager *pg)
{
	int err = pg_thread(&pg->pdthread, pd_thread, pg);

	pg->pdstarted = err == 0;
	return err;
}

/* pd_stop: stop the page daemon.  => no locks held, no waiter */
void pd_stop(struct upager *pg)
{
	pd_reap(&pg->pqlock, &pg->pdcv, &pg->pdstop, pg->pdthread,
	    &pg->pdstarted);
}

/*
 * pd_kick: ask the daemon for `want` free frames without waiting for them
 * (a fault parks instead: vm_park); *pass gets the daemon's pass number.
 * => no locks held.  Returns true when they are free already.
 */
bool pd_kick(struct upager *pg, uint64_t want, uint64_t *pass)
{
	bool ok;

	want = MIN(want, pg->budget_pages / 2);
	pthread_mutex_lock(&pg->pqlock);
	*pass = pg->pd_pass;
	if (!(ok = pd_nfree(pg) >= want)) {
		pg->pd_want = MAX(pg->pd_want, want);
		pthread_cond_signal(&pg->pdcv);
	}
	pthread_mutex_unlock(&pg->pqlock);
	return ok;
}

/*
 * pd_wait_free: wait until `want` frames are free, waking the daemon.
 * => no locks held on entry or on return; the caller holds no busy page.
 * => returns 0, or the daemon's error when a whole pass after this call
 *    began freed nothing (see pd_run).
 */
int pd_wait_free(struct upager *pg, uint64_t want)
{
	uint64_t pass0;
	int err = 0;

	want = MIN(want, pg->budget_pages / 2);
	pthread_mutex_lock(&pg->pqlock);
	pass0 = pg->pd_pass;
	while (pd_nfree(pg) < want) {
		/* a pass that ended after this wait began failed */
		if (pg->pd_pass > pass0 + 1 && pg->pd_err != 0) {
			err = pg->pd_err;
			break;
		}
		pg->pd_nwait++;
		pg->pd_want = MAX(pg->pd_want, want);
		pthread_cond_signal(&pg->pdcv);
		pthread_cond_wait(&pg->freecv, &pg->pqlock);
		if (--pg->pd_nwait == 0)
			pg->pd_want = 0;
	}
	pthread_mutex_unlock(&pg->pqlock);
	return err;
}

/* now_ms: a monotonic clock in milliseconds, for the syncer's ages. */
uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * sy_due: should the syncer write this object back now?  Dirty for
 * longer than the delay, or mapped writeable (what views write is only
 * known by looking) and not looked at for as long.
 * => olock held; reads the object's times without its lock (a stale
 *    answer costs one early or late pass).
 */
static bool sy_due(struct upager *pg, struct uobj *o, uint64_t now)
{
	uint64_t since = __atomic_load_n(&o->dirty_since, __ATOMIC_RELAXED);
	uint64_t seen = __atomic_load_n(&o->synced_at, __ATOMIC_RELAXED);
	int nw = __atomic_load_n(&o->nwviews, __ATOMIC_RELAXED);

	if (since != 0 && now - since >= pg->cfg.syncer_delay_ms)
		return true;
	return nw > 0 && now - seen >= pg->cfg.syncer_delay_ms;
}

/*
 * sy_thread: the syncer (vn_syncer): write back the files whose dirty
 * pages are older than syncer_delay_ms, without waiting for the disk.
 * Errors stay on the object, reported by the next upager_sync.
 */
static void *sy_thread(void *arg)
{
	struct upager *pg = arg;
	uint64_t tick = MAX(MIN(pg->cfg.syncer_delay_ms / 4, 1000u), 10u);
	struct uobj *o, *due[16];
	struct timespec ts;
	int n, i;

	pthread_mutex_lock(&pg->sylock);
	while (!pg->systop) {
		ts = pd_deadline(tick);
		pthread_cond_timedwait(&pg->sycv, &pg->sylock, &ts);
		if (pg->systop)
			break;
		pthread_mutex_unlock(&pg->sylock);
		/* a few at a time, each referenced while it is written */
		n = 0;
		pthread_mutex_lock(&pg->olock);
		TAILQ_FOREACH(o, &pg->wlist, wlistq)
			if (n < 16 && sy_due(pg, o, now_ms())) {
				o->refs++;
				due[n++] = o;
			}
		pthread_mutex_unlock(&pg->olock);
		for (i = 0; i < n; i++)
			(void)obj_writeback(due[i]);
		for (i = 0; i < n; i++)
			obj_release(pg, due[i]);
		pthread_mutex_lock(&pg->sylock);
	}
	pthread_mutex_unlock(&pg->sylock);
	return NULL;
}

/* sy_start: the syncer thread, at create.  => no locks held */
int sy_start(struct upager *pg)
{
	int err = pg_thread(&pg->sythread, sy_thread, pg);

	pg->systarted = err == 0;
	return err;
}

/* sy_stop: stop the syncer.  => no locks held */
void sy_stop(struct upager *pg)
{
	pd_reap(&pg->sylock, &pg->sycv, &pg->systop, pg->sythread,
	    &pg->systarted);
}
