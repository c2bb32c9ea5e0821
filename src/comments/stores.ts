import type { AppDatabase } from '../db/index.js';
import { SqliteCommentStore, type CommentStore } from './comment-store.js';
import { SqliteTaxonomyStore, type TaxonomyStore } from './taxonomy-store.js';

/** The comment pipeline's stores, built once by a composition root and handed to its use cases and queues. */
export interface CommentStores {
  comments: CommentStore;
  taxonomies: TaxonomyStore;
}

/** Both stores on a SQLite database. */
export function sqliteCommentStores(database: AppDatabase): CommentStores {
  return { comments: new SqliteCommentStore(database), taxonomies: new SqliteTaxonomyStore(database) };
}
