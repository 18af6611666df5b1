/* fuzz_api.c: the libFuzzer harness of upager's API, every result checked against a model */
/*
 * What it does
 *   Each input is decoded into a pager configuration, the initial contents
 *   of two files, and up to MAX_OPS calls of the public API with arbitrary
 *   arguments: upager_create with odd configurations, upager_open of
 *   regular files (O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_EXCL, O_TRUNC, a
 *   second handle of the same file, through a symlink), of a directory,
 *   /dev/null, missing paths and NULL; pread/pwrite at any offset and
 *   length (negative, huge, near OFF_MAX and near UPAGER_MAX_FILE_SIZE);
 *   truncate, size, sync with every flag, sync_all; upager_map with any
 *   offset, length, prot and flags; copies into and out of views (only
 *   where an access is legal: inside a mapped part, below the page of EOF,
 *   writes only to writeable views), views as the buffer of pread/pwrite;
 *   msync/madvise/unmap of whole, partial, unaligned, never-mapped and
 *   already unmapped ranges; unlink, a change behind upager's back, and
 *   destroy with handles and views still open.
 *
 *   A model holds each file's bytes and size, which handles and views are
 *   live, the private copies of MAP_PRIVATE views, and for every call the
 *   errors include/upager.h allows: the result must be one of them, or
 *   the exact success value.  Where the header leaves the result open
 *   (a zero length for msync/madvise/unmap, an unaligned address that is
 *   in no view), any of the candidates passes.  After every sync, close
 *   of a writeable handle, sync_all, msync(MS_SYNC|MS_INVALIDATE) and
 *   destroy, the file on disk (read with plain pread) must hold what the
 *   model says, and dbg_check_pager runs after every call.  At the end of
 *   each input the pager is destroyed, the files compared once more, and
 *   the process must have as many descriptors and threads as before.
 *
 * Bounds
 *   A file's bytes live in two windows, [0, 4 MiB) and the last MiB before
 *   UPAGER_MAX_FILE_SIZE; a write that would succeed outside both is moved
 *   into one, so a file may be up to 4 TiB long but is sparse.  A transfer
 *   that succeeds moves at most 1 MiB (a copy through a view 256 KiB); a
 *   huge length is passed as is only where the call must fail before it
 *   touches the buffer, and then with a 16-byte buffer, so that ASan sees
 *   an access past it.  Budgets range from the 64-page minimum up to the
 *   256 MiB default, so the page daemon runs in most inputs.
 *
 * Running it
 *   scripts/fuzz.sh builds it with clang -fsanitize=fuzzer,address,undefined
 *   and runs it on a copy of tests/fuzz/corpus; cmake/fuzz.cmake builds it
 *   with fuzz_main.c (any compiler) as t_fuzz_corpus, which runs every
 *   corpus file once.  UPAGER_FUZZ_TRACE=1 prints each call as it is made;
 *   UPAGER_FUZZ_DIR sets where the files go (default $TMPDIR or /tmp; an
 *   input may ask for /dev/shm instead).
 *
 * Inputs that show bugs not fixed yet are kept in tests/fuzz/pending/;
 * the shapes of call they need are left out of the decoder unless
 * UPAGER_FUZZ_PENDING=1 (see op_map, and pending/README).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debug.h"
#include "upager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE ((size_t)4096)
#define KIB ((size_t)1024)
#define MIB (1024 * KIB)
#define MAXF UPAGER_MAX_FILE_SIZE
#define LOW_SIZE ((off_t)(4 * MIB))          /* the low window of a file */
#define HIGH_SIZE ((off_t)MIB)               /* the high window */
#define HIGH_BASE (MAXF - HIGH_SIZE)
#define IO_MAX (MIB)                         /* largest transfer that succeeds */
#define VIO_MAX (256 * KIB)                  /* largest copy through a view */
#define MAX_OPS 48
#define NINO 4          /* files: at a, at b, or unlinked */
#define NH 6            /* handle slots */
#define NV 6            /* view slots */
#define NSEG 8          /* mapped parts of one view */
#define MAXCOPY 128     /* private copies of one view, pages */
#define PATH_A 0
#define PATH_B 1
#define CMP_CHUNK (MIB)
#define MIDDLE_MAX ((off_t)(64 * MIB))  /* data read between the windows */

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- the model ---- */

/* a file: its bytes (in the windows; zeros elsewhere and past size) */
struct mfile {
	bool used;
	int path;               /* PATH_A, PATH_B, or -1 once unlinked */
	int keepfd;             /* a plain descriptor once unlinked, else -1 */
	bool toobig;            /* made larger than UPAGER_MAX_FILE_SIZE */
	bool moot;              /* unlinked and released: its data is gone */
	off_t size;
	bool junk;              /* a shared view wrote past EOF in the last
	                           page since the size last changed: those
	                           bytes are zeros or what it wrote */
	off_t lowhw;            /* low[lowhw..] are zeros */
	bool highdirty;
};

struct mhandle {
	upager_file_t *f;       /* NULL: free slot */
	int ino;
	int acc;
};

/* a mapped part of a view: addresses [lo, hi) */
struct mseg {
	uintptr_t lo, hi;
};

/* a page a MAP_PRIVATE view wrote: its own copy, and which bytes of it
 * the model cannot know (copied from past EOF while a view wrote there) */
struct pcopy {
	uint64_t pgno;
	unsigned char d[PAGE];
	unsigned char unk[PAGE];
};

/* a view made by upager_map at base for [off, off + len) of file ino */
struct mview {
	char *base;             /* NULL: the slot never held a view */
	size_t len;
	int ino;
	off_t off;
	int prot;
	bool shared;
	int nseg;               /* 0: all of it unmapped (addresses kept, to
	                           call on them again) */
	struct mseg seg[NSEG];
	struct pcopy *copy;
	int ncopy;
};

/* the set of results a call may give */
struct expect {
	int n;                  /* errors allowed; 0: it must succeed */
	int err[8];
	bool okalso;            /* success passes too (the header says nothing) */
};

static struct {
	upager_t *pg;
	struct upager_config cfg;
	uint64_t budget_pages;
	char dir[256];
	char path[6][320];      /* a, b, l (-> a), d (a directory), missing */
	struct mfile file[NINO];
	int pathino[2];         /* the file at a and at b, or -1 */
	struct mhandle h[NH];
	struct mview v[NV];
	const uint8_t *in;
	size_t inlen, pos;
	unsigned op;
	int endmode;
	char *noview;           /* a range of ours that is never a view */
	bool trace, pending;
	char cfgdesc[400];
	char ops[MAX_OPS + 8][200];
} w;

static unsigned char g_low[NINO][4 * MIB];
static unsigned char g_high[NINO][MIB];
static unsigned char g_cmp1[CMP_CHUNK], g_cmp2[CMP_CHUNK], g_zero[CMP_CHUNK];
static unsigned char g_exp[VIO_MAX + PAGE], g_unk[VIO_MAX + PAGE];

#define P_L 2
#define P_D 3
#define P_MISS 4

/* ---- failing, with the calls that led there ---- */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));
/* fail: print what failed, the configuration and every call of the
 * input so far, then abort (libFuzzer keeps the input) */
static void fail(const char *fmt, ...)
{
	va_list ap;
	unsigned i;

	fprintf(stderr, "fuzz_api: FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfuzz_api: %s\n", w.cfgdesc);
	for (i = 0; i <= w.op && i < MAX_OPS + 8; i++)
		if (w.ops[i][0] != '\0')
			fprintf(stderr, "fuzz_api: op %u: %s\n", i, w.ops[i]);
	abort();
}

#define CHECK(c) do { if (!(c)) fail("%s:%d: %s", __FILE__, __LINE__, \
	#c); } while (0)

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* note: say what the current call is, for fail() and the trace */
static void note(const char *fmt, ...)
{
	va_list ap;
	char *d = w.ops[MIN(w.op, (unsigned)MAX_OPS + 7)];

	va_start(ap, fmt);
	vsnprintf(d, sizeof(w.ops[0]), fmt, ap);
	va_end(ap);
	if (w.trace)
		fprintf(stderr, "[%u] %s\n", w.op, d);
}

/* ---- reading the input ---- */

/* u8: the next byte of the input; zeros once it runs out */
static uint8_t u8(void)
{
	uint8_t b = 0;

	if (w.pos < w.inlen)
		b = w.in[w.pos++];
	return b;
}

static uint16_t u16(void)
{
	uint16_t a = u8();

	return (uint16_t)(a | (uint16_t)(u8() << 8));
}

static uint32_t u32(void)
{
	uint32_t a = u16();

	return a | ((uint32_t)u16() << 16);
}

static uint64_t u64(void)
{
	uint64_t a = u32();

	return a | ((uint64_t)u32() << 32);
}

/* dec_off: an offset: small, aligned, near EOF, in either window, near
 * the size limit, negative, near OFF_MAX or anything */
static off_t dec_off(off_t size)
{
	off_t o;

	switch (u8() % 10) {
	case 0: o = u16(); break;
	case 1: o = (off_t)(u16() % 1025) * (off_t)PAGE; break;
	case 2: o = size + (int16_t)u16(); break;
	case 3: o = (off_t)(u32() % (uint32_t)LOW_SIZE); break;
	case 4: o = HIGH_BASE + (off_t)(u32() % (uint32_t)HIGH_SIZE); break;
	case 5: o = MAXF + (int16_t)u16(); break;
	case 6: o = -(off_t)u16() - 1; break;
	case 7: o = INT64_MAX - (off_t)u16(); break;
	case 8: o = (off_t)u64(); break;
	default:
		o = (off_t)(u16() % 1025) * (off_t)PAGE + (int8_t)u8();
		break;
	}
	return o;
}

/* dec_len: a length: small, page multiples, up to IO_MAX, to EOF or the
 * size limit, or huge */
static size_t dec_len(off_t off, off_t size)
{
	size_t l;

	switch (u8() % 9) {
	case 0: l = u8(); break;
	case 1: l = u16(); break;
	case 2: l = (size_t)(u8() % 65) * PAGE; break;
	case 3: l = u32() % (IO_MAX + 1); break;
	case 4: l = SIZE_MAX - u16(); break;
	case 5: l = (size_t)INT64_MAX + (size_t)(int8_t)u8(); break;
	case 6: l = (size_t)u64(); break;
	case 7: l = (size_t)size - (size_t)off + (size_t)(int8_t)u8(); break;
	default: l = (size_t)MAXF - (size_t)off + (size_t)(int8_t)u8(); break;
	}
	return l;
}

/* fill: len bytes of data for file offset off: zeros, one byte, or a
 * pattern of seed and offset */
static void fill(unsigned char *b, size_t len, uint8_t seed, off_t off)
{
	size_t i, n;

	if (seed == 0 || seed == 1) {
		memset(b, seed == 0 ? 0 : 0xff, len);
	} else {
		/* eight bytes a step: the loop's compares are instrumented */
		for (i = 0; i < len; i += n) {
			uint64_t x = ((uint64_t)off + i) * 0x9E3779B97F4A7C15ull ^
			    seed * 0xBF58476D1CE4E5B9ull;

			x ^= x >> 29;
			n = MIN(len - i, 8);
			memcpy(b + i, &x, n);
		}
	}
}

/* ---- the model's files ---- */

/* mread: the model's bytes of file i at [off, off + len) */
static void mread(int i, off_t off, size_t len, unsigned char *out)
{
	off_t end = off + (off_t)len;

	memset(out, 0, len);
	if (off < LOW_SIZE)
		memcpy(out, g_low[i] + off, (size_t)(MIN(end, LOW_SIZE) - off));
	if (end > HIGH_BASE) {
		off_t s = MAX(off, HIGH_BASE), e = MIN(end, MAXF);

		if (e > s)
			memcpy(out + (s - off), g_high[i] + (s - HIGH_BASE),
			    (size_t)(e - s));
	}
}

/* in_window: [off, off + len) lies in one window */
static bool in_window(off_t off, off_t len)
{
	return (off >= 0 && off + len <= LOW_SIZE) ||
	    (off >= HIGH_BASE && off + len <= MAXF);
}

/* mwrite: put bytes into the model of file i (in a window) */
static void mwrite(int i, off_t off, const unsigned char *b, size_t len)
{
	CHECK(in_window(off, (off_t)len));
	if (off < LOW_SIZE) {
		memcpy(g_low[i] + off, b, len);
		w.file[i].lowhw = MAX(w.file[i].lowhw, off + (off_t)len);
	} else {
		memcpy(g_high[i] + (off - HIGH_BASE), b, len);
		w.file[i].highdirty = true;
	}
}

/* copy_drop: forget view v's private copies of pages >= from (and < to) */
static void copy_drop(struct mview *v, uint64_t from, uint64_t to)
{
	int k = 0;

	while (k < v->ncopy) {
		if (v->copy[k].pgno >= from && v->copy[k].pgno < to)
			v->copy[k] = v->copy[--v->ncopy];
		else
			k++;
	}
}

/* mtrunc: file i is nsize long now: what is cut is zeros, the bytes of
 * the last page past EOF are zeros again, and private copies of pages
 * wholly past EOF are gone (the memfd shrank under them) */
static void mtrunc(int i, off_t nsize)
{
	struct mfile *m = &w.file[i];
	int k;

	if (nsize < m->size) {
		if (nsize < LOW_SIZE && nsize < m->lowhw) {
			memset(g_low[i] + nsize, 0, (size_t)(m->lowhw - nsize));
			m->lowhw = nsize;
		}
		if (m->size > HIGH_BASE) {
			off_t s = MAX(nsize, HIGH_BASE);

			memset(g_high[i] + (s - HIGH_BASE), 0,
			    (size_t)(m->size - s));
		}
		for (k = 0; k < NV; k++)
			if (w.v[k].base != NULL && w.v[k].ino == i)
				copy_drop(&w.v[k], (uint64_t)(nsize + (off_t)PAGE -
				    1) / PAGE, UINT64_MAX);
	}
	m->size = nsize;
	m->junk = false;
}

/* file_refs: live handles and view parts of file i */
static int file_refs(int i)
{
	int k, n = 0;

	for (k = 0; k < NH; k++)
		n += w.h[k].f != NULL && w.h[k].ino == i;
	for (k = 0; k < NV; k++)
		n += w.v[k].nseg > 0 && w.v[k].ino == i;
	return n;
}

/* released: a reference of file i went: an unlinked file with none left
 * is terminated by the pager, what it had not written back is lost */
static void released(int i)
{
	if (i >= 0 && w.file[i].path < 0 && file_refs(i) == 0)
		w.file[i].moot = true;
}

/* ---- comparing the file on disk ---- */

/* disk_open: a plain descriptor of file i (its path, or the kept one) */
static int disk_open(int i)
{
	int fd;

	if (w.file[i].path >= 0)
		fd = open(w.path[w.file[i].path], O_RDONLY | O_CLOEXEC);
	else
		fd = dup(w.file[i].keepfd);
	CHECK(fd >= 0);
	return fd;
}

/* pread_full: up to len bytes at off, short only at EOF */
static size_t pread_full(int fd, unsigned char *b, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t r = 1;

	while (done < len && r > 0) {
		r = pread(fd, b + done, len - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			r = 1;
		else if (r > 0)
			done += (size_t)r;
	}
	CHECK(r >= 0);
	return done;
}

/* cmp_window: [lo, hi) of file i on disk (dsz bytes long) equals the
 * model, which has only zeros past dsz */
static void cmp_window(int i, int fd, off_t lo, off_t hi, off_t dsz,
    const char *why)
{
	while (lo < hi) {
		size_t n = (size_t)MIN(hi - lo, (off_t)CMP_CHUNK), got, k;

		got = lo < dsz ? pread_full(fd, g_cmp1, (size_t)MIN((off_t)n,
		    dsz - lo), lo) : 0;
		mread(i, lo, n, g_cmp2);
		/* memcmp first: a loop of compares is slow under coverage */
		for (k = memcmp(g_cmp1, g_cmp2, got) == 0 ? got : 0; k < got; k++)
			if (g_cmp1[k] != g_cmp2[k])
				fail("after %s: file %d on disk differs at %lld: "
				    "%#x, model %#x (disk size %lld, model size "
				    "%lld)", why, i, (long long)lo + (long long)k,
				    g_cmp1[k], g_cmp2[k], (long long)dsz,
				    (long long)w.file[i].size);
		for (k = memcmp(g_cmp2 + got, g_zero, n - got) == 0 ? n : got;
		    k < n; k++)
			if (g_cmp2[k] != 0)
				fail("after %s: file %d on disk ends at %lld, "
				    "byte %lld is %#x in the model", why, i,
				    (long long)dsz, (long long)lo + (long long)k,
				    g_cmp2[k]);
		lo += (off_t)n;
	}
}

/* cmp_middle: between the windows, whatever data the file has on disk
 * in [lo, hi) is zeros */
static void cmp_middle(int i, int fd, off_t lo, off_t hi, const char *why)
{
	off_t total = 0, d, e;

	while (lo < hi && (d = lseek(fd, lo, SEEK_DATA)) >= 0 && d < hi) {
		e = MIN(lseek(fd, d, SEEK_HOLE), hi);
		CHECK(e > d);
		total += e - d;
		if (total > MIDDLE_MAX)
			fail("after %s: file %d has over %lld bytes of data "
			    "between the windows", why, i, (long long)MIDDLE_MAX);
		for (lo = d; lo < e; ) {
			size_t n = (size_t)MIN(e - lo, (off_t)CMP_CHUNK), k;
			size_t got = pread_full(fd, g_cmp1, n, lo);

			for (k = memcmp(g_cmp1, g_zero, got) == 0 ? got : 0;
			    k < got; k++)
				if (g_cmp1[k] != 0)
					fail("after %s: file %d on disk has %#x "
					    "at %lld, model 0", why, i, g_cmp1[k],
					    (long long)lo + (long long)k);
			lo += (off_t)n;
		}
	}
}

/*
 * disk_check: file i on disk holds the model's bytes in [lo, hi)
 * (clipped to its size); exact: its size is the model's too.  Skipped
 * for a file whose data the pager may drop (unlinked, released).
 */
static void disk_check(int i, off_t lo, off_t hi, bool exact,
    const char *why)
{
	struct mfile *m = &w.file[i];
	struct stat st;
	int fd;

	if (m->used && !m->moot) {
		fd = disk_open(i);
		CHECK(fstat(fd, &st) == 0);
		if (m->toobig) {
			CHECK(st.st_size == m->size);
		} else {
			if (exact && st.st_size != m->size)
				fail("after %s: file %d is %lld bytes on disk, "
				    "model %lld", why, i, (long long)st.st_size,
				    (long long)m->size);
			hi = MIN(hi, m->size);
			if (lo < MIN(hi, LOW_SIZE))
				cmp_window(i, fd, lo, MIN(hi, LOW_SIZE),
				    st.st_size, why);
			if (MAX(lo, LOW_SIZE) < MIN(hi, HIGH_BASE))
				cmp_middle(i, fd, MAX(lo, LOW_SIZE),
				    MIN(hi, HIGH_BASE), why);
			if (MAX(lo, HIGH_BASE) < hi)
				cmp_window(i, fd, MAX(lo, HIGH_BASE), hi,
				    st.st_size, why);
		}
		CHECK(close(fd) == 0);
	}
}

/* disk_all: every file the pager wrote back equals the model */
static void disk_all(const char *why)
{
	int i;

	for (i = 0; i < NINO; i++)
		if (w.file[i].used)
			disk_check(i, 0, MAXF, true, why);
}

/* ---- results ---- */

static void exp_add(struct expect *e, int err)
{
	if (e->n < 8)
		e->err[e->n++] = err;
}

/*
 * result: got is allowed by e (want is the success value); returns
 * whether the call succeeded, for the caller to apply its effects.
 */
static bool result(long long got, const struct expect *e, long long want,
    const char *call)
{
	bool ok = false;
	int k;

	if (e->n == 0 || e->okalso)
		ok = got == want;
	for (k = 0; k < e->n && !ok; k++)
		if (got == -e->err[k])
			break;
	if (!ok && (e->n == 0 || k == e->n)) {
		char allowed[96] = "";
		size_t o = 0;

		for (k = 0; k < e->n; k++)
			o += (size_t)snprintf(allowed + o, sizeof(allowed) - o,
			    " -%d", e->err[k]);
		if (e->n == 0)
			fail("%s returned %lld (%s); want %lld", call, got,
			    got < 0 ? upager_strerror((int)got) : "ok", want);
		if (e->okalso)
			snprintf(allowed + o, sizeof(allowed) - o, " %lld", want);
		fail("%s returned %lld (%s); want one of%s", call, got,
		    got < 0 ? upager_strerror((int)got) : "ok", allowed);
	}
	return ok;
}

/* ---- handles and views ---- */

/* pick_handle: a live handle (NULL now and then, or when there is none) */
static struct mhandle *pick_handle(void)
{
	uint8_t b = u8();
	struct mhandle *h = NULL;
	int k, n = 0, live[NH];

	for (k = 0; k < NH; k++)
		if (w.h[k].f != NULL)
			live[n++] = k;
	if (n > 0 && b % 16 != 15)
		h = &w.h[live[b % n]];
	return h;
}

/* view_at: the live part holding address a, or NULL */
static struct mview *view_at(uintptr_t a, struct mseg **segp)
{
	struct mview *found = NULL;
	int k, s;

	for (k = 0; k < NV && found == NULL; k++)
		for (s = 0; s < w.v[k].nseg; s++)
			if (w.v[k].seg[s].lo <= a && a < w.v[k].seg[s].hi) {
				found = &w.v[k];
				if (segp != NULL)
					*segp = &w.v[k].seg[s];
				break;
			}
	return found;
}

/* covered: [a, a + len) lies wholly in live views (len rounded up) */
static bool covered(uintptr_t a, size_t len)
{
	struct mseg *s;
	uintptr_t end;
	bool ok = true;

	if (len > UINTPTR_MAX - a) {
		ok = false;
	} else {
		end = a + len;
		while (ok && a < end) {
			if (view_at(a, &s) == NULL)
				ok = false;
			else
				a = s->hi;
		}
	}
	return ok;
}

/* vfoff: the file offset view v maps at address a */
static off_t vfoff(const struct mview *v, uintptr_t a)
{
	return v->off + (off_t)(a - (uintptr_t)v->base);
}

/* copy_find: view v's private copy of page pgno, or NULL */
static struct pcopy *copy_find(struct mview *v, uint64_t pgno)
{
	struct pcopy *c = NULL;
	int k;

	for (k = 0; k < v->ncopy && c == NULL; k++)
		if (v->copy[k].pgno == pgno)
			c = &v->copy[k];
	return c;
}

/*
 * vexpect: what a read of file offsets [off, off + len) through view v
 * must see, and which bytes the model cannot know (unk); all below the
 * page of EOF.
 */
static void vexpect(struct mview *v, off_t off, size_t len,
    unsigned char *out, unsigned char *unk)
{
	struct mfile *m = &w.file[v->ino];
	size_t k = 0;

	mread(v->ino, off, len, out);
	memset(unk, 0, len);
	while (k < len) {
		off_t fo = off + (off_t)k;
		uint64_t pgno = (uint64_t)fo / PAGE;
		size_t in = MIN(len - k, PAGE - (size_t)fo % PAGE);
		struct pcopy *c = v->shared ? NULL : copy_find(v, pgno);

		if (c != NULL) {
			memcpy(out + k, c->d + fo % (off_t)PAGE, in);
			memcpy(unk + k, c->unk + fo % (off_t)PAGE, in);
		} else if (m->junk) {
			size_t j;

			for (j = 0; j < in; j++)
				if (fo + (off_t)j >= m->size)
					unk[k + j] = 1;
		}
		k += in;
	}
}

/* vcheck: bytes read through view v at file offset off are right */
static void vcheck(struct mview *v, off_t off, const unsigned char *got,
    size_t len, const char *what)
{
	size_t k;

	vexpect(v, off, len, g_exp, g_unk);
	k = memchr(g_unk, 1, len) == NULL && memcmp(got, g_exp, len) == 0 ?
	    len : 0;
	for (; k < len; k++)
		if (!g_unk[k] && got[k] != g_exp[k])
			fail("%s: view of file %d (%s) at file offset %lld: "
			    "%#x, model %#x (size %lld)", what, v->ino,
			    v->shared ? "shared" : "private",
			    (long long)off + (long long)k, got[k], g_exp[k],
			    (long long)w.file[v->ino].size);
}

/* vroom: whether private view v has room for the copies a write of
 * [off, off + len) makes (a shared one always has) */
static bool vroom(struct mview *v, off_t off, size_t len)
{
	uint64_t p, need = 0;

	if (!v->shared)
		for (p = (uint64_t)off / PAGE;
		    p <= (uint64_t)(off + (off_t)len - 1) / PAGE; p++)
			need += copy_find(v, p) == NULL;
	return v->ncopy + (int64_t)need <= MAXCOPY;
}

/*
 * vwrote: the model of bytes written through view v at file offset off:
 * the file's (a shared view; past EOF they are junk), or private copies
 * made at the first write of each page (vroom said there is room).
 */
static void vwrote(struct mview *v, off_t off, const unsigned char *b,
    size_t len)
{
	struct mfile *m = &w.file[v->ino];
	size_t k = 0;

	while (k < len) {
		off_t fo = off + (off_t)k;
		uint64_t pgno = (uint64_t)fo / PAGE;
		size_t in = MIN(len - k, PAGE - (size_t)fo % PAGE);

		if (v->shared) {
			off_t below = MIN(fo + (off_t)in, m->size) - fo;

			if (below > 0)
				mwrite(v->ino, fo, b + k, (size_t)below);
			if (below < (off_t)in)
				m->junk = true;
		} else {
			struct pcopy *c = copy_find(v, pgno);

			if (c == NULL) {
				CHECK(v->ncopy < MAXCOPY);
				c = &v->copy[v->ncopy++];
				c->pgno = pgno;
				vexpect(v, (off_t)(pgno * PAGE), PAGE, c->d,
				    c->unk);
			}
			memcpy(c->d + fo % (off_t)PAGE, b + k, in);
			memset(c->unk + fo % (off_t)PAGE, 0, in);
		}
		k += in;
	}
}

/*
 * vrange: a range of file offsets [*lo, *hi) of a live view (in one
 * mapped part, below the page of EOF; for a write, in a window if
 * shared), chosen by the input.  Returns the view or NULL.
 */
static struct mview *vrange(bool wr, off_t *lo, off_t *hi)
{
	struct mview *v = NULL, *c;
	uint8_t b = u8(), sb = u8();
	int k, n = 0, live[NV];

	for (k = 0; k < NV; k++)
		if (w.v[k].nseg > 0 && (w.v[k].prot & PROT_READ) &&
		    (!wr || (w.v[k].prot & PROT_WRITE)))
			live[n++] = k;
	if (n > 0) {
		c = &w.v[live[b % n]];
		struct mseg *s = &c->seg[sb % c->nseg];
		off_t eofpg = (w.file[c->ino].size + (off_t)PAGE - 1) &
		    ~(off_t)(PAGE - 1);

		*lo = vfoff(c, s->lo);
		*hi = MIN(vfoff(c, s->hi), eofpg);
		if (wr && c->shared) {
			/* into the window holding lo */
			if (*lo < LOW_SIZE)
				*hi = MIN(*hi, LOW_SIZE);
			else if (*lo < HIGH_BASE)
				*lo = MIN(HIGH_BASE, *hi);
		}
		if (*lo < *hi)
			v = c;
	}
	return v;
}

/* vpos: an offset and a length inside [lo, hi), from the input */
static void vpos(off_t lo, off_t hi, off_t *off, size_t *len)
{
	uint32_t a = u32(), l = u32();
	off_t span = hi - lo;

	switch (u8() % 3) {
	case 0: *off = lo + (off_t)(a % (uint32_t)MIN(span, (off_t)UINT32_MAX));
		break;
	case 1: *off = MAX(lo, hi - (off_t)(a % (2 * PAGE)) - 1); break;
	default: *off = lo + (off_t)((a % 64) * PAGE);
		if (*off >= hi)
			*off = lo;
		break;
	}
	*len = 1 + (size_t)(l % (uint32_t)MIN(hi - *off, (off_t)VIO_MAX));
}

/* ---- the operations ---- */

/* path_ino: the file a path names now, following l to a; -1: none */
static int path_ino(int p)
{
	int i = -1;

	if (p == PATH_A || p == P_L)
		i = w.pathino[PATH_A];
	else if (p == PATH_B)
		i = w.pathino[PATH_B];
	return i;
}

/* free_ino: an unused file slot, or -1 */
static int free_ino(void)
{
	int i, f = -1;

	for (i = 0; i < NINO && f < 0; i++)
		if (!w.file[i].used)
			f = i;
	return f;
}

/* new_ino: a new empty file at path p (a or b) */
static int new_ino(int p)
{
	int i = free_ino();

	CHECK(i >= 0);
	memset(&w.file[i], 0, sizeof(w.file[i]));
	w.file[i].used = true;
	w.file[i].path = p;
	w.file[i].keepfd = -1;
	w.pathino[p] = i;
	return i;
}

/* op_open: open a, b, the link, the directory, a missing path,
 * /dev/null or NULL, with any flags; a new handle if it opens */
static void op_open(void)
{
	static const char *const pname[] = { "a", "b", "l", "d", "missing",
	    "/dev/null", "NULL", "a, out NULL", "a, pg NULL" };
	uint8_t ps = u8() % 9, fb = u8();
	int acc = fb & 3, flags = acc, slot = -1, k, p, ino;
	bool creat = fb & 4, excl = fb & 8, trunc = fb & 16, nofollow = fb & 64;
	bool makes = false;
	struct expect e = { 0 };
	const char *path;
	upager_file_t *f = NULL;
	int r;

	flags |= (creat ? O_CREAT : 0) | (excl ? O_EXCL : 0) |
	    (trunc ? O_TRUNC : 0) | (fb & 32 ? O_CLOEXEC : 0) |
	    (nofollow ? O_NOFOLLOW : 0);
	if ((fb & 0x80) && (fb & 3) == 1)
		flags |= (fb & 4) ? O_APPEND : O_DIRECT;
	for (k = 0; k < NH && slot < 0; k++)
		if (w.h[k].f == NULL)
			slot = k;
	p = ps <= P_MISS ? ps : ps >= 7 ? PATH_A : -1;
	path = ps <= P_MISS ? w.path[ps] : ps == 5 ? "/dev/null" :
	    ps == 6 ? NULL : w.path[PATH_A];
	ino = p >= 0 ? path_ino(p) : -1;
	if (ps >= 6 || acc == 3 || (flags & (O_APPEND | O_DIRECT)) ||
	    (trunc && acc == O_RDONLY))
		exp_add(&e, EINVAL);
	if (ps == 5) {
		exp_add(&e, creat && excl ? EEXIST : ENODEV);
	} else if (ps == P_D) {
		exp_add(&e, creat && excl ? EEXIST : EISDIR);
	} else if (ps == P_MISS) {
		exp_add(&e, ENOENT);
	} else if (ps == P_L && (nofollow || (creat && excl))) {
		exp_add(&e, creat && excl ? EEXIST : ELOOP);
	} else if (ps == 6) {
		/* nothing else to say of a NULL path */
	} else if (ino < 0) {
		if (!creat)
			exp_add(&e, ENOENT);
		else
			makes = true;
	} else if (creat && excl) {
		exp_add(&e, EEXIST);
	} else if (w.file[ino].toobig) {
		exp_add(&e, EFBIG);
	}
	note("open(%s, %#x)", pname[ps], flags);
	/* a handle that would open needs a slot, and a new file a place */
	if (slot >= 0 && !(makes && free_ino() < 0)) {
		r = upager_open(ps == 8 ? NULL : w.pg, path, flags, 0644,
		    ps == 7 ? NULL : &f);
		if (result(r, &e, 0, "upager_open")) {
			CHECK(f != NULL);
			if (makes)
				ino = new_ino(p == P_L ? PATH_A : p);
			w.h[slot].f = f;
			w.h[slot].ino = ino;
			w.h[slot].acc = acc;
			if (trunc)
				mtrunc(ino, 0);
		}
	}
}

/* op_close: close a handle (or NULL); a writeable one writes back */
static void op_close(void)
{
	struct mhandle *h = pick_handle();
	struct expect e = { 0 };
	int ino = h != NULL ? h->ino : -1, acc = h != NULL ? h->acc : 0;

	if (h == NULL)
		exp_add(&e, EINVAL);
	note("close(%s %d)", h != NULL ? "file" : "NULL", ino);
	if (result(upager_close(h != NULL ? h->f : NULL), &e, 0,
	    "upager_close")) {
		h->f = NULL;
		if (acc != O_RDONLY)
			disk_check(ino, 0, MAXF, true, "close");
		released(ino);
	}
}

/* io_args: the errors pread/pwrite must give for these arguments */
static void io_args(struct expect *e, struct mhandle *h, const void *buf,
    size_t len, off_t off, bool wr)
{
	if (h == NULL || (buf == NULL && len > 0) || off < 0 ||
	    len > (size_t)INT64_MAX || off > INT64_MAX - (off_t)len)
		exp_add(e, EINVAL);
	if (h != NULL && h->acc == (wr ? O_RDONLY : O_WRONLY))
		exp_add(e, EBADF);
	if (wr && off >= 0 && len <= (size_t)INT64_MAX &&
	    off <= INT64_MAX - (off_t)len && off + (off_t)len > MAXF)
		exp_add(e, EFBIG);
}

/* op_pread: pread at any offset and length; the bytes must be the
 * model's */
static void op_pread(void)
{
	struct mhandle *h = pick_handle();
	off_t size = h != NULL ? w.file[h->ino].size : 0;
	off_t off = dec_off(size);
	size_t len = dec_len(off, size), want = 0;
	bool nullbuf = u8() % 16 == 0;
	struct expect e = { 0 };
	unsigned char *buf = NULL;
	ssize_t got;

	io_args(&e, h, nullbuf ? NULL : "", len, off, false);
	if (e.n == 0 && len > IO_MAX)
		len %= IO_MAX + 1;
	if (e.n == 0 && off < size)
		want = (size_t)MIN((off_t)len, size - off);
	if (!nullbuf)
		buf = malloc(e.n > 0 ? 16 : MAX(len, 1));
	CHECK(nullbuf || buf != NULL);
	note("pread(file %d, len=%zu, off=%lld%s) size=%lld",
	    h != NULL ? h->ino : -1, len, (long long)off,
	    nullbuf ? ", NULL" : "", (long long)size);
	got = upager_pread(h != NULL ? h->f : NULL, buf, len, off);
	if (result(got, &e, (long long)want, "upager_pread") && want > 0) {
		unsigned char *exp = malloc(want);
		size_t k;

		CHECK(exp != NULL);
		mread(h->ino, off, want, exp);
		for (k = memcmp(buf, exp, want) == 0 ? want : 0; k < want; k++)
			if (buf[k] != exp[k])
				fail("pread data at %lld: %#x, model %#x",
				    (long long)off + (long long)k, buf[k], exp[k]);
		free(exp);
	}
	free(buf);
}

/* wplace: move a write that will succeed into a window, at most IO_MAX */
static void wplace(off_t *off, size_t *len)
{
	if (*len > IO_MAX)
		*len %= IO_MAX + 1;
	if (*off >= LOW_SIZE && *off < HIGH_BASE)
		*off %= LOW_SIZE;
	if (*off < LOW_SIZE)
		*len = (size_t)MIN((off_t)*len, LOW_SIZE - *off);
}

/* did_write: the model of a write of len bytes at off to file i */
static void did_write(int i, off_t off, const unsigned char *b, size_t len)
{
	struct mfile *m = &w.file[i];

	if (len > 0) {
		if (off + (off_t)len > m->size) {
			/* the old last page past EOF is zeroed first */
			m->junk = false;
			m->size = off + (off_t)len;
		}
		mwrite(i, off, b, len);
	}
}

/* op_pwrite: pwrite at any offset and length */
static void op_pwrite(void)
{
	struct mhandle *h = pick_handle();
	off_t size = h != NULL ? w.file[h->ino].size : 0;
	off_t off = dec_off(size);
	size_t len = dec_len(off, size);
	uint8_t bk = u8(), seed = u8();
	bool nullbuf = bk % 16 == 0;
	struct expect e = { 0 };
	unsigned char *buf = NULL;
	ssize_t got;

	io_args(&e, h, nullbuf ? NULL : "", len, off, true);
	if (e.n == 0)
		wplace(&off, &len);
	if (!nullbuf) {
		buf = malloc(e.n > 0 ? 16 : MAX(len, 1));
		CHECK(buf != NULL);
		if (e.n == 0)
			fill(buf, len, seed, off);
	}
	note("pwrite(file %d, len=%zu, off=%lld%s, seed %u) size=%lld",
	    h != NULL ? h->ino : -1, len, (long long)off,
	    nullbuf ? ", NULL" : "", seed, (long long)size);
	got = upager_pwrite(h != NULL ? h->f : NULL, buf, len, off);
	if (result(got, &e, (long long)len, "upager_pwrite"))
		did_write(h->ino, off, buf, len);
	free(buf);
}

/* op_truncate: truncate to any size */
static void op_truncate(void)
{
	struct mhandle *h = pick_handle();
	off_t size = h != NULL ? w.file[h->ino].size : 0;
	off_t to = dec_off(size);
	struct expect e = { 0 };

	if (u8() % 4 == 0 && size > 0)     /* often: down, within the file */
		to = (off_t)((uint64_t)to % (uint64_t)size);
	if (h == NULL || to < 0)
		exp_add(&e, EINVAL);
	if (to > MAXF)
		exp_add(&e, EFBIG);
	if (h != NULL && h->acc == O_RDONLY)
		exp_add(&e, EBADF);
	note("truncate(file %d, %lld) size=%lld", h != NULL ? h->ino : -1,
	    (long long)to, (long long)size);
	if (result(upager_truncate(h != NULL ? h->f : NULL, to), &e, 0,
	    "upager_truncate"))
		mtrunc(h->ino, to);
}

/* op_size: the size must be the model's */
static void op_size(void)
{
	struct mhandle *h = pick_handle();
	struct expect e = { 0 };

	if (h == NULL)
		exp_add(&e, EINVAL);
	note("size(file %d)", h != NULL ? h->ino : -1);
	(void)result(upager_size(h != NULL ? h->f : NULL), &e,
	    h != NULL ? w.file[h->ino].size : 0, "upager_size");
}

/* op_sync: sync any range with any flags; the range is on disk after */
static void op_sync(void)
{
	struct mhandle *h = pick_handle();
	off_t size = h != NULL ? w.file[h->ino].size : 0;
	off_t off = dec_off(size), len;
	int flags;
	struct expect e = { 0 };

	len = u8() % 3 == 0 ? 0 : (off_t)dec_len(off, size);
	flags = u8() % 8;
	/* WAIT is an fdatasync: now and then, it is slow */
	if ((flags & UPAGER_SYNC_WAIT) && u8() % 4 != 0)
		flags &= ~UPAGER_SYNC_WAIT;
	if (h == NULL || off < 0 || len < 0 || off > INT64_MAX - len ||
	    (flags & ~(UPAGER_SYNC_WAIT | UPAGER_SYNC_INVALIDATE)))
		exp_add(&e, EINVAL);
	note("sync(file %d, off=%lld, len=%lld, flags=%#x) size=%lld",
	    h != NULL ? h->ino : -1, (long long)off, (long long)len, flags,
	    (long long)size);
	if (result(upager_sync(h != NULL ? h->f : NULL, off, len, flags), &e,
	    0, "upager_sync"))
		disk_check(h->ino, off, len == 0 ? MAXF : off + len,
		    off == 0 && len == 0, "sync");
}

/* op_sync_all: every file is on disk after */
static void op_sync_all(void)
{
	bool null = u8() % 8 == 0;
	struct expect e = { 0 };

	if (null)
		exp_add(&e, EINVAL);
	note("sync_all(%s)", null ? "NULL" : "pg");
	if (result(upager_sync_all(null ? NULL : w.pg), &e, 0,
	    "upager_sync_all"))
		disk_all("sync_all");
}

/* op_map: map any range with any prot and flags into a free view slot */
static void op_map(void)
{
	static const int mflags[] = { MAP_SHARED, MAP_PRIVATE,
	    MAP_SHARED | MAP_PRIVATE, 0, MAP_SHARED | MAP_FIXED,
	    MAP_SHARED_VALIDATE, MAP_PRIVATE | MAP_ANONYMOUS, MAP_SHARED };
	struct mhandle *h = pick_handle();
	off_t size = h != NULL ? w.file[h->ino].size : 0, off;
	size_t len, rlen;
	int prot, fsel, flags, slot = -1, k;
	struct expect e = { 0 };
	void *a = NULL;
	bool big;
	int r;

	switch (u8() % 6) {
	case 0: off = 0; break;
	case 1: off = (off_t)(u8() % 64) * (off_t)PAGE; break;
	case 2: off = ((size & ~(off_t)(PAGE - 1)) - (off_t)(u8() % 4) *
		    (off_t)PAGE); break;
	case 3: off = HIGH_BASE + (off_t)(u8() % 256) * (off_t)PAGE; break;
	default: off = dec_off(size); break;
	}
	switch (u8() % 6) {
	case 0: len = (size_t)size - (size_t)off + u8(); break;
	case 1: len = 1 + u16(); break;
	case 2: len = (size_t)(1 + u8() % 32) * PAGE; break;
	case 3: len = 8 * MIB; break;
	default: len = dec_len(off, size); break;
	}
	prot = u8() % 8;
	prot = (prot & 1 ? PROT_READ : 0) | (prot & 2 ? PROT_WRITE : 0) |
	    (prot == 4 ? PROT_EXEC : 0);
	fsel = u8() % 9;
	flags = mflags[fsel % 8];
	for (k = 0; k < NV && slot < 0; k++)
		if (w.v[k].nseg == 0)
			slot = k;
	rlen = (size_t)((MIN(len, (size_t)MAXF) + PAGE - 1) & ~(PAGE - 1));
	if (h == NULL || fsel == 8 || len == 0 || off < 0 ||
	    (off & (off_t)(PAGE - 1)) || (prot & ~(PROT_READ | PROT_WRITE)) ||
	    (flags != MAP_SHARED && flags != MAP_PRIVATE) ||
	    (off >= 0 && off > MAXF - (off_t)rlen))
		exp_add(&e, EINVAL);
	if (h != NULL && (h->acc == O_WRONLY || (flags == MAP_SHARED &&
	    (prot & PROT_WRITE) && h->acc != O_RDWR)))
		exp_add(&e, EACCES);
	/* neither read nor write: the header leaves it open; more than a
	 * terabyte may find no room, and a writeable private view is
	 * charged against memory as the kernel's is (overcommit) */
	big = rlen > ((size_t)1 << 40) || (flags == MAP_PRIVATE &&
	    (prot & PROT_WRITE) && rlen > ((size_t)1 << 30));
	if (e.n == 0 && (prot == 0 || big))
		e.okalso = true;
	if (prot == 0)
		exp_add(&e, EINVAL);
	if (big)
		exp_add(&e, ENOMEM);
	note("map(file %d, off=%lld, len=%zu, prot=%#x, flags=%#x%s) size=%lld",
	    h != NULL ? h->ino : -1, (long long)off, len, prot, flags,
	    fsel == 8 ? ", addr NULL" : "", (long long)size);
	/* a writeable shared view write-protects its whole length, page
	 * tables and all: beyond a gigabyte, minutes (pending: huge-wview) */
	if (slot >= 0 && (w.pending || (e.n > 0 && !e.okalso) ||
	    flags != MAP_SHARED ||
	    !(prot & PROT_WRITE) || rlen <= ((size_t)1 << 30))) {
		r = upager_map(h != NULL ? h->f : NULL, off, len, prot, flags,
		    fsel == 8 ? NULL : &a);
		if (result(r, &e, 0, "upager_map")) {
			struct mview *v = &w.v[slot];

			CHECK(a != NULL && ((uintptr_t)a & (PAGE - 1)) == 0);
			free(v->copy);
			memset(v, 0, sizeof(*v));
			v->base = a;
			v->len = rlen;
			v->ino = h->ino;
			v->off = off;
			v->prot = prot;
			v->shared = flags == MAP_SHARED;
			v->nseg = 1;
			v->seg[0].lo = (uintptr_t)a;
			v->seg[0].hi = (uintptr_t)a + rlen;
			if (!v->shared) {
				v->copy = calloc(MAXCOPY, sizeof(*v->copy));
				CHECK(v->copy != NULL);
			}
		}
	}
}

/* op_vread: memcpy out of a view, where it is legal */
static void op_vread(void)
{
	off_t lo, hi, off;
	size_t len;
	struct mview *v = vrange(false, &lo, &hi);
	unsigned char *buf;

	if (v != NULL) {
		vpos(lo, hi, &off, &len);
		note("view read(file %d, %s, off=%lld, len=%zu) size=%lld",
		    v->ino, v->shared ? "shared" : "private", (long long)off,
		    len, (long long)w.file[v->ino].size);
		buf = malloc(len);
		CHECK(buf != NULL);
		memcpy(buf, v->base + (off - v->off), len);
		vcheck(v, off, buf, len, "view read");
		free(buf);
	}
}

/* op_vwrite: memcpy into a writeable view, where it is legal */
static void op_vwrite(void)
{
	off_t lo, hi, off;
	size_t len;
	struct mview *v = vrange(true, &lo, &hi);
	uint8_t seed = u8();
	unsigned char *buf;

	if (v != NULL) {
		vpos(lo, hi, &off, &len);
		if (vroom(v, off, len)) {
			note("view write(file %d, %s, off=%lld, len=%zu, seed "
			    "%u) size=%lld", v->ino, v->shared ? "shared" :
			    "private", (long long)off, len, seed,
			    (long long)w.file[v->ino].size);
			buf = malloc(len);
			CHECK(buf != NULL);
			fill(buf, len, seed, off);
			memcpy(v->base + (off - v->off), buf, len);
			vwrote(v, off, buf, len);
			free(buf);
		}
	}
}

/* pages_apart: no page holds bytes of both [a, a + n) and [b, b + n) */
static bool pages_apart(off_t a, off_t b, size_t n)
{
	off_t pa = a & ~(off_t)(PAGE - 1), pb = b & ~(off_t)(PAGE - 1);
	off_t ea = a + (off_t)n, eb = b + (off_t)n;

	return ea <= pb || eb <= pa;
}

/*
 * op_vio: a view as the buffer of pread (written into) or pwrite (read
 * from); of the same file, only where no page is on both sides.
 */
static void op_vio(void)
{
	bool rd = u8() & 1;
	struct mhandle *h = pick_handle();
	off_t lo, hi, voff, size, off;
	size_t len;
	struct mview *v = vrange(rd, &lo, &hi);
	struct expect e = { 0 };
	ssize_t got;
	size_t k;

	if (v != NULL && h != NULL) {
		size = w.file[h->ino].size;
		vpos(lo, hi, &voff, &len);
		off = dec_off(size);
		if (off < 0 || off > MAXF - (off_t)IO_MAX)
			off = (off_t)((uint64_t)off % (uint64_t)LOW_SIZE);
		io_args(&e, h, "", len, off, !rd);
		if (!rd && e.n == 0)
			wplace(&off, &len);
		/* the source must be known: below EOF, no unknown bytes */
		vexpect(v, voff, len, g_exp, g_unk);
		k = memchr(g_unk, 1, len) == NULL ? len : 0;
		if ((h->ino != v->ino || pages_apart(off, voff, len)) &&
		    (rd || k == len) && len > 0 && (!rd || vroom(v, voff, len))) {
			note("%s(file %d, view of file %d %s at %lld, len=%zu, "
			    "off=%lld) size=%lld", rd ? "pread" : "pwrite",
			    h->ino, v->ino, v->shared ? "shared" : "private",
			    (long long)voff, len, (long long)off,
			    (long long)size);
			if (rd) {
				size_t want = e.n > 0 || off >= size ? 0 :
				    (size_t)MIN((off_t)len, size - off);
				unsigned char *exp = malloc(MAX(want, 1));

				CHECK(exp != NULL);
				got = upager_pread(h->f, v->base + (voff -
				    v->off), len, off);
				if (result(got, &e, (long long)want,
				    "upager_pread into a view") && want > 0) {
					mread(h->ino, off, want, exp);
					vwrote(v, voff, exp, want);
					vcheck(v, voff, (unsigned char *)v->base +
					    (voff - v->off), want,
					    "pread into a view");
				}
				free(exp);
			} else {
				unsigned char *src = malloc(len);

				CHECK(src != NULL);
				memcpy(src, g_exp, len);
				got = upager_pwrite(h->f, v->base + (voff -
				    v->off), len, off);
				if (result(got, &e, (long long)len,
				    "upager_pwrite from a view"))
					did_write(h->ino, off, src, len);
				free(src);
			}
		}
	}
}

/*
 * dec_addr: an address for msync/madvise/unmap: a page of a view slot
 * (live, partly or wholly unmapped), maybe unaligned; NULL; a range of
 * ours that is no view; the model itself.  *vs gets the slot or NULL.
 */
static uintptr_t dec_addr(struct mview **vs)
{
	uint8_t sel = u8(), sl = u8(), pk = u8();
	struct mview *v = &w.v[sl % NV];
	uintptr_t a;
	size_t pages;

	*vs = NULL;
	if (sel % 8 <= 4 && v->base != NULL) {
		pages = v->len / PAGE;
		switch (pk % 5) {
		case 0: a = 0; break;
		case 1: a = u32() % pages; break;
		case 2: a = pages - 1; break;
		case 3: a = (size_t)MAX((w.file[v->ino].size - v->off) /
			    (off_t)PAGE, 0); a = MIN(a, pages - 1); break;
		default: a = pages; break;
		}
		a = (uintptr_t)v->base + a * PAGE;
		*vs = v;
	} else if (sel % 8 == 5) {
		a = 0;
	} else if (sel % 8 == 6 || v->base == NULL) {
		a = (uintptr_t)w.noview + (sl % 16) * PAGE;
	} else {
		a = (uintptr_t)&w;
	}
	if (sel & 0x80)
		a += 1 + pk % (PAGE - 1);
	return a;
}

/* dec_alen: a length for msync/madvise/unmap at a */
static size_t dec_alen(uintptr_t a, struct mview *vs)
{
	struct mseg *s = NULL;
	size_t l;

	switch (u8() % 8) {
	case 0: l = (1 + (size_t)(u8() % 16)) * PAGE; break;
	case 1: case 2:                 /* to the end of its part, or a page on */
		l = view_at(a, &s) != NULL ? s->hi - a : PAGE;
		break;
	case 3: l = 0; break;
	case 4: l = SIZE_MAX - u16(); break;
	case 5: l = 1 + u16(); break;
	case 6: l = vs != NULL && (uintptr_t)vs->base + vs->len > a ?
		    (uintptr_t)vs->base + vs->len - a : PAGE;
		break;
	default: l = (size_t)u64(); break;
	}
	return l;
}

/*
 * range_expect: the errors of msync/madvise (ENOMEM where not all views,
 * EINVAL unaligned) or unmap (EINVAL where a is in no view either).
 */
static void range_expect(struct expect *e, uintptr_t a, size_t len,
    bool unmap)
{
	bool inview = view_at(a, NULL) != NULL;

	if (a & (PAGE - 1))
		exp_add(e, EINVAL);
	if (unmap && !inview)
		exp_add(e, EINVAL);
	if (len == 0) {
		/* the header says nothing of it: EINVAL as munmap, 0 as
		 * msync, or ENOMEM for an address in no view */
		if (e->n == 0)
			e->okalso = true;
		exp_add(e, EINVAL);
		if (!unmap)
			exp_add(e, ENOMEM);
	} else if (len > SIZE_MAX - PAGE + 1 ||
	    (len + PAGE - 1) / PAGE * PAGE > UINTPTR_MAX - a) {
		/* past the end of the address space */
		exp_add(e, EINVAL);
		exp_add(e, ENOMEM);
	} else if (!covered(a, (len + PAGE - 1) & ~(PAGE - 1))) {
		if (!(unmap && !inview))
			exp_add(e, ENOMEM);
	}
}

/* range_end: the end of [a, a + len rounded up); a valid range */
static uintptr_t range_end(uintptr_t a, size_t len)
{
	return a + ((len + PAGE - 1) & ~(PAGE - 1));
}

/* op_msync: msync any address and length; MS_SYNC and MS_INVALIDATE
 * put what shared views wrote there on disk */
static void op_msync(void)
{
	static const int fl[] = { MS_ASYNC, MS_SYNC, MS_INVALIDATE,
	    MS_ASYNC | MS_INVALIDATE, MS_SYNC | MS_INVALIDATE, 0,
	    MS_SYNC | MS_ASYNC, 0x40 };
	struct mview *vs;
	uintptr_t a = dec_addr(&vs), end, x;
	size_t len = dec_alen(a, vs);
	int flags = fl[u8() % 8], k, s;
	struct expect e = { 0 };

	if ((flags & MS_SYNC) && u8() % 4 != 0)    /* fdatasync: now and then */
		flags &= ~MS_SYNC;
	if ((flags & ~(MS_SYNC | MS_ASYNC | MS_INVALIDATE)) ||
	    (flags & (MS_SYNC | MS_ASYNC)) == (MS_SYNC | MS_ASYNC))
		exp_add(&e, EINVAL);
	range_expect(&e, a, len, false);
	note("msync(%#lx, len=%zu, flags=%#x)", (unsigned long)a, len, flags);
	if (result(upager_msync((void *)a, len, flags), &e, 0, "upager_msync") &&
	    len > 0 && (flags & (MS_SYNC | MS_INVALIDATE))) {
		/* what shared views wrote in the range is in the file */
		end = range_end(a, len);
		for (k = 0; k < NV; k++)
			for (s = 0; s < w.v[k].nseg; s++) {
				struct mseg *g = &w.v[k].seg[s];
				uintptr_t lo = MAX(g->lo, a), hi = MIN(g->hi, end);

				if (lo < hi && w.v[k].shared) {
					x = (uintptr_t)vfoff(&w.v[k], lo);
					disk_check(w.v[k].ino, (off_t)x, (off_t)x +
					    (off_t)(hi - lo), false, "msync");
				}
			}
	}
}

/* op_madvise: madvise any address, length and advice */
static void op_madvise(void)
{
	static const int adv[] = { MADV_NORMAL, MADV_SEQUENTIAL, MADV_RANDOM,
	    MADV_WILLNEED, MADV_DONTNEED, MADV_FREE, MADV_HUGEPAGE, -1 };
	struct mview *vs;
	uintptr_t a = dec_addr(&vs), end;
	size_t len = dec_alen(a, vs);
	int advice = adv[u8() % 8], k, s;
	struct expect e = { 0 };

	if (advice != MADV_NORMAL && advice != MADV_SEQUENTIAL &&
	    advice != MADV_RANDOM && advice != MADV_WILLNEED &&
	    advice != MADV_DONTNEED)
		exp_add(&e, EINVAL);
	range_expect(&e, a, len, false);
	note("madvise(%#lx, len=%zu, advice=%d)", (unsigned long)a, len, advice);
	if (result(upager_madvise((void *)a, len, advice), &e, 0,
	    "upager_madvise") && len > 0 && advice == MADV_DONTNEED) {
		/* private views lose their copies there */
		end = range_end(a, len);
		for (k = 0; k < NV; k++)
			for (s = 0; s < w.v[k].nseg; s++) {
				struct mseg *g = &w.v[k].seg[s];
				uintptr_t lo = MAX(g->lo, a), hi = MIN(g->hi, end);

				if (lo < hi && !w.v[k].shared)
					copy_drop(&w.v[k],
					    (uint64_t)vfoff(&w.v[k], lo) / PAGE,
					    (uint64_t)vfoff(&w.v[k], hi) / PAGE);
			}
	}
}

/* seg_cut: the model of unmapping [a, end) from view v; with dry, only
 * whether it fits in NSEG parts */
static bool seg_cut(struct mview *v, uintptr_t a, uintptr_t end, bool dry)
{
	struct mseg out[NSEG * 2];
	int n = 0, s;

	for (s = 0; s < v->nseg; s++) {
		struct mseg g = v->seg[s];

		if (g.hi <= a || g.lo >= end) {
			out[n++] = g;
			continue;
		}
		if (g.lo < a) {
			out[n].lo = g.lo;
			out[n++].hi = a;
		}
		if (g.hi > end) {
			out[n].lo = end;
			out[n++].hi = g.hi;
		}
		if (!dry && !v->shared)
			copy_drop(v, (uint64_t)vfoff(v, MAX(g.lo, a)) / PAGE,
			    (uint64_t)vfoff(v, MIN(g.hi, end)) / PAGE);
	}
	if (!dry && n <= NSEG) {
		memcpy(v->seg, out, (size_t)n * sizeof(out[0]));
		v->nseg = n;
	}
	return n <= NSEG;
}

/* op_unmap: unmap any address and length, views in part or whole */
static void op_unmap(void)
{
	struct mview *vs;
	uintptr_t a = dec_addr(&vs), end;
	size_t len = dec_alen(a, vs);
	struct expect e = { 0 };
	bool fits = true;
	int k, ino;

	range_expect(&e, a, len, true);
	end = e.n == 0 ? range_end(a, len) : a;
	for (k = 0; k < NV; k++)
		fits = fits && seg_cut(&w.v[k], a, end, true);
	note("unmap(%#lx, len=%zu)", (unsigned long)a, len);
	if (fits &&
	    result(upager_unmap((void *)a, len), &e, 0, "upager_unmap") &&
	    len > 0) {
		for (k = 0; k < NV; k++) {
			ino = w.v[k].nseg > 0 ? w.v[k].ino : -1;
			seg_cut(&w.v[k], a, end, false);
			if (ino >= 0 && w.v[k].nseg == 0)
				released(ino);
		}
	}
}

/* op_check: stats, the invariant checker, and calls on NULL */
static void op_check(void)
{
	struct upager_stats st;
	int r;

	note("stats, check, strerror, destroy(NULL)");
	memset(&st, 0xa5, sizeof(st));
	CHECK(upager_stats(w.pg, &st) == 0);
	CHECK(st.resident <= st.budget_pages);
	CHECK(st.peak_resident <= st.budget_pages);
	CHECK(st.budget_pages == w.budget_pages);
	CHECK(st.page_size == PAGE);
	CHECK(upager_stats(NULL, &st) == -EINVAL);
	CHECK(upager_stats(w.pg, NULL) == -EINVAL);
	CHECK(upager_destroy(NULL) == -EINVAL);
	r = (int)u32();
	CHECK(upager_strerror(r) != NULL);
	CHECK(upager_strerror(r == INT_MIN ? 0 : -r) != NULL);
}

/*
 * op_external: a file no handle or view holds is written behind the
 * pager's back (after a sync_all, so that nothing of it is dirty): the
 * next open must see the change (its size changes).
 */
static void op_external(void)
{
	int p = u8() & 1, i = w.pathino[p], fd;
	uint16_t d = u16(), l = u16();
	uint8_t seed = u8();
	off_t off;
	size_t len;
	unsigned char *buf;

	if (i >= 0 && file_refs(i) == 0 && !w.file[i].toobig &&
	    w.file[i].size < LOW_SIZE) {
		off = w.file[i].size + d % 8192;
		len = 1 + (size_t)l;
		if (off + (off_t)len <= LOW_SIZE) {
			note("write file %d behind the pager's back: off=%lld, "
			    "len=%zu", i, (long long)off, len);
			CHECK(upager_sync_all(w.pg) == 0);
			disk_all("sync_all before a change behind the back");
			buf = malloc(len);
			CHECK(buf != NULL);
			fill(buf, len, seed, off);
			fd = open(w.path[p], O_WRONLY | O_CLOEXEC);
			CHECK(fd >= 0);
			CHECK(pwrite(fd, buf, len, off) == (ssize_t)len);
			CHECK(close(fd) == 0);
			did_write(i, off, buf, len);
			free(buf);
		}
	}
}

/* op_unlink: unlink a or b; we keep a descriptor to compare it later */
static void op_unlink(void)
{
	int p = u8() & 1, i = w.pathino[p];

	if (i >= 0) {
		note("unlink(%s) (file %d)", p == PATH_A ? "a" : "b", i);
		w.file[i].keepfd = open(w.path[p], O_RDONLY | O_CLOEXEC);
		CHECK(w.file[i].keepfd >= 0);
		CHECK(unlink(w.path[p]) == 0);
		w.file[i].path = -1;
		w.pathino[p] = -1;
		/* the pager drops the data of an unlinked file it holds
		 * no longer; one it persists is gone at once */
		released(i);
		if (w.file[i].toobig)
			w.file[i].moot = true;
	}
}

/* doomed: before a destroy: an unlinked file no writeable handle holds
 * loses what it had not written back (only a handle's close writes) */
static void doomed(void)
{
	int i, k;
	bool wh;

	for (i = 0; i < NINO; i++) {
		wh = false;
		for (k = 0; k < NH; k++)
			wh = wh || (w.h[k].f != NULL && w.h[k].ino == i &&
			    w.h[k].acc != O_RDONLY);
		if (w.file[i].used && w.file[i].path < 0 && !wh)
			w.file[i].moot = true;
	}
}

/* pager_gone: the pager was destroyed: handles and views are dead */
static void pager_gone(void)
{
	int k;

	for (k = 0; k < NH; k++)
		w.h[k].f = NULL;
	for (k = 0; k < NV; k++) {
		w.v[k].nseg = 0;
		free(w.v[k].copy);
		w.v[k].copy = NULL;
		w.v[k].ncopy = 0;
	}
	for (k = 0; k < NINO; k++) {
		w.file[k].junk = false;
		released(k);
	}
	w.pg = NULL;
}

/* op_restart: destroy with everything open, compare, make a new pager */
static void op_restart(void)
{
	note("destroy with handles and views open, create again");
	doomed();
	CHECK(upager_destroy(w.pg) == 0);
	disk_all("destroy");
	pager_gone();
	CHECK(upager_create(&w.cfg, &w.pg) == 0);
}

/* ---- one input ---- */

/* dec_config: the pager's configuration; an invalid one must be refused,
 * then a valid one is used */
static void dec_config(void)
{
	static const size_t budget[] = { 256 * PAGE, 0, 64 * PAGE,
	    64 * PAGE + 4095, 8 * MIB, 4 * MIB + 1, 63 * PAGE, 32 * MIB };
	static const size_t cluster[] = { 0, PAGE, 64 * KIB, MIB, 2 * PAGE,
	    (size_t)1 << 30, PAGE + 1, 3 * PAGE };
	static const size_t ra[] = { 0, PAGE, 128 * KIB, 4 * MIB, 64 * MIB, 2,
	    16 * KIB, MIB };
	static const unsigned syncer[] = { 0, 1, 20, 3600 * 1000 };
	uint8_t c1 = u8(), c2 = u8(), c3 = u8();
	struct upager_config *c = &w.cfg;
	upager_t *pg = NULL;
	bool bad;

	memset(c, 0, sizeof(*c));
	c->budget = budget[c1 & 7];
	c->cluster = cluster[c2 & 7];
	c->readahead = ra[(c2 >> 3) & 7];
	c->syncer_delay_ms = syncer[c3 & 3];
	c->flags = (c3 >> 2) & 3;
	if ((c3 & 0x30) == 0x30)
		c->flags |= 0x80;
	w.endmode = (c1 >> 4) & 3;
	bad = (c->budget != 0 && c->budget / PAGE < 64) ||
	    (c->cluster & (PAGE - 1)) || (c->readahead & (PAGE - 1)) ||
	    (c->flags & ~(UPAGER_NODIRECT | UPAGER_THREADIO));
	snprintf(w.cfgdesc, sizeof(w.cfgdesc), "config budget=%zu cluster=%zu "
	    "readahead=%zu syncer=%u flags=%#x end=%d dir=%s", c->budget,
	    c->cluster, c->readahead, c->syncer_delay_ms, c->flags, w.endmode,
	    w.dir);
	CHECK(upager_create(NULL, &pg) == -EINVAL);
	CHECK(upager_create(c, NULL) == -EINVAL);
	if (bad) {
		CHECK(upager_create(c, &pg) == -EINVAL);
		if (c->budget != 0 && c->budget / PAGE < 64)
			c->budget = 64 * PAGE;
		c->cluster &= ~(PAGE - 1);
		c->readahead &= ~(PAGE - 1);
		c->flags &= UPAGER_NODIRECT | UPAGER_THREADIO;
	}
	CHECK(upager_create(c, &w.pg) == 0);
	w.budget_pages = (c->budget != 0 ? c->budget : 256 * MIB) / PAGE;
}

/* dec_file: the initial contents of a or b, written with plain calls */
static void dec_file(int p)
{
	uint8_t k = u8(), seed = u8();
	off_t size = 0, off = 0;
	size_t len = 0;
	int fd, i;
	unsigned char *buf;

	switch (k % 8) {
	case 0: break;                          /* no file */
	case 1: len = 0; break;
	case 2: len = 1 + u16(); break;
	case 3: len = (size_t)(u8() % 65) * PAGE; break;
	case 4: len = u32() % (uint32_t)LOW_SIZE; break;
	case 5: size = HIGH_BASE + (off_t)(u32() % (uint32_t)HIGH_SIZE);
		off = (off_t)u16() + 1;
		off = size - MIN(off, size - HIGH_BASE);
		len = (size_t)(size - off);
		break;
	case 6: size = (off_t)(u32() % (uint32_t)(MAXF / (off_t)MIB)) *
		    (off_t)MIB; break;
	default: size = MAXF + 1 + u8(); break;
	}
	if (k % 8 != 0) {
		i = new_ino(p);
		fd = open(w.path[p], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		CHECK(fd >= 0);
		if (len > 0) {
			buf = malloc(len);
			CHECK(buf != NULL);
			fill(buf, len, seed, off);
			CHECK(pwrite(fd, buf, len, off) == (ssize_t)len);
			did_write(i, off, buf, len);
			free(buf);
		}
		if (size > w.file[i].size) {
			CHECK(ftruncate(fd, size) == 0);
			w.file[i].size = size;
			w.file[i].toobig = size > MAXF;
		}
		CHECK(close(fd) == 0);
	}
}

/* count_dir: the entries of a /proc directory (descriptors, threads) */
static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	CHECK(d != NULL);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* setup: the files' directory and its names, once per input */
static void setup(void)
{
	const char *base = getenv("UPAGER_FUZZ_DIR");
	uint8_t where = u8();
	int k;

	if (base == NULL || *base == '\0')
		base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if ((where & 3) == 3 && access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	snprintf(w.dir, sizeof(w.dir), "%s/upager-fuzz-XXXXXX", base);
	CHECK(mkdtemp(w.dir) != NULL);
	snprintf(w.path[PATH_A], sizeof(w.path[0]), "%s/a", w.dir);
	snprintf(w.path[PATH_B], sizeof(w.path[0]), "%s/b", w.dir);
	snprintf(w.path[P_L], sizeof(w.path[0]), "%s/l", w.dir);
	snprintf(w.path[P_D], sizeof(w.path[0]), "%s/d", w.dir);
	snprintf(w.path[P_MISS], sizeof(w.path[0]), "%s/none/x", w.dir);
	CHECK(symlink("a", w.path[P_L]) == 0);
	CHECK(mkdir(w.path[P_D], 0755) == 0);
	for (k = 0; k < NINO; k++)
		w.file[k].used = false;
	w.pathino[0] = w.pathino[1] = -1;
	if (w.noview == NULL) {
		w.noview = mmap(NULL, 16 * PAGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(w.noview != MAP_FAILED);
	}
}

/* finish: end the input: destroy (after closing all, or not), compare,
 * remove the files; the model's memory is cleared for the next */
static void finish(void)
{
	int k;

	note("end: mode %d", w.endmode);
	if (w.endmode == 1) {
		for (k = 0; k < NH; k++)
			if (w.h[k].f != NULL) {
				CHECK(upager_close(w.h[k].f) == 0);
				w.h[k].f = NULL;
			}
		for (k = 0; k < NV; k++) {
			int s;

			for (s = w.v[k].nseg - 1; s >= 0; s--)
				CHECK(upager_unmap((void *)w.v[k].seg[s].lo,
				    w.v[k].seg[s].hi - w.v[k].seg[s].lo) == 0);
			w.v[k].nseg = 0;
		}
		for (k = 0; k < NINO; k++)
			released(k);
	} else if (w.endmode == 2) {
		CHECK(upager_sync_all(w.pg) == 0);
		disk_all("sync_all at the end");
	}
	doomed();
	CHECK(upager_destroy(w.pg) == 0);
	disk_all("destroy at the end");
	pager_gone();
	for (k = 0; k < NINO; k++) {
		if (w.file[k].used && w.file[k].keepfd >= 0)
			CHECK(close(w.file[k].keepfd) == 0);
		if (w.file[k].lowhw > 0)
			memset(g_low[k], 0, (size_t)w.file[k].lowhw);
		if (w.file[k].highdirty)
			memset(g_high[k], 0, sizeof(g_high[k]));
		memset(&w.file[k], 0, sizeof(w.file[k]));
	}
	for (k = 0; k < NV; k++)
		memset(&w.v[k], 0, sizeof(w.v[k]));
	(void)unlink(w.path[PATH_A]);
	(void)unlink(w.path[PATH_B]);
	CHECK(unlink(w.path[P_L]) == 0);
	CHECK(rmdir(w.path[P_D]) == 0);
	CHECK(rmdir(w.dir) == 0);
}

/* LLVMFuzzerTestOneInput: one input: files, a pager, up to MAX_OPS calls
 * each checked, the end; no descriptor or thread may be left behind */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const ops[])(void) = { op_open, op_pread, op_pwrite,
	    op_truncate, op_size, op_sync, op_close, op_map, op_vread,
	    op_vwrite, op_msync, op_madvise, op_unmap, op_vio, op_sync_all,
	    op_check, op_external, op_unlink, op_restart, op_pread, op_pwrite,
	    op_map, op_vread, op_vwrite };
	const char *env = getenv("UPAGER_FUZZ_TRACE");
	int fds, threads, k;

	memset(w.ops, 0, sizeof(w.ops));
	w.trace = env != NULL && *env == '1';
	env = getenv("UPAGER_FUZZ_PENDING");
	w.pending = env != NULL && *env == '1';
	w.in = data;
	w.inlen = size;
	w.pos = 0;
	w.op = 0;
	fds = count_dir("/proc/self/fd");
	threads = count_dir("/proc/self/task");
	setup();
	dec_file(PATH_A);
	dec_file(PATH_B);
	dec_config();
	if (w.trace)
		fprintf(stderr, "fuzz_api: %s\n", w.cfgdesc);
	for (w.op = 1; w.op <= MAX_OPS && w.pos < w.inlen; w.op++) {
		ops[u8() % (sizeof(ops) / sizeof(ops[0]))]();
		if (dbg_check_pager(w.pg) != 0)
			fail("dbg_check_pager after the call");
	}
	finish();
	/* a thread joined, and io_uring's workers, leave /proc a moment
	 * after: wait up to a second before calling it a leak */
	for (k = 0; k < 200 && (count_dir("/proc/self/fd") != fds ||
	    count_dir("/proc/self/task") != threads); k++)
		usleep(5000);
	if (count_dir("/proc/self/fd") != fds)
		fail("descriptors: %d before the input, %d after", fds,
		    count_dir("/proc/self/fd"));
	if (count_dir("/proc/self/task") != threads)
		fail("threads: %d before the input, %d after", threads,
		    count_dir("/proc/self/task"));
	return 0;
}
