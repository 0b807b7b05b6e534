/*
 * fault — a test-only fault-injection hook, compiled into every build but inert unless the environment variable
 * COMICBATCH_FAULT names a point. `fault_point("flush:after_commit")` kills the process with SIGKILL (no cleanup, no
 * atexit, exactly like kill -9 or a power cut) when COMICBATCH_FAULT is that name, or a comma-separated list that
 * contains it. The crash tests use it to stop a job between two of its steps; production never sets the variable.
 * Points (documented where they are placed): flush:after_staging, flush:after_commit, flush:before_drop.
 */
#ifndef COMICBATCH_FAULT_H
#define COMICBATCH_FAULT_H

/** Raises SIGKILL when COMICBATCH_FAULT selects `name`; otherwise returns at once. */
void fault_point(const char *name);

#endif
