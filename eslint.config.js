// @ts-check
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
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
                message:
                  'this layer reaches databases and the world only through src/stores and the interfaces of src/core',
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
    // With type information: promises are awaited or handled, never passed where a callback's
    // result is ignored, and a switch over a union names every member.
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver()],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/extensions': ['.ts', '.tsx', '.js'],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      // Modules that import each other load in an order that depends on who came first.
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Events are appended in one place, so that each is also published (record-event.ts).
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/record-event.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='appendEvent']",
          message: 'record events with recordEvent (src/core/record-event.ts)',
        },
      ],
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
  {
    files: ['src/cli/**/*.ts'],
    rules: layer(['client'], ['better-sqlite3', 'pg', 'ioredis'], true),
  },
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
  {
    files: ['src/console/**/*.ts', 'src/console/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/**', '**/http/**', '**/stores/**', '**/cli/**', '**/client/**'],
              message: 'the console is browser code that knows Baton only through HTTP',
            },
            { group: ['node:*'], message: 'the console runs in browsers: no node: imports' },
          ],
        },
      ],
    },
  },
);
