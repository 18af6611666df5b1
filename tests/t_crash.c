/* t_crash.c: crash durability: what a sync acknowledged survives SIGKILL */
/*
 * Each round forks a child that writes a file through upager, with
 * upager_pwrite and through a MAP_SHARED view, and now and then syncs a
 * range (upager_sync with any flags, upager_msync MS_SYNC, or
 * upager_sync_all); after each sync that returns 0 it sends the number of
 * that operation on a pipe.  The parent SIGKILLs the child at a random
 * moment, then reads the file with plain pread and checks every 8-byte
 * word of it against the operations the child made.
 *
 * Every write stores, in each word it covers, its generation (the number
 * of the operation, plus one) and the word's own index, so a word on disk
 * says which write put it there; zeros are generation 0, nothing written.
 * The child's operations come from the round's seed, so the parent makes
 * the same list.  For each word w, S(w) is the generation w had when the
 * last acknowledged sync covering w was called; a word on disk must hold
 * S(w) or the generation of a later write covering w:
 *   - an older generation, or zeros where S(w) > 0: acknowledged data
 *     lost, or a page torn by a write-back of stale data;
 *   - a word whose index is wrong, or a generation that no write covering
 *     w had: garbage, or data put at the wrong place.
 * Words are checked one by one, not pages, because a page partly
 * overwritten holds words of several generations by right; and a page
 * written through the view while the page daemon writes it back may
 * reach the disk half old, half new, as with the kernel's mmap, but only
 * with generations after S(w).  A SIGKILL does not lose what the kernel's
 * cache holds, so even a sync without UPAGER_SYNC_WAIT acknowledges here.
 *
 * Half of the rounds run with a budget of 64 pages (a quarter of the
 * file): the page daemon launders under the writes.  Some run with a
 * syncer writing back every 20 ms.  The kill comes 0 to 60 ms after the
 * child is ready (a tenth of the time in the first 2 ms).
 *
 *   t_crash [SEED]            seed also from $UPAGER_SEED, else time-based
 *   UPAGER_CRASH_ROUNDS=N     rounds (default 200)
 */
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "testlib.h"

#define NPAGES 256
#define FSIZE (NPAGES * 4096)           /* the file: 1 MiB, fixed */
#define NWORDS (FSIZE / 8)
#define MAXOPS 20000                    /* operations of a child, at most */
#define READY 0xffffffffu               /* the child's first record */

static uint64_t g_seed;
static int g_round;
static char g_what[200] = "setup";

static void on_abort(int sig)
{
	(void)sig;
	abort_note("t_crash: FAILED seed=%" PRIu64 " round %d: %s\n"
	    "t_crash: rerun with UPAGER_SEED=%" PRIu64 "\n", g_seed, g_round,
	    g_what, g_seed);
}

/* ---- the operations, the same in the child and the parent ---- */

enum { OP_PWRITE, OP_VWRITE, OP_SYNC, OP_MSYNC, OP_SYNCALL };

struct op {
	int type;
	uint32_t lo, hi;        /* words [lo, hi): written, or synced */
	int flags;              /* OP_SYNC: UPAGER_SYNC_*; OP_MSYNC: MS_* */
};

struct cfgr {
	size_t budget;
	unsigned syncer_ms;
	unsigned flags;
	uint32_t nops;          /* operations the child makes, at most */
};

/* round_cfg: the round's pager settings, from its generator. */
static struct cfgr round_cfg(struct rng *r)
{
	struct cfgr c;

	c.budget = rnd(r, 2) ? 64 * 4096 : 4 * MiB;
	c.syncer_ms = rnd(r, 3) == 0 ? 20 : QUIET_SYNCER;
	c.flags = rnd(r, 2) ? UPAGER_NODIRECT : 0;
	/* one round in 16 ends before the kill: destroy writes it all */
	c.nops = rnd(r, 16) == 0 ? 100 + (uint32_t)rnd(r, 200) : MAXOPS;
	return c;
}

/* next_op: operation number i, from the round's generator. */
static struct op next_op(struct rng *r)
{
	struct op o;
	uint64_t k = rnd(r, 100);
	uint32_t len;

	memset(&o, 0, sizeof(o));
	if (k < 40 || k >= 98) {
		o.type = k < 40 ? OP_PWRITE : OP_VWRITE;
		switch (rnd(r, 4)) {
		case 0:                         /* a few words */
			len = 1 + (uint32_t)rnd(r, 64);
			break;
		case 1:                         /* a page or a few, aligned */
			len = 512 * (1 + (uint32_t)rnd(r, 4));
			break;
		default:                        /* up to 64 KiB, anywhere */
			len = 1 + (uint32_t)rnd(r, 8192);
			break;
		}
		o.lo = (uint32_t)rnd(r, NWORDS);
		if (len == 512 || rnd(r, 3) == 0)
			o.lo &= ~511u;
		o.hi = o.lo + len > NWORDS ? NWORDS : o.lo + len;
	} else if (k < 75) {
		o.type = OP_VWRITE;
		len = 1 + (uint32_t)rnd(r, 4096);
		o.lo = (uint32_t)rnd(r, NWORDS);
		o.hi = o.lo + len > NWORDS ? NWORDS : o.lo + len;
	} else if (k < 90) {
		o.type = OP_SYNC;
		o.flags = (int)rnd(r, 4);
		if (rnd(r, 3) == 0) {
			o.lo = 0;
			o.hi = NWORDS;
		} else {
			o.lo = (uint32_t)rnd(r, NWORDS);
			o.hi = o.lo + 1 + (uint32_t)rnd(r, NWORDS / 4);
			if (o.hi > NWORDS)
				o.hi = NWORDS;
		}
	} else if (k < 97) {
		o.type = OP_MSYNC;
		o.flags = rnd(r, 3) == 0 ? MS_SYNC | MS_INVALIDATE : MS_SYNC;
		o.lo = (uint32_t)rnd(r, NPAGES) * 512;
		o.hi = o.lo + 512 * (1 + (uint32_t)rnd(r, 64));
		if (o.hi > NWORDS)
			o.hi = NWORDS;
	} else {
		o.type = OP_SYNCALL;
		o.lo = 0;
		o.hi = NWORDS;
	}
	return o;
}

/* word: what a write of generation gen puts in word w */
static uint64_t word(uint32_t gen, uint32_t w)
{
	return (uint64_t)gen << 40 | w;
}

/* ---- the child ---- */

static void put(int fd, uint32_t v)
{
	/* 4 bytes to a pipe: all or nothing, even under SIGKILL */
	CHECK(write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v));
}

static void child(const char *path, uint64_t seed, int wfd)
{
	struct rng r;
	struct cfgr c;
	upager_t *pg;
	upager_file_t *f;
	uint64_t *buf = xmalloc(FSIZE), *view = NULL;
	uint32_t i, w;

	rseed(&r, seed);
	c = round_cfg(&r);
	pg = mkpager_cfg(c.budget, 0, 0, c.flags, c.syncer_ms);
	f = uopen(pg, path, O_RDWR);
	CHECK_ZERO(upager_map(f, 0, FSIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    (void **)&view));
	put(wfd, READY);
	for (i = 0; i < c.nops; i++) {
		struct op o = next_op(&r);
		size_t off = (size_t)o.lo * 8, len = (size_t)(o.hi - o.lo) * 8;

		switch (o.type) {
		case OP_PWRITE:
			for (w = o.lo; w < o.hi; w++)
				buf[w - o.lo] = word(i + 1, w);
			UWRITE(f, buf, len, (off_t)off);
			break;
		case OP_VWRITE:
			/* whole words: a word is never torn by the copy */
			for (w = o.lo; w < o.hi; w++)
				((volatile uint64_t *)view)[w] = word(i + 1, w);
			break;
		case OP_SYNC:
			CHECK_ZERO(upager_sync(f, (off_t)off, (off_t)len,
			    o.flags));
			put(wfd, i);
			break;
		case OP_MSYNC:
			CHECK_ZERO(upager_msync((char *)view + off, len,
			    o.flags));
			put(wfd, i);
			break;
		default:
			CHECK_ZERO(upager_sync_all(pg));
			put(wfd, i);
			break;
		}
	}
	/* not killed in time: all of it, by destroy */
	CHECK_ZERO(upager_unmap(view, FSIZE));
	CHECK_ZERO(upager_close(f));
	CHECK_ZERO(upager_destroy(pg));
	put(wfd, MAXOPS);
	_exit(0);
}

/* ---- the parent ---- */

struct tally {
	unsigned long killed, finished, acks, words_acked, words_newer;
};

/* read_acks: the child's records until EOF; acked[i] for each */
static uint32_t read_acks(int rfd, unsigned char *acked, bool *ready)
{
	uint32_t v, n = 0;
	ssize_t k;

	for (;;) {
		k = read(rfd, &v, sizeof(v));
		if (k < 0 && errno == EINTR)
			continue;
		CHECK(k >= 0);
		if (k == 0)
			break;
		CHECK_EQ(k, sizeof(v));
		if (v == READY) {
			*ready = true;
			continue;
		}
		CHECK(v <= MAXOPS);
		acked[v] = 1;
		n++;
	}
	return n;
}

/*
 * check_disk: every word of the file on disk holds the generation the last
 * acknowledged sync covering it saw, or a later write's (see the top).
 */
static void check_disk(const char *path, uint64_t seed,
    const unsigned char *acked, struct tally *t)
{
	static struct op ops[MAXOPS];
	static uint32_t lastw[NWORDS], S[NWORDS], A[NWORDS];
	uint64_t *disk = xmalloc(FSIZE);
	struct rng r;
	struct cfgr c;
	uint32_t i, w, last = 0;

	rseed(&r, seed);
	c = round_cfg(&r);
	memset(lastw, 0, sizeof(lastw));
	memset(S, 0, sizeof(S));
	memset(A, 0, sizeof(A));
	for (i = 0; i < c.nops; i++) {
		ops[i] = next_op(&r);
		if (acked[i])
			last = i + 1;
	}
	if (acked[MAXOPS])
		last = c.nops;
	/* the writes up to the last acknowledged sync make S; those after
	 * are only looked up */
	for (i = 0; i < last; i++) {
		if (ops[i].type <= OP_VWRITE) {
			for (w = ops[i].lo; w < ops[i].hi; w++)
				lastw[w] = i + 1;
		} else if (acked[i]) {
			/* the bytes of its range: what the API promises */
			for (w = ops[i].lo; w < ops[i].hi; w++) {
				S[w] = lastw[w];
				A[w] = i + 1;
			}
		}
	}
	if (acked[MAXOPS])              /* destroy: all of it */
		for (w = 0; w < NWORDS; w++) {
			S[w] = lastw[w];
			A[w] = MAXOPS + 1;
		}
	CHECK_EQ(disk_size(path), FSIZE);
	CHECK_EQ(disk_read(path, disk, FSIZE, 0), FSIZE);
	for (w = 0; w < NWORDS; w++) {
		uint64_t d = disk[w];
		uint32_t g = (uint32_t)(d >> 40);
		const struct op *o = g > 0 && g <= c.nops ? &ops[g - 1] : NULL;

		if (d != 0 && (d & ((1ull << 40) - 1)) != w)
			FAIL("word %u (page %u) on disk is %#" PRIx64 ": not "
			    "a word written there (garbage or misplaced)", w,
			    w / 512, d);
		if (g == S[w]) {
			t->words_acked += A[w] != 0;
			continue;
		}
		if (g < S[w])
			FAIL("word %u (page %u) on disk has generation %u, "
			    "older than %u, which the sync of operation %u "
			    "(%u: destroy) acknowledged: lost or torn", w,
			    w / 512, g, S[w], A[w] - 1, MAXOPS);
		if (o == NULL || o->type > OP_VWRITE || w < o->lo ||
		    w >= o->hi)
			FAIL("word %u (page %u) on disk has generation %u, "
			    "which no write covering it had", w, w / 512, g);
		t->words_newer++;
	}
	free(disk);
}

/* sleep_us: sleep, whatever signals come */
static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void round_run(const char *path, uint64_t seed, struct rng *pr,
    struct tally *t)
{
	static unsigned char acked[MAXOPS + 1];
	int p[2], st, fd;
	pid_t pid;
	bool ready = false;
	uint32_t ready_rec;
	long delay;

	/* a fresh file, zeros (holes): generation 0 everywhere */
	(void)unlink(path);
	CHECK((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644)) >= 0);
	CHECK(ftruncate(fd, FSIZE) == 0);
	CHECK(close(fd) == 0);
	memset(acked, 0, sizeof(acked));
	delay = rnd(pr, 10) == 0 ? (long)rnd(pr, 2000) :
	    (long)rnd(pr, 60000);

	CHECK(pipe(p) == 0);
	fflush(NULL);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		CHECK(close(p[0]) == 0);
		child(path, seed, p[1]);
	}
	CHECK(close(p[1]) == 0);
	/* from when the child is ready: its first record */
	CHECK_EQ(read(p[0], &ready_rec, sizeof(ready_rec)),
	    sizeof(ready_rec));
	CHECK_EQ(ready_rec, READY);
	ready = true;
	sleep_us(delay);
	(void)kill(pid, SIGKILL);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	t->acks += read_acks(p[0], acked, &ready);
	CHECK(close(p[0]) == 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		CHECK(acked[MAXOPS]);
		t->finished++;
	} else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
		t->killed++;
	} else {
		FAIL("the child failed by itself (status %#x)", st);
	}
	snprintf(g_what, sizeof(g_what), "checking the file after the kill "
	    "(%ld us after ready)", delay);
	check_disk(path, seed, acked, t);
}

int main(int argc, char **argv)
{
	struct tally t;
	struct rng pr;
	const char *s;
	const char *path = tpath("crash.dat");
	int rounds = 200;
	double t0 = mono_now();

	g_seed = test_seed(argc, argv);
	if ((s = env_value("UPAGER_CRASH_ROUNDS")) != NULL)
		rounds = atoi(s);
	fprintf(stderr, "t_crash: seed=%" PRIu64 "\n", g_seed);
	at_abort(on_abort);
	rseed(&pr, g_seed);
	memset(&t, 0, sizeof(t));
	for (g_round = 0; g_round < rounds; g_round++) {
		snprintf(g_what, sizeof(g_what), "running the child");
		round_run(path, g_seed + (uint64_t)g_round * 7919, &pr, &t);
	}
	rm_test_dir();
	printf("t_crash: ok seed=%" PRIu64 ": %d rounds, %lu killed, %lu "
	    "finished; %lu syncs acknowledged; words checked: %lu at the "
	    "acknowledged generation, %lu newer (%.1f s)\n", g_seed, rounds,
	    t.killed, t.finished, t.acks, t.words_acked, t.words_newer,
	    mono_now() - t0);
	return 0;
}
