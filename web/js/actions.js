// actions.js — every card of the maintenance page, in one list. Adding a card is adding one entry: its texts (the
// seed's words), its endpoint, what the confirmation says will happen, and how the answer becomes a toast. A card
// is shown only when this server answers its endpoint (GET /api/v1/admin/routes), so entries can be written before
// their endpoint lands. Texts use the tiny markup of ui.rich(): `code`, **strong**, [label](href).

import { fmt, h } from './ui.js';

/** Turns a camelCase meta key into words: comicsUpdated → "Comics updated". */
export function humanKey(k) {
  const words = k.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function metaValue(k, v) {
  if (Array.isArray(v)) return v.length ? v.join(', ') : 'none';
  if (v && typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number' && /bytes/i.test(k)) return v >= 1024 ? `${fmt.bytes(v)} (${fmt.num(v)} bytes)` : fmt.bytes(v);
  if (typeof v === 'number' && /ms$/i.test(k)) return fmt.duration(v);
  if (typeof v === 'number') return fmt.num(v);
  return String(v);
}

/** Toast fields for a finished run: rows affected, duration, and every meta counter. */
export function runFields(run) {
  const f = [];
  if (run.rowsaffected !== null && run.rowsaffected !== undefined) f.push(['Rows affected', fmt.num(run.rowsaffected), 'rowsaffected']);
  if (run.durationms !== null && run.durationms !== undefined) f.push(['Duration', fmt.duration(run.durationms), 'durationms']);
  for (const [k, v] of Object.entries(run.meta || {})) f.push([humanKey(k), metaValue(k, v), k]);
  return f;
}

/** An entry that queues a batch job through one of the seed's trigger endpoints (answer: 202 + the queued run). */
function job(e) {
  return { kind: 'job', group: 'jobs', method: 'POST', returns: 'BatchJobRun (202, queued)', ...e };
}

export const ACTIONS = [
  {
    id: 'invalidate-metadata-hashes',
    group: 'catalog',
    title: 'Invalidate metadata hashes',
    method: 'POST',
    path: '/api/v1/series/invalidate-metadata-hashes',
    returns: '{ invalidated, skippedManual }',
    what: [
      'Clears the `metadata_hash` column on every provider-backed series row. The next series-row refresh tick rewrites each affected row from the canonical provider metadata instead of short-circuiting on a hash match. Manual rows are skipped.',
    ],
    useWhen: [
      'A new denormalized column was added to the `series` table and existing rows still show the old shape (e.g. `NULL` volumes or chapters after a migration that added `total_volumes`).',
      'You suspect the persisted metadata has drifted from what the provider currently publishes and want to force a full rewrite.',
    ],
    notes: [
      'The clear itself is cheap (one UPDATE). The work that matters is the refresh that follows. Either hit [Refresh all series metadata](#refresh-all-series-metadata) below or wait for the next `metadata.series_refresh.cron` tick.',
    ],
    button: 'Invalidate hashes',
    danger: true,
    confirm: [
      'Every provider-backed series row loses its `metadata_hash`, so the next refresh rewrites each of them from the provider instead of skipping unchanged ones. Manual rows are not touched.',
      'Nothing is rewritten until a refresh runs; the clear cannot be undone, but it only costs a fuller refresh.',
    ],
    result: (d) => ({
      tone: 'ok',
      title: 'Metadata hashes invalidated',
      fields: [['Rows invalidated', fmt.num(d.invalidated), 'invalidated'], ['Manual rows skipped', fmt.num(d.skippedManual), 'skippedManual'],
        d.alreadyClear !== undefined ? ['Already clear', fmt.num(d.alreadyClear), 'alreadyClear'] : null].filter(Boolean),
      body: 'The next series refresh rewrites these rows from the provider.',
    }),
  },
  {
    id: 'refresh-all-series-metadata',
    group: 'catalog',
    title: 'Refresh all series metadata',
    method: 'POST',
    path: '/api/v1/series/refresh-all',
    returns: '{ triggered, skipped, batchSize, minAgeDays, provider }',
    what: [
      'Triggers a series-metadata refresh tick against the active provider right now, instead of waiting for the next `metadata.series_refresh.cron` tick. Honors the configured `batch_size` and `min_age_days`; manual rows are always skipped.',
      'Pair it with **Invalidate metadata hashes** above when adding a denormalized column. Use it standalone to amortize a backlog after a fresh dump refresh.',
    ],
    notes: [
      'The trigger shares the provider-scoped job lock with the scheduled cron — a manual trigger that lands while a refresh is in flight returns `{ triggered: false }` rather than starting a second batch.',
      'The card reflects the result in a toast and the in-flight pill on the [Providers page](/admin/providers) shows live progress while the tick runs.',
    ],
    button: 'Refresh now',
    confirm: [
      'Starts one `metadata.series_refresh` tick against the active provider now: up to `batch_size` provider-backed rows older than `min_age_days` are re-read from the provider and rewritten where they changed. Manual rows are skipped.',
      'If a refresh is already in flight nothing new is started.',
    ],
    result: (d) => (d.triggered
      ? {
        tone: 'ok',
        title: 'Series refresh triggered',
        fields: [['Triggered', 'yes', 'triggered'], ['Provider', d.provider ?? '—', 'provider'], ['Batch size', fmt.num(d.batchSize), 'batchSize'], ['Min age', `${fmt.num(d.minAgeDays)} days`, 'minAgeDays'],
          d.run ? ['Run', d.run.id, 'run'] : null].filter(Boolean),
        link: { href: '/admin/providers', label: 'Watch progress on the Providers page' },
      }
      : {
        tone: 'warn',
        title: 'Already in flight — nothing started',
        fields: [['Triggered', 'no', 'triggered'], ['Skipped', d.skipped ?? '—', 'skipped'], ['Provider', d.provider ?? '—', 'provider'], ['Batch size', fmt.num(d.batchSize), 'batchSize'], ['Min age', `${fmt.num(d.minAgeDays)} days`, 'minAgeDays']],
        link: { href: '/admin/providers', label: 'See the refresh in flight' },
      }),
  },
  {
    id: 'invalidate-cover-cache',
    group: 'catalog',
    title: 'Invalidate cover cache',
    method: 'POST',
    path: '/api/v1/covers/invalidate-cache',
    returns: '{ filesDeleted, bytesFreed }',
    what: [
      'Deletes every file under the cover-proxy cache directory (`storage.cover_cache_dir`, default `${data_dir}/cache/covers/`). Covers are re-fetched on demand the next time the UI requests them, at the cost of one upstream fetch per series.',
    ],
    useWhen: [
      'An upstream cover was corrected and the proxy is still serving the old bytes (the content-addressed cache keys mean rotated URLs refresh automatically, but a corrected file at the same URL doesn’t).',
      'You want to reclaim disk space.',
    ],
    notes: [
      'In-flight browser tabs may continue to render cached bytes until their own `Cache-Control: max-age=3600` window expires. A hard refresh in the affected tab picks up the new covers immediately.',
    ],
    button: 'Invalidate cache',
    danger: true,
    confirm: [
      'Every cached cover file is deleted from disk. Each cover is fetched from upstream again the first time it is requested — one upstream fetch per series.',
      'Browsers may keep showing cached bytes for up to an hour (`max-age=3600`).',
    ],
    result: (d) => ({
      tone: 'ok',
      title: 'Cover cache invalidated',
      fields: [['Files deleted', fmt.num(d.filesDeleted), 'filesDeleted'],
        ['Space freed', h('span', { title: `${fmt.num(d.bytesFreed)} bytes` }, `${fmt.bytes(d.bytesFreed)}${d.bytesFreed >= 1024 ? ` (${fmt.num(d.bytesFreed)} bytes)` : ''}`), 'bytesFreed']],
    }),
  },

  job({
    id: 'comics-counts', jobkey: 'comics.counts_recalc', path: '/api/v1/admin/batch/comics/counts',
    title: 'Recalculate denormalized counts',
    what: ['Recounts `chaptercount` and `followcount` on every comic and `followcount` on scanlation groups from their source tables, writing only the rows whose count drifted.'],
    useWhen: ['Counts on comic or group pages disagree with reality after a bulk import, a manual database fix or failed jobs (drift correction).'],
    returns: 'BatchJobRun, meta { comicsUpdated, groupsUpdated }',
    button: 'Recalculate counts',
    confirm: ['Queues a `comics.counts_recalc` run now. Drifted counts on `core.comic` and `core.scanlationgroup` are rewritten; correct rows are left alone.'],
  }),
  job({
    id: 'comics-ratings', jobkey: 'comics.ratings_recalc', path: '/api/v1/admin/batch/comics/ratings',
    title: 'Recalculate Bayesian ratings',
    what: ['Recomputes `ratingavg`, `ratingcount` and the Bayesian rating of every comic from `social.comicrating` (global mean and minimum votes are reported in the run’s meta). A comic whose last rating was removed is reset.'],
    useWhen: ['Ratings look stale after moderation removed votes, or after the minimum-votes setting changed.'],
    returns: 'BatchJobRun, meta { comicsUpdated, C, m }',
    button: 'Recalculate ratings',
    confirm: ['Queues a `comics.ratings_recalc` run now. Rating columns on `core.comic` are rewritten where they changed.'],
  }),
  job({
    id: 'flush-counters', jobkey: 'analytics.flush_counters', path: '/api/v1/admin/batch/analytics/flush-counters',
    title: 'Flush view counters',
    what: ['Force-flushes the Redis view counters into `viewcount` on `core.comic` and `core.chapter` immediately, exactly once even if the process dies midway.'],
    useWhen: ['Before maintenance or a shutdown, so no counted views wait in Redis.'],
    returns: 'BatchJobRun, meta { comicsFlushed, chaptersFlushed, totalViewsWritten }',
    button: 'Flush counters',
    confirm: ['Queues an `analytics.flush_counters` run now. Pending view counts move from Redis to Postgres.'],
  }),
  job({
    id: 'hasnew-sweep', jobkey: 'library.hasnew', path: '/api/v1/admin/batch/library/hasnew',
    title: 'Recalculate “has new chapters”',
    what: ['A full `hasnew` sweep over every library entry of every user, flipping only the flags that are wrong.'],
    useWhen: ['Readers report stale “new chapter” badges, e.g. after a chapter upload issue.'],
    returns: 'BatchJobRun, meta { entriesChecked, entriesUpdated }',
    button: 'Run sweep',
    confirm: ['Queues a full `library.hasnew` sweep now, in user batches. Only entries whose flag changes are written.'],
  }),
  job({
    id: 'sessions-cleanup', jobkey: 'sessions.cleanup', path: '/api/v1/admin/batch/sessions/cleanup',
    title: 'Expire old sessions',
    what: ['Deletes expired and revoked sessions from `users.session`.'],
    useWhen: ['After a security incident, to purge revoked sessions at once instead of at the next 6-hourly run.'],
    returns: 'BatchJobRun, meta { sessionsDeleted }',
    button: 'Clean up sessions',
    confirm: ['Queues a `sessions.cleanup` run now. Expired and revoked session rows are deleted; live sessions are not touched, so nobody is signed out.'],
  }),
  job({
    id: 'announcements-expire', jobkey: 'announcements.expire', path: '/api/v1/admin/batch/announcements/expire',
    title: 'Hide expired announcements',
    what: ['Unpublishes announcements whose `expiresat` has passed.'],
    useWhen: ['An expired announcement is still showing and the hourly run (at :05) is not due yet.'],
    returns: 'BatchJobRun, meta { announcementsExpired }',
    button: 'Hide expired',
    confirm: ['Queues an `announcements.expire` run now. Published announcements past their expiry are set to unpublished.'],
  }),
  job({
    id: 'storage-cleanup', jobkey: 'storage.orphan_cleanup', path: '/api/v1/admin/batch/storage/cleanup',
    title: 'Delete orphaned media files',
    what: ['Finds `core.mediafile` rows no cover, art, page or avatar refers to any more and older than the grace period (default 24h), deletes each object from storage, then its row.'],
    useWhen: ['Storage use grew after bulk deletions and you do not want to wait for the weekly run.'],
    returns: 'BatchJobRun, meta { filesDeleted, bytesFreed, failed }',
    button: 'Delete orphans',
    danger: true,
    confirm: ['Queues a `storage.orphan_cleanup` run now with the default grace period. Orphaned files are **deleted from object storage** and cannot be recovered. Use the Jobs page for a dry run first.'],
  }),
  job({
    id: 'history-cap', jobkey: 'library.viewhistory_cap', path: '/api/v1/admin/batch/history/cap',
    title: 'Cap view history',
    what: ['Keeps the newest 500 view-history entries of each user and deletes the older ones.'],
    useWhen: ['`library.viewhistory` grew past its budget and the daily 02:00 run is not due yet.'],
    returns: 'BatchJobRun, meta { rowsDeleted, usersCapped }',
    button: 'Cap history',
    danger: true,
    confirm: ['Queues a `library.viewhistory_cap` run now. View-history entries beyond the newest 500 per user are deleted.'],
  }),
  job({
    id: 'anonymize', jobkey: 'analytics.anonymize', path: '/api/v1/admin/batch/analytics/anonymize',
    title: 'Anonymize old pageviews',
    what: ['Clears the IP address and user agent of pageviews older than 90 days (the privacy policy’s window).'],
    useWhen: ['After a privacy-policy change, instead of waiting for the daily 01:00 run.'],
    returns: 'BatchJobRun, meta { rowsAnonymized }',
    button: 'Anonymize',
    danger: true,
    confirm: ['Queues an `analytics.anonymize` run now. IP addresses and user agents of old pageviews are erased for good.'],
  }),
  job({
    id: 'analytics-partition', jobkey: 'analytics.partition', path: '/api/v1/admin/batch/analytics/partition',
    title: 'Create analytics partitions',
    what: ['Creates the current and next month’s `analytics.pageview` and `analytics.chaptersession` partitions if they are missing.'],
    useWhen: ['The scheduler missed the 1st of the month, or inserts fail for lack of a partition.'],
    returns: 'BatchJobRun, meta { partitionsCreated }',
    button: 'Create partitions',
    confirm: ['Queues an `analytics.partition` run now. Missing partitions are created; existing ones are left as they are.'],
  }),
  job({
    id: 'crawler-partition', jobkey: 'crawler.partition', path: '/api/v1/admin/batch/crawler/partitions',
    title: 'Create crawler log partitions',
    what: ['Creates the current and next month’s `crawler.log` partitions if they are missing.'],
    useWhen: ['The scheduler missed the 1st of the month.'],
    returns: 'BatchJobRun, meta { partitionsCreated }',
    button: 'Create partitions',
    confirm: ['Queues a `crawler.partition` run now. Missing partitions are created; existing ones are left as they are.'],
  }),
];

export const GROUPS = [
  {
    id: 'catalog',
    title: 'Catalog and covers',
    lead: 'Cross-provider actions on the series catalog and the cover proxy.',
  },
  {
    id: 'jobs',
    title: 'Run a batch job now',
    lead: 'The seed’s manual triggers. Each queues one run with the job’s default parameters; the toast follows it to the end. Parameters, dry runs and history are on the [Jobs page](/admin/jobs).',
  },
];
