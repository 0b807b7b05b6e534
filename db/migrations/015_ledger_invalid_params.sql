-- 015_ledger_invalid_params: a scheduled slot whose run the run model refuses — the params stored on the schedule
-- (migration 013) no longer validate against the job's declared params, e.g. after an upgrade removed a param or
-- narrowed its range — is recorded in the missed-slot ledger as `invalid-params` (the detail holds the validation
-- message) and the schedule moves on, instead of the leader retrying the same refused slot on every tick.
-- The ledger is bounded per job (2,000 rows), so checking the new constraint against the existing rows is cheap.
ALTER TABLE system.batchmissed DROP CONSTRAINT batchmissed_reason_check;
ALTER TABLE system.batchmissed ADD CONSTRAINT batchmissed_reason_check
    CHECK (reason IN ('overlap', 'misfire-skipped', 'disabled', 'paused', 'unavailable', 'no-leader',
                      'invalid-schedule', 'invalid-params'));
