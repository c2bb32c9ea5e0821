import path from 'node:path';
import { SqliteLeaseStore } from '../../src/cluster/index.js';
import { openDatabase } from '../../src/db/index.js';
import { tempDir } from '../support/factories.js';
import { leaseStoreConformance } from './lease-store-conformance.js';

leaseStoreConformance('SQLite', () => {
  const file = path.join(tempDir('nps-leases-'), 'nps.db');
  const first = openDatabase({ path: file });
  const second = openDatabase({ path: file });
  return Promise.resolve({
    nodes: [new SqliteLeaseStore(first), new SqliteLeaseStore(second)],
    close: () => {
      first.close();
      second.close();
      return Promise.resolve();
    },
  });
});
