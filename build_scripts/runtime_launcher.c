/* jingan-desktop.exe on Windows: one file for the clerk, unpacked once per version.
 *
 * build_scripts/pack_runtime.py appends the PyInstaller folder build (the "runtime") to this
 * program, file by file, raw-deflate compressed, with a trailer naming the runtime
 * (<version>-<hash of the payload>). On start the launcher:
 *
 *   1. uses %LOCALAPPDATA%\jingan-desktop\runtime\<name>\ when it holds ".ready";
 *   2. otherwise unpacks into <name>.partial-<pid>-<ticks>\ (holding ".extracting" open, so
 *      nobody tidies it away meanwhile), checks every file's CRC-32, writes ".ready" last and
 *      renames the folder to <name> in one step. A start killed half-way leaves only a
 *      .partial folder, which no start ever runs; two clerks starting at once each unpack
 *      into their own folder, the first rename wins and the other uses the winner's folder;
 *   3. keeps <name>\.ready open (without delete sharing) while the app runs, so another
 *      version's launcher can tell the folder is in use;
 *   4. runs <name>\jingan-desktop.exe with its own arguments and standard handles, waits for
 *      it and returns its exit code;
 *   5. meanwhile tidies the runtime folder: other versions not in use, partial folders whose
 *      unpacker is gone, and folders left to delete.
 *
 * JINGAN_RUNTIME_DIR, when set, replaces %LOCALAPPDATA%\jingan-desktop\runtime (IT: a
 * profile without room for it; the tests and start-up measurements).
 * No library beyond Windows' own: inflate is in runtime_inflate.c (after zlib's puff.c). */

#define WIN32_LEAN_AND_MEAN
#ifndef UNICODE
#define UNICODE
#endif
#ifndef _UNICODE
#define _UNICODE
#endif
#include <windows.h>
#include <shlobj.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "runtime_inflate.h"
#include "runtime_payload.h"

#define PATH_MAX_W 32768

/* --- messages -------------------------------------------------------------------------------- */

static int has_stderr(void)
{
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    return err != NULL && err != INVALID_HANDLE_VALUE && GetFileType(err) != FILE_TYPE_UNKNOWN;
}

/* English on a redirected stderr (IT, scripts, tests); a Chinese message box for the clerk. */
static int fail(const char *english, const wchar_t *chinese, DWORD error)
{
    if (has_stderr()) {
        char line[512];
        DWORD written;
        int n = wsprintfA(line, "jingan-desktop: error: %s (Windows error %lu)\r\n", english,
                          (unsigned long)error);
        WriteFile(GetStdHandle(STD_ERROR_HANDLE), line, (DWORD)n, &written, NULL);
    } else {
        wchar_t text[1024];
        wsprintfW(text, L"%ls\n\n（Windows 错误代码 %lu）", chinese, (unsigned long)error);
        MessageBoxW(NULL, text, L"静安区政府重点工作跟踪", MB_OK | MB_ICONERROR);
    }
    return 3;
}

/* --- the payload ----------------------------------------------------------------------------- */

/* Where the appended data ends: before an Authenticode signature, if the file was signed. */
static uint64_t data_end(const uint8_t *base, uint64_t size)
{
    uint32_t pe, cert_offset;
    if (size < 0x40)
        return size;
    pe = u32_at(base + 0x3C);
    if ((uint64_t)pe + 24 + 152 > size || memcmp(base + pe, "PE\0\0", 4) != 0)
        return size;
    /* optional header at pe + 24; PE32+ data directories at +112, the security one is 5th */
    if (base[pe + 24] != 0x0b || base[pe + 25] != 0x02)
        return size;
    cert_offset = u32_at(base + pe + 24 + 112 + 4 * 8);
    return cert_offset != 0 && cert_offset < size ? cert_offset : size;
}

static int read_payload(Payload *p, const uint8_t *base, uint64_t size)
{
    return read_trailer(p, base, data_end(base, size));
}

/* --- folders --------------------------------------------------------------------------------- */

static void join(wchar_t *out, const wchar_t *a, const wchar_t *b)
{
    lstrcpynW(out, a, PATH_MAX_W);
    if (lstrlenW(out) + 1 + lstrlenW(b) >= PATH_MAX_W)
        return;
    lstrcatW(out, L"\\");
    lstrcatW(out, b);
}

/* Every folder of `path`, whatever exists already; a drive, a share's root or a folder we
 * may not create fails on its own and is skipped: what counts is that `path` is there. */
static int make_dirs(const wchar_t *path)
{
    wchar_t partial[PATH_MAX_W];
    int n = lstrlenW(path);
    DWORD attributes;
    for (int i = 1; i <= n; i++) {
        if ((path[i] != L'\\' && path[i] != 0) || path[i - 1] == L'\\')
            continue;
        lstrcpynW(partial, path, i + 1);
        CreateDirectoryW(partial, NULL);
    }
    attributes = GetFileAttributesW(path);
    return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY);
}

static void remove_tree(const wchar_t *folder)
{
    wchar_t pattern[PATH_MAX_W], child[PATH_MAX_W];
    WIN32_FIND_DATAW found;
    HANDLE find;
    join(pattern, folder, L"*");
    find = FindFirstFileW(pattern, &found);
    if (find != INVALID_HANDLE_VALUE) {
        do {
            if (lstrcmpW(found.cFileName, L".") == 0 || lstrcmpW(found.cFileName, L"..") == 0)
                continue;
            join(child, folder, found.cFileName);
            if (found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
                remove_tree(child);
            else {
                SetFileAttributesW(child, FILE_ATTRIBUTE_NORMAL);
                DeleteFileW(child);
            }
        } while (FindNextFileW(find, &found));
        FindClose(find);
    }
    RemoveDirectoryW(folder);
}

static int runtime_root(wchar_t *out)
{
    wchar_t base[MAX_PATH];
    DWORD n = GetEnvironmentVariableW(L"JINGAN_RUNTIME_DIR", out, PATH_MAX_W);
    if (n > 0 && n < PATH_MAX_W)
        return make_dirs(out);
    n = GetEnvironmentVariableW(L"LOCALAPPDATA", base, MAX_PATH);
    if (n == 0 || n >= MAX_PATH) {
        if (SHGetFolderPathW(NULL, CSIDL_LOCAL_APPDATA | CSIDL_FLAG_CREATE, NULL, 0, base) != S_OK)
            return 0;
    }
    join(out, base, L"jingan-desktop\\runtime");
    return make_dirs(out);
}

/* The folder's ".ready", opened so that nobody can delete it while the app runs. */
static HANDLE hold_ready(const wchar_t *folder)
{
    wchar_t ready[PATH_MAX_W];
    join(ready, folder, L".ready");
    return CreateFileW(ready, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                       FILE_ATTRIBUTE_NORMAL, NULL);
}

static int write_file(const wchar_t *path, const uint8_t *data, size_t size)
{
    HANDLE f = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    size_t done = 0;
    if (f == INVALID_HANDLE_VALUE)
        return 0;
    while (done < size) {
        DWORD chunk = size - done > (1u << 30) ? (1u << 30) : (DWORD)(size - done), written = 0;
        if (!WriteFile(f, data + done, chunk, &written, NULL) || written == 0) {
            CloseHandle(f);
            return 0;
        }
        done += written;
    }
    /* On disk before the folder is renamed complete: after a power cut the renamed folder
       never holds files that were still in the cache. */
    if (!FlushFileBuffers(f)) {
        CloseHandle(f);
        return 0;
    }
    return CloseHandle(f);
}

/* The entry's relative path as a Windows path under `folder`; 0 for anything unsafe. */
static int entry_path(wchar_t *out, const wchar_t *folder, const uint8_t *utf8, int len)
{
    wchar_t relative[PATH_MAX_W];
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, (const char *)utf8, len, relative,
                                PATH_MAX_W - 1);
    if (n <= 0)
        return 0;
    relative[n] = 0;
    if (relative[0] == L'/' || relative[0] == L'\\')
        return 0;
    for (int i = 0; i < n; i++) {
        if (relative[i] == L'/')
            relative[i] = L'\\';
        if (relative[i] == L':' || (relative[i] == L'.' && relative[i + 1] == L'.'))
            return 0;
    }
    join(out, folder, relative);
    return 1;
}

/* Unpack every file of the payload into `folder` (which exists and is empty). */
static int unpack(const Payload *p, const wchar_t *folder, DWORD *error)
{
    const uint8_t *at = p->base + p->offset, *end = at + p->size;
    wchar_t path[PATH_MAX_W];
    for (uint32_t i = 0; i < p->files; i++) {
        uint32_t path_len, method, crc;
        uint64_t size, packed;
        uint8_t *data;
        int ok;
        if (end - at < 28)
            return *error = ERROR_FILE_CORRUPT, 0;
        path_len = at[0] | (at[1] << 8);
        method = at[2];
        crc = u32_at(at + 4);
        size = u64_at(at + 8);
        packed = u64_at(at + 16);
        at += 24;
        if ((uint64_t)(end - at) < path_len + packed || size > ((uint64_t)1 << 32))
            return *error = ERROR_FILE_CORRUPT, 0;
        if (!entry_path(path, folder, at, (int)path_len))
            return *error = ERROR_INVALID_NAME, 0;
        at += path_len;
        for (wchar_t *slash = path + lstrlenW(folder) + 1; *slash; slash++) {
            if (*slash == L'\\') {
                *slash = 0;
                CreateDirectoryW(path, NULL);
                *slash = L'\\';
            }
        }
        if (method == 0) {
            if (packed != size || crc32_of(at, size) != crc)
                return *error = ERROR_FILE_CORRUPT, 0;
            ok = write_file(path, at, size);
        } else {
            data = malloc(size ? size : 1);
            if (data == NULL)
                return *error = ERROR_NOT_ENOUGH_MEMORY, 0;
            if (inflate_raw(data, size, at, packed) != 0 || crc32_of(data, size) != crc) {
                free(data);
                return *error = ERROR_FILE_CORRUPT, 0;
            }
            ok = write_file(path, data, size);
            free(data);
        }
        if (!ok)
            return *error = GetLastError(), 0;
        at += packed;
    }
    return 1;
}

/* Rename a folder; an antivirus scanner still reading a file just written inside makes
 * Windows refuse for a moment, so that refusal is retried for up to ten seconds. */
static int move_folder(const wchar_t *from, const wchar_t *to)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        DWORD error;
        if (MoveFileExW(from, to, 0))
            return 1;
        error = GetLastError();
        /* (a folder already there, another start's, also answers "access denied") */
        if ((error != ERROR_ACCESS_DENIED && error != ERROR_SHARING_VIOLATION) ||
            GetFileAttributesW(to) != INVALID_FILE_ATTRIBUTES)
            break;
        Sleep(100);
    }
    return 0;
}

/* The runtime folder of this version, unpacked if needed; its ".ready" is held open. */
static int ensure_runtime(const Payload *p, const wchar_t *root, wchar_t *final, HANDLE *held,
                          DWORD *error)
{
    wchar_t partial[PATH_MAX_W], lock[PATH_MAX_W], ready[PATH_MAX_W], aside[PATH_MAX_W];
    wchar_t name[80], suffix[64];
    HANDLE locked, marker;
    MultiByteToWideChar(CP_UTF8, 0, p->name, -1, name, 80);
    join(final, root, name);
    *held = hold_ready(final);
    if (*held != INVALID_HANDLE_VALUE)
        return 1;
    wsprintfW(suffix, L"%ls.partial-%lu-%lu", name, GetCurrentProcessId(), GetTickCount());
    join(partial, root, suffix);
    if (!CreateDirectoryW(partial, NULL))
        return *error = GetLastError(), 0;
    /* Held open (no sharing) while unpacking: a tidying launcher cannot delete it, and it
     * vanishes with this process, however it ends. */
    join(lock, partial, L".extracting");
    locked = CreateFileW(lock, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_FLAG_DELETE_ON_CLOSE, NULL);
    if (locked == INVALID_HANDLE_VALUE || !unpack(p, partial, error)) {
        if (locked == INVALID_HANDLE_VALUE)
            *error = GetLastError();
        else
            CloseHandle(locked);
        remove_tree(partial);
        return 0;
    }
    join(ready, partial, L".ready");
    if (!write_file(ready, (const uint8_t *)p->name, strlen(p->name))) {
        *error = GetLastError();
        CloseHandle(locked);
        remove_tree(partial);
        return 0;
    }
    CloseHandle(locked);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (move_folder(partial, final))
            break;
        *error = GetLastError();
        marker = hold_ready(final);
        if (marker != INVALID_HANDLE_VALUE) { /* another start won the race: use its folder */
            remove_tree(partial);
            *held = marker;
            return 1;
        }
        /* a folder of this name without ".ready" is no runtime: move it aside, once */
        wsprintfW(suffix, L"%ls.trash-%lu-%lu", name, GetCurrentProcessId(), GetTickCount());
        join(aside, root, suffix);
        if (attempt == 1 || !MoveFileExW(final, aside, 0)) {
            remove_tree(partial);
            return 0;
        }
    }
    *held = hold_ready(final);
    if (*held == INVALID_HANDLE_VALUE)
        return *error = GetLastError(), 0;
    return 1;
}

/* Other versions nobody runs, partial folders whose unpacker is gone, folders set aside. */
static void tidy(const wchar_t *root, const char *current)
{
    wchar_t pattern[PATH_MAX_W], folder[PATH_MAX_W], marker[PATH_MAX_W], aside[PATH_MAX_W];
    wchar_t name[80], suffix[PATH_MAX_W];
    WIN32_FIND_DATAW found;
    HANDLE find;
    MultiByteToWideChar(CP_UTF8, 0, current, -1, name, 80);
    join(pattern, root, L"*");
    find = FindFirstFileW(pattern, &found);
    if (find == INVALID_HANDLE_VALUE)
        return;
    do {
        const wchar_t *entry = found.cFileName;
        if (!(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || entry[0] == L'.' ||
            lstrcmpW(entry, name) == 0)
            continue;
        join(folder, root, entry);
        if (wcsstr(entry, L".trash-") != NULL) {
            remove_tree(folder);
            continue;
        }
        /* deleting the marker fails while its owner holds it: that folder stays */
        join(marker, folder, wcsstr(entry, L".partial-") != NULL ? L".extracting" : L".ready");
        if (!DeleteFileW(marker) && GetLastError() != ERROR_FILE_NOT_FOUND)
            continue;
        wsprintfW(suffix, L"%ls.trash-%lu-%lu", entry, GetCurrentProcessId(), GetTickCount());
        join(aside, root, suffix);
        if (MoveFileExW(folder, aside, 0))
            remove_tree(aside);
    } while (FindNextFileW(find, &found));
    FindClose(find);
}

/* --- the app --------------------------------------------------------------------------------- */

/* What follows the program name on the command line, as it was typed. */
static const wchar_t *arguments(void)
{
    const wchar_t *c = GetCommandLineW();
    if (*c == L'"') {
        for (c++; *c && *c != L'"'; c++)
            ;
        if (*c)
            c++;
    } else {
        while (*c && *c != L' ' && *c != L'\t')
            c++;
    }
    while (*c == L' ' || *c == L'\t')
        c++;
    return c;
}

static int run_app(const wchar_t *folder, int show, HANDLE *process, DWORD *error)
{
    wchar_t exe[PATH_MAX_W], self[PATH_MAX_W];
    const wchar_t *args = arguments();
    size_t length;
    wchar_t *command;
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    HANDLE job;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
    join(exe, folder, L"jingan-desktop.exe");
    length = lstrlenW(exe) + lstrlenW(args) + 4;
    command = malloc(length * sizeof(wchar_t));
    if (command == NULL)
        return *error = ERROR_NOT_ENOUGH_MEMORY, 0;
    wsprintfW(command, L"\"%ls\" %ls", exe, args);
    if (GetModuleFileNameW(NULL, self, PATH_MAX_W))
        SetEnvironmentVariableW(L"JINGAN_EXE", self);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES | STARTF_USESHOWWINDOW;
    si.wShowWindow = (WORD)show;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    if (!CreateProcessW(exe, command, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi)) {
        *error = GetLastError();
        free(command);
        return 0;
    }
    free(command);
    /* Ending the launcher (Task Manager) ends the app; programs the app starts (the PDF
     * viewer) stay out of the job and outlive it. */
    job = CreateJobObjectW(NULL, NULL);
    if (job != NULL) {
        memset(&limits, 0, sizeof limits);
        limits.BasicLimitInformation.LimitFlags =
            JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK;
        if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits) ||
            !AssignProcessToJobObject(job, pi.hProcess)) {
            CloseHandle(job);
            job = NULL;
        }
    }
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    *process = pi.hProcess; /* the job stays open until the launcher exits */
    return 1;
}

int WINAPI wWinMain(HINSTANCE instance, HINSTANCE previous, PWSTR command_line, int show)
{
    wchar_t self[PATH_MAX_W], root[PATH_MAX_W], folder[PATH_MAX_W];
    HANDLE file, mapping, held = INVALID_HANDLE_VALUE, process;
    LARGE_INTEGER size;
    const uint8_t *base;
    Payload payload;
    DWORD error = 0, code = 0;
    (void)instance;
    (void)previous;
    (void)command_line;
    if (!GetModuleFileNameW(NULL, self, PATH_MAX_W))
        return fail("cannot find its own file", L"找不到程序文件本身。", GetLastError());
    file = CreateFileW(self, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                       FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE || !GetFileSizeEx(file, &size))
        return fail("cannot read its own file", L"无法读取程序文件。", GetLastError());
    mapping = CreateFileMappingW(file, NULL, PAGE_READONLY, 0, 0, NULL);
    base = mapping ? MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0) : NULL;
    if (base == NULL)
        return fail("cannot read its own file", L"无法读取程序文件。", GetLastError());
    if (!read_payload(&payload, base, (uint64_t)size.QuadPart))
        return fail("the program file is incomplete or damaged: copy jingan-desktop.exe again",
                    L"程序文件不完整或已损坏，请重新复制 jingan-desktop.exe。", ERROR_FILE_CORRUPT);
    if (!runtime_root(root))
        return fail("cannot create the folder %LOCALAPPDATA%\\jingan-desktop\\runtime",
                    L"无法创建文件夹 %LOCALAPPDATA%\\jingan-desktop\\runtime。", GetLastError());
    if (!ensure_runtime(&payload, root, folder, &held, &error))
        return fail("cannot unpack the program into %LOCALAPPDATA%\\jingan-desktop\\runtime "
                    "(disk full, or the program file damaged?)",
                    L"无法将程序解压到 %LOCALAPPDATA%\\jingan-desktop\\runtime（磁盘已满，或程序文件已损坏？）。",
                    error);
    UnmapViewOfFile(base);
    CloseHandle(mapping);
    CloseHandle(file);
    if (!run_app(folder, show, &process, &error))
        return fail("cannot start the program", L"无法启动程序。", error);
    tidy(root, payload.name);
    WaitForSingleObject(process, INFINITE);
    if (!GetExitCodeProcess(process, &code))
        code = 1;
    CloseHandle(held);
    return (int)code;
}
