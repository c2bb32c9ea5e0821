/**
 * Import rules of docs/architecture.md, checked by `npm run check:deps` (part of `npm test`).
 * Modules are the folders of src/; each module's index.ts is its public surface.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle between files: modules depend in one direction (a type borrowed back, erased at build, does not make one).',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-transport-in-domain',
      severity: 'error',
      comment: 'Transports (cli, http, console) and the composition root (app) sit at the edge: no domain module imports them.',
      from: { path: '^src/', pathNot: '^src/(cli|http|console|app)/' },
      to: { path: '^src/(cli|http|console|app)/' },
    },
    {
      name: 'through-the-index',
      severity: 'error',
      comment: "Another module is reached through its index.ts, never one of its files.",
      from: { path: '^src/([^/]+)/' },
      // app/ is the composition root, loaded file by file so that a command loads only what it uses.
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '/index\\.ts$', '^src/app/'] },
    },
    {
      name: 'sandbox-stands-alone',
      severity: 'error',
      comment: 'The sandbox plays the provider: of the app it imports only the shared base (clock, logging, errors).',
      from: { path: '^src/sandbox/' },
      to: { path: '^src/', pathNot: ['^src/sandbox/', '^src/(clock|logging|errors)/index\\.ts$'] },
    },
    {
      name: 'only-demo-and-sandbox-commands-start-the-sandbox',
      severity: 'error',
      comment: 'The app never reaches into the provider emulator, except the commands that start it.',
      from: { path: '^src/', pathNot: ['^src/sandbox/', '^src/cli/commands/(demo|sandbox)\\.ts$'] },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};
