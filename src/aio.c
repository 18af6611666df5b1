/* aio.c: the I/O engine: asynchronous reads and writes, and their completion (aiodone) */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <liburing.h>

#include "sys.h"
#include "upager_int.h"

/*
 * Read-ahead must not make the reader wait, nor a fault its fault thread,
 * nor laundering the page daemon: they queue requests here, and the
 * engine reads or writes them and completes them in aio_done
 * (uvm_aio_aiodone).  A read's pages become valid and unbusied, sleepers
 * and parked faults wake; on a read error they are freed, so nothing bad
 * stays cached.  A write's pages go to pp_iodone, as a synchronous
 * pageout's do: freed, or dirty again if the write failed.  The pages of
 * a request are BUSY from submission to completion, owned by the engine;
 * a busy page pins its object (terminate waits for it), so a request
 * keeps its object alive.
 *
 * Two engines behind aio_read, chosen at upager_create:
 *   io_uring  reads are submitted by whoever queues them, from the queue
 *             under aiolock, up to AIO_URING_DEPTH in flight; one
 *             completion thread reaps them and runs aio_done;
 *   threads   AIO_NTHREADS workers take requests off the queue and make
 *             them with pread/pwrite, for kernels where io_uring is
 *             missing or disabled (ENOSYS, EPERM), or when asked
 *             (UPAGER_THREADIO).
 * Both plan a request the same way (store_plan for a read: holes are
 * zeroed, runs of data listed; store_wplan for a write) and finish each
 * run with store_rundone or store_wrundone, so they differ only in how a
 * run's I/O is made.  Injected faults (sys_decide) reach io_uring I/O
 * too: an error completes the run without making it, a delay is a
 * timeout submitted ahead of it.
 */

#define AIO_CHUNK 64           /* pages a request reads, at most: 256 KiB */
#define AIO_MAXRUNS (AIO_CHUNK / 2 + 1)
#define AIO_URING_DEPTH 256    /* submission queue entries: I/O in flight */
/* a request fits in the ring, its delays included (see aio_uring_kick) */
_Static_assert(2 * AIO_MAXRUNS <= AIO_URING_DEPTH, "ring too small");

struct aio_req;

/* A run of a request: one read or write (io_uring: one SQE, two when
 * delayed or copied through a slot).  Aligned to 16 so that user_data
 * has four tag bits. */
struct aio_run {
	_Alignas(16) struct aio_req *req;
	struct store_run r;
	int fd;
	int inject;                /* an injected error: complete with it */
	bool trycache;             /* io_uring: read the kernel's cache first
	                              (RWF_NOWAIT), the rest from fd */
	int rdres;                 /* io_uring: what the read into the slot
	                              returned, while the ring copies it */
	int slot;                  /* the first bounce slot a read lands in or
	                              a write is made from, or -1: straight
	                              into or from the frames */
	int nslots;                /* consecutive slots from slot */
	bool noslot;               /* a write: from the frames (a buffered
	                              run, or the copy into slots failed) */
	size_t len;                /* bytes asked (fewer for a short read) */
	struct __kernel_timespec delay;
};

struct aio_req {
	TAILQ_ENTRY(aio_req) q;
	struct uobj *obj;
	bool write;
	int pflags;                /* a write: the pageout's PGO_* flags */
	off_t limit;               /* a read: the file size at submission;
	                              a write: the bytes to write */
	int n;
	int ndemand;               /* pages at the start a fault waits for */
	int nruns, left;           /* runs, and runs not completed yet */
	int err;                   /* the first error of a run */
	char holes[AIO_CHUNK];
	struct aio_run runs[AIO_MAXRUNS];
	struct vpage *pps[];       /* consecutive pages, BUSY (a read's FAKE) */
};

/*
 * The bounce slots.  Read straight into the memfd's frames, a request is
 * made of 4 KiB pages scattered in memory, each a segment of it; the
 * device takes a few hundred segments at most (254 on virtio), so
 * requests stay near 1 MiB, and it pays for every segment.  Measured on
 * the development VM (1 GiB, O_DIRECT, 8 threads of 1 MiB reads): 1.25
 * GB/s into memfd frames, 1.9 GB/s into huge pages copied into the
 * memfd with pwrite, which allocates frames without zeroing them and maps
 * them nowhere.  So reads land in slots of a small pool of huge pages
 * when one is free, and are copied in (aio_fill); a write-back cluster
 * is copied out of the memfd (pread) into consecutive slots and written
 * from there (aio_wrslots): frames freed and allocated again by the page
 * daemon are scattered, and a 1 MiB cluster written from them went to
 * the device as 2.5 requests on average.  Without free slots, or without
 * huge pages, I/O goes straight into or from the frames.
 */
#define AIO_SLOT ((size_t)AIO_CHUNK * PAGE_SIZE)  /* a read run, at most */
#define AIO_MAXSLOTS 64            /* 16 MiB: a bit each in aioslots */
#define AIO_HUGE ((size_t)2 << 20)

/* aio_pool_init: the slots, two read-ahead windows or four write-back
 * clusters of them, at the first request: a pager that does no I/O has
 * none.  => aiolock held */
static void aio_pool_init(struct upager *pg)
{
	size_t want = 2 * MAX(ptoa(pg->ra_max), 2 * ptoa(pg->cluster_pages));
	size_t n = MIN(MAX(want / AIO_SLOT, 8), AIO_MAXSLOTS);
	size_t len = (n * AIO_SLOT + AIO_HUGE - 1) & ~(AIO_HUGE - 1);
	char *map, *a;
	int err;

	if (pg->aiopooltried)
		return;
	pg->aiopooltried = true;
	if (!sys_thp())
		return;
	map = sys_mmap(NULL, len + AIO_HUGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0, &err);
	if (map == MAP_FAILED)
		return;
	/* huge-page aligned: trim the rest */
	a = (char *)(((uintptr_t)map + AIO_HUGE - 1) & ~(uintptr_t)(AIO_HUGE -
	    1));
	if (a > map)
		(void)sys_munmap(map, (size_t)(a - map));
	(void)sys_munmap(a + len, (size_t)(map + AIO_HUGE - a));
	(void)sys_madvise(a, len, MADV_HUGEPAGE);
	pg->aiopool = a;
	pg->aiopoollen = len;
	pg->aioslots = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

static void aio_pool_fini(struct upager *pg)
{
	if (pg->aiopool != NULL)
		(void)sys_munmap(pg->aiopool, pg->aiopoollen);
	pg->aiopool = NULL;
}

/* aio_slot_get: take run u's slots, as many consecutive free ones as
 * its bytes need; false when there are none.  => no locks needed */
static bool aio_slot_get(struct aio_run *u)
{
	struct upager *pg = u->req->obj->pg;
	int k = (int)((u->len + AIO_SLOT - 1) / AIO_SLOT), i, at;
	uint64_t m = __atomic_load_n(&pg->aioslots, __ATOMIC_RELAXED), x, run;

	KASSERT(u->slot < 0 && k > 0 && k < 64);
	if (pg->aiopool == NULL)
		return false;
	do {
		/* x: the slots that start k free ones */
		for (x = m, i = 1; i < k; i++)
			x &= m >> i;
		if (x == 0)
			return false;
		at = __builtin_ctzll(x);
		run = (((uint64_t)1 << k) - 1) << at;
	} while (!__atomic_compare_exchange_n(&pg->aioslots, &m, m & ~run,
	    true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	u->slot = at;
	u->nslots = k;
	return true;
}

/* aio_slot_put: give run u's slots back.  => no locks needed */
static void aio_slot_put(struct aio_run *u)
{
	__atomic_fetch_or(&u->req->obj->pg->aioslots, (((uint64_t)1 <<
	    u->nslots) - 1) << u->slot, __ATOMIC_RELEASE);
	u->slot = -1;
}

/* aio_slotbuf: the bytes of run u's slots */
static char *aio_slotbuf(struct aio_run *u)
{
	return u->req->obj->pg->aiopool + (size_t)u->slot * AIO_SLOT;
}

/* aio_rdbuf: where run u's read lands: its slot if it got one (try now),
 * else its frames */
static char *aio_rdbuf(struct aio_run *u)
{
	if (u->slot >= 0 || aio_slot_get(u))
		return aio_slotbuf(u);
	return u->req->obj->win + u->r.off;
}

/*
 * aio_wrslots: take slots for run u's write, to copy its frames into
 * (consecutive: one buffer for the device), unless it is to be made from
 * the frames (noslot).  => no locks needed.
 */
static bool aio_wrslots(struct aio_run *u)
{
	return u->slot >= 0 || (!u->noslot && aio_slot_get(u));
}

/*
 * aio_wrbuf: where run u's write is made from, for the engine of threads:
 * its slots, the frames copied in now (sys_unfill), else its frames.
 * => no locks held; the pages BUSY.
 */
static const char *aio_wrbuf(struct aio_run *u)
{
	struct uobj *o = u->req->obj;
	size_t done = 0;
	ssize_t n;

	if (!aio_wrslots(u))
		return o->win + u->r.off;
	while (done < u->len && (n = sys_unfill(o->memfd, aio_slotbuf(u) +
	    done, u->len - done, u->r.off + (off_t)done)) > 0)
		done += (size_t)n;
	if (done == u->len)
		return aio_slotbuf(u);
	aio_slot_put(u);
	u->noslot = true;
	return o->win + u->r.off;
}

/*
 * aio_fill: run u's read put res bytes in its slot: copy them into the
 * frames (sys_fill), and give the slot back.  Where the kernel will not
 * copy them all, they go through the pager map.
 * => no locks held; the pages BUSY, so the copy never grows the memfd: a
 *    truncation waits for them before it shrinks it (obj_setsize).
 */
static void aio_fillrest(struct aio_run *u, size_t done, size_t len);

static void aio_fill(struct aio_run *u, ssize_t res)
{
	aio_fillrest(u, 0, res > 0 ? (size_t)res : 0);
}

/* aio_fillrest: as aio_fill, the first `done` of len bytes copied already
 * (by io_uring: aio_uring_fill) */
static void aio_fillrest(struct aio_run *u, size_t done, size_t len)
{
	struct uobj *o = u->req->obj;

	if (done < len)
		obj_fill(o, o->win, u->r.off + (off_t)done, aio_slotbuf(u) +
		    done, len - done);
	aio_slot_put(u);
}

/*
 * aio_done: complete a read (aiodone).
 * => no locks held; takes the object lock.  Frees the request.
 */
static void aio_done(struct aio_req *r)
{
	struct uobj *o = r->obj;
	int i, err = r->err;

	if (r->write) {
		pthread_mutex_lock(&o->lock);
		pp_aiodone(o, r->pps, r->n, err, r->pflags);
		pthread_mutex_unlock(&o->lock);
		free(r);
		return;
	}
	if (err == 0)
		store_rdfinish(o, ptoa(r->pps[0]->pgno), (size_t)ptoa(r->n),
		    r->limit);
	pthread_mutex_lock(&o->lock);
	obj_unmapwin(o, ptoa(r->pps[0]->pgno), ptoa(r->n));
	if (err != 0)
		ST_ADD(o->pg, read_errors, 1);
	for (i = 0; i < r->n; i++) {
		struct vpage *p = r->pps[i];

		if (err == 0) {
			p->flags &= ~PG_FAKE;
			if (i >= r->ndemand)
				p->flags |= PG_RAHEAD;
			if (r->holes[i])
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
	free(r);
}

/*
 * aio_trycache: should io_uring read the kernel's cache before the disk?
 * A miss costs a round trip through the ring, so after AIO_CACHEMISS
 * misses in a row (a cold file) only one read in AIO_CACHEPROBE tries,
 * to see the file turn warm; a hit gives the credit back (aio_cachenote).
 * Where cachestat(2) answers (store_incache), a miss is rare; the credit
 * spares kernels without it (before 6.5) a miss on every read of a cold
 * file.
 */
#define AIO_CACHEPROBE 32
static bool aio_trycache(struct uobj *o)
{
	int32_t c = __atomic_sub_fetch(&o->cache_credit, 1, __ATOMIC_RELAXED);

	return c >= 0 || (-c) % AIO_CACHEPROBE == 0;
}

static void aio_cachenote(struct uobj *o, bool hit)
{
	if (hit)
		__atomic_store_n(&o->cache_credit, AIO_CACHEMISS,
		    __ATOMIC_RELAXED);
}

/*
 * aio_plan: list the request's runs (a read's holes zeroed: store_plan; a
 * write's two descriptors: store_wplan).  => no locks needed.  A write
 * that cannot be made has no runs and fails with r->err.
 */
static void aio_plan(struct aio_req *r)
{
	struct store_run runs[AIO_MAXRUNS];
	int fds[AIO_MAXRUNS], i, n;

	r->err = 0;
	if (r->write) {
		n = store_wplan(r->obj, ptoa(r->pps[0]->pgno),
		    (size_t)r->limit, false, runs, fds);
		if (n < 0) {
			r->err = n;
			n = 0;
		}
	} else {
		memset(r->holes, 0, (size_t)r->n);
		/* io_uring reads the kernel's cache in its own SQE (see
		 * aio_cachedone): the planner may hold the object lock */
		n = store_plan(r->obj, ptoa(r->pps[0]->pgno),
		    (size_t)ptoa(r->n), r->limit, r->holes, runs,
		    r->obj->pg->aioengine != UPAGER_ENGINE_URING);
		if (n < 0) {
			r->err = n;
			n = 0;
		}
		for (i = 0; i < n; i++)
			fds[i] = store_rddev(r->obj);
	}
	r->nruns = r->left = n;
	for (i = 0; i < n; i++) {
		memset(&r->runs[i], 0, sizeof(r->runs[i]));
		r->runs[i].slot = -1;
		r->runs[i].req = r;
		r->runs[i].r = runs[i];
		r->runs[i].fd = fds[i];
		r->runs[i].len = runs[i].len;
		/* buffered, the kernel copies the frames anyway */
		r->runs[i].noslot = r->write && fds[i] ==
		    __atomic_load_n(&r->obj->wfd, __ATOMIC_RELAXED);
		r->runs[i].trycache = !r->write &&
		    r->obj->pg->aioengine == UPAGER_ENGINE_URING &&
		    fds[i] != r->obj->fd && aio_trycache(r->obj);
		if (r->runs[i].trycache && !store_incache(r->obj, &runs[i]))
			r->runs[i].trycache = false;
	}
}

/* aio_runend: run u is over, with err; true when it was the last of its
 * request.  => no locks held. */
static bool aio_runend(struct aio_run *u, int err)
{
	struct aio_req *r = u->req;

	if (err != 0 && r->err == 0)
		r->err = err;
	return __atomic_sub_fetch(&r->left, 1, __ATOMIC_ACQ_REL) == 0;
}

/* aio_rundone: run u's read or write returned res: finish it; true when
 * it was the last of its request.  => no locks held. */
static bool aio_rundone(struct aio_run *u, ssize_t res)
{
	struct aio_req *r = u->req;

	if (u->slot >= 0 && r->write)
		aio_slot_put(u);
	else if (u->slot >= 0)
		aio_fill(u, res);

	return aio_runend(u, r->write ? store_wrundone(r->obj, &u->r, u->fd,
	    res) : store_rundone(r->obj, &u->r, u->fd, res));
}

/* ---- the engine of worker threads ---- */

/* aio_worker: take requests off the queue, read, complete. */
static void *aio_worker(void *arg)
{
	struct upager *pg = arg;
	struct aio_req *r;
	int i;

	pthread_mutex_lock(&pg->aiolock);
	for (;;) {
		while ((r = TAILQ_FIRST(&pg->aioq)) == NULL && !pg->aiostop)
			pthread_cond_wait(&pg->aiocv, &pg->aiolock);
		if (r == NULL)
			break;
		TAILQ_REMOVE(&pg->aioq, r, q);
		pthread_mutex_unlock(&pg->aiolock);
		aio_plan(r);
		for (i = 0; i < r->nruns && r->err == 0; i++) {
			struct aio_run *u = &r->runs[i];

			(void)aio_rundone(u, r->write ?
			    sys_pwrite_full(u->fd, aio_wrbuf(u), u->r.len,
			    u->r.off) :
			    sys_pread_full(u->fd, aio_rdbuf(u), u->r.len,
			    u->r.off));
		}
		aio_done(r);
		pthread_mutex_lock(&pg->aiolock);
	}
	pthread_mutex_unlock(&pg->aiolock);
	return NULL;
}

/* aio_threads_start: the workers, at the first request.  => aiolock held */
static int aio_threads_start(struct upager *pg)
{
	int i, err = 0;

	for (i = 0; i < AIO_NTHREADS; i++)
		if ((err = pg_thread(&pg->aiothreads[i], aio_worker, pg)) != 0)
			break;
	pg->aiostarted = i;
	return i > 0 ? 0 : err;
}

/* ---- the io_uring engine ---- */

struct aio_uring {
	struct io_uring ring;
	pthread_t reaper;
	int inflight;              /* SQEs prepared and not reaped (aiolock) */
	bool stalled;              /* the last submission failed: SQEs wait in
	                              the ring (aiolock; read atomic) */
	int wakefd;                /* an eventfd the reaper polls in the ring:
	                              it wakes it to a stall */
};

#define AIO_RESUBMIT_NS 1000000L   /* the reaper's retry of a stalled ring */

/* tags in the low bit of user_data: runs are pointer-aligned */
#define AIO_TAG_DELAY 1ul
#define AIO_TAG_CACHED 2ul         /* the read of the kernel's cache */
#define AIO_STOP 0ul               /* user_data of the reaper's last NOP */
#define AIO_TAG_FILL 4ul           /* the copy of a slot into frames */
#define AIO_TAG_COPY 8ul           /* the copy of frames into slots */
#define AIO_WAKE 4ul               /* of the poll of wakefd (no run) */
_Static_assert(_Alignof(struct aio_run) >= 16, "a tag bit per kind");

/*
 * aio_uring_prep: queue run u's read or write, or the NOP that completes
 * it with an injected error.  => aiolock held; the ring has room.
 */
static void aio_uring_prep(struct aio_uring *u, struct aio_run *run)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	char *buf = run->req->obj->win + run->r.off;

	if (run->inject != 0) {
		io_uring_prep_nop(sqe);
	} else if (run->trycache) {
		io_uring_prep_read(sqe, run->req->obj->fd, buf,
		    (unsigned)run->len, (uint64_t)run->r.off);
		sqe->rw_flags = RWF_NOWAIT;
		io_uring_sqe_set_data64(sqe, (uintptr_t)run | AIO_TAG_CACHED);
		u->inflight++;
		return;
	} else if (run->req->write && io_uring_sq_space_left(&u->ring) >= 1 &&
	    aio_wrslots(run)) {
		/* the copy out of the memfd, then the write, linked: a short
		 * copy cancels the write (-ECANCELED; see aio_reaper) */
		io_uring_prep_read(sqe, run->req->obj->memfd, aio_slotbuf(run),
		    (unsigned)run->len, (uint64_t)run->r.off);
		sqe->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(sqe, (uintptr_t)run | AIO_TAG_COPY);
		u->inflight++;
		sqe = io_uring_get_sqe(&u->ring);
		io_uring_prep_write(sqe, run->fd, aio_slotbuf(run),
		    (unsigned)run->len, (uint64_t)run->r.off);
	} else if (run->req->write)
		io_uring_prep_write(sqe, run->fd, buf, (unsigned)run->len,
		    (uint64_t)run->r.off);
	else
		io_uring_prep_read(sqe, run->fd, aio_rdbuf(run),
		    (unsigned)run->len, (uint64_t)run->r.off);
	io_uring_sqe_set_data64(sqe, (uintptr_t)run);
	u->inflight++;
}

/*
 * aio_uring_kick: move queued requests into the ring while it has room,
 * and submit.  => aiolock held.  Never waits for I/O.
 * => A submission that fails (io_uring_enter: EAGAIN, EBUSY, ENOMEM, ...)
 *    leaves its SQEs in the ring, where the next submission takes them,
 *    as the kernel has not started them: the ring is stalled, and the
 *    reaper, woken through wakefd, submits again every AIO_RESUBMIT_NS
 *    until it goes through.  Nobody waits for I/O that was never started,
 *    and no caller spins under aiolock.
 */
static int aio_uring_kick(struct upager *pg)
{
	struct aio_uring *u = pg->aioring;
	struct aio_req *r;
	unsigned injms;
	int i, err, inj;

	while ((r = TAILQ_FIRST(&pg->aioq)) != NULL &&
	    u->inflight + 2 * AIO_MAXRUNS <= AIO_URING_DEPTH) {
		TAILQ_REMOVE(&pg->aioq, r, q);
		aio_plan(r);
		if (r->nruns == 0) {
			/* all holes, or a write that cannot be made: a NOP
			 * brings it to the reaper, as aio_done may not run
			 * under the caller's locks */
			struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

			io_uring_prep_nop(sqe);
			io_uring_sqe_set_data64(sqe, (uintptr_t)&r->runs[0]);
			r->runs[0].req = r;
			u->inflight++;
			continue;
		}
		for (i = 0; i < r->nruns; i++) {
			struct aio_run *run = &r->runs[i];
			unsigned ms;
			int f = sys_decide(r->write ? SYS_PWRITE : SYS_PREAD,
			    &ms);

			if (f < 0)
				run->inject = f;
			else if (f == 1 && run->len > PAGE_SIZE)
				run->len = (run->len / 2) & ~PAGE_MASK;
			if (ms == 0) {
				aio_uring_prep(u, run);
			} else {
				struct io_uring_sqe *sqe =
				    io_uring_get_sqe(&u->ring);

				run->delay.tv_sec = ms / 1000;
				run->delay.tv_nsec = (long long)(ms % 1000) *
				    1000000LL;
				io_uring_prep_timeout(sqe, &run->delay, 0, 0);
				io_uring_sqe_set_data64(sqe, (uintptr_t)run |
				    AIO_TAG_DELAY);
				u->inflight++;
			}
		}
	}
	/* an injected failure (SYS_URING) stands for one of the submission */
	while ((err = (inj = sys_decide(SYS_URING, &injms)) < 0 ? inj :
	    io_uring_submit(&u->ring)) == -EINTR)
		;
	if (err < 0 && !u->stalled)
		(void)sys_event(u->wakefd);
	__atomic_store_n(&u->stalled, err < 0, __ATOMIC_RELEASE);
	return err < 0 ? err : 0;
}

/*
 * aio_uring_fill: run's read into its slot returned res bytes: have the
 * ring copy them into the frames, in one of its workers (IOSQE_ASYNC):
 * the copies of many runs go on in parallel, and this thread reaps on.
 * => aiolock held.  Returns false when the ring has no room (stalled):
 *    the caller copies.
 */
static bool aio_uring_fill(struct upager *pg, struct aio_run *run, int res)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&pg->aioring->ring);

	if (sqe == NULL)
		return false;
	run->rdres = res;
	io_uring_prep_write(sqe, run->req->obj->memfd, pg->aiopool +
	    (size_t)run->slot * AIO_SLOT, (unsigned)res, (uint64_t)run->r.off);
	sqe->flags |= IOSQE_ASYNC;
	io_uring_sqe_set_data64(sqe, (uintptr_t)run | AIO_TAG_FILL);
	pg->aioring->inflight++;
	return true;
}

/* aio_uring_arm: poll wakefd through the ring.  => aiolock held */
static void aio_uring_arm(struct aio_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	io_uring_prep_poll_add(sqe, u->wakefd, POLLIN);
	io_uring_sqe_set_data64(sqe, AIO_WAKE);
	u->inflight++;
}

/*
 * aio_cachedone: run's read of the kernel's cache returned res: what it
 * had is in (store_cachedone); the rest goes to the disk, O_DIRECT, in
 * another SQE.  => no locks held; the reaper's.
 */
static void aio_cachedone(struct upager *pg, struct aio_run *run, int res)
{
	ssize_t done = store_cachedone(run->req->obj, &run->r, res);

	run->trycache = false;
	aio_cachenote(run->req->obj, done > 0);
	if (done < 0 || (size_t)done >= run->r.len) {
		if (aio_runend(run, done < 0 ? (int)done : 0))
			aio_done(run->req);
		return;
	}
	store_runskip(&run->r, (size_t)done);
	run->len = run->r.len;
	pthread_mutex_lock(&pg->aiolock);
	aio_uring_prep(pg->aioring, run);
	(void)aio_uring_kick(pg);
	pthread_mutex_unlock(&pg->aiolock);
}

/* aio_reaper: reap completions: finish runs, complete requests. */
static void *aio_reaper(void *arg)
{
	struct upager *pg = arg;
	struct aio_uring *u = pg->aioring;
	struct io_uring_cqe *cqe;
	bool stop = false;

	/* while the ring is not stalled, the poll of wakefd is in it */
	pthread_mutex_lock(&pg->aiolock);
	aio_uring_arm(u);
	(void)aio_uring_kick(pg);
	pthread_mutex_unlock(&pg->aiolock);
	while (!stop) {
		struct __kernel_timespec ts = { 0, AIO_RESUBMIT_NS };
		uint64_t data;
		struct aio_run *run;
		int res;

		if (__atomic_load_n(&u->stalled, __ATOMIC_ACQUIRE) ?
		    io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts) != 0 :
		    io_uring_wait_cqe(&u->ring, &cqe) != 0) {
			/* timed out (or interrupted): submit again */
			pthread_mutex_lock(&pg->aiolock);
			(void)aio_uring_kick(pg);
			pthread_mutex_unlock(&pg->aiolock);
			continue;
		}
		data = io_uring_cqe_get_data64(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
		pthread_mutex_lock(&pg->aiolock);
		u->inflight--;
		if (data == AIO_STOP) {
			stop = true;
		} else if (data == AIO_WAKE) {
			/* stalled: from now on the waits above are timed */
			(void)sys_event_take(u->wakefd);
			aio_uring_arm(u);
		} else if (data & AIO_TAG_DELAY) {
			/* the delay is over: now the read */
			aio_uring_prep(u, (struct aio_run *)(uintptr_t)
			    (data & ~AIO_TAG_DELAY));
		}
		(void)aio_uring_kick(pg);
		pthread_mutex_unlock(&pg->aiolock);
		if (data == AIO_STOP || data == AIO_WAKE ||
		    (data & (AIO_TAG_DELAY | AIO_TAG_COPY)))
			continue;
		if (data & AIO_TAG_CACHED) {
			aio_cachedone(pg, (struct aio_run *)(uintptr_t)(data &
			    ~AIO_TAG_CACHED), res);
			continue;
		}
		if (data & AIO_TAG_FILL) {
			/* the ring's copy is over: the rest by hand */
			run = (struct aio_run *)(uintptr_t)(data &
			    ~AIO_TAG_FILL);
			aio_fillrest(run, res > 0 ? (size_t)res : 0,
			    (size_t)run->rdres);
			if (aio_rundone(run, run->rdres))
				aio_done(run->req);
			continue;
		}
		run = (struct aio_run *)(uintptr_t)data;
		if (run->req->write && run->slot >= 0 && res == -ECANCELED) {
			/* the copy into the slots failed: from the frames */
			aio_slot_put(run);
			run->noslot = true;
			pthread_mutex_lock(&pg->aiolock);
			aio_uring_prep(u, run);
			(void)aio_uring_kick(pg);
			pthread_mutex_unlock(&pg->aiolock);
			continue;
		}
		if (!run->req->write && run->req->nruns != 0 &&
		    run->inject == 0 && run->slot >= 0 && res > 0) {
			bool queued;

			pthread_mutex_lock(&pg->aiolock);
			if ((queued = aio_uring_fill(pg, run, res)))
				(void)aio_uring_kick(pg);
			pthread_mutex_unlock(&pg->aiolock);
			if (queued)
				continue;
		}
		if (run->req->nruns == 0 ||
		    aio_rundone(run, run->inject != 0 ? run->inject : res))
			aio_done(run->req);
	}
	return NULL;
}

/* aio_uring_init: the ring and its reaper, or an error to fall back on. */
static int aio_uring_init(struct upager *pg)
{
	struct aio_uring *u;
	unsigned ms;
	int err;

	if ((err = sys_decide(SYS_URING, &ms)) < 0)
		return err;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -ENOMEM;
	if ((u->wakefd = sys_eventfd()) < 0) {
		err = u->wakefd;
		goto fail_free;
	}
	if ((err = io_uring_queue_init(AIO_URING_DEPTH, &u->ring, 0)) != 0)
		goto fail_close;
	pg->aioring = u;
	if ((err = pg_thread(&u->reaper, aio_reaper, pg)) != 0)
		goto fail_ring;
	return 0;
fail_ring:
	pg->aioring = NULL;
	io_uring_queue_exit(&u->ring);
fail_close:
	(void)sys_close(u->wakefd);
fail_free:
	free(u);
	return err;
}

/* aio_uring_fini: stop the reaper.  => no I/O in flight (no busy page) */
static void aio_uring_fini(struct upager *pg)
{
	struct aio_uring *u = pg->aioring;
	struct io_uring_sqe *sqe;

	pthread_mutex_lock(&pg->aiolock);
	sqe = io_uring_get_sqe(&u->ring);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, AIO_STOP);
	u->inflight++;
	(void)aio_uring_kick(pg);   /* if it stalls, the reaper submits it */
	pthread_mutex_unlock(&pg->aiolock);
	pthread_join(u->reaper, NULL);
	io_uring_queue_exit(&u->ring);
	(void)sys_close(u->wakefd);
	free(u);
	pg->aioring = NULL;
}

/*
 * aio_init: choose the engine: io_uring unless `threads` or it cannot be
 * had, in which case the worker threads.  => at upager_create.
 */
void aio_init(struct upager *pg, bool threads)
{
	pg->aioengine = UPAGER_ENGINE_THREADS;
	if (!threads && aio_uring_init(pg) == 0)
		pg->aioengine = UPAGER_ENGINE_URING;
}

/*
 * aio_queue: hand a batch of requests to the engine, at the head of its
 * queue (a fault waits) or at the tail.  => aiolock not held.  Returns 0,
 * or the error of starting the worker threads, in which case the batch
 * is still the caller's.
 */
static int aio_queue(struct upager *pg, struct aioreqlist *batch, bool head)
{
	struct aio_req *r;
	int err = 0;

	pthread_mutex_lock(&pg->aiolock);
	aio_pool_init(pg);
	if (pg->aioengine == UPAGER_ENGINE_THREADS && pg->aiostarted == 0 &&
	    (err = aio_threads_start(pg)) != 0)
		goto out;
	if (head) {
		while ((r = TAILQ_LAST(batch, aioreqlist)) != NULL) {
			TAILQ_REMOVE(batch, r, q);
			TAILQ_INSERT_HEAD(&pg->aioq, r, q);
		}
	} else {
		TAILQ_CONCAT(&pg->aioq, batch, q);
	}
	/* a failed submission leaves the requests queued: the reaper's
	 * next round, or the next request, submits them */
	if (pg->aioengine == UPAGER_ENGINE_URING)
		(void)aio_uring_kick(pg);
	else
		pthread_cond_broadcast(&pg->aiocv);
out:
	pthread_mutex_unlock(&pg->aiolock);
	return err;
}

/* aio_new: a request for pps[0..n).  => NULL when out of memory */
static struct aio_req *aio_new(struct uobj *o, struct vpage **pps, int n)
{
	struct aio_req *r = malloc(sizeof(*r) + (size_t)n * sizeof(r->pps[0]));

	if (r != NULL) {
		r->obj = o;
		r->write = false;
		r->pflags = 0;
		r->n = n;
		r->ndemand = 0;
		memcpy(r->pps, pps, (size_t)n * sizeof(pps[0]));
	}
	return r;
}

/*
 * aio_read: read pps[0..n) (consecutive pages, BUSY|FAKE, owned by the
 * caller) asynchronously; the engine owns them from now on.
 * => object locked.  Returns 0, or -ENOMEM / an error of the engine, in
 *    which case the pages are still the caller's.
 * => AIO_DEMAND: a fault waits for the first page: the request goes to
 *    the head of the queue, ahead of read-ahead, and its first page is not
 *    counted as read ahead.
 */
int aio_read(struct uobj *o, struct vpage **pps, int n, int flags)
{
	struct aioreqlist batch = TAILQ_HEAD_INITIALIZER(batch);
	struct aio_req *r;
	int err = 0, i, c;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(n > 0 && n <= GP_MAXRA);
	/* in pieces, so that a reader gets the first pages of a window
	 * before the whole of it is read, and they are read in parallel */
	for (i = 0; i < n; i += c) {
		c = MIN(n - i, AIO_CHUNK);
		if ((r = aio_new(o, &pps[i], c)) == NULL) {
			err = -ENOMEM;
			goto fail;
		}
		r->limit = o->size;
		r->ndemand = (flags & AIO_DEMAND) && i == 0 ? 1 : 0;
		TAILQ_INSERT_TAIL(&batch, r, q);
	}
	if ((err = aio_queue(o->pg, &batch, (flags & AIO_DEMAND) != 0)) == 0)
		return 0;
fail:
	while ((r = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, r, q);
		free(r);
	}
	return err;
}

/*
 * aio_write: write pps[0..n) (consecutive pages, BUSY, owned by the
 * caller), the first len bytes of them (cut at EOF), asynchronously; the
 * engine owns the pages from now on and gives them to pp_aiodone with
 * pflags when the write is done.
 * => object locked.  Returns 0, or -ENOMEM / an error of the engine, in
 *    which case the pages are still the caller's.
 */
int aio_write(struct uobj *o, struct vpage **pps, int n, size_t len,
    int pflags)
{
	struct aioreqlist batch = TAILQ_HEAD_INITIALIZER(batch);
	struct aio_req *r;
	int err;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(n > 0 && len > 0 && len <= (size_t)ptoa(n));
	if ((r = aio_new(o, pps, n)) == NULL)
		return -ENOMEM;
	r->write = true;
	r->pflags = pflags;
	r->limit = (off_t)len;
	TAILQ_INSERT_TAIL(&batch, r, q);
	if ((err = aio_queue(o->pg, &batch, false)) != 0)
		free(r);
	return err;
}

/* aio_fini: stop the engine once the queue is empty.  => no locks held */
void aio_fini(struct upager *pg)
{
	int i;

	if (pg->aioring != NULL)
		aio_uring_fini(pg);
	pthread_mutex_lock(&pg->aiolock);
	pg->aiostop = true;
	pthread_cond_broadcast(&pg->aiocv);
	pthread_mutex_unlock(&pg->aiolock);
	for (i = 0; i < pg->aiostarted; i++)
		pthread_join(pg->aiothreads[i], NULL);
	pg->aiostarted = 0;
	aio_pool_fini(pg);
}
