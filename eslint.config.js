// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports a layer may not make: `cli → http → core ← stores`; `client` stands alone. */
const layer = (/** @type {string[]} */ folders, /** @type {string[]} */ packages = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        ...folders.map((folder) => ({
          group: [`**/${folder}/**`, `../${folder}/*`, `../../${folder}/*`],
          message: `this layer must not import from src/${folder} (see STYLE.md: cli → http → core ← stores)`,
        })),
        ...(packages.length > 0
          ? [
              {
                group: packages,
                message: 'this layer talks to the world only through the interfaces of src/core',
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
  { files: ['src/stores/**/*.ts'], rules: layer(['http', 'cli', 'client']) },
  { files: ['src/http/**/*.ts'], rules: layer(['cli', 'stores', 'client']) },
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
