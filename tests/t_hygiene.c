/* t_hygiene.c: descriptors, close-on-exec, signal masks and read-only files */
/*
 *   - create, open, map, fault, close, unmap and destroy, in several ways,
 *     leave no descriptor and no mapping of the pager's behind
 *     (/proc/self/fd and /proc/self/maps before and after each cycle);
 *   - every descriptor the pager holds (memfds, the userfaultfd, the
 *     pagemap, eventfds, the io_uring, the files and their O_DIRECT twins)
 *     is close-on-exec, and each of those kinds is seen;
 *   - the pager's threads block every signal a program could send them
 *     (SigBlk of each in /proc/self/task), and a signal sent to the
 *     process while the main thread blocks it stays pending, not
 *     delivered to one of them;
 *   - a file opened O_RDONLY is never written by any path: pwrite and
 *     truncate say -EBADF, a shared writeable map -EACCES, a write through
 *     a read-only view SIGSEGV, a private view's writes stay private; the
 *     syncs, close and destroy write nothing: the bytes, the size and the
 *     modification time on disk are what they were;
 *   - a file the caller may not write cannot be opened for writing:
 *     -EACCES (as root, in a child that became nobody, so the kernel's
 *     permission check is not overridden).
 */
#include <dirent.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "testlib.h"

/* ---- descriptors ---- */

static bool fds_has(const struct fdset *s, int fd)
{
	for (int i = 0; i < s->n; i++)
		if (s->fd[i] == fd)
			return true;
	return false;
}

static void fds_same(const struct fdset *a, const struct fdset *b,
    const char *when)
{
	for (int i = 0; i < b->n; i++)
		if (!fds_has(a, b->fd[i])) {
			char lnk[64], what[256] = "?";
			ssize_t n;

			snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d",
			    b->fd[i]);
			if ((n = readlink(lnk, what, sizeof(what) - 1)) > 0)
				what[n] = '\0';
			FAIL("%s: descriptor %d (%s) left open", when,
			    b->fd[i], what);
		}
	if (a->n != b->n)
		FAIL("%s: %d descriptors before, %d after", when, a->n, b->n);
}

/* memfd_maps: mappings of the pager's memfds in the process */
static int memfd_maps(void)
{
	FILE *fp = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	CHECK(fp != NULL);
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, "memfd:upager") != NULL;
	fclose(fp);
	return n;
}

/* kinds of descriptor seen by check_cloexec */
enum { K_MEMFD, K_UFFD, K_PAGEMAP, K_EVENTFD, K_URING, K_FILE, K_DIRECT,
	K_N };
static const char *const kname[K_N] = { "memfd", "userfaultfd", "pagemap",
	"eventfd", "io_uring", "file", "O_DIRECT file" };

/*
 * check_cloexec: every descriptor not in `before` is close-on-exec; count
 * each kind in seen[] (files: those in directory dir).
 */
static void check_cloexec(const struct fdset *before, const char *dir,
    int seen[K_N])
{
	struct fdset now = fds_now();

	for (int i = 0; i < now.n; i++) {
		int fd = now.fd[i], fl, st;
		char lnk[64], what[512];
		ssize_t n;

		if (fds_has(before, fd))
			continue;
		snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", fd);
		CHECK((n = readlink(lnk, what, sizeof(what) - 1)) > 0);
		what[n] = '\0';
		CHECK((st = fcntl(fd, F_GETFD)) >= 0);
		if (!(st & FD_CLOEXEC))
			FAIL("descriptor %d (%s) is not close-on-exec", fd,
			    what);
		CHECK((fl = fcntl(fd, F_GETFL)) >= 0);
		if (strstr(what, "memfd:upager") != NULL)
			seen[K_MEMFD]++;
		else if (strstr(what, "[userfaultfd]") != NULL)
			seen[K_UFFD]++;
		else if (strstr(what, "/pagemap") != NULL)
			seen[K_PAGEMAP]++;
		else if (strstr(what, "[eventfd]") != NULL)
			seen[K_EVENTFD]++;
		else if (strstr(what, "[io_uring]") != NULL)
			seen[K_URING]++;
		else if (strncmp(what, dir, strlen(dir)) == 0 &&
		    what[strlen(dir)] == '/')
			seen[(fl & O_DIRECT) ? K_DIRECT : K_FILE]++;
		else
			FAIL("descriptor %d (%s): not one of the pager's", fd,
			    what);
	}
}

/* ---- threads and signals ---- */

struct tids {
	int n;
	pid_t t[64];
};

static struct tids tasks_now(void)
{
	struct tids s = { 0 };
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && s.n < 64)
			s.t[s.n++] = (pid_t)atoi(e->d_name);
	closedir(d);
	return s;
}

static bool tids_has(const struct tids *s, pid_t t)
{
	for (int i = 0; i < s->n; i++)
		if (s->t[i] == t)
			return true;
	return false;
}

/* sigblk: the blocked mask of task t, from its status; false if gone */
static bool sigblk(pid_t t, uint64_t *mask, char *comm, size_t clen)
{
	char path[64], line[256];
	FILE *fp;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)t);
	if ((fp = fopen(path, "re")) == NULL)
		return false;
	if (fgets(comm, (int)clen, fp) == NULL)
		comm[0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	fclose(fp);
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)t);
	if ((fp = fopen(path, "re")) == NULL)
		return false;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "SigBlk:", 7) == 0) {
			*mask = strtoull(line + 7, NULL, 16);
			found = true;
		}
	fclose(fp);
	return found;
}

/*
 * check_masks: every task that is not in `before` blocks every signal
 * but those that cannot be blocked (SIGKILL, SIGSTOP) and the two the C
 * library keeps for itself (32, 33).  Returns how many were looked at.
 */
static int check_masks(const struct tids *before)
{
	struct tids now = tasks_now();
	uint64_t want = ~(uint64_t)0, m;
	char comm[64];
	int n = 0;

	want &= ~((uint64_t)1 << (SIGKILL - 1));
	want &= ~((uint64_t)1 << (SIGSTOP - 1));
	want &= ~((uint64_t)1 << (32 - 1));
	want &= ~((uint64_t)1 << (33 - 1));
	for (int i = 0; i < now.n; i++) {
		if (tids_has(before, now.t[i]) ||
		    !sigblk(now.t[i], &m, comm, sizeof(comm)))
			continue;
		if ((m & want) != want)
			FAIL("thread %d (%s) does not block signals %#llx",
			    (int)now.t[i], comm,
			    (unsigned long long)(want & ~m));
		n++;
	}
	return n;
}

static volatile pid_t usr1_tid;
static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_tid = (pid_t)syscall(SYS_gettid);
	usr1_count++;
}

/*
 * check_delivery: with SIGUSR1 blocked in the main thread, a SIGUSR1 to
 * the process goes to any thread that does not block it: none must take
 * it while the pager works; unblocked, the main thread does.
 */
static void check_delivery(upager_file_t *f, char *view, size_t len)
{
	struct sigaction sa;
	sigset_t set;
	char *buf = xmalloc(len);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0);
	usr1_count = 0;
	for (int i = 0; i < 20; i++) {
		CHECK(kill(getpid(), SIGUSR1) == 0);
		/* the pager's threads busy meanwhile: reads, faults, syncs */
		CHECK_ZERO(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE));
		UREAD(f, buf, len, 0);
		CHECK_ZERO(upager_madvise(view, len, MADV_DONTNEED));
		for (size_t k = 0; k < len; k += PG)
			buf[k] = view[k];
	}
	if (usr1_count != 0)
		FAIL("SIGUSR1 ran in thread %d, not the main thread, which "
		    "blocks it", (int)usr1_tid);
	CHECK(pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0);
	CHECK_EQ(usr1_count, 1);
	CHECK_EQ(usr1_tid, getpid());
	signal(SIGUSR1, SIG_DFL);
	free(buf);
}

/* ---- one cycle of everything ---- */

static void cycle(int i, const struct fdset *before, bool look)
{
	const char *p = tpath("cycle.dat"), *alias = tpath("./cycle.dat");
	struct upager_config cfg;
	upager_t *pg = NULL;
	upager_file_t *f, *g, *h;
	size_t len = 64 * PG;
	unsigned char *buf = xmalloc(len);
	char *rw, *ro, *priv;
	int seen[K_N] = { 0 }, want[K_N] = { 0 };
	struct tids tbefore = tasks_now();
	struct fdset after;
	char when[64];
	char real[512];

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = 128 * PG;
	cfg.flags = (i & 1) ? UPAGER_NODIRECT : 0;
	cfg.flags |= (i & 2) ? UPAGER_THREADIO : 0;
	CHECK_ZERO(upager_create(&cfg, &pg));
	f = uopen(pg, p, O_RDWR | O_CREAT);
	fill(buf, len, 0, (unsigned)i);
	UWRITE(f, buf, len, 0);
	CHECK_ZERO(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT |
	    UPAGER_SYNC_INVALIDATE));
	g = uopen(pg, alias, O_RDONLY);
	h = uopen(pg, tpath("other.dat"), O_RDWR | O_CREAT | O_TRUNC);
	UWRITE(h, buf, len, 0);
	UREAD(g, buf, len, 0);
	CHECK_ZERO(upager_map(f, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    (void **)&rw));
	CHECK_ZERO(upager_map(g, 0, len, PROT_READ, MAP_SHARED,
	    (void **)&ro));
	CHECK_ZERO(upager_map(h, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
	    (void **)&priv));
	for (size_t k = 0; k < len; k += PG) {
		rw[k] ^= 1;
		CHECK_EQ(ro[k], rw[k]);
		priv[k] = 7;
	}
	CHECK_ZERO(upager_msync(rw, len, MS_SYNC));
	if (look) {
		CHECK(realpath(test_dir(), real) != NULL);
		check_cloexec(before, real, seen);
		want[K_MEMFD] = 2;              /* two files */
		want[K_UFFD] = want[K_PAGEMAP] = want[K_EVENTFD] = 1;
		want[K_FILE] = 2;
		want[K_URING] = stats(pg).io_engine == UPAGER_ENGINE_URING;
		want[K_DIRECT] = !(cfg.flags & UPAGER_NODIRECT);
		for (int k = 0; k < K_N; k++)
			if ((seen[k] == 0) != (want[k] == 0) ||
			    seen[k] < want[k])
				FAIL("cycle %d: %d descriptors of kind %s, "
				    "want %d", i, seen[k], kname[k], want[k]);
		if (check_masks(&tbefore) < 4)
			FAIL("cycle %d: fewer than 4 threads of the pager",
			    i);
		check_delivery(f, rw, len);
		/* the threads started since (I/O workers) too */
		CHECK(check_masks(&tbefore) >= 4);
	}
	/* taken down in different orders */
	if (i % 3 == 0) {
		CHECK_ZERO(upager_unmap(rw, len));
		CHECK_ZERO(upager_unmap(ro, len));
		CHECK_ZERO(upager_unmap(priv, len));
		CHECK_ZERO(upager_close(f));
		CHECK_ZERO(upager_close(g));
		CHECK_ZERO(upager_close(h));
	} else if (i % 3 == 1) {
		CHECK_ZERO(upager_close(f));
		CHECK_ZERO(upager_close(g));
		CHECK_ZERO(upager_unmap(ro, len / 2));
		CHECK_ZERO(upager_close(h));
	}
	CHECK_ZERO(upager_destroy(pg));
	if (i % 3 == 2) {
		/* views outlive the handles, not the pager: destroy took them */
		CHECK_EQ(upager_unmap(rw, len), -EINVAL);
	}
	after = fds_now();
	snprintf(when, sizeof(when), "cycle %d (flags %#x)", i, cfg.flags);
	fds_same(before, &after, when);
	if (memfd_maps() != 0)
		FAIL("%s: %d mappings of memfds left", when, memfd_maps());
	free(buf);
}

/* ---- read-only files ---- */

static struct timespec mtime_of(const char *path)
{
	return disk_stat(path).st_mtim;
}

static void test_rdonly(void)
{
	const char *p = tpath("ro.dat");
	size_t len = 40 * PG + 123;
	unsigned char *exp = xmalloc(len), *buf = xmalloc(len + PG);
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct timespec m0;
	struct upager_stats st;
	upager_t *pg;
	upager_file_t *f;
	char *v, *pv;
	void *a = NULL;

	fill(exp, len, 0, 99);
	disk_write(p, exp, len, 0, O_EXCL);
	/* an old mtime: any write at all would change it */
	CHECK(utimensat(AT_FDCWD, p, old, 0) == 0);
	m0 = mtime_of(p);
	pg = mkpager_cfg(64 * PG, 0, 0, 0, 20);   /* the syncer runs too */
	f = uopen(pg, p, O_RDONLY);
	CHECK_EQ(upager_pwrite(f, exp, 10, 0), -EBADF);
	CHECK_EQ(upager_pwrite(f, exp, 10, (off_t)len), -EBADF);
	CHECK_EQ(upager_truncate(f, 0), -EBADF);
	CHECK_EQ(upager_truncate(f, (off_t)len * 2), -EBADF);
	CHECK_EQ(upager_map(f, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    &a), -EACCES);
	CHECK_EQ(upager_map(f, 0, len, PROT_WRITE, MAP_SHARED, &a), -EACCES);
	CHECK_ZERO(upager_map(f, 0, len, PROT_READ, MAP_SHARED, (void **)&v));
	CHECK_ZERO(upager_map(f, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
	    (void **)&pv));
	probe_install();
	for (size_t k = 0; k < len; k += PG) {
		CHECK_EQ(probe(v + k, true, 'x'), SIGSEGV);
		CHECK_EQ(probe(pv + k, true, 'p'), 0);
		CHECK_EQ(v[k], (char)exp[k]);
		CHECK_EQ(pv[k], 'p');
	}
	CHECK_ZERO(upager_msync(pv, len, MS_SYNC));
	CHECK_ZERO(upager_msync(v, len, MS_SYNC | MS_INVALIDATE));
	CHECK_ZERO(upager_madvise(pv, len, MADV_WILLNEED));
	CHECK_ZERO(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT));
	CHECK_ZERO(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE));
	CHECK_ZERO(upager_sync_all(pg));
	UREAD(f, buf, len, 0);
	CHECK_MEM(buf, exp, len);
	/* the budget is smaller than the file: pages come and go */
	for (int r = 0; r < 3; r++)
		for (size_t k = 0; k < len; k += PG)
			CHECK_EQ(v[k], (char)exp[k]);
	CHECK_ZERO(upager_unmap(pv, len));
	CHECK_ZERO(upager_close(f));
	/* the view outlives the handle; the pager takes it down */
	CHECK_ZERO(upager_stats(pg, &st));
	CHECK_ZERO(upager_destroy(pg));
	CHECK_EQ(st.write_ios, 0);
	CHECK_EQ(st.bytes_written, 0);
	CHECK_EQ(st.pages_out, 0);
	DISK_EXPECT(p, exp, len);
	{
		struct timespec m1 = mtime_of(p);

		if (m1.tv_sec != m0.tv_sec || m1.tv_nsec != m0.tv_nsec)
			FAIL("the file opened O_RDONLY was modified: mtime "
			    "%lld.%09ld, was %lld.%09ld", (long long)m1.tv_sec,
			    m1.tv_nsec, (long long)m0.tv_sec, m0.tv_nsec);
	}
	free(exp);
	free(buf);
}

/*
 * no_write_child: as a user who may read the file and not write it:
 * opening it for writing says -EACCES, for reading works, and the
 * read-only object cannot write either.
 */
static int no_write_child(const char *p, const unsigned char *exp,
    size_t len)
{
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f = NULL;
	unsigned char *buf = xmalloc(len);

	CHECK_EQ(upager_open(pg, p, O_RDWR, 0, &f), -EACCES);
	CHECK_EQ(upager_open(pg, p, O_WRONLY, 0, &f), -EACCES);
	CHECK_EQ(upager_open(pg, p, O_RDWR | O_CREAT, 0644, &f), -EACCES);
	CHECK_EQ(upager_open(pg, p, O_WRONLY | O_TRUNC, 0, &f), -EACCES);
	CHECK_EQ(stats(pg).objects, 0);
	f = uopen(pg, p, O_RDONLY);
	UREAD(f, buf, len, 0);
	CHECK_MEM(buf, exp, len);
	CHECK_EQ(upager_pwrite(f, buf, 1, 0), -EBADF);
	/* the object is now cached, read-only: a writer still needs the
	 * kernel's leave */
	CHECK_EQ(upager_open(pg, p, O_RDWR, 0, &f), -EACCES);
	CHECK_ZERO(upager_destroy(pg));
	free(buf);
	return 0;
}

static void test_no_write_access(void)
{
	const char *p = tpath("nowrite.dat");
	size_t len = 8 * PG;
	unsigned char *exp = xmalloc(len);
	pid_t pid;
	int st;

	fill(exp, len, 0, 5);
	disk_write(p, exp, len, 0, O_EXCL);
	/* others may read it (and reach it), not write it */
	CHECK(chmod(test_dir(), 0755) == 0);
	CHECK(chmod(p, 0644) == 0);
	fflush(NULL);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		if (geteuid() == 0) {
			/* root's CAP_DAC_OVERRIDE would let it write: be
			 * nobody instead */
			CHECK(setgroups(0, NULL) == 0);
			CHECK(setgid(65534) == 0);
			CHECK(setuid(65534) == 0);
			CHECK(geteuid() == 65534);
		} else {
			CHECK(chmod(p, 0444) == 0);
		}
		CHECK(access(p, R_OK) == 0);
		CHECK(access(p, W_OK) != 0);
		_exit(no_write_child(p, exp, len));
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("the child without write access failed (status %#x)", st);
	CHECK(chmod(test_dir(), 0700) == 0);
	DISK_EXPECT(p, exp, len);
	free(exp);
}

int main(void)
{
	struct fdset before;
	upager_t *pg = mkpager_quiet(0);
	sigset_t none;
	double t0 = mono_now();

	set_page_size(pg);
	CHECK_ZERO(upager_destroy(pg));
	/* the main thread blocks nothing: the pager's threads must block
	 * signals themselves, not inherit a mask */
	sigemptyset(&none);
	CHECK(pthread_sigmask(SIG_SETMASK, &none, NULL) == 0);
	before = fds_now();
	for (int i = 0; i < 8; i++)
		cycle(i, &before, i < 4);
	test_rdonly();
	{
		struct fdset after = fds_now();

		fds_same(&before, &after, "read-only file");
	}
	test_no_write_access();
	rm_test_dir();
	printf("t_hygiene: ok (%.1f s)\n", mono_now() - t0);
	return 0;
}
