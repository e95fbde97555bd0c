/*
 * libarchive, loaded on first use (dl.h): artifacts are packed and unpacked with archive_* as
 * declared in <archive.h> and <archive_entry.h>; these definitions forward each call.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>

#include "dl.h"

#ifndef ED_SONAME_ARCHIVE
#error "ED_SONAME_ARCHIVE (libarchive's SONAME) comes from the Makefile"
#endif
_Static_assert(sizeof(ED_SONAME_ARCHIVE) > 1,
               "ED_SONAME_ARCHIVE is empty: is libarchive's -dev package installed?");

#define ARCHIVE_FUNCTIONS(X)                                                                       \
    X(archive_read_new)                                                                            \
    X(archive_read_support_filter_gzip)                                                            \
    X(archive_read_support_format_tar)                                                             \
    X(archive_read_open_filename)                                                                  \
    X(archive_read_next_header)                                                                    \
    X(archive_read_data_block)                                                                     \
    X(archive_read_free)                                                                           \
    X(archive_write_new)                                                                           \
    X(archive_write_disk_new)                                                                      \
    X(archive_write_disk_set_options)                                                              \
    X(archive_write_add_filter_gzip)                                                               \
    X(archive_write_set_format_pax_restricted)                                                     \
    X(archive_write_set_options)                                                                   \
    X(archive_write_set_bytes_in_last_block)                                                       \
    X(archive_write_open)                                                                          \
    X(archive_write_open_filename)                                                                 \
    X(archive_write_header)                                                                        \
    X(archive_write_data)                                                                          \
    X(archive_write_data_block)                                                                    \
    X(archive_write_finish_entry)                                                                  \
    X(archive_write_close)                                                                         \
    X(archive_write_free)                                                                          \
    X(archive_error_string)                                                                        \
    X(archive_entry_new)                                                                           \
    X(archive_entry_clear)                                                                         \
    X(archive_entry_free)                                                                          \
    X(archive_entry_pathname)                                                                      \
    X(archive_entry_filetype)                                                                      \
    X(archive_entry_size)                                                                          \
    X(archive_entry_symlink)                                                                       \
    X(archive_entry_hardlink)                                                                      \
    X(archive_entry_set_pathname)                                                                  \
    X(archive_entry_set_filetype)                                                                  \
    X(archive_entry_set_perm)                                                                      \
    X(archive_entry_set_size)                                                                      \
    X(archive_entry_set_uid)                                                                       \
    X(archive_entry_set_gid)                                                                       \
    X(archive_entry_set_mtime)                                                                     \
    X(archive_entry_set_symlink)                                                                   \
    X(archive_entry_set_hardlink)                                                                  \
    X(archive_set_error)

static ed_dl_lib lib = ED_DL_LIB_INIT(ED_SONAME_ARCHIVE);
static struct {
    ARCHIVE_FUNCTIONS(ED_DL_SLOT)
} fn;

static void load(void)
{
    ed_dl_open(&lib);
#define LOAD(name) ED_DL_LOAD(&lib, fn, name)
    ARCHIVE_FUNCTIONS(LOAD)
#undef LOAD
}

/* Loads libarchive once; ends the process if it cannot be loaded. */
static void need(void)
{
    pthread_once(&lib.once, load);
    if (!lib.handle)
        ed_dl_fail(&lib);
}

struct archive *archive_read_new(void)
{
    need();
    return fn.archive_read_new();
}

int archive_read_support_filter_gzip(struct archive *a)
{
    need();
    return fn.archive_read_support_filter_gzip(a);
}

int archive_read_support_format_tar(struct archive *a)
{
    need();
    return fn.archive_read_support_format_tar(a);
}

int archive_read_open_filename(struct archive *a, const char *path, size_t block_size)
{
    need();
    return fn.archive_read_open_filename(a, path, block_size);
}

int archive_read_next_header(struct archive *a, struct archive_entry **entry)
{
    need();
    return fn.archive_read_next_header(a, entry);
}

int archive_read_data_block(struct archive *a, const void **buf, size_t *size, la_int64_t *offset)
{
    need();
    return fn.archive_read_data_block(a, buf, size, offset);
}

int archive_read_free(struct archive *a)
{
    need();
    return fn.archive_read_free(a);
}

struct archive *archive_write_new(void)
{
    need();
    return fn.archive_write_new();
}

struct archive *archive_write_disk_new(void)
{
    need();
    return fn.archive_write_disk_new();
}

int archive_write_disk_set_options(struct archive *a, int flags)
{
    need();
    return fn.archive_write_disk_set_options(a, flags);
}

int archive_write_add_filter_gzip(struct archive *a)
{
    need();
    return fn.archive_write_add_filter_gzip(a);
}

int archive_write_set_format_pax_restricted(struct archive *a)
{
    need();
    return fn.archive_write_set_format_pax_restricted(a);
}

int archive_write_set_options(struct archive *a, const char *options)
{
    need();
    return fn.archive_write_set_options(a, options);
}

int archive_write_set_bytes_in_last_block(struct archive *a, int bytes)
{
    need();
    return fn.archive_write_set_bytes_in_last_block(a, bytes);
}

int archive_write_open(struct archive *a, void *client_data, archive_open_callback *opener,
                       archive_write_callback *writer, archive_close_callback *closer)
{
    need();
    return fn.archive_write_open(a, client_data, opener, writer, closer);
}

int archive_write_open_filename(struct archive *a, const char *path)
{
    need();
    return fn.archive_write_open_filename(a, path);
}

int archive_write_header(struct archive *a, struct archive_entry *entry)
{
    need();
    return fn.archive_write_header(a, entry);
}

la_ssize_t archive_write_data(struct archive *a, const void *buf, size_t n)
{
    need();
    return fn.archive_write_data(a, buf, n);
}

la_ssize_t archive_write_data_block(struct archive *a, const void *buf, size_t n, la_int64_t offset)
{
    need();
    return fn.archive_write_data_block(a, buf, n, offset);
}

int archive_write_finish_entry(struct archive *a)
{
    need();
    return fn.archive_write_finish_entry(a);
}

int archive_write_close(struct archive *a)
{
    need();
    return fn.archive_write_close(a);
}

int archive_write_free(struct archive *a)
{
    need();
    return fn.archive_write_free(a);
}

const char *archive_error_string(struct archive *a)
{
    need();
    return fn.archive_error_string(a);
}

struct archive_entry *archive_entry_new(void)
{
    need();
    return fn.archive_entry_new();
}

struct archive_entry *archive_entry_clear(struct archive_entry *entry)
{
    need();
    return fn.archive_entry_clear(entry);
}

void archive_entry_free(struct archive_entry *entry)
{
    need();
    fn.archive_entry_free(entry);
}

const char *archive_entry_pathname(struct archive_entry *entry)
{
    need();
    return fn.archive_entry_pathname(entry);
}

mode_t archive_entry_filetype(struct archive_entry *entry)
{
    need();
    return fn.archive_entry_filetype(entry);
}

la_int64_t archive_entry_size(struct archive_entry *entry)
{
    need();
    return fn.archive_entry_size(entry);
}

const char *archive_entry_symlink(struct archive_entry *entry)
{
    need();
    return fn.archive_entry_symlink(entry);
}

const char *archive_entry_hardlink(struct archive_entry *entry)
{
    need();
    return fn.archive_entry_hardlink(entry);
}

void archive_entry_set_pathname(struct archive_entry *entry, const char *value)
{
    need();
    fn.archive_entry_set_pathname(entry, value);
}

void archive_entry_set_filetype(struct archive_entry *entry, unsigned int type)
{
    need();
    fn.archive_entry_set_filetype(entry, type);
}

void archive_entry_set_perm(struct archive_entry *entry, mode_t mode)
{
    need();
    fn.archive_entry_set_perm(entry, mode);
}

void archive_entry_set_size(struct archive_entry *entry, la_int64_t value)
{
    need();
    fn.archive_entry_set_size(entry, value);
}

void archive_entry_set_uid(struct archive_entry *entry, la_int64_t value)
{
    need();
    fn.archive_entry_set_uid(entry, value);
}

void archive_entry_set_gid(struct archive_entry *entry, la_int64_t value)
{
    need();
    fn.archive_entry_set_gid(entry, value);
}

void archive_entry_set_mtime(struct archive_entry *entry, time_t sec, long int nsec)
{
    need();
    fn.archive_entry_set_mtime(entry, sec, nsec);
}

void archive_entry_set_symlink(struct archive_entry *entry, const char *value)
{
    need();
    fn.archive_entry_set_symlink(entry, value);
}

void archive_entry_set_hardlink(struct archive_entry *entry, const char *value)
{
    need();
    fn.archive_entry_set_hardlink(entry, value);
}

void archive_set_error(struct archive *a, int error, const char *fmt, ...)
{
    need();
    /* The library has no va_list variant: the message is formatted here. */
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn.archive_set_error(a, error, "%s", msg);
}
