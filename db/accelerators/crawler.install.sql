-- crawler accelerator: announces a crawler.job that reaches failed/succeeded on channel comicbatch_crawler (the
-- NOTIFY is delivered on commit), so crawler.source_health counts it at once instead of at the next poll (every
-- minute). The trigger writes nothing: the count itself is made exactly once by the daemon (jobstate.crawler_outcome,
-- migration 002). The WHEN clauses keep every other insert or update of a job out of PL/pgSQL; the function needs
-- no privileges, so it is not SECURITY DEFINER.

CREATE FUNCTION jobstate.crawler_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('comicbatch_crawler', NEW.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER comicbatch_crawler_ins AFTER INSERT ON crawler.job FOR EACH ROW
    WHEN (NEW.status IN ('failed', 'succeeded')) EXECUTE FUNCTION jobstate.crawler_notify();
CREATE TRIGGER comicbatch_crawler_upd AFTER UPDATE OF status ON crawler.job FOR EACH ROW
    WHEN (NEW.status IN ('failed', 'succeeded') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION jobstate.crawler_notify();
