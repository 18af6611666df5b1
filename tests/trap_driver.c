/*
 * trap_driver.c: a plain program that walks into each trap an interposed
 * pager must handle (fork, mremap, MAP_FIXED, address hints, two
 * descriptors of one file, a view as a system call's buffer, msync and
 * fsync ordering, POSIX locks, exec, exit).  t_traps runs every scenario
 * natively and under `upager run`; each checks itself and prints what it
 * saw.  Reads that must see the disk (what another process would see) are
 * raw system calls, which no interposer sees.
 *
 * usage: trap_driver SCENARIO DIR
 * exit status: 0 ok, 3 a check failed (the message says which), 1 a call
 * failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
#define NPG 64                  /* the file: 256 KiB */

static const char *dir;
static char self[4096];

#define TRY(call) do {							\
	if ((call) < 0) {						\
		fprintf(stderr, "trap_driver:%d: %s: %s\n", __LINE__,	\
		    #call, strerror(errno));				\
		exit(1);						\
	}								\
} while (0)

#define EXPECT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "trap_driver:%d: check failed: %s\n",	\
		    __LINE__, #cond);					\
		exit(3);						\
	}								\
} while (0)

static unsigned char pat(size_t off, int gen)
{
	return (unsigned char)(((off * 2654435761u) >> 11) + (unsigned)gen * 77);
}

static void fill(unsigned char *b, size_t off, size_t n, int gen)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(off + i, gen);
}

static bool same(const unsigned char *b, size_t off, size_t n, int gen)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != pat(off + i, gen))
			return false;
	return true;
}

static const char *path(const char *name)
{
	static char p[4][4096];
	static int k;
	char *s = p[k++ % 4];

	snprintf(s, sizeof(p[0]), "%s/%s", dir, name);
	return s;
}

/* mkfile: a file of npg pages of generation gen, written with write(2) */
static int mkfile(const char *name, int npg, int gen, int flags)
{
	unsigned char b[PG];
	int fd;

	TRY(fd = open(path(name), O_RDWR | O_CREAT | O_TRUNC | flags, 0644));
	for (int i = 0; i < npg; i++) {
		fill(b, (size_t)i * PG, PG, gen);
		EXPECT(write(fd, b, PG) == PG);
	}
	return fd;
}

/* disk: the file's bytes as the kernel has them, past any interposer */
static void disk(const char *name, unsigned char *b, size_t n, off_t off)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path(name), O_RDONLY);

	EXPECT(fd >= 0);
	EXPECT(syscall(SYS_pread64, fd, b, n, off) == (long)n);
	syscall(SYS_close, fd);
}

static sigjmp_buf jb;

static void on_fault(int sig)
{
	siglongjmp(jb, sig);
}

/* probe: read *p; the signal that stopped it, or 0 */
static int probe(volatile unsigned char *p, unsigned char *val)
{
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if ((sig = sigsetjmp(jb, 1)) == 0)
		*val = *p;
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	return sig;
}

/*
 * fork: a child sees what the parent wrote through a view and had not
 * synced, by read(2); its access to the view either works and sees the
 * data, or faults: it never reads zeros.
 */
static void t_fork(void)
{
	int fd = mkfile("fork", NPG, 0, 0), status, sig;
	unsigned char *m, b[PG], v;
	pid_t pid;

	m = mmap(NULL, NPG * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED);
	for (int i = 0; i < NPG; i += 3)
		fill(m + (size_t)i * PG, (size_t)i * PG, PG, 1);
	TRY(pid = fork());
	if (pid == 0) {
		for (int i = 0; i < NPG; i++) {
			EXPECT(pread(fd, b, PG, (off_t)i * PG) == PG);
			EXPECT(same(b, (size_t)i * PG, PG, i % 3 ? 0 : 1));
		}
		sig = probe(m + 6 * PG, &v);
		EXPECT(sig != 0 || v == pat(6 * PG, 1));
		fprintf(stderr, "fork: child's view access: %s\n",
		    sig == 0 ? "served" : "faulted");
		_exit(0);
	}
	TRY(waitpid(pid, &status, 0));
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the parent goes on as before */
	fill(m + 5 * PG, 5 * PG, PG, 2);
	EXPECT(pread(fd, b, PG, 5 * PG) == PG && same(b, 5 * PG, PG, 2));
	EXPECT(munmap(m, NPG * PG) == 0);
	TRY(close(fd));
	printf("fork ok\n");
}

/*
 * mremap: a view grows in place or moves, shrinks, moves to a fixed
 * address; what it had (a MAP_PRIVATE view's own copies too) goes along,
 * and writes through it reach the file.
 */
static void t_mremap(void)
{
	int fd = mkfile("mremap", 4, 0, 0);
	unsigned char *m, *m2, *m3, *hole, b[PG];

	m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED);
	fill(m + PG, PG, PG, 1);
	TRY(ftruncate(fd, NPG * PG));
	m2 = mremap(m, 4 * PG, NPG * PG, MREMAP_MAYMOVE);
	EXPECT(m2 != MAP_FAILED);
	EXPECT(same(m2, 0, PG, 0) && same(m2 + PG, PG, PG, 1));
	/* the grown part: zeros from the file, then written */
	EXPECT(m2[40 * PG] == 0 && m2[NPG * PG - 1] == 0);
	fill(m2 + 40 * PG, 40 * PG, PG, 2);
	EXPECT(pread(fd, b, PG, 40 * PG) == PG && same(b, 40 * PG, PG, 2));
	/* without MREMAP_MAYMOVE: in place or ENOMEM, nothing else */
	m3 = mremap(m2, NPG * PG, (NPG + 8) * PG, 0);
	EXPECT(m3 == m2 || (m3 == MAP_FAILED && errno == ENOMEM));
	if (m3 == m2)
		EXPECT(mremap(m2, (NPG + 8) * PG, NPG * PG, 0) == m2);
	/* shrink: the tail goes, the head stays */
	EXPECT(mremap(m2, NPG * PG, 48 * PG, 0) == m2);
	EXPECT(same(m2 + 40 * PG, 40 * PG, PG, 2));
	/* move to a fixed address, over a reserved hole */
	hole = mmap(NULL, 48 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	EXPECT(hole != MAP_FAILED);
	m3 = mremap(m2, 48 * PG, 48 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
	    hole);
	EXPECT(m3 == hole);
	EXPECT(same(m3 + PG, PG, PG, 1) && same(m3 + 40 * PG, 40 * PG, PG, 2));
	fill(m3 + 41 * PG, 41 * PG, PG, 3);
	EXPECT(msync(m3, 48 * PG, MS_SYNC) == 0);
	disk("mremap", b, PG, 41 * PG);
	EXPECT(same(b, 41 * PG, PG, 3));
	EXPECT(munmap(m3, 48 * PG) == 0);
	/* a private view keeps its own copy when it moves */
	m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT(m != MAP_FAILED);
	memset(m + 2 * PG, 0x5A, PG);
	m2 = mremap(m, 4 * PG, 32 * PG, MREMAP_MAYMOVE);
	EXPECT(m2 != MAP_FAILED);
	EXPECT(m2[2 * PG] == 0x5A && m2[3 * PG - 1] == 0x5A);
	EXPECT(same(m2, 0, PG, 0) && same(m2 + PG, PG, PG, 1));
	EXPECT(pread(fd, b, PG, 2 * PG) == PG && same(b, 2 * PG, PG, 0));
	EXPECT(munmap(m2, 32 * PG) == 0);
	TRY(close(fd));
	printf("mremap ok\n");
}

/*
 * fixed: MAP_FIXED of the file into a reserved range; anonymous MAP_FIXED
 * over part of that view; the rest of the view still works.  An address
 * hint of a free range is taken.
 */
static void t_fixed(void)
{
	int fd = mkfile("fixed", NPG, 0, 0);
	unsigned char *r, *m, *h, b[PG];

	r = mmap(NULL, 32 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(r != MAP_FAILED);
	m = mmap(r + 8 * PG, 16 * PG, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_FIXED, fd, 16 * PG);
	EXPECT(m == r + 8 * PG);
	EXPECT(same(m, 16 * PG, 16 * PG, 0));
	/* anonymous memory over pages 4..7 of the view */
	EXPECT(mmap(m + 4 * PG, 4 * PG, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == m + 4 * PG);
	EXPECT(m[4 * PG] == 0 && m[8 * PG - 1] == 0);
	memset(m + 4 * PG, 0xEE, 4 * PG);
	/* the view on both sides still reaches the file */
	fill(m, 16 * PG, PG, 1);
	fill(m + 12 * PG, 28 * PG, PG, 1);
	EXPECT(pread(fd, b, PG, 16 * PG) == PG && same(b, 16 * PG, PG, 1));
	EXPECT(pread(fd, b, PG, 28 * PG) == PG && same(b, 28 * PG, PG, 1));
	EXPECT(pread(fd, b, PG, 20 * PG) == PG && same(b, 20 * PG, PG, 0));
	/* the file again over the anonymous pages */
	EXPECT(mmap(m + 4 * PG, 4 * PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
	    20 * PG) == m + 4 * PG);
	EXPECT(same(m + 4 * PG, 20 * PG, 4 * PG, 0));
	EXPECT(munmap(r, 32 * PG) == 0);
	/* a hint: a range just freed is free */
	h = mmap(NULL, 8 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(h != MAP_FAILED && munmap(h, 8 * PG) == 0);
	m = mmap(h, 8 * PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT(m == h);
	EXPECT(same(m, 0, PG, 0));
	EXPECT(munmap(m, 8 * PG) == 0);
	/* MAP_FIXED_NOREPLACE over a mapping: refused */
	m = mmap(NULL, 8 * PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED);
	EXPECT(mmap(m, 8 * PG, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd,
	    0) == MAP_FAILED && errno == EEXIST);
	EXPECT(munmap(m, 8 * PG) == 0);
	TRY(close(fd));
	printf("fixed ok\n");
}

/*
 * twofd: one file by two descriptors (the second O_DSYNC, as LMDB opens
 * its data file), a dup sharing the position, writev/readv at the
 * position, a view that outlives the descriptor it came from.
 */
static void t_twofd(void)
{
	int fd = mkfile("twofd", NPG, 0, 0), fd2, fd3, fd4;
	unsigned char *m, a[PG], b[PG], c[2 * PG];
	struct iovec iov[2];
	struct stat st;

	TRY(fd2 = open(path("twofd"), O_WRONLY | O_DSYNC));
	m = mmap(NULL, NPG * PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED);
	fill(a, 3 * PG, PG, 1);
	EXPECT(pwrite(fd2, a, PG, 3 * PG) == PG);
	EXPECT(same(m + 3 * PG, 3 * PG, PG, 1));
	/* O_DSYNC: on the disk when the write returns */
	disk("twofd", b, PG, 3 * PG);
	EXPECT(same(b, 3 * PG, PG, 1));
	/* a dup shares the position */
	TRY(fd3 = dup(fd));
	EXPECT(lseek(fd3, 10 * PG, SEEK_SET) == 10 * PG);
	EXPECT(lseek(fd, 0, SEEK_CUR) == 10 * PG);
	fill(a, 10 * PG, PG, 2);
	fill(b, 11 * PG, PG, 2);
	iov[0] = (struct iovec){ a, PG };
	iov[1] = (struct iovec){ b, PG };
	EXPECT(writev(fd, iov, 2) == 2 * PG);
	EXPECT(lseek(fd3, 0, SEEK_CUR) == 12 * PG);
	EXPECT(same(m + 10 * PG, 10 * PG, 2 * PG, 2));
	TRY(fd4 = fcntl(fd3, F_DUPFD_CLOEXEC, 100));
	EXPECT(fd4 >= 100);
	EXPECT(lseek(fd4, -2 * PG, SEEK_CUR) == 10 * PG);
	iov[0] = (struct iovec){ c, PG };
	iov[1] = (struct iovec){ c + PG, PG };
	EXPECT(readv(fd4, iov, 2) == 2 * PG);
	EXPECT(same(c, 10 * PG, 2 * PG, 2));
	/* the end is the file's as the pager has it */
	TRY(ftruncate(fd4, (NPG + 1) * PG + 100));
	EXPECT(lseek(fd, 0, SEEK_END) == (NPG + 1) * PG + 100);
	EXPECT(fstat(fd2, &st) == 0 && st.st_size == (NPG + 1) * PG + 100);
	EXPECT(stat(path("twofd"), &st) == 0 &&
	    st.st_size == (NPG + 1) * PG + 100);
	/* dup2 over another descriptor: it becomes fd2's twin */
	TRY(fd3 = dup2(fd2, fd3));
	EXPECT(pwrite(fd3, a, PG, 20 * PG) == PG);
	EXPECT(same(m + 20 * PG, 10 * PG, PG, 2));
	/* the view outlives every descriptor */
	TRY(close(fd));
	TRY(close(fd2));
	TRY(close(fd3));
	EXPECT(same(m + 3 * PG, 3 * PG, PG, 1));
	TRY(pwrite(fd4, b, PG, 30 * PG));
	TRY(close(fd4));
	EXPECT(same(m + 30 * PG, 11 * PG, PG, 2));
	EXPECT(munmap(m, NPG * PG) == 0);
	printf("twofd ok\n");
}

/*
 * writebuf: a view as the buffer of system calls: write(2) to another
 * file from pages of a view not touched yet, read(2) into a view, and
 * write(2) of one view's pages into its own file.
 */
static void t_writebuf(void)
{
	int fd = mkfile("wbsrc", 4 * NPG, 0, 0), out, fd2;
	unsigned char *m, b[PG];

	m = mmap(NULL, 4 * NPG * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED);
	TRY(out = open(path("wbdst"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	/* not touched: the kernel's copy faults the pages in */
	EXPECT(write(out, m + 100 * PG, 50 * PG) == 50 * PG);
	for (int i = 0; i < 50; i++) {
		EXPECT(pread(out, b, PG, (off_t)i * PG) == PG);
		EXPECT(same(b, (size_t)(100 + i) * PG, PG, 0));
	}
	/* into a view not touched: the file gets what was read */
	fill(b, 0, PG, 5);
	TRY(fd2 = open(path("wbin"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	EXPECT(write(fd2, b, PG) == PG);
	EXPECT(pread(fd2, m + 200 * PG, PG, 0) == PG);
	EXPECT(same(m + 200 * PG, 0, PG, 5));
	EXPECT(msync(m + 200 * PG, PG, MS_SYNC) == 0);
	disk("wbsrc", b, PG, 200 * PG);
	EXPECT(same(b, 0, PG, 5));
	/* the view's own file, from pages of the view */
	EXPECT(pwrite(fd, m + 150 * PG, 4 * PG, 10 * PG) == 4 * PG);
	EXPECT(same(m + 10 * PG, 150 * PG, 4 * PG, 0));
	EXPECT(pread(fd, m + 20 * PG, 2 * PG, 151 * PG) == 2 * PG);
	EXPECT(same(m + 20 * PG, 151 * PG, 2 * PG, 0));
	EXPECT(munmap(m, 4 * NPG * PG) == 0);
	TRY(close(fd));
	TRY(close(out));
	TRY(close(fd2));
	printf("writebuf ok\n");
}

/*
 * sync: what msync(MS_SYNC) and fsync promise, in either order of writes
 * through a view and through pwrite: the later write is on the disk.
 */
static void t_sync(void)
{
	int fd = mkfile("sync", NPG, 0, 0);
	unsigned char *m, a[PG], b[PG];

	m = mmap(NULL, NPG * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED);
	/* view, then pwrite over it, then fsync */
	fill(m + 2 * PG, 2 * PG, PG, 1);
	fill(a, 2 * PG, PG, 2);
	EXPECT(pwrite(fd, a, PG, 2 * PG) == PG);
	EXPECT(fsync(fd) == 0);
	disk("sync", b, PG, 2 * PG);
	EXPECT(same(b, 2 * PG, PG, 2));
	/* pwrite, then the view over it, then msync */
	fill(a, 5 * PG, PG, 3);
	EXPECT(pwrite(fd, a, PG, 5 * PG) == PG);
	fill(m + 5 * PG, 5 * PG, PG, 4);
	EXPECT(msync(m, NPG * PG, MS_SYNC) == 0);
	disk("sync", b, PG, 5 * PG);
	EXPECT(same(b, 5 * PG, PG, 4));
	/* the view, then fsync: fsync covers what views wrote */
	fill(m + 9 * PG, 9 * PG, PG, 5);
	EXPECT(fdatasync(fd) == 0);
	disk("sync", b, PG, 9 * PG);
	EXPECT(same(b, 9 * PG, PG, 5));
	/* munmap writes back too */
	fill(m + 12 * PG, 12 * PG, PG, 6);
	EXPECT(munmap(m, NPG * PG) == 0);
	disk("sync", b, PG, 12 * PG);
	EXPECT(same(b, 12 * PG, PG, 6));
	TRY(close(fd));
	printf("sync ok\n");
}

/* lockheld: does another process see our write lock on [0, 100)? */
static bool lockheld(const char *name)
{
	int status, fd;
	struct flock fl;
	pid_t pid;

	TRY(pid = fork());
	if (pid == 0) {
		fd = (int)syscall(SYS_openat, AT_FDCWD, path(name), O_RDWR);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_len = 100;
		if (fd < 0 || syscall(SYS_fcntl, fd, F_GETLK, &fl) != 0)
			_exit(2);
		_exit(fl.l_type == F_UNLCK ? 1 : 0);
	}
	TRY(waitpid(pid, &status, 0));
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) != 2);
	return WEXITSTATUS(status) == 0;
}

/*
 * locks: the program's POSIX lock on a file survives the pager opening
 * and dropping descriptors of it (a map, a read-only second open, an
 * unmap), as it would with the kernel.
 */
static void t_locks(void)
{
	int fd = mkfile("locks", NPG, 0, 0), fd2;
	struct flock fl;
	unsigned char *m, b[PG];

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_len = 100;
	TRY(fcntl(fd, F_SETLK, &fl));
	EXPECT(lockheld("locks"));
	m = mmap(NULL, NPG * PG, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED);
	EXPECT(lockheld("locks"));
	TRY(fd2 = open(path("locks"), O_RDONLY));
	EXPECT(pread(fd2, b, PG, 0) == PG && same(b, 0, PG, 0));
	EXPECT(lockheld("locks"));
	EXPECT(munmap(m, NPG * PG) == 0);
	m = mmap(NULL, NPG * PG, PROT_READ, MAP_SHARED, fd2, 0);
	EXPECT(m != MAP_FAILED && same(m, 0, PG, 0));
	EXPECT(lockheld("locks"));
	EXPECT(truncate(path("locks"), (NPG + 1) * PG) == 0);
	EXPECT(lockheld("locks"));
	EXPECT(munmap(m, NPG * PG) == 0);
	/* the program's own close drops them, as POSIX says */
	TRY(close(fd2));
	EXPECT(!lockheld("locks"));
	TRY(close(fd));
	printf("locks ok\n");
}

/*
 * exec: what was written through a view and not synced is in the file
 * when the process execs (here: this program, checking with raw reads).
 */
static void t_exec(void)
{
	int fd = mkfile("exec", NPG, 0, 0);
	unsigned char *m;

	m = mmap(NULL, NPG * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED);
	for (int i = 0; i < NPG; i += 2)
		fill(m + (size_t)i * PG, (size_t)i * PG, PG, 1);
	fflush(stdout);
	execl(self, self, "execcheck", dir, (char *)NULL);
	fprintf(stderr, "trap_driver: execl: %s\n", strerror(errno));
	exit(1);
}

static void t_execcheck(void)
{
	unsigned char b[PG];

	for (int i = 0; i < NPG; i++) {
		disk("exec", b, PG, (off_t)i * PG);
		EXPECT(same(b, (size_t)i * PG, PG, i % 2 ? 0 : 1));
	}
	printf("exec ok\n");
}

/* exit: written through a view, never synced; t_traps reads the file */
static void t_exit(void)
{
	int fd = mkfile("exit", NPG, 0, 0);
	unsigned char *m;

	m = mmap(NULL, NPG * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED);
	for (int i = 0; i < NPG; i++)
		fill(m + (size_t)i * PG, (size_t)i * PG, PG, 1);
	printf("exit ok\n");
	exit(0);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tab[] = {
		{ "fork", t_fork }, { "mremap", t_mremap },
		{ "fixed", t_fixed }, { "twofd", t_twofd },
		{ "writebuf", t_writebuf }, { "sync", t_sync },
		{ "locks", t_locks }, { "exec", t_exec },
		{ "execcheck", t_execcheck }, { "exit", t_exit },
	};

	if (argc != 3) {
		fprintf(stderr, "usage: trap_driver SCENARIO DIR\n");
		return 2;
	}
	dir = argv[2];
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(argv[1], tab[i].name) == 0) {
			tab[i].fn();
			return 0;
		}
	fprintf(stderr, "trap_driver: no scenario %s\n", argv[1]);
	return 2;
}
