import type { Migration } from './types';

/**
 * The outbox depth by state goes to the metrics after every outbox change (every few ms while
 * draining). A GROUP BY over the whole table visits every row; this partial index holds only the
 * rows that are not plain `saved` (confirming, failed, expired, held: few at any time), so the
 * counts are read from it and `saved` is the table's count minus them. Enqueue and ack, the
 * writes that happen by the thousand, insert and delete `saved` rows and never touch it.
 */
export const migration0005: Migration = {
  version: 5,
  name: 'outbox-unsettled',
  up(db) {
    db.exec(`CREATE INDEX outbox_unsettled ON outbox (state) WHERE state <> 'saved';`);
  },
};
