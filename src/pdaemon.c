/* pdaemon.c: page queues, the replacement policy, reclaim within budget */
#include <errno.h>
#include <sched.h>
#include <time.h>

#include "policy.h"
#include "upager_int.h"

/*
 * The page daemon frees frames when the budget is used up: it takes
 * candidates in the order the replacement policy gives (policy.h; CLOCK
 * by default, clock.c), gives a page in use back to the policy, frees a
 * clean candidate on the spot, with the run of cold pages after it, and
 * launders a dirty one in a cluster first (putpages).
 *
 * Reclaim runs in the thread that needs frames, with no locks held
 * (pd_wait_free); a page-daemon thread is the next step.  All of this
 * file's queue work is under pqlock.  The syncer thread (the end of this
 * file) writes back pages dirty for longer than syncer_delay_ms.
 */

#define PD_MAXRUN 64

/*
 * pd_coldrun: p, a clean idle inactive page, and the pages after it that
 * are as cold (clean, idle, unwired, unreferenced, inactive), up to max:
 * freed together they cost one punch.  A sequential scan leaves long runs.
 * => object and pqlock held.  The pages are made BUSY, owned by the caller.
 */
static int pd_coldrun(struct uobj *o, struct vpage *p, struct vpage **run,
    int max)
{
	int n = 0;

	do {
		pg_busy(p);
		run[n++] = p;
		if (n >= max)
			break;
		p = pg_lookup(o, p->pgno + 1);
	} while (p != NULL && (p->flags & (PG_CLEAN | PG_BUSY)) == PG_CLEAN &&
	    p->wire == 0 && o->pg->policy->iscold(o->pg, p) &&
	    !__atomic_load_n(&p->referenced, __ATOMIC_RELAXED));
	return n;
}

/*
 * pd_scan: free up to `target` frames from the inactive queue.
 * => pqlock held on entry and on return; dropped while laundering.
 * => returns the number freed; *werr gets the last laundering error and
 *    *skipped the pages passed over because they were busy or locked.
 */
static uint64_t pd_scan(struct upager *pg, uint64_t target, int *werr,
    uint64_t *skipped)
{
	uint64_t freed = 0, budget = 2 * pg->nresident + 1;
	const struct pd_policy *pol = pg->policy;
	struct vpage *p;
	struct uobj *o;

	while (freed < target && budget-- > 0) {
		if ((p = pol->next(pg, target - freed)) == NULL)
			break;
		/* a page in use goes back to the policy: left a candidate,
		 * it would count towards the target while the pages that
		 * can go were never reached */
		o = p->obj;
		if (pthread_mutex_trylock(&o->lock) != 0) {
			pol->keep(pg, p);
			(*skipped)++;
			continue;
		}
		if ((p->flags & PG_BUSY) || p->wire != 0) {
			pol->keep(pg, p);
			(*skipped)++;
		} else if (__atomic_exchange_n(&p->referenced, 0,
		    __ATOMIC_RELAXED)) {
			pol->keep(pg, p);
		} else if (p->flags & PG_CLEAN) {
			struct vpage *run[PD_MAXRUN];
			int n = pd_coldrun(o, p, run,
			    (int)MIN(target - freed, (uint64_t)PD_MAXRUN));

			/* pg_tryfree takes pqlock itself */
			pthread_mutex_unlock(&pg->pqlock);
			n = pg_tryfree(o, run, n);
			freed += (uint64_t)n;
			ST_ADD(pg, reclaimed, n);
			pthread_mutex_lock(&pg->pqlock);
		} else {
			int nfreed = 0, nput, err;

			pg_busy(p);
			pthread_mutex_unlock(&pg->pqlock);
			err = pp_put(o, p, PGO_CLEANIT | PGO_SYNCIO | PGO_FREE,
			    &nfreed, &nput);
			if (err != 0)
				*werr = err;
			freed += (uint64_t)nfreed;
			ST_ADD(pg, reclaimed, nfreed);
			pthread_mutex_lock(&pg->pqlock);
		}
		pthread_mutex_unlock(&o->lock);
	}
	return freed;
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

/* pd_have_free: are at least `want` frames free now?  => pqlock not held */
bool pd_have_free(struct upager *pg, uint64_t want)
{
	bool ok;

	pthread_mutex_lock(&pg->pqlock);
	ok = pg->budget_pages - pg->nresident >= want;
	pthread_mutex_unlock(&pg->pqlock);
	return ok;
}

/*
 * pd_wait_free: make `want` frames free, reclaiming in the calling thread.
 * => no locks held on entry or on return; the caller holds no busy page.
 * => returns 0; or the laundering error when nothing could be freed
 *    because write-back failed; or -ENOMEM when every page stays busy or
 *    wired for long (about ten seconds).
 */
int pd_wait_free(struct upager *pg, uint64_t want)
{
	/* free more than asked, so that reclaim runs in batches and the
	 * read-ahead that never waits for frames finds a window's worth */
	uint64_t slack = MAX(pg->budget_pages / 64, pg->ra_max);
	int err = 0, waits = 0;

	want = MIN(want, pg->budget_pages / 2);
	pd_persist_free(pg, want + slack);
	pthread_mutex_lock(&pg->pqlock);
	while (pg->budget_pages - pg->nresident < want) {
		uint64_t skipped = 0, got;
		int werr = 0;

		got = pd_scan(pg, want + slack -
		    (pg->budget_pages - pg->nresident), &werr, &skipped);
		if (got > 0)
			continue;
		if (werr != 0 && skipped == 0) {
			err = werr;
			break;
		}
		if (skipped == 0 || ++waits > 10000) {
			err = werr != 0 ? werr : -ENOMEM;
			break;
		}
		/* every candidate was busy or its object locked: most such
		 * locks are held for microseconds, so yield a few times
		 * before sleeping until someone frees a frame */
		if (waits <= 16) {
			pthread_mutex_unlock(&pg->pqlock);
			sched_yield();
			pthread_mutex_lock(&pg->pqlock);
			continue;
		}
		struct timespec ts = pd_deadline(1);

		pthread_cond_timedwait(&pg->freecv, &pg->pqlock, &ts);
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
	if (!pg->systarted)
		return;
	pthread_mutex_lock(&pg->sylock);
	pg->systop = true;
	pthread_cond_signal(&pg->sycv);
	pthread_mutex_unlock(&pg->sylock);
	pthread_join(pg->sythread, NULL);
	pg->systarted = false;
}
