// seed-sql.mjs — the seed's statements (tests/seed/*.sql, verbatim from the spec), which the job tests compare the
// jobs with on the same data; bench/bench_library.sh reads the same files.
import { readFileSync } from 'node:fs';

const read = (name) => readFileSync(new URL(`../seed/${name}.sql`, import.meta.url), 'utf8');

/** library.hasnew's UPDATE, scoped by `where` (SQL: 'true', a user's or a comic's entries). */
export const seedHasnew = (where) => read('hasnew').replace(/;\s*$/, `\nWHERE ${where};\n`);

/** library.viewhistory_cap's DELETE (cap 500); with `where`, ranking only the rows it matches (one user's). */
export function seedCap(where = null) {
  const text = read('viewhistory_cap');
  if (!where) return text;
  const anchor = 'FROM library.viewhistory\n    ) ranked';
  if (!text.includes(anchor)) throw new Error('tests/seed/viewhistory_cap.sql: the inner FROM moved');
  return text.replace(anchor, `FROM library.viewhistory WHERE ${where}\n    ) ranked`);
}

/** comics.ratings_recalc's UPDATE with the global mean `C` and the minimum votes `m` put in. */
export const seedRatingsSql = (C, m) => read('ratings').replaceAll('$C', String(C)).replaceAll('$m', String(m));

/** comics.counts_recalc's three UPDATEs. */
export const SEED_COUNTS = read('counts');
