/*
 * fault — a test-only fault-injection hook, compiled into every build but inert unless the environment variable
 * COMICBATCH_FAULT names a point. `fault_point("flush:after_commit")` kills the process with SIGKILL (no cleanup, no
 * atexit, exactly like kill -9 or a power cut) when COMICBATCH_FAULT is that name, or a comma-separated list that
 * contains it. The crash tests use it to stop a job between two of its steps; production never sets the variable.
 * Points (documented where they are placed): flush:after_staging, flush:after_commit, flush:before_drop.
 * Stalls: an entry `name=MS` instead makes fault_stall_ms(name) return MS, for a point that should hang for a while
 * rather than die (leader:stall_in_write, a wedged scheduler thread in a live process).
 */
#ifndef COMICBATCH_FAULT_H
#define COMICBATCH_FAULT_H

#include <stdatomic.h>

/** Raises SIGKILL when COMICBATCH_FAULT selects `name`; otherwise returns at once. */
void fault_point(const char *name);

/** The stall configured for `name` in COMICBATCH_FAULT (`name=MS`), in milliseconds; 0 when none. */
int fault_stall_ms(const char *name);

/**
 * Stalls the calling thread for the stall configured for `name`, the first time any thread gets here; later calls
 * return at once. `*once` is the point's own state, a static initialised to -1 (the setting is read once); logs
 * `fault injection: stalling point=NAME ms=MS` before sleeping.
 */
void fault_stall_once(atomic_int *once, const char *name);

/** fault_stall_ms on an explicit spec string (pure, for tests). */
int fault_spec_stall_ms(const char *spec, const char *name);

#endif
