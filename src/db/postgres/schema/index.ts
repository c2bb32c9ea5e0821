export * from '../../schema/enums.js';
export * from './tables.js';
export * from './operations.js';
export * from './followup.js';
