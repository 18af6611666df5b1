/* upager.c: the pager as a whole: create, destroy, stats, messages */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "sys.h"
#include "upager_int.h"

#define DEF_BUDGET ((size_t)256 << 20)
#define DEF_CLUSTER ((size_t)1 << 20)
#define DEF_READAHEAD ((size_t)1 << 20)
#define DEF_SYNCER_MS 30000u
#define MIN_BUDGET_PAGES 64

/*
 * pg_thread: start one of the pager's threads (fault, I/O, syncer) with
 * every signal blocked: the program's signals are the program's.
 * => returns 0 or a negative errno.
 */
int pg_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

UPAGER_EXPORT int upager_create(const struct upager_config *cfg,
    upager_t **out)
{
	struct upager *pg;
	const char *engine;
	int err, h;

	if (cfg == NULL || out == NULL ||
	    (cfg->flags & ~(UPAGER_NODIRECT | UPAGER_THREADIO)) ||
	    (cfg->cluster & PAGE_MASK) || (cfg->readahead & PAGE_MASK) ||
	    sysconf(_SC_PAGESIZE) != (long)PAGE_SIZE)
		return -EINVAL;
	if (cfg->budget != 0 && cfg->budget / PAGE_SIZE < MIN_BUDGET_PAGES)
		return -EINVAL;
	/* UPAGER_FAULTS (sys.h): parsed at the first pager; malformed, it
	 * fails every create rather than run without the faults asked for */
	if ((err = sys_fault_env()) != 0)
		return err;
	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		return -ENOMEM;
	pg->cfg = *cfg;
	if (pg->cfg.budget == 0)
		pg->cfg.budget = DEF_BUDGET;
	if (pg->cfg.cluster == 0)
		pg->cfg.cluster = DEF_CLUSTER;
	if (pg->cfg.readahead == 0)
		pg->cfg.readahead = DEF_READAHEAD;
	if (pg->cfg.syncer_delay_ms == 0)
		pg->cfg.syncer_delay_ms = DEF_SYNCER_MS;
	pg->budget_pages = pg->cfg.budget / PAGE_SIZE;
	pg->cluster_pages = (uint32_t)MIN(pg->cfg.cluster / PAGE_SIZE,
	    pg->budget_pages / 4);
	pg->ra_max = (uint32_t)MIN(MIN(pg->cfg.readahead / PAGE_SIZE,
	    pg->budget_pages / 4), GP_MAXWIN);
	/* one step of pread/pwrite holds at most a quarter of the frames,
	 * so that a few threads at once always find room */
	pg->ubc_pages = (int)MIN((uint64_t)UBC_MAXPAGES, pg->budget_pages / 4);
	if ((err = pg_init(pg)) != 0) {
		free(pg);
		return err;
	}
	pthread_mutex_init(&pg->olock, NULL);
	pthread_mutex_init(&pg->pqlock, NULL);
	pg->policy = &pd_clock;
	pthread_cond_init(&pg->freecv, NULL);
	pthread_cond_init(&pg->pdcv, NULL);
	pd_marks(pg);
	for (h = 0; h < OBJ_NHASH; h++)
		TAILQ_INIT(&pg->objhash[h]);
	TAILQ_INIT(&pg->wlist);
	TAILQ_INIT(&pg->persist);
	TAILQ_INIT(&pg->files);
	TAILQ_INIT(&pg->views);
	pthread_mutex_init(&pg->vminit, NULL);
	pthread_mutex_init(&pg->vmplock, NULL);
	pthread_mutex_init(&pg->aiolock, NULL);
	pthread_cond_init(&pg->aiocv, NULL);
	TAILQ_INIT(&pg->aioq);
	pthread_rwlock_init(&pg->vlock, NULL);
	pg->st.budget_pages = pg->budget_pages;
	pg->st.page_size = PAGE_SIZE;
	pthread_mutex_init(&pg->sylock, NULL);
	pthread_cond_init(&pg->sycv, NULL);
	engine = getenv("UPAGER_IOENGINE");
	aio_init(pg, (cfg->flags & UPAGER_THREADIO) ||
	    (engine != NULL && strcmp(engine, "threads") == 0));
	pg->st.io_engine = (uint64_t)pg->aioengine;
	pg->magic = UPAGER_MAGIC;
	if ((err = pd_start(pg)) != 0 || (err = sy_start(pg)) != 0) {
		(void)upager_destroy(pg);
		return err;
	}
	*out = pg;
	return 0;
}

UPAGER_EXPORT int upager_destroy(upager_t *pg)
{
	int err;

	if (pg == NULL || pg->magic != UPAGER_MAGIC)
		return -EINVAL;
	sy_stop(pg);
	vm_fini(pg);
	err = obj_closeall(pg);
	pd_stop(pg);
	aio_fini(pg);
	pg->magic = 0;
	pthread_mutex_destroy(&pg->aiolock);
	pthread_cond_destroy(&pg->aiocv);
	pthread_mutex_destroy(&pg->sylock);
	pthread_cond_destroy(&pg->sycv);
	pthread_mutex_destroy(&pg->vminit);
	pthread_mutex_destroy(&pg->vmplock);
	pthread_rwlock_destroy(&pg->vlock);
	pthread_mutex_destroy(&pg->olock);
	pthread_mutex_destroy(&pg->pqlock);
	pthread_cond_destroy(&pg->freecv);
	pthread_cond_destroy(&pg->pdcv);
	pg_fini(pg);
	free(pg);
	return err;
}

UPAGER_EXPORT int upager_stats(upager_t *pg, struct upager_stats *st)
{
	size_t i, n = sizeof(*st) / sizeof(uint64_t);
	const uint64_t *src;
	uint64_t *dst;

	if (pg == NULL || pg->magic != UPAGER_MAGIC || st == NULL)
		return -EINVAL;
	src = (const uint64_t *)&pg->st;
	dst = (uint64_t *)st;
	for (i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	pthread_mutex_lock(&pg->pqlock);
	st->resident = pg->nresident;
	st->peak_resident = pg->st.peak_resident;
	pthread_mutex_unlock(&pg->pqlock);
	return 0;
}

UPAGER_EXPORT const char *upager_strerror(int err)
{
	static const char *const msgs[] = {
		[0] = "success",
		[EPERM] = "operation not permitted",
		[ENOENT] = "no such file or directory",
		[EINTR] = "interrupted",
		[EIO] = "input/output error",
		[EBADF] = "file not open for this access",
		[EAGAIN] = "resource temporarily unavailable",
		[ENOMEM] = "out of memory",
		[EACCES] = "permission denied",
		[EEXIST] = "file exists",
		[ENODEV] = "not a regular file",
		[EISDIR] = "is a directory",
		[EINVAL] = "invalid argument",
		[ENFILE] = "too many open files in system",
		[EMFILE] = "too many open files",
		[EFBIG] = "file too large",
		[ENOSPC] = "no space left on device",
		[EROFS] = "read-only file system",
		[EDEADLK] = "page busy",
		[ENAMETOOLONG] = "file name too long",
		[ELOOP] = "too many levels of symbolic links",
		[EDQUOT] = "disk quota exceeded",
		[EUCLEAN] = "internal check failed",
	};
	/* in unsigned arithmetic, so that INT_MIN has a magnitude too */
	unsigned e = err < 0 ? 0u - (unsigned)err : (unsigned)err;

	if (e < sizeof(msgs) / sizeof(msgs[0]) &&
	    msgs[e] != NULL)
		return msgs[e];
	return "unknown error";
}
