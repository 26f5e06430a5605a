/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Checking and repairing the pins of a live data plane.
 *
 * A pin removed by hand (`rm PIN/nb_publish`) leaves the map alive as long as
 * a loaded program uses it, but every command reopens maps by their pins:
 * `publish` then failed with ENOENT while `status` and `up` saw nothing
 * wrong. The expected pins come from this build's objects
 * (nb_dp_pins_foreach) and the owner record (owner.h); a map's pin must also
 * be the very map the loaded programs use. `up` re-pins a missing map from
 * the programs that still hold it, so its entries survive.
 */
#ifndef NETBPF_PINS_H
#define NETBPF_PINS_H

#include <stdbool.h>

struct nb_instance;

/* One line about one pin: a problem (check) or what was done (repair) */
typedef void (*nb_pins_report_fn)(void *arg, const char *line);

/*
 * Reports every missing or wrong pin, and with owner a missing owner record
 * (`up` writes that last); returns how many, or -errno
 */
int nb_pins_check(const struct nb_instance *inst, bool owner, nb_pins_report_fn fn, void *arg);
/*
 * Re-pins every map whose pin is missing, from the loaded programs that
 * hold it; returns how many, or -errno. A map no loaded program holds, or a
 * pin that is another map, is not repaired here (nb_pins_check names it).
 */
int nb_pins_repair(const struct nb_instance *inst, nb_pins_report_fn fn, void *arg);

#endif
