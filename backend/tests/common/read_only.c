/* A filesystem that turns read-only under a running process, for `read_only.rs` (issue 14).
 *
 * Loaded into the server with LD_PRELOAD. While the file named by MFA_RESYNC_READ_ONLY_SWITCH
 * exists, every call that would change a file whose path starts with MFA_RESYNC_READ_ONLY_PREFIX
 * (the SQLite database, its -wal and -shm) fails with EROFS, as the kernel answers once it has
 * remounted a filesystem read-only: writes, syncs, truncation, allocation, removal, and opening
 * for writing. Remove the file and they succeed again. Calls on any other file pass through.
 *
 * Why a preload and not the kernel itself: a filesystem cannot be remounted read-only while a
 * file on it is open for writing (EBUSY) — the case to test; ext4's own error remount
 * (errors=remount-ro) can never be made writable again (emergency_ro), and needs root and a
 * loop device. The server, SQLite and every byte it reads are the real ones; only the errno of
 * the refused calls comes from here.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* Whether the switch is on and `path` is under the prefix. */
static int refused_path(const char *path) {
    const char *prefix = getenv("MFA_RESYNC_READ_ONLY_PREFIX");
    const char *on = getenv("MFA_RESYNC_READ_ONLY_SWITCH");
    if (prefix == NULL || on == NULL || path == NULL) return 0;
    if (strncmp(path, prefix, strlen(prefix)) != 0) return 0;
    return access(on, F_OK) == 0;
}

/* The same for an open file descriptor, by the path the kernel has for it. */
static int refused_fd(int fd) {
    if (getenv("MFA_RESYNC_READ_ONLY_SWITCH") == NULL) return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return 0;
    path[n] = '\0';
    return refused_path(path);
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define REFUSE(cond)   \
    if (cond) {        \
        errno = EROFS; \
        return -1;     \
    }

ssize_t write(int fd, const void *buf, size_t n) {
    REFUSE(refused_fd(fd));
    return REAL(write)(fd, buf, n);
}
ssize_t pwrite(int fd, const void *buf, size_t n, off_t at) {
    REFUSE(refused_fd(fd));
    return REAL(pwrite)(fd, buf, n, at);
}
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t at) {
    REFUSE(refused_fd(fd));
    return REAL(pwrite64)(fd, buf, n, at);
}
ssize_t writev(int fd, const struct iovec *iov, int count) {
    REFUSE(refused_fd(fd));
    return REAL(writev)(fd, iov, count);
}
int fsync(int fd) {
    REFUSE(refused_fd(fd));
    return REAL(fsync)(fd);
}
int fdatasync(int fd) {
    REFUSE(refused_fd(fd));
    return REAL(fdatasync)(fd);
}
int ftruncate(int fd, off_t size) {
    REFUSE(refused_fd(fd));
    return REAL(ftruncate)(fd, size);
}
int ftruncate64(int fd, off64_t size) {
    REFUSE(refused_fd(fd));
    return REAL(ftruncate64)(fd, size);
}
int fallocate(int fd, int mode, off_t at, off_t n) {
    REFUSE(refused_fd(fd));
    return REAL(fallocate)(fd, mode, at, n);
}
int posix_fallocate(int fd, off_t at, off_t n) {
    /* posix_fallocate returns the error instead of setting errno. */
    if (refused_fd(fd)) return EROFS;
    return REAL(posix_fallocate)(fd, at, n);
}
int unlink(const char *path) {
    REFUSE(refused_path(path));
    return REAL(unlink)(path);
}

static int writes(int flags) {
    return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

/* open and openat take a mode only with O_CREAT or O_TMPFILE; reading it always is how glibc
 * itself forwards them. */
#define OPEN(name, ...)                                 \
    va_list args;                                       \
    va_start(args, flags);                              \
    mode_t mode = va_arg(args, mode_t);                 \
    va_end(args);                                       \
    REFUSE(writes(flags) && refused_path(path));        \
    return REAL(name)(__VA_ARGS__, flags, mode);

int open(const char *path, int flags, ...) { OPEN(open, path) }
int open64(const char *path, int flags, ...) { OPEN(open64, path) }
int openat(int dir, const char *path, int flags, ...) { OPEN(openat, dir, path) }
int openat64(int dir, const char *path, int flags, ...) { OPEN(openat64, dir, path) }
