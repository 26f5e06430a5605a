// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The error slot and the log hook, as log.h describes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dataplane.h"
#include "log.h"

/* Big enough for a failure's whole story (a few lines naming objects and paths) */
#define ERR_TEXT_MAX 8192

struct err_slot {
	int code;
	size_t len;
	size_t last; /* offset of the last line */
	char text[ERR_TEXT_MAX];
};

/* per thread: a daemon's requests run side by side, each with its own failure */
static __thread struct err_slot slot;

static void slot_vadd(const char *fmt, va_list ap)
{
	size_t room, start = slot.len;
	int n;

	if (slot.len && slot.len < sizeof(slot.text) - 1)
		slot.text[slot.len++] = '\n';
	room = sizeof(slot.text) - slot.len;
	n = vsnprintf(slot.text + slot.len, room, fmt, ap);
	if (n < 0) {
		slot.text[start] = '\0';
		slot.len = start;
		return;
	}
	slot.len += (size_t)n < room ? (size_t)n : room - 1;
	/* callers may or may not end their message with a newline */
	while (slot.len > start && slot.text[slot.len - 1] == '\n')
		slot.text[--slot.len] = '\0';
	slot.last = start && slot.text[start] == '\n' ? start + 1 : start;
}

void nb_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	slot_vadd(fmt, ap);
	va_end(ap);
}

int nb_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	slot_vadd(fmt, ap);
	va_end(ap);
	return nb_error_set_code(err);
}

int nb_error_set_code(int err)
{
	if (!slot.code)
		slot.code = err;
	return err;
}

int nb_error_code(void)
{
	return slot.code;
}

const char *nb_error_text(void)
{
	return slot.text;
}

const char *nb_error_msg(void)
{
	return slot.text + slot.last;
}

void nb_error_clear(void)
{
	slot.code = 0;
	slot.len = slot.last = 0;
	slot.text[0] = '\0';
}

/* ---- log ------------------------------------------------------------------ */

static nb_log_fn log_fn;
static void *log_arg;
static enum nb_log_level log_max = NB_LOG_INFO;

void nb_log_set(nb_log_fn fn, void *arg, enum nb_log_level max_level)
{
	log_fn = fn;
	log_arg = arg;
	log_max = fn ? max_level : NB_LOG_INFO;
}

int nb_log_enabled(enum nb_log_level level)
{
	return level <= log_max;
}

void nb_vlogf(enum nb_log_level level, const char *fmt, va_list ap)
{
	char msg[4096];
	size_t len;

	if (!nb_log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	if (log_fn)
		log_fn(level, msg, log_arg);
	else
		fprintf(stderr, "netbpf: %s\n", msg);
}

void nb_logf(enum nb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nb_vlogf(level, fmt, ap);
	va_end(ap);
}

void nb_debugf(const struct nb_instance *inst, const char *fmt, ...)
{
	va_list ap;

	if (!inst || !inst->verbose)
		return;
	va_start(ap, fmt);
	nb_vlogf(NB_LOG_DEBUG, fmt, ap);
	va_end(ap);
}
