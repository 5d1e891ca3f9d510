/* jingan-desktop on Linux: one file for the clerk, unpacked once per version.
 *
 * build_scripts/pack_runtime.py appends the PyInstaller folder build (the "runtime") to this
 * program, file by file, raw-deflate compressed, with a trailer naming the runtime
 * (<version>-<hash of the payload>); the same format as the Windows launcher's. On start:
 *
 *   1. it uses $JINGAN_RUNTIME_DIR, else $XDG_CACHE_HOME/jingan-desktop/runtime, else
 *      ~/.cache/jingan-desktop/runtime, and there the folder <name>/ when it holds ".ready";
 *   2. otherwise it unpacks into <name>.partial-<pid>-<time>/ (holding an exclusive lock on
 *      its ".extracting" meanwhile), checks every file's CRC-32, flushes the disk, writes
 *      ".ready" last and renames the folder to <name> in one step. A start killed half-way
 *      leaves only a .partial folder, which no start ever runs (a later start deletes it);
 *      two starts at once each unpack into their own folder, the first rename wins and the
 *      other uses the winner's folder;
 *   3. it holds a shared lock on <name>/.ready for as long as the app runs (the descriptor is
 *      inherited by the app), so another version's launcher can tell the folder is in use;
 *   4. it tidies the runtime folder: other versions nobody runs, partial folders whose
 *      unpacker is gone, folders set aside (a glance at one folder, unless there is some);
 *   5. it becomes <name>/jingan-desktop (execv) with its own arguments: same process, same
 *      standard streams, the app's exit code is the program's.
 *
 * Needs only the C library and zlib (linked in statically by build_scripts/build.py). */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "runtime_payload.h"

#define RECORD_SIZE 24
#define FLAG_EXECUTABLE 1
#define FLAG_SYMLINK 2
#define INNER_EXE "jingan-desktop"

static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "jingan-desktop: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

static int read_payload(Payload *p, const uint8_t *base, uint64_t end)
{
    return read_trailer(p, base, end);
}

/* --- folders --------------------------------------------------------------------------------- */

static int make_dirs(const char *path)
{
    char partial[PATH_MAX];
    size_t n = strlen(path);
    if (n >= PATH_MAX)
        return 0;
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        memcpy(partial, path, i);
        partial[i] = 0;
        if (mkdir(partial, 0700) != 0 && errno != EEXIST)
            return 0;
    }
    return 1;
}

static void remove_tree(const char *folder)
{
    char child[PATH_MAX];
    struct dirent *entry;
    struct stat st;
    DIR *dir = opendir(folder);
    if (dir != NULL) {
        while ((entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                continue;
            snprintf(child, sizeof child, "%s/%s", folder, entry->d_name);
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(child);
            else
                unlink(child);
        }
        closedir(dir);
    }
    rmdir(folder);
}

static int runtime_root(char *out, size_t size)
{
    const char *given = getenv("JINGAN_RUNTIME_DIR");
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (given && given[0])
        snprintf(out, size, "%s", given);
    else if (cache && cache[0] == '/')
        snprintf(out, size, "%s/jingan-desktop/runtime", cache);
    else if (home && home[0])
        snprintf(out, size, "%s/.cache/jingan-desktop/runtime", home);
    else
        return 0;
    return make_dirs(out);
}

/* The folder's ".ready" with a lock on it (shared: the app runs from it; exclusive and not
 * waiting: nobody runs it), or -1. The lock is on the file that is still there. */
static int lock_marker(const char *folder, const char *marker, int how)
{
    char path[PATH_MAX];
    struct stat held, now;
    int fd;
    snprintf(path, sizeof path, "%s/%s", folder, marker);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    if (flock(fd, how) != 0 || fstat(fd, &held) != 0 || stat(path, &now) != 0 ||
        held.st_ino != now.st_ino || held.st_dev != now.st_dev) {
        close(fd);
        return -1;
    }
    return fd;
}

/* --- unpacking ------------------------------------------------------------------------------- */

static int inflate_to(int fd, const uint8_t *in, uint64_t packed, uint64_t size, uint32_t crc)
{
    static uint8_t buffer[1 << 20];
    z_stream z;
    uint32_t check = (uint32_t)crc32(0L, Z_NULL, 0);
    uint64_t written = 0;
    int rc;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK)
        return 0;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)packed; /* each file is far below 4 GiB */
    do {
        z.next_out = buffer;
        z.avail_out = sizeof buffer;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        size_t got = sizeof buffer - z.avail_out;
        check = (uint32_t)crc32(check, buffer, (uInt)got);
        if (got && write(fd, buffer, got) != (ssize_t)got)
            break;
        written += got;
    } while (rc != Z_STREAM_END);
    inflateEnd(&z);
    return rc == Z_STREAM_END && written == size && check == crc;
}

static int write_all(int fd, const uint8_t *data, uint64_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size > (1 << 30) ? (1 << 30) : (size_t)size);
        if (n <= 0)
            return 0;
        data += n;
        size -= (uint64_t)n;
    }
    return 1;
}

static int unpack(const Payload *p, const char *folder)
{
    const uint8_t *at = p->base + p->offset, *end = at + p->size;
    char path[PATH_MAX], name[PATH_MAX];
    for (uint32_t i = 0; i < p->files; i++) {
        if (end - at < RECORD_SIZE)
            return 0;
        unsigned length = at[0] | at[1] << 8, method = at[2], flags = at[3];
        uint32_t crc = u32_at(at + 4);
        uint64_t size = u64_at(at + 8), packed = u64_at(at + 16);
        at += RECORD_SIZE;
        if (length == 0 || length >= PATH_MAX || (uint64_t)(end - at) < length + packed)
            return 0;
        memcpy(name, at, length);
        name[length] = 0;
        at += length;
        if (name[0] == '/' || strstr(name, "..") != NULL)
            return 0; /* never outside the folder */
        snprintf(path, sizeof path, "%s/%s", folder, name);
        char *slash = strrchr(path, '/');
        *slash = 0;
        if (!make_dirs(path))
            return 0;
        *slash = '/';
        if (flags & FLAG_SYMLINK) { /* a library linked to its package's copy */
            char target[PATH_MAX];
            if (method != 0 || packed != size || size == 0 || size >= PATH_MAX)
                return 0;
            memcpy(target, at, size);
            target[size] = 0;
            if (target[0] == '/' || strstr(target, "..") != NULL || symlink(target, path) != 0)
                return 0;
            at += packed;
            continue;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, (flags & FLAG_EXECUTABLE) ? 0755 : 0644);
        if (fd < 0)
            return 0;
        int ok = method == 8   ? inflate_to(fd, at, packed, size, crc)
                 : method == 0 ? packed == size && (uint32_t)crc32(0L, at, (uInt)size) == crc &&
                                     write_all(fd, at, size)
                               : 0;
        if (close(fd) != 0 || !ok)
            return 0;
        at += packed;
    }
    return 1;
}

static int write_marker(const char *folder, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/.ready", folder);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return 0;
    int ok = write_all(fd, (const uint8_t *)name, strlen(name)) && fsync(fd) == 0;
    return close(fd) == 0 && ok;
}

static void aside_name(char *out, size_t size, const char *root, const char *entry,
                       const char *kind)
{
    snprintf(out, size, "%s/%s.%s-%ld-%ld", root, entry, kind, (long)getpid(),
             (long)time(NULL));
}

/* The runtime folder of this version, unpacked if needed; returns the shared lock on its
 * ".ready" (or -1 with errno set). */
static int ensure_runtime(const Payload *p, const char *root, char *final, size_t size)
{
    char partial[PATH_MAX], aside[PATH_MAX];
    int held, locked, error;
    snprintf(final, size, "%s/%s", root, p->name);
    held = lock_marker(final, ".ready", LOCK_SH);
    if (held >= 0)
        return held;
    aside_name(partial, sizeof partial, root, p->name, "partial");
    if (mkdir(partial, 0700) != 0)
        return -1;
    {
        char lock[PATH_MAX];
        snprintf(lock, sizeof lock, "%s/.extracting", partial);
        locked = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    errno = 0; /* a damaged record sets none: then the message says EIO */
    if (locked < 0 || flock(locked, LOCK_EX) != 0 || !unpack(p, partial) ||
        syncfs(locked) != 0 || !write_marker(partial, p->name)) {
        error = errno ? errno : EIO;
        remove_tree(partial);
        if (locked >= 0)
            close(locked);
        errno = error;
        return -1;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        if (rename(partial, final) == 0)
            break;
        held = lock_marker(final, ".ready", LOCK_SH);
        if (held >= 0) { /* another start won the race: use its folder */
            remove_tree(partial);
            close(locked);
            return held;
        }
        /* a folder of this name without ".ready" is no runtime: move it aside, once */
        aside_name(aside, sizeof aside, root, p->name, "trash");
        if (attempt == 1 || rename(final, aside) != 0) {
            error = errno;
            remove_tree(partial);
            close(locked);
            errno = error;
            return -1;
        }
    }
    held = lock_marker(final, ".ready", LOCK_SH);
    {
        char lock[PATH_MAX];
        snprintf(lock, sizeof lock, "%s/.extracting", final);
        unlink(lock);
    }
    close(locked);
    return held;
}

/* Other versions nobody runs, partial folders whose unpacker is gone, folders set aside. */
static void tidy(const char *root, const char *current)
{
    char folder[PATH_MAX], aside[PATH_MAX];
    struct dirent *entry;
    DIR *dir = opendir(root);
    if (dir == NULL)
        return;
    while ((entry = readdir(dir)) != NULL) {
        const char *e = entry->d_name;
        if (e[0] == '.' || strcmp(e, current) == 0)
            continue;
        snprintf(folder, sizeof folder, "%s/%s", root, e);
        if (strstr(e, ".trash-") != NULL) {
            remove_tree(folder);
            continue;
        }
        int partial = strstr(e, ".partial-") != NULL;
        int fd = lock_marker(folder, partial ? ".extracting" : ".ready", LOCK_EX | LOCK_NB);
        if (fd < 0) {
            char marker[PATH_MAX];
            struct stat st;
            snprintf(marker, sizeof marker, "%s/%s", folder, partial ? ".extracting" : ".ready");
            if (stat(marker, &st) == 0 || stat(folder, &st) != 0 || !S_ISDIR(st.st_mode))
                continue; /* in use (or not a folder of ours) */
            if (partial && st.st_mtime > time(NULL) - 60)
                continue; /* just made: its unpacker may not hold ".extracting" yet */
        }
        aside_name(aside, sizeof aside, root, e, "trash");
        if (rename(folder, aside) == 0)
            remove_tree(aside);
        if (fd >= 0)
            close(fd);
    }
    closedir(dir);
}

int main(int argc, char **argv)
{
    char root[PATH_MAX], folder[PATH_MAX], exe[PATH_MAX], self[PATH_MAX];
    struct stat st;
    (void)argc;
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return fail("cannot find its own file", strerror(errno));
    self[n] = 0;
    int fd = open(self, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0)
        return fail("cannot read its own file", strerror(errno));
    const uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED)
        return fail("cannot read its own file", strerror(errno));
    Payload payload;
    if (!read_payload(&payload, base, (uint64_t)st.st_size))
        return fail("the program file is incomplete or damaged: copy jingan-desktop again", NULL);
    if (!runtime_root(root, sizeof root))
        return fail("cannot create the folder ~/.cache/jingan-desktop/runtime (set "
                    "JINGAN_RUNTIME_DIR to a writable folder)",
                    strerror(errno));
    /* the shared lock on .ready: left open, so that the app holds it (execv keeps it) */
    int held = ensure_runtime(&payload, root, folder, sizeof folder);
    if (held < 0)
        return fail("cannot unpack the program (disk full, or the program file damaged?); "
                    "JINGAN_RUNTIME_DIR chooses another folder",
                    strerror(errno));
    munmap((void *)base, (size_t)st.st_size);
    close(fd);
    tidy(root, payload.name);
    snprintf(exe, sizeof exe, "%s/%s", folder, INNER_EXE);
    setenv("JINGAN_EXE", self, 1);
    argv[0] = exe;
    execv(exe, argv);
    return fail("cannot start the program (a folder mounted noexec? JINGAN_RUNTIME_DIR "
                "chooses another)",
                strerror(errno));
}
