/* aio.c: the I/O engine: asynchronous reads and their completion (aiodone) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "upager_int.h"

/*
 * Read-ahead must not make the reader wait: getpages reads the pages
 * asked for and hands the rest of the window to this engine, whose worker
 * threads read it and complete it in aio_done (uvm_aio_aiodone): the
 * pages become valid and unbusied, sleepers wake; on a read error they
 * are freed, so nothing bad stays cached.  The pages of a request are
 * BUSY from submission to completion, owned by the engine; a busy page
 * pins its object (terminate waits for it), so a request keeps its
 * object alive.
 *
 * This is the engine of worker threads with pread; an io_uring engine
 * behind the same two calls is the next step.
 */

#define AIO_CHUNK 64  /* pages a request reads, at most: 256 KiB */

struct aio_req {
	TAILQ_ENTRY(aio_req) q;
	struct uobj *obj;
	off_t limit;               /* the file size at submission */
	int n;
	int ndemand;               /* pages at the start a fault waits for */
	struct vpage *pps[];       /* consecutive pages, BUSY|FAKE */
};

/*
 * aio_done: complete a read (aiodone).
 * => no locks held; takes the object lock.
 */
static void aio_done(struct aio_req *r, int err, const char *holes)
{
	struct uobj *o = r->obj;
	int i;

	pthread_mutex_lock(&o->lock);
	if (err != 0)
		ST_ADD(o->pg, read_errors, 1);
	for (i = 0; i < r->n; i++) {
		struct vpage *p = r->pps[i];

		if (err == 0) {
			p->flags &= ~PG_FAKE;
			if (i >= r->ndemand)
				p->flags |= PG_RAHEAD;
			if (holes[i])
				p->flags |= PG_RDONLY;
		} else {
			/* the faults that started this read get SIGBUS */
			vm_pend_wake(o, p, err);
		}
		/* still FAKE after an error: freed here */
		pg_unbusy(o, p);
	}
	ST_ADD(o->pg, ra_pages, err == 0 ? r->n - r->ndemand : 0);
	pthread_mutex_unlock(&o->lock);
}

/* aio_worker: take requests off the queue, read, complete. */
static void *aio_worker(void *arg)
{
	struct upager *pg = arg;
	struct aio_req *r;
	char holes[GP_MAXRA];
	int err;

	pthread_mutex_lock(&pg->aiolock);
	for (;;) {
		while ((r = TAILQ_FIRST(&pg->aioq)) == NULL && !pg->aiostop)
			pthread_cond_wait(&pg->aiocv, &pg->aiolock);
		if (r == NULL)
			break;
		TAILQ_REMOVE(&pg->aioq, r, q);
		pthread_mutex_unlock(&pg->aiolock);
		memset(holes, 0, (size_t)r->n);
		err = store_read(r->obj, ptoa(r->pps[0]->pgno),
		    (size_t)ptoa(r->n), r->limit, holes);
		aio_done(r, err, holes);
		free(r);
		pthread_mutex_lock(&pg->aiolock);
	}
	pthread_mutex_unlock(&pg->aiolock);
	return NULL;
}

/* aio_start: the worker threads, at the first request.  => aiolock held */
static int aio_start(struct upager *pg)
{
	int i, err = 0;

	for (i = 0; i < AIO_NTHREADS; i++)
		if ((err = pg_thread(&pg->aiothreads[i], aio_worker, pg)) != 0)
			break;
	pg->aiostarted = i;
	return pg->aiostarted > 0 ? 0 : err;
}

/*
 * aio_read: read pps[0..n) (consecutive pages, BUSY|FAKE, owned by the
 * caller) asynchronously; the engine owns them from now on.
 * => object locked.  Returns 0, or -ENOMEM / a thread error, in which case
 *    the pages are still the caller's.
 * => AIO_DEMAND: a fault waits for the first page: the request goes to
 *    the head of the queue, ahead of read-ahead, and its first page is not
 *    counted as read ahead.
 */
int aio_read(struct uobj *o, struct vpage **pps, int n, int flags)
{
	struct upager *pg = o->pg;
	struct aioreqlist batch = TAILQ_HEAD_INITIALIZER(batch);
	struct aio_req *r;
	int err = 0, i, c;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(n > 0 && n <= GP_MAXRA);
	/* in pieces, so that a reader gets the first pages of a window
	 * before the whole of it is read, and workers read in parallel */
	for (i = 0; i < n; i += c) {
		c = MIN(n - i, AIO_CHUNK);
		if ((r = malloc(sizeof(*r) + (size_t)c * sizeof(r->pps[0]))) ==
		    NULL) {
			err = -ENOMEM;
			goto fail;
		}
		r->obj = o;
		r->limit = o->size;
		r->n = c;
		r->ndemand = (flags & AIO_DEMAND) && i == 0 ? 1 : 0;
		memcpy(r->pps, &pps[i], (size_t)c * sizeof(pps[0]));
		TAILQ_INSERT_TAIL(&batch, r, q);
	}
	pthread_mutex_lock(&pg->aiolock);
	if (pg->aiostarted == 0 && (err = aio_start(pg)) != 0) {
		pthread_mutex_unlock(&pg->aiolock);
		goto fail;
	}
	if (flags & AIO_DEMAND) {
		while ((r = TAILQ_LAST(&batch, aioreqlist)) != NULL) {
			TAILQ_REMOVE(&batch, r, q);
			TAILQ_INSERT_HEAD(&pg->aioq, r, q);
		}
	} else {
		TAILQ_CONCAT(&pg->aioq, &batch, q);
	}
	pthread_cond_broadcast(&pg->aiocv);
	pthread_mutex_unlock(&pg->aiolock);
	return 0;
fail:
	while ((r = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, r, q);
		free(r);
	}
	return err;
}

/* aio_fini: stop the workers once the queue is empty.  => no locks held */
void aio_fini(struct upager *pg)
{
	int i;

	pthread_mutex_lock(&pg->aiolock);
	pg->aiostop = true;
	pthread_cond_broadcast(&pg->aiocv);
	pthread_mutex_unlock(&pg->aiolock);
	for (i = 0; i < pg->aiostarted; i++)
		pthread_join(pg->aiothreads[i], NULL);
	pg->aiostarted = 0;
}
