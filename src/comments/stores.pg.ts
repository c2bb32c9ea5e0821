import type { PostgresDatabase } from '../db/postgres/index.js';
import { PostgresCommentStore } from './comment-store.pg.js';
import type { CommentStores } from './stores.js';
import { PostgresTaxonomyStore } from './taxonomy-store.pg.js';

/** Both stores on a PostgreSQL database, each statement on the pool (the atomic methods take a client of their own). */
export function postgresCommentStores(database: PostgresDatabase): CommentStores {
  return { comments: new PostgresCommentStore(database.pool), taxonomies: new PostgresTaxonomyStore(database.pool) };
}
