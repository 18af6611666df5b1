/* upager.h: the public interface of upager, a user-space vnode pager */
#ifndef UPAGER_H
#define UPAGER_H

/*
 * upager keeps a bounded page cache in front of regular files and serves
 * pread/pwrite and memory-mapped views from the same pages.  The manual
 * page upager(3) says the same at more length.
 *
 * Conventions
 *   Every call returns 0 (or a byte count, or a size) on success and a
 *   negative errno value on failure.  No call sets errno.  Handles are opaque.
 *   All calls are thread-safe: any thread may use any handle, except that a
 *   handle must not be used during or after its own close/destroy.
 *
 * Caveats
 *   - upager assumes it is the only writer of the files it manages while they
 *     are open (or cached after close).  A change made behind its back by
 *     another process is seen only when the file is opened again and its
 *     size or modification time differs from what upager last saw.
 *   - Data written with upager_pwrite is in the page cache when the call
 *     returns; it reaches the file on upager_sync, upager_sync_all,
 *     upager_close, upager_destroy, when the budget forces write-back, or
 *     when the syncer thread finds it older than syncer_delay_ms.
 *     It is on stable storage only after upager_sync(..., UPAGER_SYNC_WAIT).
 *     A process that dies before then loses it, as with the kernel's cache.
 *   - A write-back error keeps the pages dirty and in the cache; it is
 *     reported once, by the next upager_sync of that file (or by
 *     upager_close / upager_destroy).  Pages that can never be written stay
 *     in the cache until the file is truncated or the pager destroyed.
 *   - Writes into holes allocate the file's blocks (fallocate) before they
 *     are acknowledged, so ENOSPC is reported by the write, not later, on
 *     file systems that support fallocate.
 *   - Where the file system supports O_DIRECT, file data is read with it so
 *     that pages are not cached twice (once by the kernel, once by upager);
 *     what the kernel's cache already holds is read from there.
 *   - After its last close a file's object and pages stay cached (with its
 *     descriptors open) for the next open, until the budget needs the
 *     frames, 32 other files persist, or the pager is
 *     destroyed.  A file unlinked after its last close keeps its blocks
 *     allocated until then, as a file held open would.
 *   - Files larger than UPAGER_MAX_FILE_SIZE (4 TiB) are refused (-EFBIG).
 *   - The frames count against RLIMIT_FSIZE like the file itself does.
 *   - A writeable MAP_SHARED view write-protects its whole range when it is
 *     made, to track writes: the kernel builds page tables for every page of
 *     it, mapped or not (8 bytes a page: 2 MiB for a 1 GiB view), where its
 *     own mmap builds them as pages are touched.  Map the part of a huge
 *     sparse file you use, not all of it.
 *   - Where transparent huge pages are enabled (always or madvise), reads
 *     land in a pool of huge pages and are copied into the cache, and
 *     write-back clusters are copied out into it: the device takes larger
 *     requests from it.  The pool, two read-ahead windows or four
 *     clusters (2 to 16 MiB), is memory outside the budget.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UPAGER_VERSION_MAJOR 0
#define UPAGER_VERSION_MINOR 1
#define UPAGER_VERSION_PATCH 0
#define UPAGER_VERSION_STRING "0.1.0"
#define UPAGER_VERSION \
	(UPAGER_VERSION_MAJOR * 10000 + UPAGER_VERSION_MINOR * 100 + \
	 UPAGER_VERSION_PATCH)

/* The largest file upager serves: 4 TiB (its pager map needs the room). */
#define UPAGER_MAX_FILE_SIZE ((off_t)1 << 42)

typedef struct upager upager_t;
typedef struct upager_file upager_file_t;

/*
 * Configuration.  A zeroed field takes its default:
 *   budget          256 MiB  most bytes of file data resident at once
 *                            (rounded down to pages; at least 64 pages)
 *   cluster          1 MiB   largest write-back I/O (MAXPHYS)
 *   readahead         1 MiB  largest read-ahead window
 *   syncer_delay_ms  30000   age after which the syncer thread writes dirty
 *                            pages back (and looks for pages written
 *                            through writeable views), without fdatasync
 *   flags            0       UPAGER_NODIRECT: never open files O_DIRECT;
 *                            UPAGER_THREADIO: do asynchronous I/O with
 *                            worker threads and pread, not io_uring
 *                            (the environment variable
 *                            UPAGER_IOENGINE=threads does the same)
 */
struct upager_config {
	size_t budget;
	size_t cluster;
	size_t readahead;
	unsigned syncer_delay_ms;
	unsigned flags;
};

#define UPAGER_NODIRECT 0x1u
#define UPAGER_THREADIO 0x2u

/* upager_stats.io_engine: the asynchronous I/O engine in use */
#define UPAGER_ENGINE_THREADS 1  /* worker threads with pread */
#define UPAGER_ENGINE_URING 2    /* io_uring */

/* upager_sync flags */
#define UPAGER_SYNC_WAIT 0x1        /* also fdatasync the file */
#define UPAGER_SYNC_INVALIDATE 0x2  /* drop the written pages from the cache */

/*
 * Counters, all since upager_create.  Write clusters are counted in
 * cluster_hist[i] by size in pages: bucket i holds sizes [2^i, 2^(i+1)).
 */
#define UPAGER_CLUSTER_BUCKETS 10
struct upager_stats {
	uint64_t pages_in;       /* pages filled from the file */
	uint64_t pages_out;      /* pages written to the file */
	uint64_t read_ios;       /* read system calls on files */
	uint64_t write_ios;      /* write system calls on files */
	uint64_t bytes_read;     /* bytes read from files */
	uint64_t bytes_written;  /* bytes written to files */
	uint64_t zero_fills;     /* pages zero-filled without I/O (holes, EOF) */
	uint64_t hits;           /* page lookups satisfied by the cache */
	uint64_t misses;         /* page lookups that needed a new page */
	uint64_t ra_pages;       /* pages brought in by read-ahead */
	uint64_t ra_used;        /* read-ahead pages later used */
	uint64_t ra_wasted;      /* read-ahead pages freed unused */
	uint64_t reclaimed;      /* pages freed to stay within the budget */
	uint64_t laundered;      /* dirty pages written to free them */
	uint64_t write_errors;   /* failed write-back I/Os */
	uint64_t read_errors;    /* failed page-in I/Os */
	uint64_t resident;       /* pages resident now */
	uint64_t peak_resident;  /* most pages resident at once */
	uint64_t budget_pages;   /* the budget, in pages */
	uint64_t page_size;      /* bytes per page */
	uint64_t objects;        /* file objects alive now (open or cached) */
	uint64_t cluster_hist[UPAGER_CLUSTER_BUCKETS];
	uint64_t io_engine;      /* UPAGER_ENGINE_URING, or _THREADS where
	                            io_uring is missing, disabled or not
	                            wanted */
	uint64_t pdaemon_passes; /* times the page daemon woke to reclaim */
	uint64_t deactivated;    /* pages unmapped from views to sample use */
	uint64_t reactivated;    /* of those, pages used again (a fault) */
	uint64_t faults;         /* faults on views served (page missing, or
	                            resident but not mapped there) */
};

/*
 * upager_create: make a pager.
 *   -EINVAL  cfg is NULL, budget below 64 pages, cluster or readahead not a
 *            multiple of the page size, unknown flags; or a malformed
 *            UPAGER_FAULTS / UPAGER_FAULTS_SEED (fault injection for tests,
 *            src/sys.h; one line on stderr says what is wrong)
 *   -ENOMEM  out of memory
 *   -EMFILE, -ENFILE and other errors of memfd_create/mmap
 */
int upager_create(const struct upager_config *cfg, upager_t **out);

/*
 * upager_destroy: write back every dirty page, close every file still open,
 * free everything.  Returns 0 or the first write-back error; the pager is
 * freed either way.  -EINVAL for NULL.
 */
int upager_destroy(upager_t *pg);

/*
 * upager_open: open a regular file.  oflags: O_RDONLY, O_WRONLY or O_RDWR,
 * with O_CREAT, O_EXCL, O_TRUNC (O_TRUNC needs write access), O_CLOEXEC,
 * O_NOFOLLOW.  Files are identified by device and inode: opening the same
 * file twice, under any name, shares one cache.
 *   -EINVAL  NULL argument, unknown flag, O_TRUNC without write access
 *   -EISDIR  path is a directory
 *   -ENODEV  path is not a regular file
 *   -EFBIG   the file is larger than UPAGER_MAX_FILE_SIZE
 *   -ENOENT, -EACCES, -EEXIST, -ELOOP, ... from open(2)
 *   -ENOMEM  out of memory
 */
int upager_open(upager_t *pg, const char *path, int oflags, mode_t mode,
    upager_file_t **out);

/*
 * upager_close: release the handle; a handle opened for writing first
 * writes back the file's dirty pages (a read-only one leaves them to the
 * file's writers, the syncer, sync_all and destroy).  The handle is gone
 * whatever the result; a write-back error (pages kept dirty, written by a
 * later sync_all/destroy) or a pending earlier one is returned.  -EINVAL
 * for NULL.
 */
int upager_close(upager_file_t *f);

/*
 * upager_pread: read up to len bytes at off.  Returns the count, short at
 * EOF or when an error stops it after some bytes, 0 at or past EOF.
 *   -EINVAL  NULL f, NULL buf with len > 0, off < 0, off + len overflows
 *   -EBADF   f was opened O_WRONLY
 *   -EIO     the file could not be read (nothing bad is left cached); the
 *            read's own error is passed on where it has one (-EAGAIN, ...)
 *   -ENOMEM  no page could be had
 */
ssize_t upager_pread(upager_file_t *f, void *buf, size_t len, off_t off);

/*
 * upager_pwrite: write len bytes at off, extending the file as needed.
 * Returns len, or a short count when an error stops it after some bytes.
 *   -EINVAL  NULL f, NULL buf with len > 0, off < 0, off + len overflows
 *   -EBADF   f was opened O_RDONLY
 *   -ENOSPC, -EDQUOT  blocks for a hole could not be allocated
 *   -EIO     a page that had to be read first could not be
 *   -ENOMEM  no page could be had, or no memory for its frame (memfd)
 *   -EFBIG   off + len beyond UPAGER_MAX_FILE_SIZE
 */
ssize_t upager_pwrite(upager_file_t *f, const void *buf, size_t len, off_t off);

/*
 * upager_truncate: set the file size, on disk and in the cache, all or
 * nothing: on an error the file and the cache are as they were.  Shrinking
 * drops cached pages past the new end (dirty ones too) and zeroes the tail
 * of the last page; growing adds zeros.
 *   -EINVAL  NULL f, size < 0
 *   -EFBIG   size beyond UPAGER_MAX_FILE_SIZE
 *   -EBADF   f was opened O_RDONLY
 *   -EIO and other errors of ftruncate(2)
 */
int upager_truncate(upager_file_t *f, off_t size);

/* upager_size: the file size as upager sees it, or -EINVAL for NULL. */
off_t upager_size(upager_file_t *f);

/*
 * upager_sync: write back the dirty pages of [off, off + len) (len 0: to
 * EOF).  UPAGER_SYNC_WAIT also fdatasyncs; UPAGER_SYNC_INVALIDATE drops the
 * range's clean pages from the cache afterwards.
 *   -EINVAL  NULL f, off < 0, len < 0, off + len overflows, unknown flags
 *   -EIO, -ENOSPC, ...  a write-back error, now or pending from background
 *            write-back (reported once; the pages stay dirty)
 */
int upager_sync(upager_file_t *f, off_t off, off_t len, int flags);

/*
 * upager_map: map [off, off + len) of the file, as mmap(2) would, served by
 * upager's pager: pages come in on demand through the same cache as
 * upager_pread, so every view and every pread/pwrite see the same bytes.
 * prot: PROT_READ and/or PROT_WRITE; flags: MAP_SHARED or MAP_PRIVATE
 * (exactly one).  off must be page-aligned; len may exceed the file size:
 * an access to a page wholly past EOF raises SIGBUS, as with the kernel's
 * mmap, and the bytes of the last page past EOF read as zeros and never
 * reach the file.  A view outlives the handle it came from.
 *   -EINVAL  NULL f or addr, len 0, off negative or unaligned, bad prot or
 *            flags
 *   -EACCES  f is O_WRONLY, or PROT_WRITE with MAP_SHARED on a handle not
 *            open O_RDWR
 *   -ENOTSUP the kernel lacks a userfaultfd feature views need
 *   -EPERM   userfaultfd is not allowed to this process
 *   -ENOMEM  out of memory or address space
 */
int upager_map(upager_file_t *f, off_t off, size_t len, int prot, int flags,
    void **addr);

/*
 * upager_unmap: unmap [addr, addr + len) of views, whole or in part; what
 * was written through it stays in the cache, dirty, to be written back.
 *   -EINVAL  addr not in a view of a live pager, or not page-aligned
 *   -ENOMEM  part of the range is not a view
 */
int upager_unmap(void *addr, size_t len);

/*
 * upager_msync: MS_SYNC writes back what views wrote in the range and
 * fdatasyncs; MS_ASYNC only marks it dirty (written back by the next sync,
 * close, or when the budget needs the frames); MS_INVALIDATE also drops
 * the range's pages from the cache once written.
 *   -EINVAL  bad flags, MS_SYNC with MS_ASYNC, addr not page-aligned
 *   -ENOMEM  part of the range is not a view
 *   -EIO, -ENOSPC, ...  a write-back error, now or kept from earlier
 */
int upager_msync(void *addr, size_t len, int flags);

/*
 * upager_madvise: MADV_NORMAL, MADV_SEQUENTIAL (larger read-ahead),
 * MADV_RANDOM (no read-ahead) apply to the views in the range;
 * MADV_WILLNEED reads the range into the cache now; MADV_DONTNEED drops
 * the range's mappings (a MAP_SHARED page keeps its data in the cache; a
 * MAP_PRIVATE view loses its private copies, as with the kernel).
 *   -EINVAL  unknown advice, addr not page-aligned
 *   -ENOMEM  part of the range is not a view
 */
int upager_madvise(void *addr, size_t len, int advice);

/* upager_sync_all: write back every writeable file.  0 or the first error. */
int upager_sync_all(upager_t *pg);

/* upager_stats: fill *st.  -EINVAL for NULL. */
int upager_stats(upager_t *pg, struct upager_stats *st);

/* upager_strerror: a static message for a negative (or positive) errno. */
const char *upager_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif /* UPAGER_H */
