-- fillfactor accelerator, removed: the tables' default packing (owner only).
ALTER TABLE core.comic RESET (fillfactor);
ALTER TABLE core.chapter RESET (fillfactor);
