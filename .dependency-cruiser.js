// The layering rules of the code base, checked by `npm run lint` (depcruise):
// - no import cycles, in apps and libs alike;
// - a lib is entered only through its entry points (libs/<lib>/src/index.ts, and libs/delta/src/core.ts,
//   the part of libs/delta that loads no DuckDB); nothing reaches inside another lib;
// - libs/delta knows nothing of Kafka or Nest; libs/schemas is the data contract and depends only on libs/delta/core;
// - libs never import apps.
// Specs may use other libs' test fixtures (libs/<lib>/test/) and the apps' configuration.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'Import cycles make load order matter and layers unreadable.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'lib-entry-points-only',
      severity: 'error',
      comment: 'Apps and scripts import a lib through @app/<lib> (or @app/delta/core), never a file inside it.',
      from: { path: '^(apps|scripts)/' },
      to: { path: '^libs/[^/]+/src/', pathNot: ['^libs/[^/]+/src/index\\.ts$', '^libs/delta/src/core\\.ts$'] },
    },
    {
      name: 'lib-not-inside-another-lib',
      severity: 'error',
      comment: 'Inside libs, another lib is reached only through its entry point.',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/', pathNot: ['^libs/$1/', '^libs/[^/]+/test/', '^libs/[^/]+/src/index\\.ts$', '^libs/delta/src/core\\.ts$'] },
    },
    {
      name: 'delta-knows-no-kafka-or-nest',
      severity: 'error',
      from: { path: '^libs/delta/' },
      to: { path: ['(^|node_modules/)(kafkajs|@nestjs/)', '^libs/(?!delta/)'] },
    },
    {
      name: 'schemas-is-the-contract',
      severity: 'error',
      comment: 'libs/schemas depends on nothing but the DuckDB-free part of libs/delta.',
      from: { path: '^libs/schemas/', pathNot: '\\.spec\\.ts$' },
      to: { path: ['^libs/(?!schemas/|delta/src/core\\.ts$)', '(^|node_modules/)(kafkajs|@nestjs/|@duckdb/)'] },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^apps/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.cache)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
