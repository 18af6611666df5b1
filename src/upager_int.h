/* upager_int.h: the internal interfaces shared by upager's subsystems */
#ifndef UPAGER_INT_H
#define UPAGER_INT_H

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "upager.h"
#include "radix.h"

#define UPAGER_EXPORT __attribute__((visibility("default")))

#define PAGE_SHIFT 12
#define PAGE_SIZE ((size_t)1 << PAGE_SHIFT)
#define PAGE_MASK (PAGE_SIZE - 1)
#define trunc_page(x) ((x) & ~(off_t)PAGE_MASK)
#define round_page(x) (((x) + (off_t)PAGE_MASK) & ~(off_t)PAGE_MASK)
#define atop(x) ((uint64_t)(x) >> PAGE_SHIFT)
#define ptoa(x) ((off_t)(x) << PAGE_SHIFT)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * Lock order (the one place it is written):
 *
 *	upager.vlock  ->  uobj.iolock  ->  upager.olock  ->  uobj.lock
 *	    ->  upager.pqlock;           uobj.lock  ->  wait-queue mutex,
 *	    upager.vmplock, upager.aiolock -> uobj.bmlock (leaves)
 *
 * iolock (rwlock) orders pwrite/truncate (exclusive) against pread (shared)
 * on one file.  vlock (rwlock) guards the list of views: a fault is served
 * with it held shared, unmapping takes it exclusive, so a view does not
 * vanish under a fault.  olock guards the object table, the lists and the
 * reference counts.  The object lock guards the object's page index, its
 * pages' flags and wire counts, its size and its error.  pqlock guards the
 * page queues, the free list and the resident count.  The page daemon holds
 * pqlock and goes against the order only with pthread_mutex_trylock on an
 * object lock.  A thread sleeps on a busy page only while holding no busy
 * page of its own, and takes busy pages of one object in ascending order.
 */

/* Page flags (vpage.flags), under the object lock; meanings as in UVM. */
#define PG_BUSY     0x0001  /* owned by one thread: I/O or a getpages caller */
#define PG_WANTED   0x0002  /* someone sleeps on it: wake when unbusied */
#define PG_RELEASED 0x0004  /* free it when it is unbusied and unwired */
#define PG_FAKE     0x0008  /* allocated, data not valid yet */
#define PG_CLEAN    0x0010  /* data equals the file's */
#define PG_CLEANCHK 0x0020  /* clean, but mappings may have written it */
#define PG_RDONLY   0x0040  /* a hole: writing needs blocks allocated first */
#define PG_RAHEAD   0x0080  /* read ahead and not used yet (stats only) */
#define PG_RAMARK   0x0100  /* first page of an asynchronous read-ahead
                               window: its first use starts the next one */
#define PG_MAPPED   0x0200  /* mapped into a shared view since last zapped */
#define PG_ZAPPED   0x0400  /* unmapped from the views to see whether it is
                               used (reference sampling, pd_scan) */

/* Queue flags (vpage.pqflags), under pqlock. */
#define PQ_ACTIVE   0x01
#define PQ_INACTIVE 0x02
#define PQ_FREE     0x04
#define PQ_FRESH    0x08  /* deactivated, not unmapped yet (pd_sample) */
#define PQ_LAUNDRY  0x10  /* in an asynchronous pageout that frees it */

/* getpages/putpages flags, as in UVM. */
#define PGO_CLEANIT    0x001  /* write dirty pages back */
#define PGO_SYNCIO     0x002  /* wait for the I/O (write-back is synchronous) */
#define PGO_DEACTIVATE 0x004  /* move the pages to the inactive queue */
#define PGO_FREE       0x008  /* free the pages once clean */
#define PGO_ALLPAGES   0x010  /* the whole object, whatever the range */
#define PGO_BUSYFAIL   0x020  /* fail with -EDEADLK rather than wait on busy */
#define PGO_OVERWRITE  0x040  /* caller overwrites whole pages: skip the read */
#define PGO_PASTEOF    0x080  /* pages may lie past EOF (an extending write) */
#define PGO_NOWAIT     0x100  /* never sleep for frames or busy pages */
#define PGO_BUFIO      0x200  /* upager's: write through the kernel's cache */
#define PGO_NOKEEP     0x400  /* upager's: a failed asynchronous pageout
                                 does not keep its error: the caller writes
                                 the pages again (obj_sync) */
#define PGO_ASYNC      0x800  /* upager's: pp_flush only starts the writes,
                                 in the I/O engine, and skips busy pages */

/* uvn_findpages flags */
#define UFP_ALL      0x00  /* wait for busy pages, allocate missing ones */
#define UFP_NOWAIT   0x01  /* stop at a busy page */
#define UFP_NOALLOC  0x02  /* stop at a missing page */
#define UFP_DIRTYONLY 0x04 /* stop at a clean page */
#define UFP_BACKWARD 0x08  /* walk towards lower offsets */

/* access types for getpages */
#define VM_PROT_READ  0x1
#define VM_PROT_WRITE 0x2

/* Object flags (uobj.flags), under olock. */
#define UVN_WRITEABLE 0x01  /* on the writeable list: sync_all visits it */
#define UVN_PERSIST   0x02  /* no references, clean, kept for reuse */
#define UVN_DYING     0x04  /* being terminated: attach must not find it */

struct upager;
struct uobj;
struct pd_policy;
struct uview;
TAILQ_HEAD(uviewlist, uview);

/* A frame of "physical memory" and what the pager knows of it. */
struct vpage {
	TAILQ_ENTRY(vpage) pageq;  /* active, inactive or free queue (pqlock) */
	struct uobj *obj;          /* owner, NULL when free */
	uint64_t pgno;             /* page number in the object */
	uint16_t flags;            /* PG_* (object lock) */
	uint8_t pqflags;           /* PQ_* (pqlock) */
	uint8_t referenced;        /* used since the daemon last looked (atomic) */
	uint32_t wire;             /* readers copying out of it (object lock) */
	uint32_t version;          /* bumped at each free, to detect reuse */
#ifdef UPAGER_DEBUG
	pthread_t owner;           /* who set PG_BUSY */
#endif
};
TAILQ_HEAD(pglist, vpage);

/* An earlier pager map of an object, kept mapped until the object dies. */
struct uwin {
	struct uwin *next;
	char *base;
	size_t len;
};

/* A VM object: one per file (device, inode), the vnode pager's uvn. */
struct uobj {
	pthread_mutex_t lock;      /* see the lock order above */
	pthread_rwlock_t iolock;
	struct upager *pg;
	dev_t dev;
	ino_t ino;
	int fd;                    /* the file, for reading (O_RDWR if it could) */
	int wfd;                   /* for writing: fd, a writer's, or -1 (atomic) */
	int dfd;                   /* the file O_DIRECT, or -1 (atomic) */
	int dfd_retired;           /* dfd after O_DIRECT was refused: closed
	                              with the object (atomic) */
	bool dfd_write;            /* dfd is open for writing too */
	pthread_mutex_t bmlock;    /* bm_lo, bm_hi */
	int memfd;                 /* the frames: page at file offset X is here at X */
	bool stale;                /* a punch failed: a new frame may hold old
	                              data (atomic) */
	uint32_t ra_hits;          /* read-ahead pages used on demand, and */
	uint32_t ra_waste;         /* freed unused, lately (atomic; gp_ranote) */
	int32_t cache_credit;      /* io_uring: misses of the kernel's cache
	                              before reads stop trying it (atomic;
	                              aio_trycache) */
	char *win;                 /* the pager map: memfd mapped [0, winlen) */
	size_t winlen;
	off_t wz_lo, wz_hi;        /* a range of the pager map whose page table
	                              entries are to go (obj_unmapwin) */
	off_t memsize;             /* the memfd's size: what the file needs */
	struct uwin *oldwin;
	off_t size;                /* the file size: always the truth for callers */
	off_t bm_lo, bm_hi;        /* a range known to be allocated (bmap cache) */
	uint64_t npages;           /* resident pages */
	int pdhold;                /* the page daemon waits for the lock
	                              (pqlock; see pd_lockobj) */
	struct radix idx;          /* pgno -> struct vpage */
	int error;                 /* write-back error to report once, or 0 */
	uint64_t dirty_since;      /* ms: a page went dirty while clean, or 0 */
	uint64_t synced_at;        /* ms: the last write-back of the object */
	size_t blksize;
	struct uviewlist views;    /* mapped views of this file */
	int nwviews;               /* of them, shared and writeable (changed
	                              atomically: the syncer reads it unlocked) */
	bool everwmapped;          /* a shared writeable view ever existed */

	/* under olock: */
	int refs;                  /* handles */
	unsigned flags;            /* UVN_* */
	struct timespec mtime;     /* of the file as last seen (persist checks) */
	off_t seen_size;
	TAILQ_ENTRY(uobj) hashq;   /* the object table */
	TAILQ_ENTRY(uobj) wlistq;  /* the writeable list (UVN_WRITEABLE) */
	TAILQ_ENTRY(uobj) persistq;/* persisting objects, oldest first */
};
TAILQ_HEAD(uobjlist, uobj);

#define UPAGER_MAGIC 0x75706772u  /* "upgr" */
#define UFILE_MAGIC  0x7566696cu  /* "ufil" */

/* An open file handle: an object reference plus per-open read-ahead. */
struct upager_file {
	unsigned magic;
	struct upager *pg;
	struct uobj *obj;
	int acc;                   /* O_RDONLY, O_WRONLY or O_RDWR */
	off_t ra_next;             /* where a sequential read goes next (atomic) */
	uint32_t ra_win;           /* current read-ahead window, pages (atomic) */
	TAILQ_ENTRY(upager_file) fileq;
};
TAILQ_HEAD(ufilelist, upager_file);

#define UBC_MAXPAGES 256  /* pages one ubc step (and one getpages) covers */

/*
 * A mapped view: a mapping of an object's memfd, registered with the
 * pager's userfaultfd.  On pg->views under vlock (found by address at a
 * fault) and on obj->views under the object lock (found by page when a
 * page is written back or freed).  It holds a reference on the object.
 */
struct uview {
	TAILQ_ENTRY(uview) pgq;
	TAILQ_ENTRY(uview) objq;
	char *addr;
	size_t len;
	off_t off;                 /* the file offset at addr */
	struct uobj *obj;
	int prot;
	bool shared;               /* MAP_SHARED: writes reach the file */
	int advice;                /* MADV_NORMAL, _SEQUENTIAL or _RANDOM */
	uint64_t ra_next;          /* page a sequential fault comes to (atomic) */
	uint32_t ra_win;           /* read-ahead window, pages (atomic) */
	uint32_t mmap_miss;        /* faults that needed I/O, less those that
	                              did not (atomic; see vm_ra) */
};

#define VM_NTHREADS 2              /* fault threads */
#define AIO_NTHREADS 4             /* I/O engine workers */
#define GP_SYNCRA 16               /* read-ahead pages read with the demand */
struct aio_req;
struct vm_pend;
TAILQ_HEAD(aioreqlist, aio_req);
#define GP_MAXRA 1024              /* read-ahead pages per getpages, at most */
#define GP_MAXWIN 4096             /* a read-ahead window, at most: 16 MiB */
#define GP_RAHISTORY 65536         /* read-ahead pages remembered (gp_ranote) */
#define GP_RASLACK 1024            /* waste before reading around stops */

#define PG_NWAITQ 64
struct pgwaitq {
	pthread_mutex_t m;
	pthread_cond_t cv;
	uint64_t seq;
};

#define OBJ_NHASH 64
#define PERSIST_MAX 32  /* persisting objects kept; older ones terminated */

struct upager {
	unsigned magic;
	struct upager_config cfg;
	uint64_t budget_pages;
	uint32_t cluster_pages;
	uint32_t ra_max;           /* read-ahead window limit, pages */
	int ubc_pages;             /* pages one pread/pwrite step holds */

	pthread_mutex_t olock;
	struct uobjlist objhash[OBJ_NHASH];
	struct uobjlist wlist;     /* writeable objects (uvn_wlist) */
	struct uobjlist persist;   /* persisting objects, oldest first */
	int npersist;
	struct ufilelist files;    /* open handles, closed by destroy */
	/* where the descriptors of files go instead of close(2), if set: the
	 * interposer's, since a close drops the program's POSIX locks on the
	 * file (preload.c) */
	void (*fdkeep)(dev_t dev, ino_t ino, int fd);

	pthread_mutex_t pqlock;
	const struct pd_policy *policy;  /* the replacement policy (policy.h) */
	pthread_cond_t freecv;     /* frames were freed (pqlock) */
	struct pglist active;
	struct pglist inactive;
	struct pglist freeq;
	uint64_t nresident;
	uint64_t nactive, ninactive;
	uint64_t nlaunder;         /* pages in asynchronous pageout */
	struct vpage *pages;       /* budget_pages frames' descriptors */

	struct pgwaitq waitq[PG_NWAITQ];

	/* mapped views (fault.c), set up at the first upager_map */
	pthread_mutex_t vminit;
	bool vmready;
	bool vmkernel;             /* the kernel's own accesses fault too */
	int uffd;                  /* the userfaultfd of every view */
	int pmfd;                  /* /proc/self/pagemap, for PAGEMAP_SCAN */
	int evfd;                  /* tells the fault threads to stop */
	pthread_t fthreads[VM_NTHREADS];
	pthread_rwlock_t vlock;    /* views; held shared while a fault is served */
	struct uviewlist views;
	TAILQ_ENTRY(upager) pagerq; /* on the list of pagers with views */
	pthread_mutex_t vmplock;   /* vmpend, and uffd while faults are pending */
	struct vm_pend *vmpend;    /* faults waiting for a busy page */
	int npend;                 /* their number (read unlocked: atomic) */

	/* the I/O engine (aio.c), started at the first request */
	pthread_mutex_t aiolock;
	pthread_cond_t aiocv;
	struct aioreqlist aioq;
	pthread_t aiothreads[AIO_NTHREADS];
	int aiostarted;
	bool aiostop;
	int aioengine;             /* UPAGER_ENGINE_* */
	struct aio_uring *aioring; /* the io_uring engine's, or NULL */
	char *aiopool;             /* the bounce slots reads land in (huge
	                              pages), or NULL: see aio_slot */
	size_t aiopoollen;         /* its mapping's length */
	bool aiopooltried;         /* it was set up, at the first request */
	uint64_t aioslots;         /* a bit per free slot (atomic) */

	/* the page daemon (pdaemon.c); its state under pqlock */
	pthread_cond_t pdcv;       /* wakes the daemon */
	pthread_t pdthread;
	bool pdstarted, pdstop;
	uint64_t pd_lowat;         /* fewer frames free: the daemon wakes */
	uint64_t pd_hiwat;         /* as many free: it sleeps again */
	uint64_t pd_min;           /* fewer free: it launders synchronously */
	uint64_t pd_want;          /* most frames a waiter wants */
	int pd_nwait;              /* threads waiting for frames */
	uint64_t pd_pass;          /* passes the daemon has finished */
	int pd_err;                /* the last pass freed nothing: why */
	int pd_lerr;               /* an asynchronous pageout failed: why */

	/* the syncer (pdaemon.c) */
	pthread_mutex_t sylock;
	pthread_cond_t sycv;
	pthread_t sythread;
	bool systarted, systop;
	struct upager_stats st;    /* counters: updated with ST_ADD */
};

#define ST_ADD(pg, field, n) \
	__atomic_add_fetch(&(pg)->st.field, (uint64_t)(n), __ATOMIC_RELAXED)

#ifdef UPAGER_DEBUG
#include <unistd.h>
/* lock_held: does the calling thread own m? (glibc keeps the owner's tid) */
static inline int lock_held(pthread_mutex_t *m)
{
	return m->__data.__owner == gettid();
}
#define LOCK_ASSERT_HELD(m) assert(lock_held(m))
#define KASSERT(x) assert(x)
#else
#define LOCK_ASSERT_HELD(m) do { } while (0)
#define KASSERT(x) do { } while (0)
#endif

/* upager.c */
int pg_thread(pthread_t *t, void *(*fn)(void *), void *arg);

/* page.c */
int pg_init(struct upager *pg);
void pg_fini(struct upager *pg);
struct vpage *pg_lookup(struct uobj *o, uint64_t pgno);
struct vpage *pg_alloc(struct uobj *o, uint64_t pgno, int *err);
void pg_free(struct uobj *o, struct vpage *p);
void pg_freerun(struct uobj *o, struct vpage **pps, int n);
void pg_busy(struct vpage *p);
void pg_unbusy(struct uobj *o, struct vpage *p);
void pg_wait(struct uobj *o, struct vpage *p);
void pg_wakeup(struct uobj *o, struct vpage *p);
void pg_unwire(struct uobj *o, struct vpage *p);
void pg_reference(struct vpage *p);
int pg_findpages(struct uobj *o, uint64_t pgno, int *npages,
    struct vpage **pps, int flags);
void pg_release(struct uobj *o, struct vpage **pps, int npages);
int obj_check(struct uobj *o);

/* pdaemon.c */
void pd_marks(struct upager *pg);
int pd_start(struct upager *pg);
void pd_stop(struct upager *pg);
int pd_wait_free(struct upager *pg, uint64_t want);
bool pd_kick(struct upager *pg, uint64_t want, uint64_t *pass);
bool pd_have_free(struct upager *pg, uint64_t want);
uint64_t now_ms(void);
int sy_start(struct upager *pg);
void sy_stop(struct upager *pg);

/* getpages.c */
int gp_getpages(struct uobj *o, uint64_t pgno, int *npages,
    struct vpage **pps, int access, int flags, int rapages);
void gp_ramark(struct uobj *o, struct vpage *p, int win);
void gp_ranote(struct uobj *o, int hits, int waste);
bool gp_rawasteful(struct uobj *o);
void gp_readasync(struct uobj *o, uint64_t lo, uint64_t hi, bool mark);
int gp_startread(struct uobj *o, uint64_t pgno, int rapages);

/* putpages.c */
int pp_flush(struct uobj *o, uint64_t start, uint64_t end, int flags);
int pp_put(struct uobj *o, struct vpage *p, int flags, int *nfreed,
    int *nput);
void pp_aiodone(struct uobj *o, struct vpage **pps, int n, int err,
    int flags);

/* store.c */
int store_open(struct uobj *o, int fd, bool canwrite, bool nodirect);
void store_upgrade(struct uobj *o, int wfd);
void store_close(struct uobj *o);
struct store_run {          /* a run of data to read or write */
	off_t off;
	size_t len;
	size_t data;               /* of len, the bytes before the pager's EOF */
};
int store_plan(struct uobj *o, off_t off, size_t len, off_t limit,
    char *holes, struct store_run *runs, bool cached);
bool store_incache(struct uobj *o, const struct store_run *r);
ssize_t store_cachedone(struct uobj *o, const struct store_run *r,
    ssize_t res);
void store_runskip(struct store_run *r, size_t done);
int store_rddev(struct uobj *o);
int store_rundone(struct uobj *o, const struct store_run *r, int fd,
    ssize_t res);
void store_rdfinish(struct uobj *o, off_t off, size_t len, off_t limit);
int store_read(struct uobj *o, off_t off, size_t len, off_t limit,
    char *holes);
int store_wplan(struct uobj *o, off_t off, size_t len, bool bufio,
    struct store_run *runs, int *fds);
int store_wrundone(struct uobj *o, const struct store_run *r, int fd,
    ssize_t res);
int store_write(struct uobj *o, off_t off, size_t len, bool bufio);
void store_drop(struct uobj *o, off_t off, off_t len);
int store_alloc(struct uobj *o, off_t off, off_t len);
int store_setsize(struct uobj *o, off_t size);
int store_sync(struct uobj *o);

/* object.c */
int obj_window(struct uobj *o, off_t end);
char *obj_mapframes(struct uobj *o, void *at, off_t off, size_t len,
    int prot, int flags, int *err);
void obj_fdclose(struct upager *pg, dev_t dev, ino_t ino, int fd);
int obj_setsize(struct uobj *o, off_t nsize);
void obj_zerotail(struct uobj *o, off_t size);
int obj_sync(struct uobj *o, off_t off, off_t len, int flags);
int obj_writeback(struct uobj *o);
void obj_dirtied(struct uobj *o);
void obj_seterror(struct uobj *o, int err);
void obj_fill(struct uobj *o, char *win, off_t off, const void *src,
    size_t len);
void obj_unmapwin(struct uobj *o, off_t off, off_t len);
void obj_unmapwins(struct uobj *o);
int obj_closeall(struct upager *pg);
void obj_reference(struct upager *pg, struct uobj *o);
void obj_release(struct upager *pg, struct uobj *o);

/* aio.c */
#define AIO_CACHEMISS 8   /* see aio_trycache */
#define AIO_DEMAND 0x01  /* a fault waits for the first page: go first */
void aio_init(struct upager *pg, bool threads);
int aio_read(struct uobj *o, struct vpage **pps, int n, int flags);
int aio_write(struct uobj *o, struct vpage **pps, int n, size_t len,
    int pflags);
void aio_fini(struct upager *pg);

/* fault.c */
void vm_fini(struct upager *pg);
void vm_harvest(struct uobj *o, uint64_t lo, uint64_t hi);
void vm_protect_new(struct uobj *o, uint64_t lo, uint64_t hi);
uint64_t vm_protect_none(struct uobj *o, uint64_t lo, int n);
void vm_deactivate(struct uobj *o, uint64_t lo, int n);
void vm_pend_wake(struct uobj *o, struct vpage *p, int err);
void vm_frames_wake(struct upager *pg, int err);
int pg_tryfree(struct uobj *o, struct vpage **pps, int n);
void ubc_prefault(const void *buf, size_t len);
/* for the interposer (preload.c): mmap's and mremap's other cases */
#define VM_NOTVIEW 1               /* vm_remap: no view there */
int vm_mapat(struct upager_file *f, void *at, int fixed, off_t off,
    size_t len, int prot, int flags, void **addr);
int vm_remap(void *old, size_t oldlen, size_t newlen, int flags,
    void *naddr, void **out);
int vm_unmap_views(void *addr, size_t len, bool writeback);
bool vm_any_view(void *addr, size_t len);
bool vm_kernel_faults(struct upager *pg);

/* ubc.c */
ssize_t ubc_read(struct upager_file *f, void *buf, size_t len, off_t off);
ssize_t ubc_write(struct upager_file *f, const void *buf, size_t len,
    off_t off);

static inline char *pg_addr(struct uobj *o, struct vpage *p)
{
	return o->win + ptoa(p->pgno);
}

#endif /* UPAGER_INT_H */
