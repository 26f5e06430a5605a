/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A struct nb_metrics (metrics.h) as Prometheus text, for `metrics` and any daemon's /metrics. */
#ifndef NETBPF_PROMETHEUS_H
#define NETBPF_PROMETHEUS_H

#include <stddef.h>
#include <stdio.h>

#include "metrics.h"

/* Prometheus text exposition format (version 0.0.4) of m */
int nb_metrics_render(const struct nb_metrics *m, FILE *out);
/* A label value escaped as the exposition format wants (\\, \", \n) */
void nb_prom_escape(const char *in, char *out, size_t size);

#endif
