export { consoleRouter, mountConsole, type ConsoleDeps } from './routes.js';
export type { OperatorDeps } from './operator.js';
export { SessionStore, SESSION_COOKIE, MAX_SESSION_MS, type ConsoleIdentity, type ConsoleSession } from './session.js';
export { dialerStatus, type DialerStatus } from './status.js';
