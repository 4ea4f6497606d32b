/** @type {import('jest').Config} */
const ts = ['ts-jest', { tsconfig: '<rootDir>/tests/tsconfig.json' }];

// ESM packages Grafana's UI pulls in, which jest must transform (ts-jest compiles them like our sources).
const esm = [
  '@grafana/schema',
  'd3',
  'd3-[a-z-]+',
  'internmap',
  'delaunator',
  'robust-predicates',
  'marked',
  'rxjs',
  'uuid',
  'ol',
  'react-calendar',
  'react-colorful',
  'memoize',
  'mimic-function',
  'get-user-locale',
  '@wojtekmaj/date-utils',
  'ua-parser-js',
  'rbush',
  'quickselect',
  'earcut',
  'pbf',
  'color-space',
  'color-rgba',
  'color-parse',
  '@react-hookz/web',
  '@ver0/deep-equal',
];

module.exports = {
  // Integration tests start real exporters and Prometheus; two workers fit the 2-core machines.
  maxWorkers: 2,
  testTimeout: 30000,
  projects: [
    {
      displayName: 'exporter',
      testEnvironment: 'node',
      roots: ['<rootDir>/tests'],
      testMatch: ['<rootDir>/tests/{exporter,commands,ledger,provisioning,hardening,protocol,otlp,proxy}/**/*.test.ts', '<rootDir>/tests/*.test.ts'],
      transform: { '^.+\\.tsx?$': ts },
    },
    {
      displayName: 'plugins',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/tests'],
      testMatch: ['<rootDir>/tests/{datasource,panel}/**/*.test.ts?(x)'],
      setupFilesAfterEnv: ['<rootDir>/tests/plugin-setup.ts'],
      transform: {
        '^.+\\.(t|j)sx?$': ['ts-jest', { tsconfig: '<rootDir>/tests/tsconfig.json' }],
        '^.+\\.mjs$': ['ts-jest', { tsconfig: '<rootDir>/tests/tsconfig.json' }],
      },
      moduleFileExtensions: ['ts', 'tsx', 'js', 'jsx', 'mjs', 'cjs', 'json'],
      transformIgnorePatterns: [`/node_modules/(?!(${esm.join('|')})/)`],
      moduleNameMapper: {
        '\\.(css|scss|sass)$': '<rootDir>/tests/stubs/style.js',
        '\\.(svg|png|jpg)$': '<rootDir>/tests/stubs/file.js',
      },
    },
  ],
};
