// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports a layer may not make: `cli → http → core ← stores`; `client` stands alone. */
const layer = (
  /** @type {string[]} */ folders,
  /** @type {string[]} */ packages = [],
  frontDoorOnly = false,
) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        // Other layers reach the core through its front door only.
        ...(frontDoorOnly
          ? [
              {
                group: ['**/core/*', '!**/core/index.js'],
                message: 'import the core through src/core/index.ts, its front door',
              },
            ]
          : []),
        ...folders.map((folder) => ({
          group: [`**/${folder}/**`, `../${folder}/*`, `../../${folder}/*`],
          message: `this layer must not import from src/${folder} (see STYLE.md: cli → http → core ← stores)`,
        })),
        ...(packages.length > 0
          ? [
              {
                group: packages,
                message: 'this layer reaches databases and the world only through src/stores and the interfaces of src/core',
              },
            ]
          : []),
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/', 'dist-check/', 'coverage/', 'node_modules/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: layer(
      ['http', 'stores', 'cli', 'client'],
      ['fastify', 'better-sqlite3', 'pg', 'ioredis', 'pino', 'prom-client', 'commander'],
    ),
  },
  { files: ['src/stores/**/*.ts'], rules: layer(['http', 'cli', 'client'], [], true) },
  { files: ['src/http/**/*.ts'], rules: layer(['cli', 'stores', 'client'], [], true) },
  { files: ['src/cli/**/*.ts'], rules: layer(['client'], ['better-sqlite3', 'pg', 'ioredis'], true) },
  {
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/**', '**/http/**', '**/stores/**', '**/cli/**'],
              message: 'the client SDK stands alone',
            },
            { group: ['node:*'], message: 'the client SDK runs in browsers: no node: imports' },
          ],
        },
      ],
    },
  },
);
