// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* NETBPF_FAULT=<step>: die at that step (fault.h) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

void nb_fault(const char *step)
{
	static const char prefix[] = "netbpfctl: fault injected at step ";
	const char *want = getenv("NETBPF_FAULT");

	if (!want || strcmp(want, step))
		return;
	/* write(2), not stdio: nothing buffered may reach the disk or the terminal later */
	if (write(STDERR_FILENO, prefix, sizeof(prefix) - 1) < 0 ||
	    write(STDERR_FILENO, step, strlen(step)) < 0 || write(STDERR_FILENO, "\n", 1) < 0)
		_exit(NB_FAULT_EXIT);
	_exit(NB_FAULT_EXIT);
}
