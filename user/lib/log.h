/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Errors and log of libnetbpf. The library never prints: a call that fails
 * returns -errno and leaves, in the calling thread's error slot, one or more
 * lines naming the object and the cause ("network \"web\": subnet ... overlaps
 * ..."); the front end reads the slot and shows it its own way (netbpfctl on
 * stderr, the CNI plugin in the spec's error JSON, a daemon in its reply).
 * The slot is per thread, so a threaded daemon's requests do not mix, and it
 * accumulates until nb_error_clear(): a call that fails after an inner one
 * explained the cause adds its own line after it.
 *
 * What is not an error (a warning the call got past, a progress line such as
 * `up`'s "created network ...", -v debug) goes through one hook, set with
 * nb_log_set(); without one, warnings and info go to stderr, debug nowhere.
 */
#ifndef NETBPF_LOG_H
#define NETBPF_LOG_H

#include <stdarg.h>

struct nb_instance;

/* ---- errors --------------------------------------------------------------- */

/* Adds a line (a trailing newline is dropped) to this thread's error slot */
void nb_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, and records err as the slot's code unless one is recorded; returns err */
int nb_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records err as the slot's code unless one is recorded; returns err */
int nb_error_set_code(int err);
/*
 * The code recorded with the message (-errno), 0 when none was: then the failing call's
 * return value is the code.
 */
int nb_error_code(void);
/* Every line since the last clear, '\n' between them; "" when none */
const char *nb_error_text(void);
/* The last line: what the outermost call that failed says; "" when none */
const char *nb_error_msg(void);
/* Empties the slot (a front end does it before each request) */
void nb_error_clear(void);

/* ---- log ------------------------------------------------------------------ */

enum nb_log_level {
	NB_LOG_WARN,   /* something went wrong but the call went on ("no default route: ...") */
	NB_LOG_INFO,   /* what a call did, line by line ("created network ...", "removed ...") */
	NB_LOG_DEBUG,  /* -v: what a call attached, skipped, found */
	NB_LOG_LIBBPF, /* -v -v: libbpf's own messages */
};

/* msg has no trailing newline */
typedef void (*nb_log_fn)(enum nb_log_level level, const char *msg, void *arg);

/*
 * Where log lines go, up to max_level (higher levels are dropped before they are
 * formatted); fn NULL: back to the default (stderr, up to NB_LOG_INFO).
 */
void nb_log_set(nb_log_fn fn, void *arg, enum nb_log_level max_level);
void nb_logf(enum nb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nb_vlogf(enum nb_log_level level, const char *fmt, va_list ap);
/* Whether a line of level would go anywhere */
int nb_log_enabled(enum nb_log_level level);
/* nb_logf(NB_LOG_DEBUG, ...) when inst says -v */
void nb_debugf(const struct nb_instance *inst, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
