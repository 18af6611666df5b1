/*
 * t_conc_faults.c: view faults and the I/O under them.
 *   - a fault whose page cannot be read gets SIGBUS, and the page reads
 *     fine once the disk does;
 *   - a fault waiting on a read started for another fault is not punished
 *     for that read's failure: it reads the page again;
 *   - slow reads in flight hold up no other fault: with more cold faults
 *     waiting on (injected) slow reads than there are fault threads, a
 *     fault on a resident page is served before any of them completes;
 *   - many threads faulting on the same cold pages all see the data.
 *
 *   UPAGER_STRESS_SECONDS=S   stress mode: repeat all of it until S
 *                             seconds have passed (unset: once)
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "debug.h"
#include "sys.h"
#include "testlib.h"

#define NPAGES 256

/* per-thread probes: a signal handler that jumps back to the probe */
static __thread sigjmp_buf t_jb;
static __thread volatile sig_atomic_t t_armed;

static void t_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (!t_armed) {
		signal(sig, SIG_DFL);
		return;
	}
	t_armed = 0;
	siglongjmp(t_jb, sig);
}

/* t_probe: read the byte at p into *out; the signal raised, or 0. */
static int t_probe(const char *p, unsigned char *out)
{
	int sig;

	if ((sig = sigsetjmp(t_jb, 1)) == 0) {
		t_armed = 1;
		*out = *(const volatile unsigned char *)p;
		t_armed = 0;
	}
	return sig;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
	    .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void arm(enum sys_kind kind, int err, unsigned long count,
    unsigned delay_ms)
{
	struct sys_fault f;

	memset(&f, 0, sizeof(f));
	f.err = err;
	f.count = count;
	f.delay_ms = delay_ms;
	sys_fault_set(kind, &f);
}

struct toucher {
	pthread_t t;
	const char *addr;
	int sig;
	unsigned char byte;
	int done;                  /* atomic */
};

static void *touch_main(void *arg)
{
	struct toucher *t = arg;

	t->sig = t_probe(t->addr, &t->byte);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void start(struct toucher *t, const char *addr)
{
	memset(t, 0, sizeof(*t));
	t->addr = addr;
	CHECK_EQ(pthread_create(&t->t, NULL, touch_main, t), 0);
}

/* A pager, the file open in it, and a view of the whole file with
 * random advice: a fault reads its page alone. */
struct fixture {
	upager_t *pg;
	upager_file_t *f;
	char *v;
	size_t len;
};

static struct fixture fx_open(const char *path)
{
	struct fixture x;

	x.pg = mkpager_quiet(0);
	x.f = uopen(x.pg, path, O_RDONLY);
	x.len = NPAGES * PG;
	CHECK_OK(upager_map(x.f, 0, x.len, PROT_READ, MAP_SHARED,
	    (void **)&x.v));
	CHECK_OK(upager_madvise(x.v, x.len, MADV_RANDOM));
	return x;
}

/* fx_close: check the pager, then take it all down. */
static void fx_close(struct fixture *x)
{
	sys_fault_clear(SYS_NKIND);
	CHECK_OK(dbg_check_pager(x->pg));
	CHECK_OK(upager_unmap(x->v, x->len));
	CHECK_OK(upager_close(x->f));
	CHECK_OK(upager_destroy(x->pg));
}

/* Every read fails: SIGBUS, a read error counted; then it reads fine. */
static void test_read_error(const char *path, const unsigned char *exp)
{
	struct fixture x = fx_open(path);
	unsigned char c;
	char *v = x.v;

	arm(SYS_PREAD, EIO, 0, 0);
	CHECK_EQ(t_probe(v, &c), SIGBUS);
	CHECK_EQ(t_probe(v + 77 * PG + 5, &c), SIGBUS);
	CHECK(sys_fault_hits(SYS_PREAD) >= 2);
	CHECK(stats(x.pg).read_errors >= 2);
	sys_fault_clear(SYS_NKIND);
	CHECK_OK(dbg_check_pager(x.pg));
	CHECK_EQ(t_probe(v + 77 * PG + 5, &c), 0);
	CHECK_EQ(c, exp[77 * PG + 5]);
	CHECK_MEM(v, exp, x.len);
	fx_close(&x);
}

/*
 * One slow read that fails: thread A started it and gets SIGBUS; B
 * faulted on the same page while it was in flight, and reads the page
 * again (the fault is armed for one call only) instead of dying.
 */
static void test_error_waiter(const char *path, const unsigned char *exp)
{
	struct fixture x = fx_open(path);
	char *v = x.v;
	struct toucher a, b;

	arm(SYS_PREAD, EIO, 1, 1000);
	start(&a, v + 9 * PG + 1);
	sleep_ms(300);
	CHECK(!__atomic_load_n(&a.done, __ATOMIC_ACQUIRE));
	start(&b, v + 9 * PG + 2);
	CHECK_EQ(pthread_join(a.t, NULL), 0);
	CHECK_EQ(pthread_join(b.t, NULL), 0);
	CHECK_EQ(sys_fault_hits(SYS_PREAD), 1);
	CHECK_EQ(a.sig, SIGBUS);
	CHECK_EQ(b.sig, 0);
	CHECK_EQ(b.byte, exp[9 * PG + 2]);
	fx_close(&x);
}

/*
 * More cold faults than fault threads wait on slow reads; a fault on a
 * page that is resident (read by pread, not mapped in this view yet) is
 * served while all of them still wait.  Then six threads fault on the
 * same two cold pages at once and all read the data.
 */
static void test_no_blocking(const char *path, const unsigned char *exp)
{
	struct fixture x = fx_open(path);
	struct toucher cold[3], same[6];
	unsigned char buf[PG], c;
	char *v = x.v;
	int i;

	UREAD(x.f, buf, PG, (off_t)(200 * PG));
	arm(SYS_PREAD, 0, 0, 1500);
	/* one at a time, so that each fault thread can take one of them */
	for (i = 0; i < 3; i++) {
		start(&cold[i], v + (size_t)(20 + 40 * i) * PG);
		sleep_ms(100);
	}
	CHECK_EQ(t_probe(v + 200 * PG + 9, &c), 0);
	CHECK_EQ(c, exp[200 * PG + 9]);
	for (i = 0; i < 3; i++)
		CHECK(!__atomic_load_n(&cold[i].done, __ATOMIC_ACQUIRE));
	for (i = 0; i < 3; i++) {
		CHECK_EQ(pthread_join(cold[i].t, NULL), 0);
		CHECK_EQ(cold[i].sig, 0);
		CHECK_EQ(cold[i].byte, exp[(size_t)(20 + 40 * i) * PG]);
	}
	arm(SYS_PREAD, 0, 0, 200);
	for (i = 0; i < 6; i++)
		start(&same[i], v + (size_t)(150 + i % 2) * PG + (size_t)i);
	for (i = 0; i < 6; i++) {
		CHECK_EQ(pthread_join(same[i].t, NULL), 0);
		CHECK_EQ(same[i].sig, 0);
		CHECK_EQ(same[i].byte, exp[(size_t)(150 + i % 2) * PG +
		    (size_t)i]);
	}
	sys_fault_clear(SYS_NKIND);
	CHECK_MEM(v, exp, x.len);
	fx_close(&x);
}

int main(void)
{
	upager_t *pg = mkpager_quiet(0);
	unsigned char *exp;
	const char *path, *s;
	double t0 = mono_now(), stress = 0;
	int iter = 0;

	set_page_size(pg);
	CHECK_OK(upager_destroy(pg));
	sig_install(t_handler);

	exp = xmalloc(NPAGES * PG);
	fill(exp, NPAGES * PG, 0, 7);
	path = tpath("faults");
	disk_write(path, exp, NPAGES * PG, 0, 0);

	/* stress: again and again, for that long */
	if ((s = env_value("UPAGER_STRESS_SECONDS")) != NULL)
		stress = strtod(s, NULL);
	do {
		test_read_error(path, exp);
		test_error_waiter(path, exp);
		test_no_blocking(path, exp);
		iter++;
	} while (mono_now() - t0 < stress);

	free(exp);
	rm_test_dir();
	printf("t_conc_faults: ok, %d round(s) in %.1f s\n", iter,
	    mono_now() - t0);
	return 0;
}
