/*
 * t_signals.c: the signals views raise, and bad input to the view calls
 *
 *   SIGBUS   an access to a page wholly past EOF (a view longer than the
 *            file, a view wholly past EOF, a view after a truncate)
 *   SIGSEGV  a write to a PROT_READ view; an access after upager_unmap or
 *            after the pager was destroyed; the middle of a view unmapped
 *            in part
 *
 * Each is caught with sigsetjmp/siglongjmp in a SA_SIGINFO handler, with
 * si_addr checked, and the process must keep working afterwards.  Then the
 * argument checks of upager_map/unmap/msync/madvise, and partial unmaps.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "testlib.h"

static int ncases;

/* ---- catching SIGBUS and SIGSEGV: probe() in testlib.h ---- */

/*
 * EXPECT_SIG: an access to p raises sig with si_code code (0: any), and
 * si_addr is p: the kernel reports the exact address for these faults.
 */
#define EXPECT_SIG(p, write, sig, code) do { \
	char *es_p_ = (char *)(p); \
	int es_s_ = probe(es_p_, (write), 0x5A); \
	if (es_s_ != (sig)) \
		FAIL("%s at %p: signal %d, want %d (%s)", \
		    (write) ? "write" : "read", (void *)es_p_, es_s_, (sig), \
		    #p); \
	if (probe_addr != (void *)es_p_) \
		FAIL("%s: si_addr %p, want %p", #p, probe_addr, \
		    (void *)es_p_); \
	if ((code) != 0 && probe_code != (code)) \
		FAIL("%s: si_code %d, want %d", #p, probe_code, (code)); \
} while (0)

#define EXPECT_NOSIG(p, write) do { \
	int en_s_ = probe((char *)(p), (write), 0); \
	if (en_s_ != 0) \
		FAIL("access at %p (%s): signal %d", (void *)(p), #p, en_s_); \
} while (0)

/* ---- helpers ---- */

static void *map_ok(upager_file_t *f, off_t off, size_t len, int prot,
    int flags)
{
	void *a = NULL;
	int r = upager_map(f, off, len, prot, flags, &a);

	if (r != 0)
		FAIL("upager_map(off %lld, len %zu, prot %#x, flags %#x): "
		    "%d (%s)", (long long)off, len, prot, flags, r,
		    upager_strerror(r));
	CHECK(a != NULL && ((uintptr_t)a & (PG - 1)) == 0);
	return a;
}

/* map_err: upager_map fails with err. */
#define MAP_ERR(f, off, len, prot, flags, err) do { \
	void *me_a_ = NULL; \
	int me_r_ = upager_map((f), (off), (len), (prot), (flags), &me_a_); \
	if (me_r_ != (err)) \
		FAIL("upager_map(%s, %s, %s, %s, %s): %d (%s), want %d", #f, \
		    #off, #len, #prot, #flags, me_r_, \
		    upager_strerror(me_r_), (err)); \
} while (0)

/* still_works: pread/pwrite and the view v (of the file from 0, at least
 * `vsize` bytes inside EOF) work, and a fresh view does. */
static void still_works(upager_file_t *f, char *v, size_t vsize,
    unsigned seed)
{
	unsigned char w[300], r[300];
	char *fresh;

	fill(w, sizeof(w), 17, seed);
	UWRITE(f, w, sizeof(w), 17);
	CHECK_MEM(v + 17, w, sizeof(w));
	UREAD(f, r, sizeof(r), 17);
	CHECK_MEM(r, w, sizeof(w));
	v[vsize - 1] = (char)seed;
	UREAD(f, r, 1, (off_t)vsize - 1);
	CHECK_EQ(r[0], (unsigned char)seed);
	fresh = map_ok(f, 0, vsize, PROT_READ | PROT_WRITE, MAP_SHARED);
	CHECK_MEM(fresh, v, vsize);
	fresh[3] = 'f';
	CHECK_EQ(v[3], 'f');
	CHECK_ZERO(upager_unmap(fresh, vsize));
}

/* ---- SIGBUS ---- */

static void test_sigbus(upager_t *pg)
{
	const char *path = tpath("bus");
	size_t size = 3 * PG + 100, i;
	unsigned char *data = xmalloc(size);
	upager_file_t *f;
	char *v, *p, *far, *ro;

	fill(data, size, 0, 1);
	disk_write(path, data, size, 0, O_EXCL);
	f = uopen(pg, path, O_RDWR);
	/* a view twice as long as the file */
	v = map_ok(f, 0, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	CHECK_MEM(v, data, size);
	for (i = size; i < 4 * PG; i++)
		CHECK_EQ(v[i], 0);
	EXPECT_SIG(v + 4 * PG, false, SIGBUS, BUS_ADRERR);
	EXPECT_SIG(v + 4 * PG + 123, false, SIGBUS, BUS_ADRERR);
	EXPECT_SIG(v + 6 * PG + 7, true, SIGBUS, BUS_ADRERR);
	EXPECT_SIG(v + 8 * PG - 1, true, SIGBUS, BUS_ADRERR);
	/* the faulting write did not extend the file */
	CHECK_EQ(upager_size(f), size);
	still_works(f, v, size, 2);

	/* a private view and a read-only view past EOF: the same */
	p = map_ok(f, 0, 5 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	EXPECT_SIG(p + 4 * PG + 1, false, SIGBUS, BUS_ADRERR);
	EXPECT_SIG(p + 4 * PG + 2, true, SIGBUS, BUS_ADRERR);
	ro = map_ok(f, 0, 6 * PG, PROT_READ, MAP_SHARED);
	EXPECT_SIG(ro + 5 * PG + 3, false, SIGBUS, BUS_ADRERR);
	CHECK_MEM(ro, v, 4 * PG);
	/* a view wholly past EOF */
	far = map_ok(f, 16 * (off_t)PG, 2 * PG, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	EXPECT_SIG(far, false, SIGBUS, BUS_ADRERR);
	EXPECT_SIG(far + PG + 9, true, SIGBUS, BUS_ADRERR);
	CHECK_EQ(upager_size(f), size);
	PCHECK(pg);
	still_works(f, v, size, 3);

	/* growing the file makes the pages readable; shrinking it again
	 * makes them raise SIGBUS again, in every view */
	CHECK_ZERO(upager_truncate(f, 17 * (off_t)PG + 1));
	EXPECT_NOSIG(far + 10, false);
	CHECK_EQ(far[10], 0);
	far[PG] = 'x';
	EXPECT_NOSIG(v + 6 * PG, true);
	EXPECT_NOSIG(ro + 5 * PG, false);
	CHECK_EQ(ro[5 * PG], 0);
	CHECK_ZERO(upager_truncate(f, (off_t)size));
	EXPECT_SIG(far + PG, false, SIGBUS, BUS_ADRERR);
	EXPECT_SIG(v + 6 * PG + 1, false, SIGBUS, BUS_ADRERR);
	EXPECT_SIG(ro + 5 * PG + 2, false, SIGBUS, BUS_ADRERR);
	EXPECT_SIG(p + 4 * PG + 3, true, SIGBUS, BUS_ADRERR);
	PCHECK(pg);
	still_works(f, v, size, 4);

	CHECK_ZERO(upager_unmap(far, 2 * PG));
	CHECK_ZERO(upager_unmap(ro, 6 * PG));
	CHECK_ZERO(upager_unmap(p, 5 * PG));
	CHECK_ZERO(upager_unmap(v, 8 * PG));
	CHECK_ZERO(upager_close(f));
	free(data);
	ncases++;
}

/* ---- SIGSEGV ---- */

static void test_sigsegv(upager_t *pg)
{
	const char *path = tpath("segv");
	size_t size = 6 * PG, i;
	unsigned char *data = xmalloc(size), buf[64];
	upager_file_t *f, *rf;
	char *v, *r, *rp, *u;

	fill(data, size, 0, 10);
	disk_write(path, data, size, 0, O_EXCL);
	f = uopen(pg, path, O_RDWR);
	v = map_ok(f, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED);

	/* a write to a PROT_READ view: to a page read before, and to one
	 * never touched */
	r = map_ok(f, 0, size, PROT_READ, MAP_SHARED);
	CHECK_MEM(r, data, PG);
	EXPECT_SIG(r + 9, true, SIGSEGV, SEGV_ACCERR);
	EXPECT_SIG(r + 5 * PG + 77, true, SIGSEGV, SEGV_ACCERR);
	CHECK_MEM(r, data, size);
	/* the same through a read-only handle, private or shared */
	rf = uopen(pg, path, O_RDONLY);
	rp = map_ok(rf, 0, size, PROT_READ, MAP_PRIVATE);
	EXPECT_SIG(rp + 2 * PG + 1, true, SIGSEGV, SEGV_ACCERR);
	CHECK_MEM(rp, data, size);
	UREAD(f, buf, sizeof(buf), 9);
	CHECK_MEM(buf, data + 9, sizeof(buf));
	still_works(f, v, size, 11);
	memcpy(data, v, size);

	/* after upager_unmap: the range is gone */
	u = map_ok(f, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED);
	for (i = 0; i < size; i += PG)
		u[i + 1] = 'u';
	CHECK_ZERO(upager_unmap(u, size));
	EXPECT_SIG(u + 5, false, SIGSEGV, SEGV_MAPERR);
	EXPECT_SIG(u + 3 * PG + 6, true, SIGSEGV, SEGV_MAPERR);
	/* its writes stayed */
	for (i = 0; i < size; i += PG) {
		data[i + 1] = 'u';
		CHECK_EQ(v[i + 1], 'u');
	}
	UREAD(f, buf, 2, 0);
	CHECK_MEM(buf, data, 2);
	still_works(f, v, size, 12);
	PCHECK(pg);

	CHECK_ZERO(upager_unmap(rp, size));
	CHECK_ZERO(upager_unmap(r, size));
	CHECK_ZERO(upager_unmap(v, size));
	CHECK_ZERO(upager_close(rf));
	CHECK_ZERO(upager_close(f));
	free(data);
	ncases++;
}

/* A view of a destroyed pager is gone: the calls and the memory say so. */
static void test_destroyed(void)
{
	const char *path = tpath("destroyed");
	upager_t *pg = mkpager(1 * MiB);
	unsigned char data[100], buf[100];
	upager_file_t *f;
	char *v;

	fill(data, sizeof(data), 0, 20);
	f = uopen(pg, path, O_RDWR | O_CREAT | O_EXCL);
	UWRITE(f, data, sizeof(data), 0);
	v = map_ok(f, 0, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	CHECK_MEM(v, data, sizeof(data));
	v[50] = 'd';
	data[50] = 'd';
	CHECK_ZERO(upager_destroy(pg));
	EXPECT_SIG(v + 50, false, SIGSEGV, SEGV_MAPERR);
	CHECK_EQ(upager_unmap(v, 4 * PG), -EINVAL);
	CHECK_EQ(upager_msync(v, 4 * PG, MS_SYNC), -ENOMEM);
	CHECK_EQ(upager_madvise(v, 4 * PG, MADV_WILLNEED), -ENOMEM);
	CHECK_EQ(disk_read(path, buf, sizeof(buf) + 1, 0), sizeof(data));
	CHECK_MEM(buf, data, sizeof(data));
	ncases++;
}

/* ---- bad input ---- */

static void test_badinput(upager_t *pg)
{
	const char *path = tpath("bad");
	static const int badprot[] = {
		PROT_EXEC, PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC, 0x10, PROT_READ | 0x100,
		-1,
	};
	static const int badflags[] = {
		0, MAP_SHARED | MAP_PRIVATE, MAP_SHARED | MAP_FIXED,
		MAP_PRIVATE | MAP_ANONYMOUS, MAP_SHARED | MAP_POPULATE,
		MAP_PRIVATE | MAP_NORESERVE, MAP_SHARED | MAP_FIXED_NOREPLACE,
		MAP_SHARED_VALIDATE, -1,
	};
	static const int badadvice[] = {
		12345, -1, MADV_HUGEPAGE, MADV_FREE, MADV_REMOVE,
		MADV_DONTFORK,
	};
	const int rw = PROT_READ | PROT_WRITE;
	unsigned char data[3 * 4096], buf[64];
	upager_file_t *f, *rf, *wf;
	char *v, *p, *rv;
	void *a = NULL, *nv;
	size_t i;

	CHECK(sizeof(data) >= 3 * PG);
	fill(data, 3 * PG, 0, 30);
	disk_write(path, data, 3 * PG, 0, O_EXCL);
	/* not views, before any view exists and after */
	CHECK(posix_memalign(&nv, PG, 2 * PG) == 0);
	memset(nv, 0, 2 * PG);
	CHECK_EQ(upager_unmap(nv, PG), -EINVAL);
	CHECK_EQ(upager_msync(nv, PG, MS_SYNC), -ENOMEM);
	CHECK_EQ(upager_madvise(nv, PG, MADV_NORMAL), -ENOMEM);

	f = uopen(pg, path, O_RDWR);
	rf = uopen(pg, path, O_RDONLY);
	wf = uopen(pg, path, O_WRONLY);

	/* upager_map's arguments */
	CHECK_EQ(upager_map(NULL, 0, PG, rw, MAP_SHARED, &a), -EINVAL);
	CHECK_EQ(upager_map(f, 0, PG, rw, MAP_SHARED, NULL), -EINVAL);
	MAP_ERR(f, 0, 0, rw, MAP_SHARED, -EINVAL);
	MAP_ERR(f, 0, 0, PROT_READ, MAP_PRIVATE, -EINVAL);
	MAP_ERR(f, 1, PG, rw, MAP_SHARED, -EINVAL);
	MAP_ERR(f, 100, PG, PROT_READ, MAP_SHARED, -EINVAL);
	MAP_ERR(f, (off_t)PG + 1, PG, rw, MAP_PRIVATE, -EINVAL);
	MAP_ERR(f, (off_t)PG / 2, PG, rw, MAP_SHARED, -EINVAL);
	MAP_ERR(f, -(off_t)PG, PG, rw, MAP_SHARED, -EINVAL);
	MAP_ERR(f, -1, PG, PROT_READ, MAP_PRIVATE, -EINVAL);
	MAP_ERR(f, INT64_MIN, PG, PROT_READ, MAP_SHARED, -EINVAL);
	for (i = 0; i < sizeof(badprot) / sizeof(badprot[0]); i++) {
		MAP_ERR(f, 0, PG, badprot[i], MAP_SHARED, -EINVAL);
		MAP_ERR(f, 0, PG, badprot[i], MAP_PRIVATE, -EINVAL);
	}
	for (i = 0; i < sizeof(badflags) / sizeof(badflags[0]); i++) {
		MAP_ERR(f, 0, PG, rw, badflags[i], -EINVAL);
		MAP_ERR(f, 0, PG, PROT_READ, badflags[i], -EINVAL);
	}

	/* access modes: the kernel's rules */
	MAP_ERR(rf, 0, PG, rw, MAP_SHARED, -EACCES);
	MAP_ERR(rf, 0, PG, PROT_WRITE, MAP_SHARED, -EACCES);
	MAP_ERR(wf, 0, PG, PROT_READ, MAP_SHARED, -EACCES);
	MAP_ERR(wf, 0, PG, PROT_WRITE, MAP_SHARED, -EACCES);
	MAP_ERR(wf, 0, PG, rw, MAP_SHARED, -EACCES);
	MAP_ERR(wf, 0, PG, PROT_READ, MAP_PRIVATE, -EACCES);
	MAP_ERR(wf, 0, PG, rw, MAP_PRIVATE, -EACCES);
	/* allowed: reading a read-only handle, writing privately */
	rv = map_ok(rf, 0, 3 * PG, PROT_READ, MAP_SHARED);
	CHECK_MEM(rv, data, 3 * PG);
	p = map_ok(rf, 0, 3 * PG, rw, MAP_PRIVATE);
	CHECK_MEM(p, data, 3 * PG);
	p[5] = (char)~data[5];
	CHECK_EQ(rv[5], (char)data[5]);
	UREAD(f, buf, 1, 5);
	CHECK_EQ(buf[0], data[5]);
	PCHECK(pg);

	/* the address calls, on what is not a view */
	v = map_ok(f, 0, 3 * PG, rw, MAP_SHARED);
	CHECK_EQ(upager_unmap(nv, PG), -EINVAL);
	CHECK_EQ(upager_unmap(NULL, PG), -EINVAL);
	CHECK_EQ(upager_msync(nv, PG, MS_SYNC), -ENOMEM);
	CHECK_EQ(upager_msync(nv, 2 * PG, MS_ASYNC), -ENOMEM);
	CHECK_EQ(upager_madvise(nv, PG, MADV_NORMAL), -ENOMEM);
	CHECK_EQ(upager_madvise(nv, PG, MADV_DONTNEED), -ENOMEM);
	/* not page-aligned, in a view */
	CHECK_EQ(upager_unmap(v + 1, PG), -EINVAL);
	CHECK_EQ(upager_msync(v + 1, PG, MS_SYNC), -EINVAL);
	CHECK_EQ(upager_madvise(v + PG / 2, PG, MADV_WILLNEED), -EINVAL);
	/* flags and advice */
	CHECK_EQ(upager_msync(v, PG, MS_SYNC | MS_ASYNC), -EINVAL);
	CHECK_EQ(upager_msync(v, PG, MS_SYNC | MS_ASYNC | MS_INVALIDATE),
	    -EINVAL);
	CHECK_EQ(upager_msync(v, PG, 0x100), -EINVAL);
	CHECK_EQ(upager_msync(v, PG, MS_SYNC | 0x100), -EINVAL);
	CHECK_EQ(upager_msync(nv, PG, MS_SYNC | MS_ASYNC), -EINVAL);
	for (i = 0; i < sizeof(badadvice) / sizeof(badadvice[0]); i++) {
		CHECK_EQ(upager_madvise(v, PG, badadvice[i]), -EINVAL);
		CHECK_EQ(upager_madvise(nv, PG, badadvice[i]), -EINVAL);
	}
	/* nothing was done by the calls that failed: the views work */
	v[7] = 'v';
	data[7] = 'v';
	CHECK_EQ(rv[7], 'v');
	CHECK_MEM(v, data, 3 * PG);
	CHECK_ZERO(upager_msync(v, 3 * PG, MS_SYNC));
	CHECK_EQ(disk_read(path, buf, 8, 0), 8);
	CHECK_MEM(buf, data, 8);
	/* the good advice works, and MADV_DONTNEED keeps shared data but
	 * drops private copies */
	CHECK_ZERO(upager_madvise(v, 3 * PG, MADV_SEQUENTIAL));
	CHECK_ZERO(upager_madvise(v, 3 * PG, MADV_RANDOM));
	CHECK_ZERO(upager_madvise(v, 3 * PG, MADV_NORMAL));
	CHECK_ZERO(upager_madvise(v, 3 * PG, MADV_WILLNEED));
	v[PG + 1] = 'w';
	data[PG + 1] = 'w';
	CHECK_ZERO(upager_madvise(v, 3 * PG, MADV_DONTNEED));
	CHECK_MEM(v, data, 3 * PG);
	CHECK_EQ(p[5], (char)~data[5]);
	CHECK_ZERO(upager_madvise(p, 3 * PG, MADV_DONTNEED));
	CHECK_MEM(p, data, 3 * PG);
	still_works(f, v, 3 * PG, 31);
	PCHECK(pg);

	CHECK_ZERO(upager_unmap(v, 3 * PG));
	CHECK_ZERO(upager_unmap(p, 3 * PG));
	CHECK_ZERO(upager_unmap(rv, 3 * PG));
	CHECK_EQ(upager_unmap(v, 3 * PG), -EINVAL);
	CHECK_ZERO(upager_close(wf));
	CHECK_ZERO(upager_close(rf));
	CHECK_ZERO(upager_close(f));
	free(nv);
	ncases++;
}

/* ---- unmapping part of a view ---- */

static void test_partial(upager_t *pg)
{
	const char *path = tpath("partial");
	size_t size = 8 * PG, i;
	unsigned char *data = xmalloc(size), *buf = xmalloc(size);
	upager_file_t *f;
	char *w, *x;

	fill(data, size, 0, 40);
	disk_write(path, data, size, 0, O_EXCL);
	f = uopen(pg, path, O_RDWR);
	w = map_ok(f, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED);
	CHECK_MEM(w, data, size);
	/* written before the cut, in the part that goes */
	w[3 * PG + 10] = 'm';
	data[3 * PG + 10] = 'm';
	/* a part that is not all view: nothing done */
	CHECK_EQ(upager_unmap(w + 3 * PG, size), -ENOMEM);
	CHECK_EQ(w[7 * PG], (char)data[7 * PG]);

	/* the middle goes */
	CHECK_ZERO(upager_unmap(w + 3 * PG, 2 * PG));
	EXPECT_SIG(w + 3 * PG, false, SIGSEGV, SEGV_MAPERR);
	EXPECT_SIG(w + 3 * PG + 10, true, SIGSEGV, SEGV_MAPERR);
	EXPECT_SIG(w + 5 * PG - 1, false, SIGSEGV, SEGV_MAPERR);
	/* head and tail stay, coherent with pread/pwrite and another view */
	x = map_ok(f, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED);
	CHECK_MEM(w, data, 3 * PG);
	CHECK_MEM(w + 5 * PG, data + 5 * PG, 3 * PG);
	CHECK_MEM(x, data, size);
	for (i = 0; i < 3 * PG; i += 97) {
		w[i] = (char)(i * 7 + 1);
		data[i] = (unsigned char)(i * 7 + 1);
	}
	for (i = 5 * PG; i < size; i += 89) {
		w[i] = (char)(i * 5 + 3);
		data[i] = (unsigned char)(i * 5 + 3);
	}
	fill(data + 6 * PG + 5, 200, 6 * PG + 5, 41);
	UWRITE(f, data + 6 * PG + 5, 200, 6 * PG + 5);
	fill(data + 2 * PG - 50, 100, 2 * PG - 50, 42);
	memcpy(x + 2 * PG - 50, data + 2 * PG - 50, 100);
	CHECK_MEM(w, data, 3 * PG);
	CHECK_MEM(w + 5 * PG, data + 5 * PG, 3 * PG);
	CHECK_MEM(x, data, size);
	UREAD(f, buf, size, 0);
	CHECK_MEM(buf, data, size);
	PCHECK(pg);
	/* msync over the hole: -ENOMEM; over each piece: written */
	CHECK_EQ(upager_msync(w, size, MS_SYNC), -ENOMEM);
	CHECK_EQ(upager_madvise(w, size, MADV_NORMAL), -ENOMEM);
	CHECK_EQ(upager_unmap(w, size), -ENOMEM);
	CHECK_ZERO(upager_msync(w + 5 * PG, 3 * PG, MS_SYNC));
	CHECK_EQ(disk_read(path, buf, 3 * PG, 5 * (off_t)PG), 3 * PG);
	CHECK_MEM(buf, data + 5 * PG, 3 * PG);
	CHECK_ZERO(upager_msync(w, 3 * PG, MS_SYNC));
	DISK_EXPECT(path, data, size);

	/* the head's first page and the tail's last page go too */
	CHECK_ZERO(upager_unmap(w, PG));
	CHECK_ZERO(upager_unmap(w + 7 * PG, PG));
	EXPECT_SIG(w + 1, false, SIGSEGV, SEGV_MAPERR);
	EXPECT_SIG(w + 8 * PG - 1, true, SIGSEGV, SEGV_MAPERR);
	w[PG] = 'h';
	w[7 * PG - 1] = 't';
	data[PG] = 'h';
	data[7 * PG - 1] = 't';
	CHECK_EQ(x[PG], 'h');
	CHECK_EQ(x[7 * PG - 1], 't');
	x[2 * PG + 3] = 'X';
	data[2 * PG + 3] = 'X';
	CHECK_EQ(w[2 * PG + 3], 'X');
	still_works(f, x, size, 43);
	memcpy(data, x, size);
	PCHECK(pg);
	/* a range over the pieces and the holes: -ENOMEM, nothing done */
	CHECK_EQ(upager_unmap(w + PG, 6 * PG), -ENOMEM);
	CHECK_EQ(w[PG], 'h');
	CHECK_ZERO(upager_unmap(w + PG, 2 * PG));
	CHECK_ZERO(upager_unmap(w + 5 * PG, 2 * PG));
	EXPECT_SIG(w + PG, false, SIGSEGV, SEGV_MAPERR);
	EXPECT_SIG(w + 6 * PG, true, SIGSEGV, SEGV_MAPERR);
	CHECK_ZERO(upager_unmap(x, size));
	CHECK_ZERO(upager_close(f));
	DISK_EXPECT(path, data, size);
	free(data);
	free(buf);
	ncases++;
}

int main(void)
{
	upager_t *pg = mkpager(1 * MiB);

	set_page_size(pg);
	probe_install();
	test_sigbus(pg);
	test_sigsegv(pg);
	test_badinput(pg);
	test_partial(pg);
	PCHECK(pg);
	CHECK_ZERO(upager_destroy(pg));
	test_destroyed();
	rm_test_dir();
	printf("t_signals: ok (%d cases)\n", ncases);
	return 0;
}
